"""Figures of the claim table, drawn from its rows alone (matplotlib, Agg backend).

One function per claim family. Figures are built with ``matplotlib.figure.Figure``
and saved through the Agg canvas, never through pyplot: no window, no global state,
whatever backend the caller has selected. Each takes the rows of a run (``Row`` objects or the
dicts of ``results.json``), picks the rows it knows how to draw, and returns a
``matplotlib.figure.Figure`` -- or ``None`` when the run has no such rows, so a report
of ``--only score`` simply has fewer figures. Nothing here recomputes a claim.

=====================  =================================================================
function               rows it draws
=====================  =================================================================
``bound_tightness``    ``kind="bound"`` rows: measured/bound (upper) or bound/measured
                       (lower) per claim, so ``<= 1`` holds and ``1`` is tight for both
``ratios``             ``kind="tolerance"`` rows: the same ratio against the tolerance
``kappa_vs_n``         rows measuring ``kappa_t`` (``quantity``): kappa_t against N
``psd_phase``          rows stating a PSD ``certificate``, and frontiers: PSD phase diagram
``j_vs_eps``           rows with ``eps`` and a ``J`` quantity: J needed against eps
``attention_kernel``   rows with ``lag``: attention kernel against the truth by lag
``error_vs_n``         rows with a numeric sample size ``n``: error against n, with n^{-1/2}
``decay_order``        rows with ``kappa`` and ``lambda_min`` (paper.decay_order): error
                       against nu and against ell, CI bars, the sampling floor dashed
``attention_maps``     rows carrying ``attention_map`` and ``gamma`` (paper.attention): the
                       learned map above Gamma, one column per decay pattern
``dit_vs_unet``        rows carrying ``profile_dit``, ``profile_unet`` and ``rho``
                       (paper.dit_vs_unet): both models' lag profiles against rho
=====================  =================================================================

A line joins only rows that differ in its x variable: rows are grouped by every other case
key (:func:`group_lines`), except the keys that name the bound or the uncertainty of a row
(:data:`BOUND_KEYS`). Each line's artist id (``gid``) is its group key as JSON, so a test
can read every line back against the rows it claims to show. Ratios are drawn only where
they mean something: rows with a bound or measured value <= 0 (e.g. PSD tolerance rows
with bound 0) are left out and the caption says how many.

The last two are fed by informational rows (verdict ``info``): ``trained.kernel`` gives one
per lag (``case["kernel"]``, ``case["truth"]``), ``sample_complexity.slope`` one per n and
estimator (``case["n"]``, ``case["estimator"]``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

try:
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullFormatter
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from gpdtheory._extras import require

    require("matplotlib", "report")
    raise

from .table import Row

__all__ = ["FigureSpec", "FAMILIES", "BOUND_KEYS", "as_rows", "make_figures", "group_lines",
           "group_key", "gid", "tightness", "bound_tightness", "ratios", "kappa_vs_n",
           "psd_phase", "psd_certificates", "j_vs_eps", "attention_kernel", "error_vs_n",
           "decay_order", "attention_maps", "dit_vs_unet"]


@dataclass(frozen=True)
class FigureSpec:
    """A drawn figure: file stem, caption and the figure itself."""

    name: str
    caption: str
    figure: Figure


def as_rows(rows: Iterable[Row | dict[str, Any]]) -> list[Row]:
    """Rows from ``Row`` objects or the dicts of ``results.json`` / ``--json``.

    A non-finite number written as ``null`` with its ``<field>_text`` (``"inf"``, ``"nan"``)
    is read back as that float (:func:`checks.schema.row_from_json`).
    """
    from .schema import row_from_json

    return [r if isinstance(r, Row) else row_from_json(r) for r in rows]


def _num(x: Any) -> float | None:
    """A finite float, or None (strings, NaN, inf, missing)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


#: Case keys that name the bound or the side a row is checked against, or carry the
#: uncertainty of its measured value: never part of what a point *is*, so a line may join
#: rows that differ in them (the same kappa_t checked against three bounds is one point).
BOUND_KEYS = frozenset({"bound", "side", "se", "ci_low", "ci_high", "replicates", "seed"})


def _hashable(v: Any) -> Any:
    return v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)


def group_key(row: Row, x: str, drop: Iterable[str] = ()) -> tuple[tuple[str, Any], ...]:
    """What a line is: every case key but ``x``, :data:`BOUND_KEYS` and ``drop``, sorted."""
    skip = {x, *BOUND_KEYS, *drop}
    return tuple(sorted((k, _hashable(v)) for k, v in row.case.items() if k not in skip))


