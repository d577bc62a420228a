"""The ``gpdtheory check --out DIR`` report: contents, figures per claim family, atomicity."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import gpdtheory_checks
import pytest
from gpdtheory_checks import plots
from gpdtheory_checks.report import write_report
from gpdtheory_checks.runner import row_to_json
from gpdtheory_checks.table import CheckConfig, Measurement, Row

from gpdtheory.errors import ReportExistsError


def _row(claim: str, case: dict, measured: float, bound: float, **kw) -> Row:
    return Row.from_measurement(claim, "x", Measurement(case, measured, bound, **kw))


def synthetic_rows() -> list[Row]:
    """Rows shaped like every claim family's (no claim is run)."""
    rows = []
    for fam, ell, nu in (("powered_exponential", 2.0, 1.0), ("logarithmic", 1.0, 1.0)):
        for N in (8, 64, 512):
            for t in (0.01, 1.0):
                kappa = (1 + N**0.3 * ell) / t
                rows.append(_row("kappa.bound", {"family": fam, "ell": ell, "nu": nu, "N": N,
                                                 "t": t}, kappa, 2 * kappa))
    for ell in (0.5, 1.0, 2.0):
        for nu in (0.5, 1.0, 2.0):
            for J in (1, 2):
                psd = ell * nu < J
                rows.append(_row("psd.all_n", {"family": "powered_exponential", "ell": ell,
                                               "nu": nu, "J": J, "certificate":
                                               "psd" if psd else "not_psd"}, 0.0, 0.0))
    for nu, dom in ((0.5, 0.6), (1.0, 0.9), (2.0, 1.3)):
        rows.append(_row("psd.frontier", {"nu": nu, "quantity": "dominance frontier",
                                          "value": dom}, 0.0, 1e-9))
    for eps in (1e-2, 1e-4, 1e-6):
        rows.append(_row("construct.sizes", {"family": "polynomial", "ell": 1.0, "nu": 3.0,
                                             "eps": eps, "quantity": "J"},
                         5.0 - 2.0 * math.log10(eps), 40.0))
    for lag in range(5):
        rows.append(_row("compare.kernel", {"family": "powered_exponential", "ell": 2.0,
                                            "nu": 1.0, "lag": lag, "truth": 0.5**lag,
                                            "kernel": 0.5**lag + 0.01}, 0.01, 0.05,
                         kind="tolerance"))
    for n in (100, 1000, 10000):
        rows.append(_row("samples.rate", {"family": "powered_exponential", "ell": 1.0, "nu": 1.0,
                                          "n": n}, n**-0.5, 10 * n**-0.5))
    for nu, err in ((0.5, 0.19), (1.0, 0.22), (2.0, 0.30)):
        rows.append(_row("paper.decay_order", {"family": "powered_exponential", "ell": 1.0,
                                               "nu": nu, "n": 1024, "kappa": 10.0 * nu,
                                               "lambda_min": 0.5 / nu, "ci_low": err - 0.02,
                                               "ci_high": err + 0.02, "floor": 0.1},
                         err, math.nan, kind="info"))
    gamma = [[0.5 ** abs(i - j) for j in range(4)] for i in range(4)]
    rows.append(_row("paper.attention", {"family": "powered_exponential", "ell": 1.0, "nu": 1.0,
                                         "attention_map": gamma, "gamma": gamma}, 0.9, 0.8,
                     sense=">="))
    rho = [0.5**lag for lag in range(4)]
    rows.append(_row("paper.dit_vs_unet", {"regime": "long", "family": "polynomial", "ell": 4.0,
                                           "nu": 0.5, "N": 4, "steps": 10, "seed": 0,
                                           "unet_error": 0.6, "rho": rho, "profile_dit": rho,
                                           "profile_unet": [1.0, 0.3, 0.0, 0.0]},
                     0.1, math.nan, kind="info"))
    return rows


def test_every_family_draws_from_synthetic_rows():
    names = [f.name for f in plots.make_figures(synthetic_rows())]
    assert names == [name for name, _, _ in plots.FAMILIES]


def test_families_skip_without_rows():
    assert plots.make_figures([]) == []
    only_tol = [_row("score.exact", {"N": 3}, 1e-15, 1e-10, kind="tolerance")]
    assert [f.name for f in plots.make_figures(only_tol)] == ["ratios"]
    for _, _, func in plots.FAMILIES:
        assert func([]) is None


def test_figures_from_results_json_dicts():
    rows = synthetic_rows()
    dicts = json.loads(json.dumps([row_to_json(r) for r in rows], allow_nan=False))
    assert [f.name for f in plots.make_figures(dicts)] == [f.name for f in
                                                           plots.make_figures(rows)]


