"""Figures a researcher can put in a paper, and ``gpdtheory report`` re-rendering a run.

Every figure of the claim table: vector PDF and SVG beside a PNG of at least 200 dpi, both
axes of every panel labelled with units, every colour bar labelled, and log ticks written
as plain numbers (no ``3x10^0``). ``gpdtheory report RESULTS --out DIR`` is run as a user
runs it (a subprocess) on a results file written from synthetic rows: no claim is run.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gpdtheory_checks import plots
from gpdtheory_checks.runner import write_json
from gpdtheory_checks.schema import read_results
from gpdtheory_checks.table import CheckConfig
from matplotlib.figure import Figure
from PIL import Image

from gpdtheory.errors import InvalidArgumentError
from tests.test_report import synthetic_rows

ROOT = Path(__file__).resolve().parents[1]


def _tick_texts(fig: Figure) -> list[str]:
    fig.canvas.draw()  # tick labels are decided at draw time
    out = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            out += [t.get_text() for t in axis.get_ticklabels(which="both")]
    return [t for t in out if t]


def _panels(fig: Figure):
    """``(axes, is_colorbar)`` for every visible axes of ``fig``."""
    for ax in fig.axes:
        if ax.get_visible() and ax.axison:
            yield ax, hasattr(ax, "_colorbar")


@pytest.fixture(scope="module")
def figures():
    return plots.make_figures(synthetic_rows())


def test_every_panel_has_labelled_axes_with_units(figures):
    assert figures
    for spec in figures:
        for ax, is_colorbar in _panels(spec.figure):
            if is_colorbar:
                assert ax.get_ylabel() or ax.get_xlabel(), f"{spec.name}: unlabelled colour bar"
                continue
            x, y = ax.get_xlabel(), ax.get_ylabel()
            assert x and y, f"{spec.name}: panel {ax.get_title()!r} has xlabel {x!r}, ylabel {y!r}"


def test_attention_heatmaps_name_query_and_key_frames(figures):
    (maps,) = [s for s in figures if s.name == "attention_maps"]
    heat = [ax for ax, cb in _panels(maps.figure) if not cb]
    assert heat and all(ax.get_xlabel().startswith("key frame") and
                        ax.get_ylabel().startswith("query frame") for ax in heat)
    assert [ax for ax, cb in _panels(maps.figure) if cb]


def test_log_ticks_are_plain_numbers(figures):
    logs = [s for s in figures if any("log" in (ax.get_xscale(), ax.get_yscale())
                                      for ax in s.figure.axes)]
    assert len(logs) >= 3
    for spec in logs:
        texts = _tick_texts(spec.figure)
        assert texts, spec.name
        bad = [t for t in texts if "times" in t or "^{" in t or "mathdefault" in t]
        assert not bad, f"{spec.name}: tick labels {bad}"


def test_a_sub_decade_log_axis_reads_plain(figures):
    fig = Figure()
    ax = fig.subplots()
    ax.plot([1.5, 2.5, 4.0], [1.5, 2.5, 4.0])
    ax.set(xscale="log", yscale="log", xlabel="x (frames)", ylabel="y (frames)")
    before = _tick_texts(fig)
    assert any("times" in t for t in before)  # matplotlib's default: 2x10^0 and the like
    after = _tick_texts(plots.finish(fig))
    assert after and not any("times" in t or "^" in t for t in after)
    assert {"2", "3"} <= set(after)


def test_saved_as_pdf_svg_and_200_dpi_png(figures, tmp_path):
    spec = figures[0]
    files = plots.save_figure(spec.figure, tmp_path, spec.name)
    assert set(files) == {"pdf", "svg", "png"}
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    assert b"<svg" in files["svg"].read_bytes()[:2000]
    dpi = Image.open(io.BytesIO(files["png"].read_bytes())).info["dpi"]
    assert min(dpi) >= 199.5  # stored as dots per metre, read back rounded


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", "import sys; from gpdtheory_checks.cli "
                           "import main; sys.exit(main())", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


# Integration: the gpdtheory command, three times in fresh processes (about 15 s).
@pytest.mark.integration
def test_report_subcommand_rerenders_without_running(tmp_path):
    rows = synthetic_rows()
    write_json(rows, tmp_path / "run.json", CheckConfig(seed=7), 3.5,
               timings={"kappa.bound": 1.25})
    r = _cli("report", "run.json", "--out", "rep", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rep = tmp_path / "rep"
    names = {p.name for p in (rep / "figures").iterdir()}
    for name, _, _ in plots.FAMILIES:
        assert {f"{name}.pdf", f"{name}.svg", f"{name}.png"} <= names
    md = (rep / "report.md").read_text()
    assert "seed 7" in md and "wall time 3.5 s" in md
    assert "[PDF](figures/kappa_vs_n.pdf)" in md
    back, header = read_results(rep / "results.json")
    assert [(b.claim, b.case, b.verdict) for b in back] == [(a.claim, a.case, a.verdict)
                                                             for a in rows]
    assert header["seed"] == 7
    doc = json.loads((rep / "results.json").read_text())
    assert doc["figures"][0]["files"]["pdf"].endswith(".pdf")
    # a report's own results.json renders again
    assert _cli("report", "rep/results.json", "--out", "rep2", cwd=tmp_path).returncode == 0
    # never overwritten, nothing left behind
    again = _cli("report", "run.json", "--out", "rep", cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr and "Fix:" in again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep", "rep2", "run.json"]


def _integration(*values):
    return pytest.param(*values, marks=pytest.mark.integration)


# Each case is the gpdtheory command in a fresh process (about 1 s): the first stays in the
# fast loop, the others are integration.
@pytest.mark.parametrize("content, why", [
    (None, "does not exist"),
    _integration('{"schema": "gpdtheory.check/1", "rows": [', "is not JSON (line 1"),
    _integration('{"schema": "other/2", "header": {}, "rows": []}', "is not a gpdtheory.check/1"),
    _integration('[1, 2]', "is not a gpdtheory.check/1"),
    _integration('{"schema": "gpdtheory.check/1", "header": {"seed": 0}, "rows": []}',
                 "lacks the header"),
])
def test_report_refuses_a_missing_or_invalid_results_file(tmp_path, content, why):
    if content is not None:
        (tmp_path / "bad.json").write_text(content)
    r = _cli("report", "bad.json", "--out", "rep", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("gpdtheory report: results='bad.json'") and why in r.stderr
    assert "Fix:" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "rep").exists()
    with pytest.raises(InvalidArgumentError, match=why.split(" (")[0]):
        read_results(tmp_path / "bad.json")


def test_a_row_that_is_not_a_row_is_named(tmp_path):
    rows = synthetic_rows()[:2]
    write_json(rows, tmp_path / "run.json")
    doc = json.loads((tmp_path / "run.json").read_text())
    doc["rows"][1]["colour"] = "blue"
    (tmp_path / "run.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidArgumentError, match="row 1 is not a row"):
        read_results(tmp_path / "run.json")