def group_lines(rows: Iterable[Row], x: str, drop: Iterable[str] = ()
                ) -> dict[tuple[tuple[str, Any], ...], list[Row]]:
    """Rows grouped so that a line joins only rows that differ in ``x`` (generic rule).

    Two rows share a line exactly when every case key other than ``x``, the bound keys
    (:data:`BOUND_KEYS`) and ``drop`` (values drawn as the y quantity) is equal. Each
    group is sorted by ``x``.
    """
    drop = tuple(drop)
    out: dict[tuple[tuple[str, Any], ...], list[Row]] = {}
    for r in rows:
        out.setdefault(group_key(r, x, drop), []).append(r)
    return {k: sorted(v, key=lambda r: r.case[x]) for k, v in out.items()}


def gid(key: tuple[tuple[str, Any], ...]) -> str:
    """The artist id of a line: its group key as JSON (tests read lines back through it)."""
    return json.dumps(dict(key), sort_keys=True, default=str)


def _points(rows: list[Row], x: str, y: Callable[[Row], float | None]):
    """``(xs, ys, lo, hi)``: one point per x; several rows at one x give their mean and range.

    Rows at the same x that agree (the same value checked against several bounds) are one
    point with no spread.
    """
    by_x: dict[float, list[float]] = {}
    for r in rows:
        v = y(r)
        if v is not None:
            by_x.setdefault(float(r.case[x]), []).append(v)
    xs = sorted(by_x)
    ys = [sum(by_x[k]) / len(by_x[k]) for k in xs]
    lo = [m - min(by_x[k]) for m, k in zip(ys, xs, strict=True)]
    hi = [max(by_x[k]) - m for m, k in zip(ys, xs, strict=True)]
    return xs, ys, lo, hi


def _kernel_label(case: dict[str, Any]) -> str:
    fam = str(case.get("family", "?")).replace("powered_exponential", "pow-exp")
    params = [f"{k}={case[k]:g}" for k in ("ell", "nu") if _num(case.get(k)) is not None]
    return " ".join([fam, *params])


_KERNEL_KEYS = ("family", "ell", "nu")


def _label(key: tuple[tuple[str, Any], ...], varying: set[str], always: Iterable[str] = ()
           ) -> str:
    """A line's legend entry: the kernel, then the other case keys that vary between lines
    (and those named in ``always``)."""
    d = dict(key)
    parts = [_kernel_label(d)] if "family" in d else []
    shown = set(varying) | set(always)
    for k, v in key:
        if k in shown and k not in _KERNEL_KEYS:
            parts.append(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}")
    return " ".join(parts) or "all rows"


def _varying(keys: Iterable[tuple[tuple[str, Any], ...]]) -> set[str]:
    keys = [dict(k) for k in keys]
    names = {n for k in keys for n in k}
    return {n for n in names if len({repr(k.get(n)) for k in keys}) > 1}


def _new(ncols: int = 1, width: float = 5.2, height: float = 3.8):
    # Figure() rather than pyplot: no global figure registry to leak into or to close
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)
    return fig, list(axes[0])


def _note(fig: Figure, text: str) -> None:
    """Attach a caption note (skipped rows, ...) that :func:`make_figures` appends."""
    fig.gpd_note = text  # type: ignore[attr-defined]


