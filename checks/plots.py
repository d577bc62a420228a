"""Figures of the claim table, drawn from its rows alone (matplotlib, Agg backend).

The figures live in :mod:`gpdtheory_checks.plot_bounds` and :mod:`gpdtheory_checks.plot_learning`,
the shared
machinery (grouping, labels, plain log ticks, saving as PDF, SVG and PNG) in
:mod:`gpdtheory_checks.plot_common`; this module lists them (:data:`FAMILIES`) and re-exports them.

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

from collections.abc import Callable, Iterable

from .plot_bounds import (
    bound_tightness,
    j_vs_eps,
    kappa_vs_n,
    psd_certificates,
    psd_phase,
    ratios,
    tightness,
)
from .plot_common import (
    BOUND_KEYS,
    FORMATS,
    PNG_DPI,
    Figure,
    FigureSpec,
    as_rows,
    figure_bytes,
    finish,
    gid,
    group_key,
    group_lines,
    kernel_label,
    save_figure,
)
from .plot_learning import (
    attention_kernel,
    attention_maps,
    decay_order,
    dit_vs_unet,
    error_vs_n,
)
from .table import Row

#: Earlier private name of :func:`gpdtheory_checks.plot_common.kernel_label`, kept for callers.
_kernel_label = kernel_label

__all__ = ["FigureSpec", "FAMILIES", "BOUND_KEYS", "FORMATS", "PNG_DPI", "as_rows",
           "make_figures", "save_figure", "figure_bytes", "group_lines", "group_key", "gid",
           "tightness", "bound_tightness", "ratios", "kappa_vs_n", "psd_phase",
           "psd_certificates", "j_vs_eps", "attention_kernel", "error_vs_n", "decay_order",
           "attention_maps", "dit_vs_unet"]


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
            out.append(FigureSpec(name, f"{caption} {note}".strip(), finish(fig)))
    return out
