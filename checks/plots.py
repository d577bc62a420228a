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
``bound_vs_measured``  every ``kind="bound"`` row: measured against bound, log-log
``ratios``             every row: ratio measured/bound per claim (1 = tight, 1e-6 = vacuous)
``kappa_vs_n``         ``kappa.*`` rows: kappa_t against N per decay pattern (open question 1)
``psd_phase``          rows stating a PSD ``certificate``, and frontiers: PSD phase diagram
``j_vs_eps``           rows with ``eps`` and a ``J`` quantity: J needed against eps
``attention_kernel``   rows with ``lag``: attention kernel against the truth by lag
``error_vs_n``         rows with a numeric sample size ``n``: error against n, with n^{-1/2}
=====================  =================================================================

The last two are fed by informational rows (verdict ``info``): ``trained.kernel`` gives one
per lag (``case["kernel"]``, ``case["truth"]``), ``sample_complexity.slope`` one per n and
estimator (``case["n"]``, ``case["estimator"]``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from .table import Row

__all__ = ["FigureSpec", "FAMILIES", "as_rows", "make_figures", "bound_vs_measured", "ratios",
           "kappa_vs_n", "psd_phase", "j_vs_eps", "attention_kernel", "error_vs_n"]


@dataclass(frozen=True)
class FigureSpec:
    """A drawn figure: file stem, caption and the figure itself."""

    name: str
    caption: str
    figure: Figure


def as_rows(rows: Iterable[Row | dict[str, Any]]) -> list[Row]:
    """Rows from ``Row`` objects or the dicts of ``results.json`` / ``--json``.

    A non-finite number written as ``null`` with its ``<field>_text`` (``"inf"``, ``"nan"``)
    is read back as that float (:func:`checks.runner.row_from_json`).
    """
    from .runner import row_from_json

    return [r if isinstance(r, Row) else row_from_json(r) for r in rows]


def _num(x: Any) -> float | None:
    """A finite float, or None (strings, NaN, inf, missing)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _kernel_label(case: dict[str, Any]) -> str:
    fam = str(case.get("family", "?")).replace("powered_exponential", "pow-exp")
    params = [f"{k}={case[k]:g}" for k in ("ell", "nu") if _num(case.get(k)) is not None]
    return " ".join([fam, *params])


def _new(ncols: int = 1, width: float = 5.2, height: float = 3.8):
    # Figure() rather than pyplot: no global figure registry to leak into or to close
    fig = Figure(figsize=(width * ncols, height))
    axes = fig.subplots(1, ncols, squeeze=False)
    return fig, list(axes[0])


def _positive(rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.ok and (_num(r.measured) or 0) > 0 and (_num(r.bound) or 0) > 0]


def bound_vs_measured(rows: Iterable[Row | dict]) -> Figure | None:
    """Measured against bound for every theorem bound (points under the diagonal hold)."""
    rows = [r for r in _positive(as_rows(rows)) if r.kind == "bound"]
    if not rows:
        return None
    fig, (ax,) = _new(width=6.0, height=5.0)
    claims = list(dict.fromkeys(r.claim for r in rows))
    for cid in claims:
        pts = [r for r in rows if r.claim == cid]
        ax.scatter([r.bound for r in pts], [r.measured for r in pts], s=14, alpha=0.7, label=cid)
    lo = min(min(r.bound, r.measured) for r in rows)
    hi = max(max(r.bound, r.measured) for r in rows)
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="measured = bound")
    ax.set(xscale="log", yscale="log", xlabel="bound", ylabel="measured",
           title="every theorem bound: measured against bound")
    ax.legend(fontsize=7, loc="upper left")
    return fig


def ratios(rows: Iterable[Row | dict]) -> Figure | None:
    """Ratio measured/bound of every row, one column per claim."""
    rows = [r for r in as_rows(rows) if _num(r.ratio) is not None and r.ratio > 0]
    if not rows:
        return None
    claims = list(dict.fromkeys(r.claim for r in rows))
    fig, (ax,) = _new(width=max(5.0, 0.7 * len(claims) + 2), height=4.0)
    for i, cid in enumerate(claims):
        vals = [r.ratio for r in rows if r.claim == cid]
        ax.scatter([i] * len(vals), vals, s=10, alpha=0.5,
                   c=["tab:red" if not r.ok else "tab:blue" for r in rows if r.claim == cid])
    ax.axhline(1.0, color="k", lw=1)
    ax.axhline(1e-6, color="gray", ls=":", lw=1)
    ax.set_xticks(range(len(claims)), claims, rotation=40, ha="right", fontsize=7)
    ax.set(yscale="log", ylabel="measured / bound",
           title="ratios (1 = tight, below 1e-6 = vacuous)")
    fig.tight_layout()
    return fig


def kappa_vs_n(rows: Iterable[Row | dict]) -> Figure | None:
    """The condition number ``kappa_t`` against N, one line per decay pattern and t."""
    rows = [r for r in as_rows(rows) if r.claim.startswith("kappa") and r.ok
            and _num(r.case.get("N")) and _num(r.case.get("t")) and _num(r.measured)]
    # one value per (kernel, t, N): the same kappa is checked against several bounds
    pts: dict[tuple[str, float], dict[int, float]] = {}
    for r in rows:
        key = (_kernel_label(r.case), float(r.case["t"]))
        pts.setdefault(key, {})[int(r.case["N"])] = r.measured
    pts = {k: v for k, v in pts.items() if len(v) >= 2}
    if not pts:
        return None
    ts = sorted({t for _, t in pts})[:4]
    fig, axes = _new(ncols=len(ts), width=4.4)
    for ax, t in zip(axes, ts, strict=True):
        for (label, tk), series in pts.items():
            if tk == t:
                Ns = sorted(series)
                ax.plot(Ns, [series[n] for n in Ns], "o-", ms=3, label=label)
        ax.set(xscale="log", yscale="log", xlabel="N", title=f"t = {t:g}")
    axes[0].set_ylabel("kappa_t")
    axes[-1].legend(fontsize=7)
    fig.suptitle("condition number against N per decay pattern")
    fig.tight_layout()
    return fig


def _psd_flag(case: dict[str, Any]) -> bool | None:
    """PSD verdict a row's case states (``certificate`` "psd"/"not_psd", or ``psd``), or None."""
    cert = case.get("certificate")
    if isinstance(cert, str) and cert in ("psd", "not_psd"):
        return cert == "psd"
    return case["psd"] if isinstance(case.get("psd"), bool) else None


def psd_phase(rows: Iterable[Row | dict]) -> Figure | None:
    """PSD phase diagram of the truncated Gamma, for every N.

    Left: the (nu, ell) plane with the diagonal-dominance frontier and the certified
    all-N frontier ``ell_J`` per J (rows of ``psd.frontier``), and the powered-exponential
    kernels certified at the smallest J. Right: the certificate of each kernel against J.
    Rows state their verdict in ``case`` (``certificate`` or ``psd``); rows without one
    are ignored.
    """
    rows = as_rows(rows)
    cert = [r for r in rows if _psd_flag(r.case) is not None and _num(r.case.get("J")) is not None
            and _num(r.case.get("ell")) and _num(r.case.get("nu"))]
    dom = sorted((r.case["nu"], r.case["value"]) for r in rows
                 if r.case.get("quantity") == "dominance frontier" and _num(r.case.get("value")))
    fronts: dict[int, list[tuple[float, float]]] = {}
    for r in rows:
        if r.case.get("quantity") == "certified frontier" and _num(r.case.get("ell_J")):
            fronts.setdefault(int(r.case["J"]), []).append((r.case["nu"], r.case["ell_J"]))
    if not cert and not dom and not fronts:
        return None
    fig, (ax, bx) = _new(ncols=2, width=5.0, height=4.2)
    if dom:
        ax.plot(*zip(*dom, strict=True), "k-", label="diagonal dominance (sufficient)")
    for J, pts in sorted(fronts.items()):
        ax.plot(*zip(*sorted(pts), strict=True), "--o", ms=3, label=f"exact all-N frontier J={J}")
    if cert:
        j0 = min(r.case["J"] for r in cert)
        for flag, color, lab in ((True, "tab:green", "PSD"), (False, "tab:red", "not PSD")):
            pts = [r for r in cert if r.case["J"] == j0 and _psd_flag(r.case) == flag
                   and r.case.get("family", "powered_exponential") == "powered_exponential"]
            ax.scatter([r.case["nu"] for r in pts], [r.case["ell"] for r in pts], c=color, s=22,
                       marker="s", label=f"{lab} at J={j0}", zorder=3)
        labels = list(dict.fromkeys(_kernel_label(r.case) for r in cert))
        for r in cert:
            bx.scatter(r.case["J"], labels.index(_kernel_label(r.case)), marker="s", s=30,
                       c="tab:green" if _psd_flag(r.case) else "tab:red")
        bx.set_yticks(range(len(labels)), labels, fontsize=7)
    bx.set(xlabel="J", title="all-N certificate (green: PSD)")
    ax.set(yscale="log", xlabel="nu", ylabel="ell", title="PSD for every N below the frontier")
    ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def j_vs_eps(rows: Iterable[Row | dict]) -> Figure | None:
    """J needed against the target error eps (solid), with the theorem's J (dashed)."""
    rows = [r for r in as_rows(rows) if _num(r.case.get("eps"))
            and r.case.get("quantity", "J") == "J" and "J" not in r.case
            and _num(r.measured) is not None]
    series: dict[str, list[Row]] = {}
    for r in rows:
        series.setdefault(f"{r.claim}: {_kernel_label(r.case)}", []).append(r)
    series = {k: sorted(v, key=lambda r: r.case["eps"]) for k, v in series.items() if len(v) >= 2}
    if not series:
        return None
    fig, (ax,) = _new(width=6.0, height=4.4)
    for label, pts in series.items():
        eps = [r.case["eps"] for r in pts]
        (line,) = ax.plot(eps, [r.measured for r in pts], "o-", ms=3, label=label)
        if all(_num(r.bound) is not None for r in pts):
            ax.plot(eps, [r.bound for r in pts], "--", color=line.get_color(), lw=1)
    ax.set(xscale="log", xlabel="eps", ylabel="J", title="truncation length J against eps "
           "(dashed: theorem)")
    ax.invert_xaxis()
    ax.legend(fontsize=7)
    return fig


def attention_kernel(rows: Iterable[Row | dict]) -> Figure | None:
    """Attention kernel against the true correlation, by lag.

    Rows carry ``lag``; the kernel is ``case["kernel"]`` (or ``measured``), the truth
    ``case["truth"]`` (or ``bound``).
    """
    rows = [r for r in as_rows(rows) if _num(r.case.get("lag")) is not None
            and _num(r.measured) is not None]
    series: dict[str, list[Row]] = {}
    for r in rows:
        extra = " ".join(f"{k}={r.case[k]}" for k in ("model", "t") if k in r.case)
        series.setdefault(f"{r.claim}: {_kernel_label(r.case)} {extra}".strip(), []).append(r)
    series = {k: sorted(v, key=lambda r: r.case["lag"]) for k, v in series.items() if len(v) >= 2}
    if not series:
        return None
    fig, (ax,) = _new(width=6.0, height=4.4)
    for label, pts in series.items():
        lags = [r.case["lag"] for r in pts]
        # the kernel value is case["kernel"] when the row measures an error, else measured
        vals = [_num(r.case["kernel"]) if "kernel" in r.case else r.measured for r in pts]
        (line,) = ax.plot(lags, vals, "o-", ms=3, label=label)
        truth = [_num(r.case.get("truth", r.bound)) for r in pts]
        if all(v is not None for v in truth):
            ax.plot(lags, truth, "--", color=line.get_color(), lw=1,
                    label="truth rho_bar" if len(series) == 1 else f"{label}: truth")
    ax.set(xlabel="lag |i - j|", ylabel="kernel (best scale) and rho_bar",
           title="attention kernel by lag (dashed: truth)")
    ax.legend(fontsize=7)
    return fig


def error_vs_n(rows: Iterable[Row | dict]) -> Figure | None:
    """Error against the number of training samples n (log-log), with a slope -1/2 guide.

    Rows carry a numeric ``n``; one line per claim, kernel, ``estimator``, ``quantity``,
    ``model`` and ``N``. Lower-bound rows (``sense=">="``, e.g. correlations) are not errors.
    """
    rows = [r for r in as_rows(rows) if _num(r.case.get("n")) and _num(r.measured)
            and r.measured > 0 and r.sense != ">="]
    series: dict[str, list[Row]] = {}
    for r in rows:
        extra = " ".join(f"{k}={r.case[k]}" for k in ("estimator", "quantity", "model", "N")
                         if k in r.case)
        series.setdefault(f"{r.claim}: {_kernel_label(r.case)} {extra}".strip(), []).append(r)
    series = {k: sorted(v, key=lambda r: r.case["n"]) for k, v in series.items()
              if len({r.case["n"] for r in v}) >= 2}
    if not series:
        return None
    fig, (ax,) = _new(width=6.0, height=4.4)
    for label, pts in series.items():
        ax.plot([r.case["n"] for r in pts], [r.measured for r in pts], "o-", ms=3, label=label)
    first = next(iter(series.values()))
    n0, e0 = first[0].case["n"], first[0].measured
    n1 = first[-1].case["n"]
    ax.plot([n0, n1], [e0, e0 * (n1 / n0) ** -0.5], "k:", lw=1, label="slope -1/2")
    ax.set(xscale="log", yscale="log", xlabel="n (training samples)", ylabel="error",
           title="error against sample size")
    ax.legend(fontsize=7)
    return fig


#: (file stem, caption, function), in report order.
FAMILIES: list[tuple[str, str, Callable[[list[Row]], Figure | None]]] = [
    ("bound_vs_measured", "Every theorem bound: measured against bound.", bound_vs_measured),
    ("ratios", "Ratio measured/bound of every row, by claim.", ratios),
    ("kappa_vs_n", "Condition number kappa_t against N per decay pattern (open question 1).",
     kappa_vs_n),
    ("psd_phase", "PSD phase diagram of the truncated Gamma.", psd_phase),
    ("j_vs_eps", "Truncation length J needed against eps.", j_vs_eps),
    ("attention_kernel", "Attention kernel against the true correlation, by lag.",
     attention_kernel),
    ("error_vs_n", "Error against the number of training samples n.", error_vs_n),
]


def make_figures(rows: Iterable[Row | dict]) -> list[FigureSpec]:
    """Every figure the rows support, in :data:`FAMILIES` order (families without rows skipped)."""
    rows = as_rows(rows)
    out = []
    for name, caption, func in FAMILIES:
        fig = func(rows)
        if fig is not None:
            out.append(FigureSpec(name, caption, fig))
    return out