def _legend_below(fig: Figure, ax, handles=None, labels=None, ncol: int = 2) -> None:
    """The legend under the axes, outside the data."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize=7,
                   frameon=False)


# -- ratio strips ---------------------------------------------------------------------------

def tightness(row: Row) -> float | None:
    """How close a row is to failing, ``1 = tight`` for both senses; None when undefined.

    ``measured / bound`` for an upper bound (``<=``), ``bound / measured`` for a lower bound
    (``>=``): the row holds at ``<= 1`` either way (up to its round-off allowance). None when
    the bound or the measured value is not positive (a ratio of signed values says nothing;
    tolerance rows with bound 0 have none) or not finite.
    """
    m, b = _num(row.measured), _num(row.bound)
    if m is None or b is None or m <= 0 or b <= 0:
        return None
    return m / b if row.sense == "<=" else b / m


def _skip_reason(row: Row) -> str:
    b, m = _num(row.bound), _num(row.measured)
    if b is None or m is None:
        return "non-finite"
    if b <= 0:
        return "bound <= 0"
    return "measured 0" if m == 0 else "measured < 0"


def _strip(rows: list[Row], title: str, vacuous: bool) -> Figure | None:
    shown = [r for r in rows if tightness(r) is not None]
    skipped: dict[str, dict[str, int]] = {}
    for r in rows:
        if tightness(r) is None:
            reason = skipped.setdefault(r.claim, {})
            reason[_skip_reason(r)] = reason.get(_skip_reason(r), 0) + 1
    claims = list(dict.fromkeys(r.claim for r in shown))
    if not claims:
        return None
    fig, (ax,) = _new(width=7.0, height=1.2 + 0.38 * len(claims))
    styles = {("<=", True): ("o", "tab:blue", "upper bound (measured/bound), holds"),
              (">=", True): ("^", "tab:green", "lower bound (bound/measured), holds"),
              ("<=", False): ("o", "tab:red", "upper bound, FAILS"),
              (">=", False): ("^", "tab:red", "lower bound, FAILS")}
    for i, cid in enumerate(claims):
        for (sense, ok), (marker, color, label) in styles.items():
            pts = [r for r in shown if r.claim == cid and r.sense == sense and r.ok == ok]
            if not pts:
                continue
            jitter = [i + 0.25 * (((j * 0.618) % 1.0) - 0.5) for j in range(len(pts))]
            col = ax.scatter([tightness(r) for r in pts], jitter, marker=marker, s=16,
                             alpha=0.7, color=color, label=label)
            col.set_gid(json.dumps({"claim": cid, "sense": sense, "ok": ok}))
    ax.axvline(1.0, color="k", lw=1)
    ax.axvspan(1.0, ax.get_xlim()[1] * 10 if ax.get_xlim()[1] > 1 else 10, color="tab:red",
               alpha=0.06, lw=0)
    if vacuous:
        ax.axvline(1e-6, color="gray", ls=":", lw=1)
    ax.set_yticks(range(len(claims)), claims, fontsize=8)
    ax.set_ylim(len(claims) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.set(xlabel="measured/bound (upper bounds) or bound/measured (lower bounds): "
                  "<= 1 holds, 1 = tight", title=title)
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles, strict=True))
    _legend_below(fig, ax, list(uniq.values()), list(uniq), ncol=2)
    if skipped:
        _note(fig, "Not drawn (no meaningful ratio): " + "; ".join(
            f"{cid} " + ", ".join(f"{n} rows {why}" for why, n in reasons.items())
            for cid, reasons in skipped.items()) + ".")
    return fig


def bound_tightness(rows: Iterable[Row | dict]) -> Figure | None:
    """Theorem bounds (``kind="bound"``): how tight each row is, one strip per claim."""
    rows = [r for r in as_rows(rows) if r.kind == "bound" and not r.info]
    return _strip(rows, "theorem bounds: 1 = tight, left of the dotted line = vacuous (< 1e-6)",
                  vacuous=True)


def ratios(rows: Iterable[Row | dict]) -> Figure | None:
    """Numerical tolerances (``kind="tolerance"``): error / tolerance, one strip per claim."""
    rows = [r for r in as_rows(rows) if r.kind == "tolerance" and not r.info]
    return _strip(rows, "numerical tolerances: error/tolerance (1 = at the tolerance)",
                  vacuous=False)


# -- kappa ------------------------------------------------------------------------------------

def _kappa_rows(rows: list[Row]) -> list[Row]:
    """Rows whose measured value is ``kappa_t`` at a numeric N and t (theorem-bound rows)."""
    out = []
    for r in rows:
        q = r.case.get("quantity", "kappa_t" if r.claim == "kappa.bound" else None)
        if (q == "kappa_t" and r.kind == "bound" and r.ok and _num(r.measured)
                and _num(r.case.get("N")) and _num(r.case.get("t"))):
            out.append(r)
    return out


def kappa_vs_n(rows: Iterable[Row | dict]) -> Figure | None:
    """``kappa_t`` against N: one panel per t, one line per kernel and Sigma (log-log).

    A line joins the rows that differ only in N (:func:`group_lines`); the bounds a row is
    checked against are not part of the point (one kappa_t, several bounds).
    """
    lines = {k: v for k, v in group_lines(_kappa_rows(as_rows(rows)), "N").items()
             if len({r.case["N"] for r in v}) >= 2}
    if not lines:
        return None
    ts = sorted({dict(k)["t"] for k in lines})
    fig, axes = _new(ncols=len(ts), width=4.0, height=3.8)
    no_t = {k: tuple(p for p in k if p[0] != "t") for k in lines}
    series = list(dict.fromkeys(no_t.values()))
    varying = _varying(series)
    colors = {s: f"C{i % 10}" for i, s in enumerate(series)}
    handles: dict[str, Any] = {}
    for ax, t in zip(axes, ts, strict=True):
        for key, pts in lines.items():
            if dict(key)["t"] != t:
                continue
            xs, ys, _, _ = _points(pts, "N", lambda r: r.measured)
            label = _label(no_t[key], varying)
            (line,) = ax.plot(xs, ys, "o-", ms=3, color=colors[no_t[key]], label=label)
            line.set_gid(gid(key))
            handles.setdefault(label, line)
        ax.set(xscale="log", yscale="log", xlabel="N", title=f"t = {t:g}")
        ax.set_xticks(sorted({r.case["N"] for v in lines.values() for r in v}))
        ax.xaxis.set_major_formatter("{x:g}")
    axes[0].set_ylabel("kappa_t (condition number of C_t)")
    fig.suptitle("kappa_t against N, one line per kernel and Sigma")
    _legend_below(fig, axes[0], list(handles.values()), list(handles), ncol=min(3, len(handles)))
    return fig


# -- PSD --------------------------------------------------------------------------------------

def _psd_flag(case: dict[str, Any]) -> bool | None:
    """PSD verdict a row's case states (``certificate`` "psd"/"not_psd", or ``psd``), or None."""
    cert = case.get("certificate")
    if isinstance(cert, str) and cert in ("psd", "not_psd"):
        return cert == "psd"
    return case["psd"] if isinstance(case.get("psd"), bool) else None


