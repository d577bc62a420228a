"""Injected bugs in the judged statistics make the graded rows fail.

Each graded statistic flows through one module-level function of :mod:`gpdtheory_checks.baselines`
(:func:`~gpdtheory_checks.baselines.judged_map`: the trained model's linear score map;
:func:`~gpdtheory_checks.baselines.judged_profile`: the attention lag profile). Replacing it with a
model that learned nothing temporal -- a time-ignoring score
``A = I_N ⊗ (alpha^2 Sigma + sigma^2 I)^{-1}`` or attention on the query frame only -- must
turn every graded row of the claims that judge it into a failure (``FAILS``; a paper's
finding, ``kind="finding"``, into ``not reproduced``), while the honest rows hold.
"""

from __future__ import annotations

import math

import gpdtheory_checks
import numpy as np
import pytest
from gpdtheory_checks import baselines
from gpdtheory_checks.table import CheckConfig

#: Every module that could bind the judged functions: they must be reached through
#: ``gpdtheory_checks.baselines`` only (one injection point each).
_MODULES = ("gpdtheory_checks.training", "gpdtheory_checks.trained_setup",
            "gpdtheory_checks.looped_layers", "gpdtheory_checks.training_slope",
            "gpdtheory_checks.paper", "gpdtheory_checks.paper_runs",
            "gpdtheory_checks.paper_attention", "gpdtheory_checks.paper_architectures",
            "gpdtheory_checks.video")


def _patch(monkeypatch, name, fake):
    import importlib

    monkeypatch.setattr(baselines, name, fake)
    for mod in _MODULES:
        m = importlib.import_module(mod)
        if hasattr(m, name):  # a copied binding: patch it too
            monkeypatch.setattr(m, name, fake)


def time_ignoring(model, spec, t):
    """The mutant score map: frames treated as independent."""
    a2, s2 = math.exp(-t), -math.expm1(-t)
    S = np.asarray(spec.Sigma, dtype=np.float64)
    return np.kron(np.eye(spec.N), np.linalg.inv(a2 * S + s2 * np.eye(spec.d)))


def identity_attention(source, video=None, max_lag=None):
    """The mutant profile: attention on the query frame only (lag 0)."""
    if video is not None:
        n = video.tokens.shape[1]
    else:
        n = np.asarray(source).shape[-1]
    p = np.zeros(n if max_lag is None else max_lag + 1)
    p[0] = 1.0
    return p


def _graded(rows):
    return [r for r in rows if not r.info and ("R(model)" in str(r.case.get("quantity"))
                                               or "baselines" in str(r.case.get("quantity"))
                                               or "baseline" in str(r.case.get("quantity")))]


def _failed(r) -> bool:
    return r.verdict == "FAILS" if r.kind != "finding" else r.verdict == "not reproduced"


def test_judged_functions_have_one_binding():
    import importlib

    for mod in _MODULES:
        m = importlib.import_module(mod)
        for name in ("judged_map", "judged_profile"):
            assert not hasattr(m, name), f"{mod} binds {name}: call baselines.{name}"


@pytest.fixture
def one_family(monkeypatch):
    """trained.* claims on the powered-exponential model only (trained once per process)."""
    from gpdtheory_checks import training

    monkeypatch.setattr(training, "_models",
                        lambda cfg: iter([training.trained_matching_model(cfg.full, cfg.seed,
                                                                          0)]))


@pytest.mark.parametrize("cid", ["trained.kernel", "trained.score"])
@pytest.mark.integration
def test_trained_margins_hold_and_fail_for_a_time_ignoring_score(cid, one_family, monkeypatch):
    honest = _graded(gpdtheory_checks.CLAIMS[cid].run(CheckConfig()))
    assert honest and all(r.holds for r in honest), [(r.measured, r.verdict) for r in honest]
    _patch(monkeypatch, "judged_map", time_ignoring)
    mutant = _graded(gpdtheory_checks.CLAIMS[cid].run(CheckConfig()))
    assert len(mutant) == len(honest)
    assert all(_failed(r) for r in mutant), [(r.measured, r.verdict) for r in mutant]


@pytest.mark.integration
def test_trained_kernel_fails_for_identity_attention(one_family, monkeypatch):
    _patch(monkeypatch, "judged_profile", identity_attention)
    rows = _graded(gpdtheory_checks.CLAIMS["trained.kernel"].run(CheckConfig()))
    assert rows and all(_failed(r) for r in rows), [(r.measured, r.verdict) for r in rows]


# ------------------------------------------------------------------ attention profiles
@pytest.mark.integration
def test_paper_attention_findings_fail_for_identity_attention(monkeypatch, tmp_path):
    """On tiny trainings, a Gamma-shaped attention map beats every null profile; the
    identity mutant does not (the rows are the paper's findings: not reproduced)."""
    from gpdtheory_checks import paper_runs

    from tests.test_paper import TINY

    monkeypatch.setattr(paper_runs, "paper_config", lambda full: TINY)
    monkeypatch.setattr(paper_runs, "grids", lambda full: {
        "n_patterns": [(1.0, 1.0)], "ns": [16], "n_fixed": 16, "n_verdict": 16,
        "decay": [(1.0, 1.0)]})
    monkeypatch.setattr(paper_runs, "_CACHE", {})
    monkeypatch.setenv("GPDTHEORY_CHECKPOINTS", str(tmp_path / "ck"))
    real = paper_runs.records

    def gamma_shaped(*args, **kwargs):  # the honest statistic on a map that is rho itself
        out = real(*args, **kwargs)
        for rec in out.values():
            rho = np.array(rec["rho"])
            n = len(rho)
            rec["attention"] = [[rho[abs(i - j)] for j in range(n)] for i in range(n)]
        return out

    monkeypatch.setattr(paper_runs, "records", gamma_shaped)
    rows = gpdtheory_checks.CLAIMS["paper.attention"].run(CheckConfig())
    graded = [r for r in rows if not r.info]
    assert graded and all(r.verdict == "reproduced" for r in graded), [
        (r.measured, r.verdict, r.note) for r in graded]
    _patch(monkeypatch, "judged_profile", identity_attention)
    rows = gpdtheory_checks.CLAIMS["paper.attention"].run(CheckConfig())
    graded = [r for r in rows if not r.info]
    assert graded and all(_failed(r) for r in graded), [(r.measured, r.verdict) for r in graded]


@pytest.mark.integration
def test_video_attention_fails_for_identity_attention(monkeypatch):
    """Whatever the training, an identity profile gains nothing over the identity baseline:
    the findings are not reproduced (short training)."""
    from gpdtheory_checks import video

    from gpdtheory.train import TrainConfig

    monkeypatch.setattr(video, "_cases", lambda cfg: iter([(
        "relu", dict(n=64, N=12, size=6),
        TrainConfig(steps=20, batch_size=16, lr=3e-3, warmup=2, eval_every=10), dict(L=2, J=4))]))
    _patch(monkeypatch, "judged_profile", identity_attention)
    rows = gpdtheory_checks.CLAIMS["video.attention"].run(CheckConfig())
    graded = [r for r in rows if not r.info]
    assert {r.kind for r in graded} == {"finding"} and len(graded) == 2
    assert all(_failed(r) for r in graded), [(r.case["quantity"], r.measured, r.verdict)
                                            for r in graded]
