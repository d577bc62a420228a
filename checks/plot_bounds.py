"""Figures of the bounds: tightness strips, kappa_t against N, the PSD phase diagram, J(eps).

Each function takes the rows of a run (``Row`` objects or the dicts of ``results.json``),
picks the rows it draws and returns a ``matplotlib.figure.Figure``, or ``None`` when the run
has none. Nothing here recomputes a claim; the shared machinery is
:mod:`gpdtheory_checks.plot_common`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .plot_common import (
    Figure,
    as_rows,
    gid,
    group_lines,
    kernel_label,
    legend_below,
    line_label,
    new_figure,
    note,
    num,
    points,
    varying_keys,
)
from .table import Row

__all__ = ["tightness", "bound_tightness", "ratios", "kappa_vs_n", "psd_phase",
           "psd_certificates", "j_vs_eps"]


# -- ratio strips ---------------------------------------------------------------------------

def tightness(row: Row) -> float | None:
    """How close a row is to failing, ``1 = tight`` for both senses; None when undefined.

    ``measured / bound`` for an upper bound (``<=``), ``bound / measured`` for a lower bound
    (``>=``): the row holds at ``<= 1`` either way (up to its round-off allowance). None when
    the bound or the measured value is not positive (a ratio of signed values says nothing;
    tolerance rows with bound 0 have none) or not finite.
    """
    m, b = num(row.measured), num(row.bound)
    if m is None or b is None or m <= 0 or b <= 0:
        return None
    return m / b if row.sense == "<=" else b / m


def _skip_reason(row: Row) -> str:
    b, m = num(row.bound), num(row.measured)
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
    fig, (ax,) = new_figure(width=7.0, height=1.2 + 0.38 * len(claims))
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
    ax.set(xlabel="measured/bound (upper bounds) or bound/measured (lower bounds), "
                  "dimensionless: <= 1 holds, 1 = tight", ylabel="claim", title=title)
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles, strict=True))
    legend_below(fig, ax, list(uniq.values()), list(uniq), ncol=2)
    if skipped:
        note(fig, "Not drawn (no meaningful ratio): " + "; ".join(
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
        if (q == "kappa_t" and r.kind == "bound" and r.ok and num(r.measured)
                and num(r.case.get("N")) and num(r.case.get("t"))):
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
    fig, axes = new_figure(ncols=len(ts), width=4.0, height=3.8)
    no_t = {k: tuple(p for p in k if p[0] != "t") for k in lines}
    series = list(dict.fromkeys(no_t.values()))
    varying = varying_keys(series)
    colors = {s: f"C{i % 10}" for i, s in enumerate(series)}
    handles: dict[str, Any] = {}
    for ax, t in zip(axes, ts, strict=True):
        for key, pts in lines.items():
            if dict(key)["t"] != t:
                continue
            xs, ys, _, _ = points(pts, "N", lambda r: r.measured)
            label = line_label(no_t[key], varying)
            (line,) = ax.plot(xs, ys, "o-", ms=3, color=colors[no_t[key]], label=label)
            line.set_gid(gid(key))
            handles.setdefault(label, line)
        ax.set(xscale="log", yscale="log", xlabel="N (frames)", title=f"t = {t:g}",
               ylabel="kappa_t (dimensionless)")
        ax.set_xticks(sorted({r.case["N"] for v in lines.values() for r in v}))
        ax.xaxis.set_major_formatter("{x:g}")
    fig.suptitle("kappa_t, the condition number of C_t, against N: one line per kernel and "
                 "Sigma")
    legend_below(fig, axes[0], list(handles.values()), list(handles), ncol=min(3, len(handles)))
    return fig


# -- PSD --------------------------------------------------------------------------------------

def _psd_flag(case: dict[str, Any]) -> bool | None:
    """PSD verdict a row's case states (``certificate`` "psd"/"not_psd", or ``psd``), or None."""
    cert = case.get("certificate")
    if isinstance(cert, str) and cert in ("psd", "not_psd"):
        return cert == "psd"
    return case["psd"] if isinstance(case.get("psd"), bool) else None