def _kernel_sort(case: dict[str, Any]):
    return (str(case.get("family", "")), _num(case.get("nu")) or 0.0, _num(case.get("ell")) or 0.0)


def psd_certificates(rows: Iterable[Row]) -> dict[tuple[str, int], set[bool]]:
    """``{(kernel label, J): {verdicts}}`` from rows stating a certificate at a numeric J."""
    out: dict[tuple[str, int], set[bool]] = {}
    for r in rows:
        flag = _psd_flag(r.case)
        if flag is not None and _num(r.case.get("J")) is not None:
            out.setdefault((_kernel_label(r.case), int(r.case["J"])), set()).add(flag)
    return out


def psd_phase(rows: Iterable[Row | dict]) -> Figure | None:
    """PSD phase diagram of the truncated Gamma, for every N.

    Left: the all-N certificate of each kernel (y) at each truncation J (x), colour = the
    verdict (green PSD, red not PSD, orange if rows disagree). Right (when the run has them):
    the (nu, ell) plane of the powered exponential with the diagonal-dominance frontier and
    the certified frontiers ``ell_J`` per J (``psd.frontier``), and each certified
    powered-exponential kernel marked with the smallest J at which it is PSD.
    Rows state their verdict in ``case`` (``certificate`` or ``psd``); rows without one are
    ignored.
    """
    rows = as_rows(rows)
    cert_rows = [r for r in rows if _psd_flag(r.case) is not None
                 and _num(r.case.get("J")) is not None]
    certs = psd_certificates(cert_rows)
    dom = sorted((r.case["nu"], r.case["value"]) for r in rows
                 if r.case.get("quantity") == "dominance frontier" and _num(r.case.get("value")))
    fronts: dict[int, list[tuple[float, float]]] = {}
    for r in rows:
        if r.case.get("quantity") == "certified frontier" and _num(r.case.get("ell_J")):
            fronts.setdefault(int(r.case["J"]), []).append((r.case["nu"], r.case["ell_J"]))
    if not certs and not dom and not fronts:
        return None
    kernels = sorted({_kernel_label(r.case): r.case for r in cert_rows}.items(),
                     key=lambda kv: _kernel_sort(kv[1]))
    labels = [k for k, _ in kernels]
    has_plane = bool(dom or fronts)
    ncols = int(bool(certs)) + int(has_plane)
    fig, axes = _new(ncols=ncols, width=5.0, height=max(3.6, 1.4 + 0.32 * len(labels)))
    if certs:
        ax = axes[0]
        styles = (("PSD (certified, every N)", {True}, "s", "tab:green"),
                  ("not PSD", {False}, "s", "tab:red"),
                  ("rows disagree", {True, False}, "X", "tab:orange"))
        for name, flags, marker, color in styles:
            pts = [(J, labels.index(k)) for (k, J), f in certs.items() if f == flags]
            if pts:
                col = ax.scatter(*zip(*pts, strict=True), marker=marker, s=90, color=color,
                                 edgecolor="k", lw=0.5, label=name, zorder=3)
                col.set_gid(name)
        Js = sorted({J for _, J in certs})
        ax.set_xticks(Js)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.grid(True, lw=0.3, alpha=0.5)
        ax.set(xlabel="J (truncation length)", ylabel="kernel",
               title="all-N PSD certificate of the truncated Gamma")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=3,
                  frameon=False)
    if has_plane:
        bx = axes[-1]
        if dom:
            bx.plot(*zip(*dom, strict=True), "k-", label="diagonal dominance (sufficient)")
        for J, pts in sorted(fronts.items()):
            bx.plot(*zip(*sorted(pts), strict=True), "--o", ms=3,
                    label=f"certified all-N frontier ell_J, J={J}")
        pe = [(k, c) for k, c in kernels if c.get("family") == "powered_exponential"
              and _num(c.get("nu")) and _num(c.get("ell"))]
        for k, c in pe:
            Js = sorted(J for (kk, J), f in certs.items() if kk == k and f == {True})
            Jmax = max(J for (kk, J) in certs if kk == k)
            color = "tab:green" if Js else "tab:red"
            bx.scatter([c["nu"]], [c["ell"]], marker="s", s=40, color=color, edgecolor="k",
                       lw=0.5, zorder=3)
            bx.annotate(f"PSD from J={Js[0]}" if Js else f"not PSD, J<={Jmax}",
                        (c["nu"], c["ell"]), textcoords="offset points", xytext=(5, 3),
                        fontsize=7)
        bx.set(yscale="log", xlabel="nu", ylabel="ell",
               title="powered exponential: PSD below each frontier")
        bx.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.14), frameon=False)
    return fig


