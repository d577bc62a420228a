"""Files: atomic writes, corrupted or truncated checkpoints refused, no pickle anywhere.

A checkpoint is ``<stem>.safetensors`` + ``<stem>.json`` (size and SHA-256 of the
tensors). Truncating or flipping a byte of either, or editing the sidecar so that it
still parses, must raise :class:`~gpdtheory.errors.CheckpointError`, never load a
partial model nor leak a ``KeyError``/``ValueError`` from inside.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch  # noqa: E402
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import train  # noqa: E402
from gpdtheory.errors import CheckpointError, ReportExistsError
from gpdtheory.models import matching_model  # noqa: E402

from ._settings import fuzz

PACKAGE = Path(gp.__file__).parent
SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.eye(2))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    model = matching_model(SPEC, L=1, J=1)
    path = train.save_checkpoint(model, tmp_path_factory.mktemp("ckpt") / "m")
    return model, path, path.read_bytes(), path.with_suffix(".json").read_text()


def _write(tmp: Path, blob: bytes, sidecar: str) -> Path:
    st_path = tmp / "c.safetensors"
    st_path.write_bytes(blob)
    st_path.with_suffix(".json").write_text(sidecar)
    return st_path


def test_roundtrip_is_bitwise(saved, tmp_path):
    model, path, _, _ = saved
    loaded, sidecar = train.load_checkpoint(path)
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items(),
                                  strict=True):
        assert torch.equal(a, b), k
    assert sidecar["format"] == train.CHECKPOINT_FORMAT


_HC = {"suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}


@fuzz(**_HC)
@given(data=st.data())
def test_truncated_or_flipped_tensors_refused(saved, tmp_path, data):
    _, _, blob, sidecar = saved
    if data.draw(st.booleans()):
        bad = blob[: data.draw(st.integers(0, len(blob) - 1))]
    else:
        i = data.draw(st.integers(0, len(blob) - 1))
        bad = blob[:i] + bytes([blob[i] ^ data.draw(st.integers(1, 255))]) + blob[i + 1:]
    with pytest.raises(CheckpointError):
        train.load_checkpoint(_write(tmp_path, bad, sidecar))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 10**6), st.floats(allow_nan=False),
              st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)


@fuzz(**_HC)
@given(data=st.data())
def test_corrupted_sidecar_refused(saved, tmp_path, data):
    """Truncated JSON, wrong format tag, or any field replaced by junk (sha still valid)."""
    _, _, blob, sidecar = saved
    how = data.draw(st.sampled_from(["truncate", "field", "model_field", "kwarg"]))
    doc = json.loads(sidecar)
    if how == "truncate":
        text = sidecar[: data.draw(st.integers(0, len(sidecar) - 2))]
    else:
        if how == "field":
            doc[data.draw(st.sampled_from(sorted(doc)))] = data.draw(json_values)
        elif how == "model_field":
            doc["model"][data.draw(st.sampled_from(["class", "kwargs", "dtype"]))] = \
                data.draw(json_values)
        else:
            key = data.draw(st.sampled_from(sorted(doc["model"]["kwargs"])))
            doc["model"]["kwargs"][key] = data.draw(json_values)
        text = json.dumps(doc)
    if text == sidecar or json.loads(sidecar) == _maybe_json(text):
        return  # the draw happened to change nothing
    try:
        model, _ = train.load_checkpoint(_write(tmp_path, blob, text))
    except CheckpointError:
        return
    # accepted only if the edit was harmless: then the weights are the saved ones
    ref = train.load_checkpoint(saved[1])[0]
    for (k, a), (_, b) in zip(ref.state_dict().items(), model.state_dict().items(),
                                  strict=True):
        assert torch.equal(a, b), k


def _maybe_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def test_missing_files_refused(saved, tmp_path):
    _, _, blob, sidecar = saved
    p = _write(tmp_path, blob, sidecar)
    p.with_suffix(".json").unlink()
    with pytest.raises(CheckpointError, match="missing"):
        train.load_checkpoint(p)


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    """A crash at the rename leaves no file (and no temporary) behind."""
    import os

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        train.save_checkpoint(matching_model(SPEC, L=1, J=1), tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_json_results_atomic_and_never_overwritten(tmp_path):
    from gpdtheory_checks.runner import atomic_write_text

    target = tmp_path / "r.json"
    atomic_write_text(target, "[]\n")
    with pytest.raises(ReportExistsError, match="Fix:"):
        atomic_write_text(target, "[1]\n")
    assert target.read_text() == "[]\n" and sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_no_pickle_anywhere():
    """No pickle, no torch.load without weights_only=True, no np.load(allow_pickle=True)."""
    roots = [PACKAGE, PACKAGE.parent / "checks"]
    offenders = []
    for root in roots:
        for f in root.rglob("*.py"):
            if f.name == "bad_input.py":
                continue
            text = f.read_text(encoding="utf-8")
            for m in re.finditer(r"^(?!\s*#).*\b(import pickle|cPickle|dill|joblib\.load|"
                                 r"allow_pickle\s*=\s*True|torch\.load\([^)]*\))", text, re.M):
                if "torch.load(" in m.group(1) and "weights_only=True" in m.group(1):
                    continue
                offenders.append(f"{f.relative_to(PACKAGE.parent)}: {m.group(0).strip()}")
    assert not offenders, offenders


def test_one_atomic_writer():
    """Renames, links and temporary files for writing live in gpdtheory.fileio alone; no
    ctypes anywhere."""
    roots = [PACKAGE, PACKAGE.parent / "checks"]
    offenders = []
    for root in roots:
        for f in root.rglob("*.py"):
            if f == PACKAGE / "fileio.py":
                continue
            pattern = r"import ctypes|os\.replace\(|os\.rename\(|os\.link\(|mkstemp\("
            for m in re.finditer(rf"^(?!\s*(#|>>>)).*\b({pattern})", f.read_text(encoding="utf-8"),
                                 re.M):
                offenders.append(f"{f.relative_to(PACKAGE.parent)}: {m.group(0).strip()}")
    assert not offenders, offenders


def test_sidecar_sha_matches(saved):
    _, path, blob, sidecar = saved
    doc = json.loads(sidecar)
    assert doc["sha256"] == hashlib.sha256(blob).hexdigest() and doc["bytes"] == len(blob)
