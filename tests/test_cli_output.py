"""Output a program can read: strict JSON, one schema, argument errors, per-claim lines.

Cheap claims only (``kappa.bound``, ``psd.frontier``, ``score.exact``): each runs in about
a second.
"""

from __future__ import annotations

import json
import math

import pytest
from gpdtheory_checks import runner
from gpdtheory_checks.cli import main
from gpdtheory_checks.report import write_report
from gpdtheory_checks.table import CheckConfig, Measurement, Row

TOP = ["schema", "header", "claims", "summary", "rows"]
HEADER = {"version", "seed", "full", "config", "date", "machine", "timings", "counts"}


def strict_loads(text: str):
    """``json.loads`` that refuses NaN, Infinity and -Infinity (not JSON)."""
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_strict_loads_refuses_nan():
    with pytest.raises(ValueError):
        strict_loads('{"ratio": Infinity}')
    with pytest.raises(ValueError):
        strict_loads("[NaN]")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """``--json`` of kappa.bound, and the report of the same run."""
    d = tmp_path_factory.mktemp("cli")
    assert main(["check", "--only", "kappa.bound", "--json", str(d / "p.json"), "--out",
                 str(d / "report"), "--no-progress", "--seed", "3"]) == 0
    return (strict_loads((d / "p.json").read_text(encoding="utf-8")),
            strict_loads((d / "report" / "results.json").read_text(encoding="utf-8")))


@pytest.mark.integration
def test_json_and_results_json_share_the_schema(outputs):
    doc, results = outputs
    assert list(doc) == TOP
    assert list(results) == [*TOP, "figures"]
    for d in (doc, results):
        assert d["schema"] == runner.SCHEMA == "gpdtheory.check/1"
        h = d["header"]
        assert HEADER <= set(h)
        assert h["seed"] == 3 and h["config"]["seed"] == 3 and h["config"]["full"] is False
        assert h["config"]["only"] == ["kappa.bound"] and h["config"]["workers"] == 0
        m = h["machine"]
        assert {"platform", "processor", "cpu_count", "python", "versions", "env", "threads",
                "threadpoolctl"} <= set(m)
        assert {"numpy", "scipy", "numba", "torch"} <= set(m["versions"])
        assert {"OMP_NUM_THREADS", "NUMBA_NUM_THREADS"} <= set(m["env"])
        assert set(h["timings"]["claims"]) == {"kappa.bound"}
        assert 0 <= h["timings"]["claims"]["kappa.bound"] <= h["timings"]["wall_s"] + 1e-3
        assert h["counts"]["rows"] == len(d["rows"]) > 0
        assert [c["id"] for c in d["claims"]] == ["kappa.bound"]
        assert set(d["rows"][0]) >= {"claim", "section", "case", "measured", "bound", "ratio",
                                     "verdict", "sense", "kind", "note", "allowance"}
    assert doc["rows"] == results["rows"] and doc["summary"] == results["summary"]


def test_infinite_ratio_round_trips(tmp_path):
    import dataclasses

    sign = Row.from_measurement("psd.all_n", "4", Measurement(
        {"J": 1, "lmin": -math.inf, "spread": [1.0, math.nan]}, 0.2, 0.0, sense=">=",
        kind="tolerance"))
    assert math.isnan(sign.ratio)  # a sign test has no ratio (printed n/a)
    inf = dataclasses.replace(sign, ratio=math.inf)  # e.g. a row read from an older file
    info = Row.from_measurement("x.info", "1", Measurement({"n": 4}, 0.3, math.nan, kind="info"))
    assert inf.ratio == math.inf and math.isnan(info.bound)
    path = tmp_path / "rows.json"
    runner.write_json([inf, info], path, CheckConfig(), 0.5)
    doc = strict_loads(path.read_text(encoding="utf-8"))
    r0, r1 = doc["rows"]
    assert r0["ratio"] is None and r0["ratio_text"] == "inf"
    assert r0["case"]["lmin"] is None and r0["case"]["lmin_text"] == "-inf"
    assert r0["case"]["spread"] == [1.0, None] and r0["case"]["spread_text"] == [None, "nan"]
    assert r1["bound"] is None and r1["bound_text"] == "nan" and r1["ratio_text"] == "nan"
    back = [runner.row_from_json(d) for d in doc["rows"]]
    assert back[0].ratio == math.inf and back[0].case["lmin"] == -math.inf
    assert back[0].case["spread"][0] == 1.0 and math.isnan(back[0].case["spread"][1])
    assert set(back[0].case) == {"J", "lmin", "spread"}
    assert math.isnan(back[1].bound) and math.isnan(back[1].ratio) and back[1].verdict == "info"
    assert back[0].to_dict().keys() == inf.to_dict().keys()
    from gpdtheory_checks.plots import as_rows

    assert as_rows(doc["rows"])[0].ratio == math.inf


def test_strict_dumps_refuses_unencoded_nan():
    with pytest.raises(ValueError):
        runner.dumps({"x": math.nan})


def test_report_results_json_strict_with_infinite_ratio(tmp_path):
    import dataclasses

    sign = Row.from_measurement("psd.all_n", "4", Measurement({"J": 1}, 0.2, 0.0, sense=">=",
                                                              kind="tolerance"))
    rows = [dataclasses.replace(sign, ratio=math.inf)]  # e.g. a row read from an older file
    out = write_report(rows, tmp_path / "r", CheckConfig(), 1.0)
    doc = strict_loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["rows"][0]["ratio_text"] == "inf" and doc["summary"][0]["ratio_text"] == "inf"
    out = write_report([sign], tmp_path / "s", CheckConfig(), 1.0)
    doc = strict_loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["rows"][0]["ratio"] is None and doc["rows"][0]["ratio_text"] == "nan"