def test_psd_phase_reads_verdict_from_case():
    rows = [_row("psd.all_n", {"ell": e, "nu": 1.0, "J": 1, "psd": e < 1}, 0.0, 0.0)
            for e in (0.5, 1.0, 2.0)]
    rows.append(_row("psd.per_n", {"ell": 3.0, "nu": 1.0, "J": 1}, 0.0, 0.0))  # no verdict
    fig = plots.psd_phase(rows)
    left = fig.axes[0].collections
    assert [len(c.get_offsets()) for c in left] == [1, 2]  # PSD, not PSD; the per-N row ignored
    assert plots.psd_phase(rows[-1:]) is None


def trained_and_sample_rows() -> list[Row]:
    """Rows shaped like those of ``trained.kernel`` and ``sample_complexity.slope`` (info rows)."""
    case = {"family": "powered_exponential", "ell": 1.0, "nu": 1.0, "N": 8, "d": 2}
    rows = [_row("trained.kernel", {**case, "J": 7, "L": 6, "t": 0.5, "model": "looped"},
                 0.99, 0.95, sense=">=")]
    for lag in range(1, 8):
        truth, kern = math.exp(-lag), math.exp(-lag) + 0.02
        rows.append(_row("trained.kernel", {**case, "J": 7, "L": 6, "t": 0.5, "model": "looped",
                                            "lag": lag, "kernel": kern, "truth": truth},
                         abs(kern - truth), math.nan, kind="info"))
    sweep = {**case, "n": "64..2048", "estimator": "plug-in"}
    rows.append(_row("sample_complexity.slope", {**sweep, "side": "upper"}, -0.5, -0.25))
    rows.append(_row("sample_complexity.slope", {**sweep, "side": "lower"}, -0.5, -0.75,
                     sense=">="))
    for n in (64, 128, 256, 512, 1024, 2048):
        rows.append(_row("sample_complexity.slope", {**sweep, "n": n, "replicates": 2},
                         0.5 * n**-0.5, math.nan, kind="info"))
    return rows


def test_info_rows_draw_kernel_and_error_figures(tmp_path):
    rows = trained_and_sample_rows()
    assert [r.verdict for r in rows].count("info") == 13
    names = [f.name for f in plots.make_figures(rows)]
    assert "attention_kernel" in names and "error_vs_n" in names
    ak = plots.attention_kernel(rows)
    kern, truth = ak.axes[0].get_lines()[:2]
    assert list(kern.get_xdata()) == list(range(1, 8))
    assert kern.get_ydata() == pytest.approx([math.exp(-m) + 0.02 for m in range(1, 8)])
    assert truth.get_ydata() == pytest.approx([math.exp(-m) for m in range(1, 8)])
    ev = plots.error_vs_n(rows)
    line = ev.axes[0].get_lines()[0]
    assert list(line.get_xdata()) == [64, 128, 256, 512, 1024, 2048]
    assert "estimator=plug-in" in ev.axes[0].containers[0].get_label()
    out = write_report(rows, tmp_path / "r", CheckConfig(), 1.0)
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert {f["name"] for f in data["figures"]} >= {"attention_kernel", "error_vs_n"}
    assert data["header"]["counts"]["info"] == 13 and data["header"]["counts"]["failing"] == 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "figures/attention_kernel.png" in md and "figures/error_vs_n.png" in md
    assert "3 of 3 checked rows hold" in md and "13 informational rows" in md
    # the summary keeps one checked row per claim: the info rows never become its tightest case
    summary = {s["claim"]: s for s in data["summary"]}
    assert summary["trained.kernel"]["measured"] == 0.99
    assert summary["trained.kernel"]["verdict"] == "holds"


@pytest.mark.integration
def test_sample_complexity_claim_draws_error_vs_n(tmp_path):
    rows = gpdtheory_checks.run(["sample_complexity.slope"], CheckConfig())
    per_n = [r for r in rows if r.info and isinstance(r.case["n"], int)]
    plug = [r.case["n"] for r in per_n if r.case["estimator"] == "plug-in"]
    trained = [r.case["n"] for r in per_n if r.case["estimator"] == "trained"]
    assert plug == [64, 128, 256, 512, 1024, 2048]
    assert trained == [8, 16, 32, 64, 128, 256]
    assert all(r.measured > 0 and r.case["quantity"] == "score L2 relative error"
               for r in per_n)
    checked = [(r.case["estimator"], r.case["side"]) for r in rows
               if not r.info and "side" in r.case]
    assert ("trained", "CI upper < 0") in checked and ("plug-in", "upper") in checked
    assert "error_vs_n" in [f.name for f in plots.make_figures(rows)]


