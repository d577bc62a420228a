"""Figures tell the truth: what each figure draws, read back from its artists, equals the rows.

Synthetic rows (no claim internals), plus one integration test on a real run of
``kappa.bound`` and ``psd.all_n``. A line is read back through its ``gid`` (its group key as
JSON): the rows with exactly that key must be the line's points, and no row may be on two
lines.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from gpdtheory_checks import plots
from gpdtheory_checks.cli import main
from gpdtheory_checks.table import Measurement, Row
from matplotlib.colors import to_rgba

#: Case keys a line may differ in besides its x (the bound and uncertainty keys).
FREE = {"bound", "side", "se", "ci_low", "ci_high", "replicates", "seed"}


def _row(claim, case, measured, bound, **kw) -> Row:
    return Row.from_measurement(claim, "x", Measurement(case, measured, bound, **kw))


def kappa_rows() -> list[Row]:
    """Shaped like the new kappa.bound: one Sigma per kernel for every N, three bounds."""
    rows = []
    kernels = [({"family": "powered_exponential", "ell": 2.0, "nu": 1.0}, "0.5,2"),
               ({"family": "polynomial", "ell": 1.0, "nu": 2.5}, "0.4,1.3"),
               # the same kernel with another Sigma: a separate line, never joined
               ({"family": "powered_exponential", "ell": 2.0, "nu": 1.0}, "1,3")]
    for k, (kern, sig) in enumerate(kernels):
        for N in (8, 32, 128, 512) if k < 2 else (8, 32):
            for t in (0.001, 2.0):
                kappa = (1 + k) * (1 + N ** 0.3) / t ** 0.5
                case = {**kern, "N": N, "t": t, "Sigma_eig": sig, "quantity": "kappa_t"}
                rows.append(_row("kappa.bound", {**case, "bound": "engine route"}, 1e-14,
                                 1e-12, kind="tolerance"))
                for name, factor in (("exp", 1.5), ("1+lmax/t", 2.0), ("symbol", 3.0)):
                    rows.append(_row("kappa.bound", {**case, "bound": name}, kappa,
                                     factor * kappa))
    return rows


def check_lines(lines, rows: list[Row], x: str, y, drop=()) -> dict[int, str]:
    """Every line with a gid shows exactly the rows of its group; no row on two lines."""
    seen: dict[int, str] = {}
    assert lines
    for line in lines:
        key = json.loads(line.get_gid())
        members = [r for r in rows if {k: v for k, v in r.case.items()
                                       if k not in {x, *FREE, *drop}} == key]
        assert members, key
        for r in members:
            assert seen.setdefault(id(r), line.get_gid()) == line.get_gid(), "row on two lines"
        # no line mixes rows that differ in a case key other than x (and the free keys)
        others = {json.dumps({k: v for k, v in r.case.items() if k not in {x, *FREE, *drop}},
                             sort_keys=True) for r in members}
        assert len(others) == 1
        want = sorted({(float(r.case[x]), y(r)) for r in members})
        xy = line.get_xydata()
        assert xy.ravel().tolist() == pytest.approx([v for p in want for v in p])
    return seen


def test_kappa_vs_n_one_line_per_kernel_t_sigma():
    rows = kappa_rows()
    fig = plots.kappa_vs_n(rows)
    lines = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid()]
    kappa = [r for r in rows if r.kind == "bound"]
    seen = check_lines(lines, kappa, "N", lambda r: r.measured)
    assert len(seen) == len(kappa)  # every kappa row is drawn
    assert len(lines) == 3 * 2  # (kernel, Sigma) x t
    assert [ax.get_xscale() for ax in fig.axes] == ["log", "log"]
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "log"]
    assert "kappa_t" in fig.axes[0].get_ylabel() and fig.axes[0].get_xlabel() == "N (frames)"
    # the legend is the figure's, below the axes: it hides no data
    assert not any(ax.get_legend() for ax in fig.axes) and fig.legends
    fig.canvas.draw()
    legend_box = fig.legends[0].get_window_extent()
    for ax in fig.axes:
        assert legend_box.y1 <= ax.get_window_extent().y0 + 1
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("Sigma_eig=1,3" in lab for lab in labels)
    assert not any("bound=" in lab or "t=" in lab for lab in labels)
    # the tolerance row (an error of kappa, not kappa) is not drawn
    assert max(ln.get_ydata().min() for ln in lines) > 1


def strip_rows() -> list[Row]:
    return [_row("a.upper", {"i": 1}, 0.5, 1.0),
            _row("a.upper", {"i": 2}, 1e-3, 1.0),
            _row("b.lower", {"i": 1}, 4.0, 2.0, sense=">="),  # holds: drawn as 2/4
            _row("b.lower", {"i": 2}, 1.0, 2.0, sense=">="),  # fails: drawn as 2
            _row("c.negative", {"i": 1}, -0.5, -0.25),  # negative slopes: no ratio
            _row("c.negative", {"i": 2}, 0.1, 0.2),
            _row("d.tol", {"i": 1}, 1e-12, 1e-10, kind="tolerance"),
            _row("d.tol", {"i": 2}, 0.3, 0.0, sense=">=", kind="tolerance"),  # bound 0
            _row("e.info", {"n": 1}, 0.3, math.nan, kind="info")]


@pytest.mark.parametrize("func, kind", [(plots.bound_tightness, "bound"),
                                        (plots.ratios, "tolerance")])
def test_ratio_strips_are_one_equals_tight(func, kind):
    rows = strip_rows()
    fig = func(rows)
    (ax,) = fig.axes
    claims = [t.get_text() for t in ax.get_yticklabels()]
    drawn = []
    for col in ax.collections:
        if not col.get_gid():
            continue
        g = json.loads(col.get_gid())
        pts = [r for r in rows if r.claim == g["claim"] and r.sense == g["sense"]
               and r.ok == g["ok"] and r.kind == kind and plots.tightness(r) is not None]
        off = col.get_offsets()
        assert sorted(off[:, 0]) == pytest.approx(sorted(plots.tightness(r) for r in pts))
        assert np.all(np.abs(off[:, 1] - claims.index(g["claim"])) < 0.5)  # its claim's strip
        drawn += pts
    want = [r for r in rows if r.kind == kind and plots.tightness(r) is not None]
    assert sorted(map(id, drawn)) == sorted(map(id, want))
    assert all(x > 0 for col in ax.collections for x in col.get_offsets()[:, 0])
    assert ax.get_xscale() == "log" and "<= 1 holds" in ax.get_xlabel()
    if kind == "bound":
        assert plots.tightness(rows[2]) == 0.5 and plots.tightness(rows[3]) == 2.0
        assert "c.negative" in claims  # its positive row
        note = fig.gpd_note
        assert "c.negative 1 rows bound <= 0" in note
    else:
        assert claims == ["d.tol"] and "d.tol 1 rows bound <= 0" in fig.gpd_note


def test_captions_say_what_was_left_out():
    specs = {s.name: s for s in plots.make_figures(strip_rows())}
    assert "Not drawn" in specs["bound_tightness"].caption
    assert "bound <= 0" in specs["ratios"].caption


def error_rows() -> list[Row]:
    case = {"family": "powered_exponential", "ell": 1.0, "nu": 1.0, "N": 8,
            "quantity": "score L2 relative error"}
    rows = []
    for est in ("trained", "plug-in"):
        for n in (16, 64, 256):
            e = (2.0 if est == "trained" else 1.0) * n ** -0.5
            rows.append(_row("sample_complexity.slope", {**case, "estimator": est, "n": n,
                                                         "se": 0.1 * e}, e, math.nan,
                             kind="info"))
    for seed, scale in ((0, 0.9), (1, 1.1)):  # two seeds per n, no se: the spread is drawn
        for n in (16, 64):
            rows.append(_row("samples.other", {"quantity": "W2", "n": n, "seed": seed},
                             scale * n ** -1.0, math.nan, kind="info"))
    return rows


def test_error_vs_n_error_bars_and_quantity_labels():
    rows = error_rows()
    fig = plots.error_vs_n(rows)
    assert [ax.get_ylabel() for ax in fig.axes] == ["score L2 relative error", "W2"]
    for ax in fig.axes:
        q = ax.get_ylabel()
        mine = [r for r in rows if r.case["quantity"] == q]
        for c in ax.containers:
            key = json.loads(c.lines[0].get_gid())
            members = [r for r in mine if {k: v for k, v in r.case.items()
                                           if k not in {"n", *FREE}} == key]
            ns = sorted({r.case["n"] for r in members})
            xy = c.lines[0].get_xydata()
            means = [np.mean([r.measured for r in members if r.case["n"] == n]) for n in ns]
            assert xy[:, 0] == pytest.approx(ns) and xy[:, 1] == pytest.approx(means)
            (bars,) = c.lines[2]
            segs = bars.get_segments()
            for n, m, seg in zip(ns, means, segs, strict=True):
                at_n = [r for r in members if r.case["n"] == n]
                if "se" in at_n[0].case:
                    lo, hi = m - at_n[0].case["se"], m + at_n[0].case["se"]
                else:
                    lo, hi = min(r.measured for r in at_n), max(r.measured for r in at_n)
                assert sorted(seg[:, 1]) == pytest.approx([lo, hi])
                assert seg[0, 0] == pytest.approx(n)
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
    assert any("estimator=trained" in lab for lab in labels)
    assert "standard error" in fig.gpd_note and "range over rows" in fig.gpd_note


def psd_rows() -> list[Row]:
    rows = []
    for ell, nu in ((0.5, 1.0), (1.0, 2.0), (3.0, 0.5)):
        for J in (1, 2, 3, 6):
            psd = ell < 0.8 * J
            for q in ("lmin", "lmin - min f_J"):  # two rows per (kernel, J): one square
                rows.append(_row("psd.all_n", {"family": "powered_exponential", "ell": ell,
                                               "nu": nu, "J": J, "N": 4096, "certificate":
                                               "psd" if psd else "not_psd", "quantity": q},
                                 0.1, 0.0, sense=">=", kind="tolerance"))
    rows.append(_row("psd.all_n", {"family": "logarithmic", "ell": 1.0, "nu": 1.0, "J": 2,
                                   "certificate": "not_psd"}, 0.0, 0.0, kind="tolerance"))
    for nu, ell in ((0.5, 1.44), (1.0, 2.04)):
        rows.append(_row("psd.frontier", {"nu": nu, "J": 2, "ell_J": ell,
                                          "quantity": "certified frontier"}, 0.0, 0.0,
                         kind="tolerance"))
    return rows


def test_psd_phase_squares_are_the_certificates():
    rows = psd_rows()
    fig = plots.psd_phase(rows)
    ax, bx = fig.axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert ax.get_xlabel().startswith("J") and ax.get_ylabel() == "kernel"
    got = {}
    for col in ax.collections:
        flag = {"PSD (certified, every N)": True, "not PSD": False}[col.get_gid()]
        color = to_rgba("tab:green" if flag else "tab:red")
        assert tuple(col.get_facecolor()[0]) == pytest.approx(color)
        for J, y in col.get_offsets():
            got[(labels[int(round(y))], int(J))] = flag
    want = {(plots._kernel_label(r.case), r.case["J"]): r.case["certificate"] == "psd"
            for r in rows if "certificate" in r.case}
    assert got == want
    assert bx.get_xlabel().startswith("nu (") and bx.get_ylabel().startswith("ell (")
    (front,) = [ln for ln in bx.get_lines() if "J=2" in ln.get_label()]
    assert front.get_xydata().tolist() == [[0.5, 1.44], [1.0, 2.04]]


def test_generic_grouping_rule():
    rows = [_row("x", {"a": 1, "n": 1, "bound": "p"}, 1.0, 2.0),
            _row("x", {"a": 1, "n": 2, "bound": "q"}, 1.0, 2.0),
            _row("x", {"a": 2, "n": 1}, 1.0, 2.0)]
    groups = plots.group_lines(rows, "n")
    assert sorted(len(v) for v in groups.values()) == [1, 2]


@pytest.mark.integration
def test_figures_from_a_real_run(tmp_path):
    """kappa.bound and psd.all_n through the CLI: the figures show results.json's rows."""
    out = tmp_path / "report"
    assert main(["check", "--only", "kappa.bound", "--only", "psd.all_n", "--out", str(out),
                 "--no-progress"]) == 0
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    names = {f["name"] for f in doc["figures"]}
    assert {"kappa_vs_n", "psd_phase", "bound_tightness"} <= names
    for f in doc["figures"]:
        assert (out / f["path"]).stat().st_size > 1000
    rows = plots.as_rows(doc["rows"])
    fig = plots.kappa_vs_n(rows)
    lines = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid()]
    kappa = [r for r in rows if r.kind == "bound" and r.case.get("quantity", "kappa_t")
             == "kappa_t" and r.claim == "kappa.bound"]
    seen = check_lines(lines, kappa, "N", lambda r: r.measured)
    assert len(seen) == len(kappa)
    phase = plots.psd_phase(rows)
    labels = [t.get_text() for t in phase.axes[0].get_yticklabels()]
    got = {(labels[int(round(y))], int(J)) for col in phase.axes[0].collections
           for J, y in col.get_offsets()}
    assert got == {(plots._kernel_label(r.case), r.case["J"]) for r in rows
                   if "certificate" in r.case and isinstance(r.case.get("J"), int)}