def j_vs_eps(rows: Iterable[Row | dict]) -> Figure | None:
    """J needed against the target error eps (solid), with the theorem's J (dashed).

    A line joins rows that differ only in ``eps`` (:func:`group_lines`).
    """
    rows = [r for r in as_rows(rows) if _num(r.case.get("eps"))
            and r.case.get("quantity", "J") == "J" and "J" not in r.case
            and _num(r.measured) is not None]
    lines = {k: v for k, v in group_lines(rows, "eps").items()
             if len({r.case["eps"] for r in v}) >= 2}
    if not lines:
        return None
    fig, (ax,) = _new(width=6.0, height=4.4)
    varying = _varying(lines)
    for key, pts in lines.items():
        xs, ys, _, _ = _points(pts, "eps", lambda r: r.measured)
        (line,) = ax.plot(xs, ys, "o-", ms=3, label=_label(key, varying))
        line.set_gid(gid(key))
        bs = _points(pts, "eps", lambda r: _num(r.bound))
        if len(bs[0]) == len(xs):
            ax.plot(bs[0], bs[1], "--", color=line.get_color(), lw=1)
    ax.set(xscale="log", xlabel="eps (target relative error)", ylabel="J (truncation length)",
           title="J needed against eps (dashed: the theorem's J)")
    ax.invert_xaxis()
    _legend_below(fig, ax)
    return fig


def attention_kernel(rows: Iterable[Row | dict]) -> Figure | None:
    """Attention kernel against the true correlation, by lag.

    Rows carry ``lag``; the kernel is ``case["kernel"]`` (or ``measured``), the truth
    ``case["truth"]`` (or ``bound``). A line joins rows that differ only in ``lag``.
    """
    rows = [r for r in as_rows(rows) if _num(r.case.get("lag")) is not None
            and _num(r.measured) is not None]
    lines = {k: v for k, v in group_lines(rows, "lag", drop=("kernel", "truth")).items()
             if len(v) >= 2}
    if not lines:
        return None
    fig, (ax,) = _new(width=6.0, height=4.4)
    varying = _varying(lines)
    for key, pts in lines.items():
        label = _label(key, varying)
        # the kernel value is case["kernel"] when the row measures an error, else measured
        xs, ys, _, _ = _points(pts, "lag", lambda r: _num(r.case["kernel"]) if "kernel" in r.case
                               else r.measured)
        (line,) = ax.plot(xs, ys, "o-", ms=3, label=f"kernel: {label}")
        line.set_gid(gid(key))
        tx, ty, _, _ = _points(pts, "lag", lambda r: _num(r.case.get("truth", r.bound)))
        if len(tx) == len(xs):
            ax.plot(tx, ty, "--", color=line.get_color(), lw=1, label=f"truth rho_bar: {label}")
    ax.set(xlabel="lag |i - j|", ylabel="attention kernel (best scale) and rho_bar",
           title="attention kernel by lag (dashed: the truth rho_bar)")
    _legend_below(fig, ax, ncol=1)
    return fig


