"""The paper's experiments: metric, bootstrap, resumable runs, divergence, claims and figures."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
import torch

import gpdtheory as gp
from gpdtheory import experiments as ex

TINY = ex.PaperConfig(width=8, heads=2, steps=12, batch_size=32, lr=1e-2, warmup=2,
                      eval_every=4, n_gen=64, sample_steps=6, bootstrap=8, attention_n=16,
                      attention_times=(0.5,))


def _spec(ell=1.0, nu=1.0):
    return ex.make_spec(TINY, ell, nu)


# ----------------------------------------------------------------------------- metric
def test_metric_is_zero_on_the_population():
    from gpdtheory.sample_complexity import population_samples

    spec = _spec(1.0, 0.5)
    e = ex.covariance_errors(population_samples(spec), spec)
    assert max(e.as_tuple()) < 1e-12


def test_metric_factors_separate_temporal_from_spatial():
    spec = _spec()
    X = spec.sample(4000, seed=0)
    e = ex.covariance_errors(X, spec)
    # scale the second feature: the spatial factor is wrong, the temporal one is not
    Y = X.copy()
    Y[..., 1] *= 1.5
    f = ex.covariance_errors(Y, spec)
    assert f.spatial > 3 * e.spatial and abs(f.temporal - e.temporal) < 0.02
    # independent frames: the temporal factor is wrong
    Z = np.random.default_rng(1).standard_normal(X.shape) @ np.linalg.cholesky(spec.Sigma).T
    g = ex.covariance_errors(Z, spec)
    I8 = np.eye(spec.N)
    G = spec.gamma_dense()
    assert g.temporal == pytest.approx(np.linalg.norm(I8 - G) / np.linalg.norm(G), abs=0.05)


def test_sampling_floor_matches_monte_carlo():
    spec = _spec(0.5, 1.0)
    m = 200
    errs = [ex.covariance_errors(spec.sample(m, seed=s), spec).total for s in range(300)]
    assert math.sqrt(np.mean(np.square(errs))) == pytest.approx(ex.sampling_floor(spec, m),
                                                                rel=0.06)


def test_bootstrap_is_centred_on_the_estimate():
    spec = _spec()
    X = spec.sample(300, seed=3)
    e = ex.covariance_errors(X, spec)
    boot = ex.bootstrap_errors(X, spec, B=100, seed=0)
    assert boot.shape == (100, 3)
    np.testing.assert_allclose(boot.mean(axis=0), e.as_tuple(), rtol=1e-12)
    lo, hi = ex.percentile_ci(boot[:, 0])
    assert lo < e.total < hi


def test_permutation_and_slope():
    assert ex.permutation_pvalue([1, 2, 3], [4, 5, 6]) == pytest.approx(0.05)
    assert ex.permutation_pvalue([4, 5, 6], [1, 2, 3]) == pytest.approx(1.0)
    ns = [10, 100, 1000]
    cells = [[[n ** -0.5 * (1 + 0.01 * k) for k in range(5)]] * 3 for n in ns]
    s = ex.bootstrap_slope(ns, cells, B=200, seed=0)
    assert np.all(np.abs(s + 0.5) < 0.01)


# ------------------------------------------------------------------------ runs, resume
GRID = [ex.RunSpec(1.0, nu, n, s) for nu in (0.5, 2.0) for n in (32,) for s in (0, 1)]


def _strip(recs):
    """Records without what may differ between equal runs: the flag and the wall time."""
    out = []
    for r in recs:
        r = {k: v for k, v in r.items() if k != "resumed"}
        r["training"] = {k: v for k, v in r["training"].items() if k != "seconds"}
        out.append(r)
    return out


@pytest.mark.integration
def test_grid_records_do_not_depend_on_the_engine(tmp_path):
    """Local processes (the claims' engine on CPU) give the serial records exactly, and
    each process checkpoints its own runs into the shared folder."""
    serial = ex.run_grid(GRID, TINY, tmp_path / "s")
    pool = ex.run_grid(GRID, TINY, tmp_path / "p", executor=None)
    assert _strip(pool) == _strip(serial)
    assert _strip(ex.load_results(tmp_path / "p")["runs"].values()) == _strip(
        ex.load_results(tmp_path / "s")["runs"].values())
    assert sorted(f.name for f in (tmp_path / "p").iterdir()) == sorted(
        f.name for f in (tmp_path / "s").iterdir())


def test_training_engine_is_serial_inside_workers_and_off_cpu(monkeypatch):
    import multiprocessing

    from gpdtheory_checks import paper

    monkeypatch.delenv("GPDTHEORY_DEVICE", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert paper.training_engine(1) == "serial"
    assert paper.training_engine(5) is None
    monkeypatch.setenv("GPDTHEORY_DEVICE", "cuda")
    assert paper.training_engine(5) == "serial"
    monkeypatch.setenv("GPDTHEORY_DEVICE", "cpu")
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: object())
    assert paper.training_engine(5) == "serial"


def test_interrupted_grid_resumes_to_the_same_table(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    full = ex.run_grid(GRID, TINY, a)
    half = ex.run_grid(GRID, TINY, b, limit=2)  # interrupted after two runs
    assert len(half) == 2 and not any(r["resumed"] for r in half)
    # a kill after the checkpoint but before the record: evaluated from the checkpoint
    key = ex.run_key(GRID[1], TINY)
    (b / (key + ex.RECORD_SUFFIX)).unlink()
    again = ex.run_grid(GRID, TINY, b)
    assert [r["resumed"] for r in again] == [True, False, False, False]
    assert _strip(again) == _strip(full)
    assert _strip(ex.load_results(a)["runs"].values()) == _strip(
        ex.load_results(b)["runs"].values())
    # a finished run reloads bitwise
    model, side = ex.load_run(b, key)
    assert side["extra"]["n"] == 32 and side["extra"]["seed"] == 1
    assert not list(b.glob("*.partial*"))


def test_divergence_names_step_and_last_loss_and_keeps_checkpoint(tmp_path):
    from gpdtheory.models import SoftmaxDiT
    from gpdtheory.train import TrainConfig, TrainingDivergedError, load_checkpoint, train

    spec = _spec()
    torch.manual_seed(0)
    model = SoftmaxDiT(8, 2, width=8, depth=1, heads=2, dtype=torch.float32)
    cfg = TrainConfig(steps=200, batch_size=32, lr=1e3, warmup=3, eval_every=1, seed=0)
    with pytest.raises(TrainingDivergedError) as info:
        train(model, spec.sample(64, seed=0), cfg, checkpoint=tmp_path / "run.partial")
    err = info.value
    assert err.step >= 1 and math.isfinite(err.last_loss) and err.last_step == err.step - 1
    assert f"non-finite loss at step {err.step}" in str(err)
    assert f"last finite loss {err.last_loss:.6g}" in str(err)
    assert err.checkpoint and os.path.exists(err.checkpoint) and err.checkpoint in str(err)
    kept, side = load_checkpoint(err.checkpoint)
    assert all(torch.isfinite(p).all() for p in kept.parameters())
    assert side["extra"]["partial"] is True
    assert isinstance(err, gp.errors.ConvergenceError)


# ------------------------------------------------------------------------- the claims
@pytest.fixture
def tiny_claims(monkeypatch, tmp_path):
    """The paper.* claims on a tiny grid (their runs are read through paper_runs)."""
    from gpdtheory_checks import paper_runs

    monkeypatch.setattr(paper_runs, "paper_config", lambda full: TINY)
    monkeypatch.setattr(paper_runs, "grids", lambda full: {
        "n_patterns": [(1.0, 1.0)], "ns": [16, 64], "n_fixed": 64, "n_verdict": 16,
        "decay": [(1.0, 0.5), (1.0, 1.0), (1.0, 2.0)]})
    monkeypatch.setattr(paper_runs, "_CACHE", {})
    monkeypatch.setenv("GPDTHEORY_CHECKPOINTS", str(tmp_path / "ck"))
    return paper_runs


@pytest.mark.integration
def test_claims_rows_and_figures(tiny_claims):
    from gpdtheory_checks import paper, plots
    from gpdtheory_checks.table import CLAIMS, CheckConfig

    rows = [r for cid in ("paper.error_vs_n", "paper.decay_order", "paper.attention")
            for r in CLAIMS[cid].run(CheckConfig())]
    assert not [r for r in rows if r.verdict == "ERROR"], [r.note for r in rows]
    for r in rows:
        assert "quantity" in r.case and ("seed" in r.case or "seeds" in r.case), r.case
    checked = {r.claim for r in rows if not r.info}
    assert checked == {"paper.error_vs_n", "paper.decay_order", "paper.attention"}
    # decay_order's verdict and its resolution check sit at n_verdict, the same ratio at
    # n_fixed is info; both ratios recomputed from the pattern rows and their floors
    dec_rows = [r for r in rows if r.claim == "paper.decay_order"]
    res = {r.case["n"]: r for r in dec_rows if str(r.case["quantity"]).startswith("min over")}
    assert set(res) == {"16", "64"} and res["64"].info and not res["16"].info
    assert res["16"].bound == paper.RESOLUTION_MIN
    for n, row in res.items():
        pats = [r for r in dec_rows if r.case.get("n") == int(n) and "floor" in r.case
                and r.case.get("nu") in (0.5, 2.0)]
        assert len(pats) == 2
        assert row.measured == pytest.approx(min(r.measured / r.case["floor"] for r in pats),
                                             rel=1e-3)
    (verdict,) = [r for r in dec_rows if "upper bound" in str(r.case["quantity"])]
    assert verdict.case["n"] == "16"
    json.dumps([r.to_dict() for r in rows])  # JSON-able cases
    # decay_order: every line point is a row's measured value at its nu
    fig = plots.decay_order(rows)
    drawn = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_gid():
                drawn[line.get_gid()] = (list(line.get_xdata()), list(line.get_ydata()))
    assert drawn
    dec = [r for r in rows if "kappa" in r.case]
    for gid_, (xs, ys) in drawn.items():
        key = json.loads(gid_)
        for x, y in zip(xs, ys, strict=True):
            (r,) = [r for r in dec if r.case["nu"] == x and r.case["ell"] == key["ell"]]
            assert y == pytest.approx(r.measured)
    # attention_maps: each image is the row's map (scaled by its max) or Gamma
    fig = plots.attention_maps(rows)
    maps = [r for r in rows if "attention_map" in r.case]
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 2 * len(maps)
    for im in images:
        key = json.loads(im.get_gid())
        (r,) = [r for r in maps if r.case["nu"] == key["nu"]]
        A = np.asarray(r.case["attention_map"])
        want = A / A.max() if key["panel"] == "attention" else np.asarray(r.case["gamma"])
        np.testing.assert_allclose(np.asarray(im.get_array()), want)
    names = [f.name for f in plots.make_figures(rows)]
    assert {"decay_order", "attention_maps", "error_vs_n"} <= set(names)


@pytest.mark.integration
def test_claim_reports_divergence_as_error(tiny_claims, monkeypatch):
    import dataclasses

    from gpdtheory_checks.table import CLAIMS, CheckConfig

    monkeypatch.setattr(tiny_claims, "paper_config",
                        lambda full: dataclasses.replace(TINY, lr=1e3, warmup=3, eval_every=1,
                                                         steps=200))
    rows = CLAIMS["paper.error_vs_n"].run(CheckConfig())
    assert len(rows) == 1 and rows[0].verdict == "ERROR"
    assert "TrainingDivergedError" in rows[0].note and "non-finite loss at step" in rows[0].note
    assert "last finite loss" in rows[0].note and ".partial.safetensors" in rows[0].note


# ------------------------------------------------------------------- DiT against U-Net
ARCH = ex.ArchConfig(family="powered_exponential", ell=3.0, nu=1.0, N=16, n=64, steps=10,
                     eval_every=5, warmup=2, n_gen=64, sample_steps=6, bootstrap=8)


def test_signflip_and_paired_bootstrap():
    assert ex.signflip_pvalue([1.0, 2.0, 3.0]) == pytest.approx(1 / 8)
    assert ex.signflip_pvalue([-1.0, -2.0, -3.0]) == pytest.approx(1.0)
    d = ex.paired_bootstrap_difference([[2.0, 2.0]] * 3, [[0.5, 0.5]] * 3, B=50, seed=0)
    np.testing.assert_allclose(d, 1.5)
    with pytest.raises(gp.errors.InvalidArgumentError, match="boot_b"):
        ex.paired_bootstrap_difference([[1.0]] * 3, [[1.0]] * 2)


def test_architectures_unmatched_budget_is_refused():
    import dataclasses

    with pytest.raises(gp.errors.InvalidArgumentError, match="unet_width"):
        ex.run_architectures(dataclasses.replace(ARCH, unet_width=40), 0)
    with pytest.raises(gp.errors.InvalidArgumentError, match="family"):
        dataclasses.replace(ARCH, family="matern")


def test_architectures_resume_and_reload(tmp_path):
    recs = ex.run_architectures_grid(ARCH, (0, 1), tmp_path)
    assert not any(r["resumed"] for r in recs)
    r = recs[0]
    assert set(r["errors"]) == {"dit", "unet"} and len(r["boot"]["unet"]) == ARCH.bootstrap
    assert abs(r["params"]["dit"] - r["params"]["unet"]) <= ex.PARAM_TOL * r["params"]["unet"]
    assert len(r["profile"]["dit"]) == ARCH.N and r["profile"]["unet"][0] == pytest.approx(1)
    again = ex.run_architectures_grid(ARCH, (0, 1), tmp_path)
    assert all(a["resumed"] for a in again)
    assert _strip_arch(again) == _strip_arch(recs)
    saved = ex.load_results(tmp_path)[ex.ARCH_SECTION]
    assert set(saved) == {r["key"] for r in recs}
    # a checkpoint regenerates the recorded samples: same profile, no training
    model, side = ex.load_run(tmp_path, r["key"] + "_unet")
    Y = ex.generate(model, ARCH.spec(), ARCH.n_gen, T=ARCH.T, t0=ARCH.t0,
                    steps=ARCH.sample_steps, seed=r["gen_seed"])
    from gpdtheory.compare_models import temporal_decay_error

    assert temporal_decay_error(Y, ARCH.spec())[0] == pytest.approx(r["errors"]["unet"],
                                                                    rel=1e-9)
    # a record lost after both checkpoints: evaluated from them, same numbers
    (tmp_path / (r["key"] + ex.RECORD_SUFFIX)).unlink()
    (back,) = ex.run_architectures_grid(ARCH, (0,), tmp_path)
    assert not back["resumed"] and back["errors"] == r["errors"]


def _strip_arch(recs):
    return [{k: v for k, v in r.items() if k not in ("resumed", "training")} for r in recs]


@pytest.mark.integration
def test_dit_vs_unet_claim_rows_and_figure(monkeypatch, tmp_path):
    import dataclasses

    from gpdtheory_checks import paper_architectures, plots
    from gpdtheory_checks.table import CLAIMS, CheckConfig

    def cases(full):
        yield "long", ARCH, (0,), True
        yield "short", dataclasses.replace(ARCH, ell=1.0), (0, 1), False

    monkeypatch.setattr(paper_architectures, "dvu_cases", cases)
    monkeypatch.setenv("GPDTHEORY_CHECKPOINTS", str(tmp_path / "ck"))
    rows = CLAIMS["paper.dit_vs_unet"].run(CheckConfig())
    assert not [r for r in rows if r.verdict == "ERROR"], [r.note for r in rows]
    assert not [r for r in rows if not r.info]  # one training seed: no verdict (info)
    verdicts = [r for r in rows if "lower bound" in r.case["quantity"]]
    assert len(verdicts) == 2 and "no verdict" in verdicts[0].note
    assert verdicts[0].case["regime"] == "long" and "signflip_p" in verdicts[0].case
    assert len(verdicts[0].case["heldout_dit"]) == 1
    seeds = [r for r in rows if "profile_dit" in r.case]
    assert len(seeds) == 3
    json.dumps([r.to_dict() for r in rows])
    fig = plots.dit_vs_unet(rows)
    drawn = {line.get_gid(): line.get_ydata() for ax in fig.axes for line in ax.get_lines()
             if line.get_gid()}
    for r in seeds:
        for m in ("dit", "unet"):
            key = json.loads(next(g for g in drawn if json.loads(g).get("model") == m
                                  and json.loads(g).get("seed") == r.case["seed"]
                                  and json.loads(g)["ell"] == r.case["ell"]))
            got = drawn[json.dumps(key, sort_keys=True)]
            np.testing.assert_allclose(got, r.case[f"profile_{m}"])
    assert "dit_vs_unet" in [f.name for f in plots.make_figures(rows)]


def test_full_grid_reaches_the_papers_largest_n_on_an_accelerator(monkeypatch):
    from gpdtheory_checks import paper

    monkeypatch.delenv("GPDTHEORY_DEVICE", raising=False)
    assert max(paper.grids(True)["ns"]) == 10000 and max(paper.grids(False)["ns"]) == 1024
    monkeypatch.setenv("GPDTHEORY_DEVICE", "cuda")
    assert max(paper.grids(True)["ns"]) == 100000
    assert paper.grids(True)["ns"][:5] == list(paper.NS_FULL)