@pytest.mark.parametrize("value, why", [("-1", "negative"), (str(2**63), "beyond 2**63-1"),
                                        ("1.5", "not an integer")])
def test_bad_seed_is_a_usage_error(value, why, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", "--only", "score.exact", "--seed", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--seed" in err and value in err and why in err and "Fix:" in err


def test_largest_seed_is_accepted(tmp_path):
    assert main(["check", "--only", "psd.frontier", "--no-progress", "--seed",
                 str(2**63 - 1), "--json", str(tmp_path / "p.json")]) == 0
    assert strict_loads((tmp_path / "p.json").read_text())["header"]["seed"] == 2**63 - 1


def test_negative_workers_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", "--only", "score.exact", "--workers", "-3"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--workers" in err and "-3" in err and "negative" in err and "Fix:" in err


@pytest.mark.integration
def test_no_progress_prints_each_claim_before_the_table(capsys):
    assert main(["check", "--only", "psd.frontier", "--only", "kappa.bound",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out.splitlines()
    table = next(i for i, line in enumerate(out) if line.startswith("claim "))
    first = next(i for i, line in enumerate(out) if line.startswith("psd.frontier "))
    second = next(i for i, line in enumerate(out) if line.startswith("kappa.bound "))
    assert first < second < table
    assert "15 cases" in out[first] and "tightest ratio" in out[first]
    assert "holds" in out[first] and out[first].rstrip().endswith(" s")


def test_run_records_seconds_per_claim_and_calls_back():
    seen = []
    timings: dict[str, float] = {}
    rows = runner.run(["psd.frontier", "score.exact"], CheckConfig(), timings=timings,
                      on_claim=lambda cid, rs, s: seen.append((cid, len(rs), s)))
    assert list(timings) == ["psd.frontier", "score.exact"]
    assert [c for c, _, _ in seen] == list(timings)
    assert sum(n for _, n, _ in seen) == len(rows)
    assert all(s >= 0 and timings[c] == s for c, _, s in seen)


def test_device_flag_reaches_the_claims_and_is_restored(tmp_path, monkeypatch):
    import os

    import gpdtheory_checks
    from gpdtheory_checks.cli import DEVICE_ENV

    monkeypatch.delenv(DEVICE_ENV, raising=False)
    seen = []
    real = gpdtheory_checks.run

    def spy(*args, **kwargs):
        seen.append(os.environ.get(DEVICE_ENV))
        return real(*args, **kwargs)

    monkeypatch.setattr(gpdtheory_checks, "run", spy)
    assert main(["check", "--only", "psd.frontier", "--no-progress", "--device", "cpu",
                 "--json", str(tmp_path / "p.json")]) == 0
    assert seen == ["cpu"] and DEVICE_ENV not in os.environ
    assert strict_loads((tmp_path / "p.json").read_text())["header"]["config"]["device"] == "cpu"


@pytest.mark.parametrize("value, why", [("cuda", "not available"), ("cuda:0", "not available"),
                                        ("gpu7", "not a device"), ("auto", "not accepted")])
def test_unavailable_device_is_a_usage_error(value, why, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["check", "--only", "psd.frontier", "--device", value]) == 2
    err = capsys.readouterr().err
    assert f"--device {value!r}" in err and why in err and "Fix: pass --device cpu" in err


TRAINING_CLAIMS = ["paper.error_vs_n", "paper.dit_vs_unet", "trained.kernel",
                   "sample_complexity.slope", "models.latte_attention", "video.attention"]


@pytest.mark.parametrize("cid", TRAINING_CLAIMS)
def test_every_training_claim_trains_on_the_device_flag(cid, monkeypatch):
    """The device ``--device`` puts in the environment reaches every claim that trains: the
    first device a training resolves is recorded, then the run stops (an ERROR row)."""
    from gpdtheory_checks import paper_runs, training
    from gpdtheory_checks.cli import DEVICE_ENV
    from gpdtheory_checks.table import CLAIMS, CheckConfig

    import gpdtheory.train
    import gpdtheory.train.loop
    import gpdtheory.video

    seen = []

    class Stop(RuntimeError):
        """Ends the claim once the device is recorded."""

    def recorder(device=None):
        seen.append(str(device))
        raise Stop("recorded")

    for mod in (gpdtheory.train, gpdtheory.train.loop, gpdtheory.video):
        monkeypatch.setattr(mod, "resolve_device", recorder)
    monkeypatch.setenv(DEVICE_ENV, "cpu:0")
    monkeypatch.delenv("GPDTHEORY_CHECKPOINTS", raising=False)
    monkeypatch.setattr(paper_runs, "_CACHE", {})  # runs of earlier tests would skip training
    training.trained_matching_model.cache_clear()
    try:
        rows = list(CLAIMS[cid].run(CheckConfig()))
    finally:
        training.trained_matching_model.cache_clear()
    assert seen and set(seen) == {"cpu:0"}, seen
    assert any(r.verdict == "ERROR" and "recorded" in r.note for r in rows)