def _error_bars(pts: list[Row], xs: list[float], ys: list[float], lo: list[float],
                hi: list[float]):
    """Error bars per n: ``se`` (symmetric), else ``ci_low``/``ci_high``, else the spread of
    several rows at one n (seeds), else none."""
    by_n = {float(r.case["n"]): r.case for r in pts}
    se = [_num(by_n[x].get("se")) for x in xs]
    if all(v is not None for v in se):
        return [se, se], "standard error"
    ci = [(_num(by_n[x].get("ci_low")), _num(by_n[x].get("ci_high"))) for x in xs]
    if all(a is not None and b is not None for a, b in ci):
        return [[y - a for y, (a, _) in zip(ys, ci, strict=True)],
                [b - y for y, (_, b) in zip(ys, ci, strict=True)]], "confidence interval"
    if any(lo) or any(hi):
        return [lo, hi], "range over rows (seeds)"
    return None, ""


def error_vs_n(rows: Iterable[Row | dict]) -> Figure | None:
    """Error against the number of training samples n (log-log), with a slope -1/2 guide.

    One panel per quantity (``case["quantity"]``, the y label); one line per group of rows
    that differ only in ``n`` (and in the uncertainty keys ``se``, ``ci_low``, ``ci_high``,
    ``seed``, ``replicates``). Error bars: ``se``, else the confidence interval, else the
    range of several rows (seeds) at one n. Lower-bound rows (``sense=">="``, e.g.
    correlations) are not errors.
    """
    rows = [r for r in as_rows(rows) if _num(r.case.get("n")) and _num(r.measured)
            and r.measured > 0 and r.sense != ">="]
    lines = {k: v for k, v in group_lines(rows, "n").items()
             if len({r.case["n"] for r in v}) >= 2}
    if not lines:
        return None
    quantities = list(dict.fromkeys(str(dict(k).get("quantity", "error")) for k in lines))
    fig, axes = _new(ncols=len(quantities), width=5.6, height=4.4)
    bars_kinds = set()
    for ax, q in zip(axes, quantities, strict=True):
        mine = {k: v for k, v in lines.items() if str(dict(k).get("quantity", "error")) == q}
        varying = _varying(mine)
        first = None
        for key, pts in mine.items():
            xs, ys, lo, hi = _points(pts, "n", lambda r: r.measured)
            yerr, kind = _error_bars(pts, xs, ys, lo, hi)
            cont = ax.errorbar(xs, ys, yerr=yerr, fmt="o-", ms=3, capsize=3,
                               label=_label(key, varying, always=("estimator", "model")))
            cont.lines[0].set_gid(gid(key))
            if kind:
                bars_kinds.add(kind)
            first = first or (xs, ys)
        (n0, n1), e0 = (first[0][0], first[0][-1]), first[1][0]
        ax.plot([n0, n1], [e0, e0 * (n1 / n0) ** -0.5], "k:", lw=1, label="slope -1/2")
        ax.set(xscale="log", yscale="log", xlabel="n (training samples)", ylabel=q,
               title=f"{q} against n")
        ax.set_xticks(sorted({float(r.case["n"]) for v in mine.values() for r in v}))
        ax.xaxis.set_major_formatter("{x:g}")
        ax.xaxis.set_minor_formatter(NullFormatter())
        # each panel's legend under its own axes: panels never share (or overlap) one
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7, frameon=False)
    if bars_kinds:
        _note(fig, "Error bars: " + ", ".join(sorted(bars_kinds)) + ".")
    return fig


