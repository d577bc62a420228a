"""Figures of what models learn: attention kernels and maps, errors against n and decay.

Each function takes the rows of a run (``Row`` objects or the dicts of ``results.json``),
picks the rows it draws and returns a ``matplotlib.figure.Figure``, or ``None`` when the run
has none. Most are fed by informational rows (verdict ``info``): ``trained.kernel`` gives one
per lag (``case["kernel"]``, ``case["truth"]``), ``sample_complexity.slope`` one per n and
estimator. Heatmaps are labelled ``query frame i`` / ``key frame j`` with a colour bar.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from .plot_common import (
    Figure,
    NullFormatter,
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

__all__ = ["attention_kernel", "error_vs_n", "decay_order", "attention_maps", "dit_vs_unet"]


def attention_kernel(rows: Iterable[Row | dict]) -> Figure | None:
    """Attention kernel against the true correlation, by lag.

    Rows carry ``lag``; the kernel is ``case["kernel"]`` (or ``measured``), the truth
    ``case["truth"]`` (or ``bound``). A line joins rows that differ only in ``lag``.
    """
    rows = [r for r in as_rows(rows) if num(r.case.get("lag")) is not None
            and num(r.measured) is not None]
    lines = {k: v for k, v in group_lines(rows, "lag", drop=("kernel", "truth")).items()
             if len(v) >= 2}
    if not lines:
        return None
    fig, (ax,) = new_figure(width=6.0, height=4.4)
    varying = varying_keys(lines)
    for key, pts in lines.items():
        label = line_label(key, varying)
        # the kernel value is case["kernel"] when the row measures an error, else measured
        xs, ys, _, _ = points(pts, "lag", lambda r: num(r.case["kernel"]) if "kernel" in r.case
                               else r.measured)
        (line,) = ax.plot(xs, ys, "o-", ms=3, label=f"kernel: {label}")
        line.set_gid(gid(key))
        tx, ty, _, _ = points(pts, "lag", lambda r: num(r.case.get("truth", r.bound)))
        if len(tx) == len(xs):
            ax.plot(tx, ty, "--", color=line.get_color(), lw=1, label=f"truth rho_bar: {label}")
    ax.set(xlabel="lag |i - j| (frames)",
           ylabel="attention kernel (best scale) and rho_bar (correlation)",
           title="attention kernel by lag (dashed: the truth rho_bar)")
    legend_below(fig, ax, ncol=1)
    return fig


def _error_bars(pts: list[Row], xs: list[float], ys: list[float], lo: list[float],
                hi: list[float]):
    """Error bars per n: ``se`` (symmetric), else ``ci_low``/``ci_high``, else the spread of
    several rows at one n (seeds), else none."""
    by_n = {float(r.case["n"]): r.case for r in pts}
    se = [num(by_n[x].get("se")) for x in xs]
    if all(v is not None for v in se):
        return [se, se], "standard error"
    ci = [(num(by_n[x].get("ci_low")), num(by_n[x].get("ci_high"))) for x in xs]
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
    rows = [r for r in as_rows(rows) if num(r.case.get("n")) and num(r.measured)
            and r.measured > 0 and r.sense != ">="]
    lines = {k: v for k, v in group_lines(rows, "n").items()
             if len({r.case["n"] for r in v}) >= 2}
    if not lines:
        return None
    quantities = list(dict.fromkeys(str(dict(k).get("quantity", "error")) for k in lines))
    fig, axes = new_figure(ncols=len(quantities), width=5.6, height=4.4)
    bars_kinds = set()
    for ax, q in zip(axes, quantities, strict=True):
        mine = {k: v for k, v in lines.items() if str(dict(k).get("quantity", "error")) == q}
        varying = varying_keys(mine)
        first = None
        for key, pts in mine.items():
            xs, ys, lo, hi = points(pts, "n", lambda r: r.measured)
            yerr, kind = _error_bars(pts, xs, ys, lo, hi)
            cont = ax.errorbar(xs, ys, yerr=yerr, fmt="o-", ms=3, capsize=3,
                               label=line_label(key, varying, always=("estimator", "model")))
            cont.lines[0].set_gid(gid(key))
            if kind:
                bars_kinds.add(kind)
            first = first or (xs, ys)
        (n0, n1), e0 = (first[0][0], first[0][-1]), first[1][0]
        ax.plot([n0, n1], [e0, e0 * (n1 / n0) ** -0.5], "k:", lw=1, label="slope -1/2")
        ax.set(xscale="log", yscale="log", xlabel="n (training samples)",
               ylabel=q, title=f"{q} against n")
        ax.set_xticks(sorted({float(r.case["n"]) for v in mine.values() for r in v}))
        ax.xaxis.set_major_formatter("{x:g}")
        ax.xaxis.set_minor_formatter(NullFormatter())
        # each panel's legend under its own axes: panels never share (or overlap) one
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7, frameon=False)
    if bars_kinds:
        note(fig, "Error bars: " + ", ".join(sorted(bars_kinds)) + ".")
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
            and num(r.case.get("nu")) is not None and num(r.case.get("ell")) is not None
            and num(r.measured) is not None]
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
    fig, axes = new_figure(ncols=len(panels), width=5.0, height=4.2)
    for ax, (x, lines) in zip(axes, panels, strict=True):
        quantity = "error"
        for key, pts in lines.items():
            quantity = str(dict(key).get("quantity", "error"))
            xs = [float(r.case[x]) for r in pts]
            ys = [float(r.measured) for r in pts]
            lo = [num(r.case.get("ci_low")) for r in pts]
            hi = [num(r.case.get("ci_high")) for r in pts]
            yerr = None
            if all(v is not None for v in lo + hi):
                yerr = [[max(y - a, 0.0) for y, a in zip(ys, lo, strict=True)],
                        [max(b - y, 0.0) for y, b in zip(ys, hi, strict=True)]]
            label = " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                             for k, v in key if k in ("ell", "nu", "n"))
            cont = ax.errorbar(xs, ys, yerr=yerr, fmt="o-", ms=4, capsize=3, label=label)
            cont.lines[0].set_gid(gid(key))
            fl = [num(r.case.get("floor")) for r in pts]
            if all(v is not None for v in fl):
                ax.plot(xs, fl, "--", lw=1, color=cont.lines[0].get_color(),
                        label=f"floor of the generated samples ({label})")
        ax.set(xlabel=(f"{x} (decay exponent; larger: faster decay)" if x == "nu" else
                       f"{x} (length scale in frames; smaller: faster decay)"),
               ylabel=quantity, title=f"{quantity} against {x}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7, frameon=False)
    note(fig, "Error bars: 95% percentile bootstrap over seeds and generated samples.")
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
        title = r.claim if r.claim.startswith("models.") else kernel_label(r.case)
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
    fig.colorbar(im, ax=list(axes.ravel()), shrink=0.6,
                 label="attention / max, Gamma entry (correlation, 0 to 1)")
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
    fig, axes = new_figure(ncols=len(panels), width=5.4, height=4.2)
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
               title=f"{kernel_label(pts[0].case)}, N={head['N']}, {head['steps']} steps, "
                     f"{len(pts)} seed(s)")
        ax.title.set_fontsize(8)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7, frameon=False)
    return fig