def _kernel_sort(case: dict[str, Any]):
    return (str(case.get("family", "")), num(case.get("nu")) or 0.0, num(case.get("ell")) or 0.0)


def psd_certificates(rows: Iterable[Row]) -> dict[tuple[str, int], set[bool]]:
    """``{(kernel label, J): {verdicts}}`` from rows stating a certificate at a numeric J."""
    out: dict[tuple[str, int], set[bool]] = {}
    for r in rows:
        flag = _psd_flag(r.case)
        if flag is not None and num(r.case.get("J")) is not None:
            out.setdefault((kernel_label(r.case), int(r.case["J"])), set()).add(flag)
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
                 and num(r.case.get("J")) is not None]
    certs = psd_certificates(cert_rows)
    dom = sorted((r.case["nu"], r.case["value"]) for r in rows
                 if r.case.get("quantity") == "dominance frontier" and num(r.case.get("value")))
    fronts: dict[int, list[tuple[float, float]]] = {}
    for r in rows:
        if r.case.get("quantity") == "certified frontier" and num(r.case.get("ell_J")):
            fronts.setdefault(int(r.case["J"]), []).append((r.case["nu"], r.case["ell_J"]))
    if not certs and not dom and not fronts:
        return None
    kernels = sorted({kernel_label(r.case): r.case for r in cert_rows}.items(),
                     key=lambda kv: _kernel_sort(kv[1]))
    labels = [k for k, _ in kernels]
    has_plane = bool(dom or fronts)
    ncols = int(bool(certs)) + int(has_plane)
    fig, axes = new_figure(ncols=ncols, width=5.0, height=max(3.6, 1.4 + 0.32 * len(labels)))
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
        ax.set(xlabel="J (truncation length, lags)", ylabel="kernel",
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
              and num(c.get("nu")) and num(c.get("ell"))]
        for k, c in pe:
            Js = sorted(J for (kk, J), f in certs.items() if kk == k and f == {True})
            Jmax = max(J for (kk, J) in certs if kk == k)
            color = "tab:green" if Js else "tab:red"
            bx.scatter([c["nu"]], [c["ell"]], marker="s", s=40, color=color, edgecolor="k",
                       lw=0.5, zorder=3)
            bx.annotate(f"PSD from J={Js[0]}" if Js else f"not PSD, J<={Jmax}",
                        (c["nu"], c["ell"]), textcoords="offset points", xytext=(5, 3),
                        fontsize=7)
        bx.set(yscale="log", xlabel="nu (decay exponent, dimensionless)",
               ylabel="ell (length scale, frames)",
               title="powered exponential: PSD below each frontier")
        bx.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.14), frameon=False)
    return fig


def j_vs_eps(rows: Iterable[Row | dict]) -> Figure | None:
    """J needed against the target error eps (solid), with the theorem's J (dashed).

    A line joins rows that differ only in ``eps`` (:func:`group_lines`).
    """
    rows = [r for r in as_rows(rows) if num(r.case.get("eps"))
            and r.case.get("quantity", "J") == "J" and "J" not in r.case
            and num(r.measured) is not None]
    lines = {k: v for k, v in group_lines(rows, "eps").items()
             if len({r.case["eps"] for r in v}) >= 2}
    if not lines:
        return None
    fig, (ax,) = new_figure(width=6.0, height=4.4)
    varying = varying_keys(lines)
    for key, pts in lines.items():
        xs, ys, _, _ = points(pts, "eps", lambda r: r.measured)
        (line,) = ax.plot(xs, ys, "o-", ms=3, label=line_label(key, varying))
        line.set_gid(gid(key))
        bs = points(pts, "eps", lambda r: num(r.bound))
        if len(bs[0]) == len(xs):
            ax.plot(bs[0], bs[1], "--", color=line.get_color(), lw=1)
    ax.set(xscale="log", xlabel="eps (target relative error, dimensionless)",
           ylabel="J (truncation length, lags)",
           title="J needed against eps (dashed: the theorem's J)")
    ax.invert_xaxis()
    legend_below(fig, ax)
    return fig