def decay_order(rows: Iterable[Row | dict]) -> Figure | None:
    """Error at fixed n against the decay parameters: one panel for nu, one for ell.

    Rows: informational rows whose case has ``kappa`` and ``lambda_min`` (the decay grid of
    ``paper.decay_order``) and numeric ``nu``, ``ell``. A line joins rows that differ only in
    the panel's parameter (``kappa``, ``lambda_min`` and the floors follow from it and are
    not part of the line's identity). Error bars: ``ci_low``/``ci_high``. Dashed, same colour:
    the sampling floor of the generated samples (``floor``), the same quantity for exact
    samples.
    """
    derived = ("kappa", "lambda_min", "floor", "data_floor", "kappa_t0", "J_eps", "J_formula",
               "theorem2_factor")
    rows = [r for r in as_rows(rows) if "kappa" in r.case and "lambda_min" in r.case
            and _num(r.case.get("nu")) is not None and _num(r.case.get("ell")) is not None
            and _num(r.measured) is not None]
    panels = []
    for x, other in (("nu", "ell"), ("ell", "nu")):
        lines = {k: v for k, v in group_lines(rows, x, drop=derived + (other,)).items()}
        # a line holds one value of the other parameter: group by it explicitly
        split: dict[tuple, list[Row]] = {}
        for k, v in lines.items():
            for r in v:
                split.setdefault(k + ((other, r.case[other]),), []).append(r)
        split = {k: sorted(v, key=lambda r: r.case[x]) for k, v in split.items()
                 if len({r.case[x] for r in v}) >= 2}
        if split:
            panels.append((x, split))
    if not panels:
        return None
    fig, axes = _new(ncols=len(panels), width=5.0, height=4.2)
    for ax, (x, lines) in zip(axes, panels, strict=True):
        quantity = "error"
        for key, pts in lines.items():
            quantity = str(dict(key).get("quantity", "error"))
            xs = [float(r.case[x]) for r in pts]
            ys = [float(r.measured) for r in pts]
            lo = [_num(r.case.get("ci_low")) for r in pts]
            hi = [_num(r.case.get("ci_high")) for r in pts]
            yerr = None
            if all(v is not None for v in lo + hi):
                yerr = [[max(y - a, 0.0) for y, a in zip(ys, lo, strict=True)],
                        [max(b - y, 0.0) for y, b in zip(ys, hi, strict=True)]]
            label = " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                             for k, v in key if k in ("ell", "nu", "n"))
            cont = ax.errorbar(xs, ys, yerr=yerr, fmt="o-", ms=4, capsize=3, label=label)
            cont.lines[0].set_gid(gid(key))
            fl = [_num(r.case.get("floor")) for r in pts]
            if all(v is not None for v in fl):
                ax.plot(xs, fl, "--", lw=1, color=cont.lines[0].get_color(),
                        label=f"floor of the generated samples ({label})")
        ax.set(xlabel=x + (" (larger: faster decay)" if x == "nu" else " (smaller: faster decay)"),
               ylabel=quantity, title=f"{quantity} against {x}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7, frameon=False)
    _note(fig, "Error bars: 95% percentile bootstrap over seeds and generated samples.")
    return fig


def attention_maps(rows: Iterable[Row | dict]) -> Figure | None:
    """Learned attention maps beside Gamma: one column per decay pattern or model (row
    above: the map; below: Gamma on the same colour scale [0, 1] of correlations, the map
    rescaled by its largest entry so that the two shapes compare; a third row, where the
    claim records it, the constructed kernel normalised to 1 at lag 0)."""
    rows = [r for r in as_rows(rows) if isinstance(r.case.get("attention_map"), list)
            and isinstance(r.case.get("gamma"), list)]
    if not rows:
        return None
    import numpy as np

    panels = [("attention_map", "attention / max"), ("gamma", "Gamma (rho(|i - j|))")]
    if any(isinstance(r.case.get("constructed_kernel"), list) for r in rows):
        panels.append(("constructed_kernel", "constructed kernel / lag 0"))
    fig = Figure(figsize=(2.6 * len(rows), 2.6 * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), len(rows), squeeze=False)
    for j, r in enumerate(rows):
        key = {k: v for k, v in r.case.items() if k not in {p for p, _ in panels}}
        title = r.claim if r.claim.startswith("models.") else _kernel_label(r.case)
        for i, (name, label) in enumerate(panels):
            ax = axes[i][j]
            ax.set(xlabel="key frame j", ylabel="query frame i")
            if not isinstance(r.case.get(name), list):
                ax.set_axis_off()
                continue
            M = np.asarray(r.case[name], dtype=float)
            if name == "attention_map" and M.max() > 0:
                M = M / M.max()
            im = ax.imshow(M, vmin=0.0, vmax=1.0, cmap="viridis")
            im.set_gid(json.dumps({**key, "panel": name.split("_")[0]}, sort_keys=True,
                                  default=str))
            ax.set_title(f"{title}\n{label}" if i == 0 else label, fontsize=8)
    fig.colorbar(im, ax=list(axes.ravel()), shrink=0.6, label="value (map / max; Gamma)")
    return fig


def dit_vs_unet(rows: Iterable[Row | dict]) -> Figure | None:
    """Normalised temporal lag profiles of the DiT's and the U-Net's generated samples
    against ``rho / rho[0]``: one panel per regime (paper.dit_vs_unet). Thin lines: one per
    training seed; thick: the seed mean. Each line's ``gid`` is JSON naming the regime, the
    model (``dit``, ``unet``, ``rho``) and the seed (``"mean"`` for the seed mean)."""
    rows = [r for r in as_rows(rows) if all(isinstance(r.case.get(k), list)
                                            for k in ("profile_dit", "profile_unet", "rho"))]
    if not rows:
        return None
    import numpy as np

    panels: dict[tuple, list[Row]] = {}
    for r in rows:
        key = tuple((k, r.case.get(k)) for k in ("regime", "family", "ell", "nu", "N", "steps"))
        panels.setdefault(key, []).append(r)
    fig, axes = _new(ncols=len(panels), width=5.4, height=4.2)
    colours = {"dit": "tab:blue", "unet": "tab:orange"}
    names = {"dit": "DiT", "unet": "U-Net"}
    for ax, (key, pts) in zip(axes, panels.items(), strict=True):
        head = dict(key)
        rho = np.asarray(pts[0].case["rho"], dtype=float)
        lags = np.arange(rho.size)
        line, = ax.plot(lags, rho / rho[0], "k-", lw=2.2, label="rho / rho[0]")
        line.set_gid(json.dumps({**head, "model": "rho"}, sort_keys=True, default=str))
        for m in ("dit", "unet"):
            profs = [np.asarray(r.case[f"profile_{m}"], dtype=float) for r in pts]
            for r, prof in zip(pts, profs, strict=True):
                line, = ax.plot(lags, prof, "-", lw=0.7, alpha=0.5, color=colours[m])
                line.set_gid(json.dumps({**head, "model": m, "seed": r.case.get("seed")},
                                        sort_keys=True, default=str))
            errs = [r.measured if m == "dit" else r.case.get("unet_error") for r in pts]
            line, = ax.plot(lags, np.mean(profs, axis=0), "-", lw=2, color=colours[m],
                            label=f"{names[m]} (seed mean; error "
                                  f"{np.mean([float(e) for e in errs]):.3f})")
            line.set_gid(json.dumps({**head, "model": m, "seed": "mean"}, sort_keys=True,
                                    default=str))
        ax.axhline(0.0, color="grey", lw=0.5)
        ax.set(xlabel="lag (frames)", ylabel="temporal lag profile (1 at lag 0)",
               title=f"{_kernel_label(pts[0].case)}, N={head['N']}, {head['steps']} steps, "
                     f"{len(pts)} seed(s)")
        ax.title.set_fontsize(8)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7, frameon=False)
    return fig