def test_trained_kernel_claim_rows_per_lag(monkeypatch):
    """The per-lag rows of trained.kernel, on the constructed network: kernel = rho_bar."""
    from gpdtheory_checks import training

    import gpdtheory as gp
    from gpdtheory.construct import build

    spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), 6, training.SIGMA)
    built = build(spec, 5, 40)  # deep enough to beat the shuffled-frames baseline
    monkeypatch.setattr(training, "_models", lambda cfg: iter([(spec, built, built, 5, 40)]))
    rows = gpdtheory_checks.CLAIMS["trained.kernel"].run(CheckConfig())
    assert rows[0].verdict == "holds" and not rows[0].info
    lags = [r for r in rows if r.info and "lag" in r.case]
    assert [r.case["lag"] for r in lags] == [1, 2, 3, 4, 5]
    for r in lags:
        assert r.case["truth"] == pytest.approx(float(spec.r[r.case["lag"]]))
        assert r.case["kernel"] == pytest.approx(r.case["truth"], abs=1e-12)
        assert r.measured < 1e-12
    assert "attention_kernel" in [f.name for f in plots.make_figures(rows)]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    rows = gpdtheory_checks.run(["kappa"], CheckConfig(seed=4)) + synthetic_rows()
    rows.append(Row.error("broken.claim", "9", ValueError("boom")))
    return write_report(rows, tmp_path_factory.mktemp("r") / "report", CheckConfig(seed=4), 12.5)


@pytest.mark.integration
def test_report_files(report):
    assert sorted(p.name for p in report.iterdir()) == ["figures", "report.html", "report.md",
                                                       "results.json"]
    assert not list(report.parent.glob(".report.*"))  # the temporary directory is gone


@pytest.mark.integration
def test_results_json(report):
    data = json.loads((report / "results.json").read_text())
    h = data["header"]
    assert data["schema"] == "gpdtheory.check/1"
    assert h["seed"] == 4 and h["timings"]["wall_s"] == 12.5
    assert {"numpy", "scipy", "python"} <= set(h["machine"]["versions"])
    assert h["counts"]["rows"] == len(data["rows"]) and h["counts"]["failing"] == 1
    assert {c["id"] for c in data["claims"]} == {r["claim"] for r in data["rows"]}
    assert [s["claim"] for s in data["summary"]] == list(dict.fromkeys(
        r["claim"] for r in data["rows"]))
    for f in data["figures"]:
        assert (report / f["path"]).stat().st_size > 1000


@pytest.mark.integration
def test_markdown(report):
    md = (report / "report.md").read_text()
    assert "wall time 12.5 s" in md and "seed 4" in md
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(links) == len(plots.FAMILIES)
    assert all((report / link).exists() for link in links)
    assert "| broken.claim |" in md and "ValueError: boom" in md


@pytest.mark.integration
def test_html_is_standalone(report):
    html = (report / "report.html").read_text()
    srcs = re.findall(r'src="([^"]*)"', html)
    assert len(srcs) == len(plots.FAMILIES) and all(s.startswith("data:image/png;base64,")
                                                    for s in srcs)
    assert "href=" not in html and "kappa.bound" in html and 'class="ERROR"' in html


def test_refuses_existing_directory(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReportExistsError):
        write_report([], tmp_path / "empty", CheckConfig(), 0.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_rename_never_replaces_an_empty_directory(tmp_path):
    from gpdtheory.fileio import rename_noreplace as _rename_noreplace

    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    (src / "f").write_text("x")
    dst.mkdir()  # appeared after the existence check: rename(2) alone would replace it
    with pytest.raises(OSError):
        _rename_noreplace(src, dst)
    assert (src / "f").exists() and not any(dst.iterdir())


def test_failure_leaves_nothing(tmp_path, monkeypatch):
    def broken(rows):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(plots, "make_figures", broken)
    with pytest.raises(RuntimeError, match="drawing failed"):
        write_report(synthetic_rows(), tmp_path / "r", CheckConfig(), 0.0)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.integration
def test_concurrent_cli_reports(tmp_path):
    """Two reports into different directories both complete; into the same, one is refused."""
    def start(name):
        return subprocess.Popen([sys.executable, "-m", "gpdtheory_checks.cli", "check", "--only",
                                 "kappa", "--no-progress", "--out", str(tmp_path / name)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    procs = [start("a"), start("b"), start("a")]
    results = [(p.wait(timeout=240), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert results[1][0] == 0, results[1][1]
    codes = sorted([results[0][0], results[2][0]])
    assert codes == [0, 2], results
    refused = next(err for code, err in (results[0], results[2]) if code == 2)
    assert "never overwritten" in refused or "refusing to overwrite" in refused
    for name in ("a", "b"):
        assert json.loads((tmp_path / name / "results.json").read_text())["rows"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]
