"""Shared machinery of the claim-table figures: rows in, grouping, labels, axes, saving.

Every figure module (:mod:`gpdtheory_checks.plot_bounds`, :mod:`gpdtheory_checks.plot_learning`)
builds its
figures with :func:`new_figure` (``matplotlib.figure.Figure``, never pyplot: no window, no
global state) and groups rows into lines with :func:`group_lines`. :func:`finish` gives every
log axis plain tick labels (``0.3``, ``3``, ``30``; never ``3x10^0``), and
:func:`save_figure` writes a figure as vector PDF and SVG beside a PNG of at least
:data:`PNG_DPI` dots per inch.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatter, LogFormatterSciNotation, NullFormatter
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from gpdtheory._extras import require

    require("matplotlib", "report")
    raise

from .table import Row

__all__ = ["Figure", "FigureSpec", "BOUND_KEYS", "KERNEL_KEYS", "FORMATS", "PNG_DPI", "as_rows",
           "group_lines", "group_key", "gid", "new_figure", "finish", "save_figure",
           "figure_bytes", "PlainLogFormatter", "NullFormatter", "kernel_label", "num", "points",
           "line_label", "varying_keys", "note", "legend_below"]

#: Resolution of the PNG files (print quality; the vector files need none).
PNG_DPI = 200

#: File formats every figure is written in: two vector formats for papers, PNG for viewers.
FORMATS = ("pdf", "svg", "png")


class PlainLogFormatter(LogFormatter):
    """Log-axis tick labels as plain numbers (``0.03``, ``3``, ``3e+04``), never ``3x10^0``.

    matplotlib's default (``LogFormatterSciNotation``) labels the minor ticks of an axis
    spanning less than a decade as ``3 x 10^0``; this keeps its choice of which ticks to
    label and writes each value with ``%.3g``.
    """

    def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
        return f"{x:.3g}"


def finish(fig: Figure) -> Figure:
    """Plain tick labels on every log axis of ``fig`` (see :class:`PlainLogFormatter`).

    Only matplotlib's default log formatters are replaced: a formatter a figure chose
    (``"{x:g}"`` on fixed ticks, a :class:`NullFormatter`) is kept.
    """
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() != "log":
                continue
            # LogFormatterMathtext (the default major) is LogFormatterSciNotation's base
            if type(axis.get_major_formatter()).__name__.startswith("LogFormatter"):
                axis.set_major_formatter(PlainLogFormatter())
            if isinstance(axis.get_minor_formatter(), LogFormatterSciNotation):
                axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False,
                                                           minor_thresholds=(1, 0.4)))
    return fig


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """``fig`` rendered as ``fmt`` (``"pdf"``, ``"svg"`` or ``"png"`` at :data:`PNG_DPI`)."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt={fmt!r} is not one of {FORMATS}. Fix: pass one of them")
    buffer = io.BytesIO()
    # metadata without a date: the same rows give the same bytes
    meta = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}.get(fmt, {})
    fig.savefig(buffer, format=fmt, dpi=PNG_DPI, bbox_inches="tight", metadata=meta)
    return buffer.getvalue()


def save_figure(fig: Figure, folder: Path, name: str) -> dict[str, Path]:
    """Write ``folder/name.{pdf,svg,png}``; return ``{format: path}``.

    The files are new (``folder`` is the report's temporary folder); the PNG has
    :data:`PNG_DPI` dots per inch, the PDF and SVG are vector.
    """
    out = {}
    for fmt in FORMATS:
        path = Path(folder) / f"{name}.{fmt}"
        path.write_bytes(figure_bytes(fig, fmt))
        out[fmt] = path
    return out


@dataclass(frozen=True)
class FigureSpec:
    """A drawn figure: file stem, caption and the figure itself."""

    name: str
    caption: str
    figure: Figure


def as_rows(rows: Iterable[Row | dict[str, Any]]) -> list[Row]:
    """Rows from ``Row`` objects or the dicts of ``results.json`` / ``--json``.

    A non-finite number written as ``null`` with its ``<field>_text`` (``"inf"``, ``"nan"``)
    is read back as that float (:func:`gpdtheory_checks.schema.row_from_json`).
    """
    from .schema import row_from_json

    return [r if isinstance(r, Row) else row_from_json(r) for r in rows]


def num(x: Any) -> float | None:
    """A finite float, or None (strings, NaN, inf, missing)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


#: Case keys that name the bound or the side a row is checked against, or carry the
#: uncertainty of its measured value: never part of what a point *is*, so a line may join
#: rows that differ in them (the same kappa_t checked against three bounds is one point).
BOUND_KEYS = frozenset({"bound", "side", "se", "ci_low", "ci_high", "replicates", "seed",
                        # where each run's training stopped: a record, not a setting
                        "steps_run", "best_step", "converged", "heldout_loss"})


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


def points(rows: list[Row], x: str, y: Callable[[Row], float | None]):
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


def kernel_label(case: dict[str, Any]) -> str:
    fam = str(case.get("family", "?")).replace("powered_exponential", "pow-exp")
    params = [f"{k}={case[k]:g}" for k in ("ell", "nu") if num(case.get(k)) is not None]
    return " ".join([fam, *params])


KERNEL_KEYS = ("family", "ell", "nu")


def line_label(key: tuple[tuple[str, Any], ...], varying: set[str], always: Iterable[str] = ()
           ) -> str:
    """A line's legend entry: the kernel, then the other case keys that vary between lines
    (and those named in ``always``)."""
    d = dict(key)
    parts = [kernel_label(d)] if "family" in d else []
    shown = set(varying) | set(always)
    for k, v in key:
        if k in shown and k not in KERNEL_KEYS:
            parts.append(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}")
    return " ".join(parts) or "all rows"


def varying_keys(keys: Iterable[tuple[tuple[str, Any], ...]]) -> set[str]:
    keys = [dict(k) for k in keys]
    names = {n for k in keys for n in k}
    return {n for n in names if len({repr(k.get(n)) for k in keys}) > 1}


def new_figure(ncols: int = 1, width: float = 5.2, height: float = 3.8):
    # Figure() rather than pyplot: no global figure registry to leak into or to close
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)
    return fig, list(axes[0])


def note(fig: Figure, text: str) -> None:
    """Attach a caption note (skipped rows, ...) that :func:`make_figures` appends."""
    fig.gpd_note = text  # type: ignore[attr-defined]


def legend_below(fig: Figure, ax, handles=None, labels=None, ncol: int = 2) -> None:
    """The legend under the axes, outside the data."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize=7,
                   frameon=False)