#: (file stem, caption, function), in report order.
FAMILIES: list[tuple[str, str, Callable[[list[Row]], Figure | None]]] = [
    ("bound_tightness", "Theorem bounds: measured/bound for upper bounds, bound/measured for "
     "lower bounds, one strip per claim; a row holds at <= 1 (1 = tight; a round-off "
     "allowance may let an attained bound hold just above 1), below 1e-6 it is vacuous.",
     bound_tightness),
    ("ratios", "Numerical tolerances: error/tolerance per claim (upper) or tolerance/measured "
     "(lower); <= 1 holds.", ratios),
    ("kappa_vs_n", "Condition number kappa_t against N, one panel per t, one line per kernel "
     "and Sigma (open question 1).", kappa_vs_n),
    ("psd_phase", "PSD phase diagram of the truncated Gamma: the all-N certificate per "
     "kernel and J, and the frontiers in the (nu, ell) plane.", psd_phase),
    ("j_vs_eps", "Truncation length J needed against eps (dashed: the theorem's J).",
     j_vs_eps),
    ("attention_kernel", "Attention kernel against the true correlation, by lag.",
     attention_kernel),
    ("error_vs_n", "Error against the number of training samples n, with a slope -1/2 guide.",
     error_vs_n),
    ("decay_order", "Relative covariance error of generated samples at fixed n against the "
     "decay parameters nu and ell, with the sampling floor of the generated samples "
     "(paper.decay_order).", decay_order),
    ("attention_maps", "Seed-mean softmax attention map of the trained DiT (scaled by its "
     "largest entry) above Gamma, per decay pattern (paper.attention).", attention_maps),
    ("dit_vs_unet", "Temporal lag profiles (nearest-Kronecker temporal factor, 1 at lag 0) of "
     "samples generated by a DiT and a U-Net of matched size trained alike, against rho "
     "(paper.dit_vs_unet).", dit_vs_unet),
]


def make_figures(rows: Iterable[Row | dict]) -> list[FigureSpec]:
    """Every figure the rows support, in :data:`FAMILIES` order (families without rows skipped).

    A figure's caption is its family's, followed by what the figure left out and why.
    """
    rows = as_rows(rows)
    out = []
    for name, caption, func in FAMILIES:
        fig = func(rows)
        if fig is not None:
            note = getattr(fig, "gpd_note", "")
            out.append(FigureSpec(name, f"{caption} {note}".strip(), fig))
    return out
