"""The ``gpdtheory check --out DIR`` report: Markdown, standalone HTML, figures, results.json.

``DIR`` holds

- ``report.md``     header (versions, seed, wall time), per-claim summary, figures, every row;
- ``report.html``   the same, standalone (figures embedded as base64 PNG, no external files);
- ``figures/*``     one figure per claim family present in the run (:mod:`gpdtheory_checks.plots`),
  each as ``.pdf`` and ``.svg`` (vector, for a paper) and ``.png`` at 200 dpi;
- ``results.json``  ``{"schema", "header", "claims", "summary", "rows", "figures"}``: the
  ``gpdtheory.check/1`` document of ``gpdtheory check --json`` (:func:`results_document`,
  strict JSON, see :mod:`gpdtheory_checks.schema`) plus the figures.

Informational rows (verdict ``info``, e.g. the per-lag kernel of ``trained.kernel`` and the
per-n errors of ``sample_complexity.slope``) feed the figures and the row table but are
counted apart: the header's ``counts["info"]``, never among the rows that hold.

The directory is built under a temporary name beside ``DIR`` and renamed into
place in one step, so a report is either complete or absent; an existing ``DIR``
is never overwritten, not even by a directory that appears while the report is written
(:func:`gpdtheory.fileio.rename_noreplace`).

``gpdtheory report RESULTS --out DIR`` (:func:`rerender`) draws the same report again from a
``--json`` file or a report's ``results.json``, without running a claim.
"""

from __future__ import annotations

import base64
import html
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gpdtheory.errors import InvalidArgumentError, ReportExistsError
from gpdtheory.fileio import folder_mode, rename_noreplace

from .schema import (
    claims_of,
    dumps,
    machine,
    make_header,
    read_results,
    results_document,
    versions,
)
from .table import (
    CheckConfig,
    Row,
    bound_text,
    format_table,
    ratio_text,
    summarize,
)

__all__ = ["write_report", "rerender", "versions", "machine", "results_document", "render_markdown",
           "render_html"]


def _totals(header: dict[str, Any]) -> str:
    """``"A of B rows hold; F fail or error."``, then the informational rows (no verdict)."""
    c = header["counts"]
    info, failing = c.get("info", 0), c["failing"]
    checked = c["rows"] - info
    text = (f"{c.get('hold', checked - failing)} of {checked} {'checked ' if info else ''}rows "
            f"hold; {failing} fail or error.")
    if c.get("unresolved"):
        text += f" {c['unresolved']} unresolved (bound below float64 resolution)."
    if c.get("not_reproduced") or c.get("reproduced"):
        text += (f" Paper findings: {c.get('reproduced', 0)} reproduced, "
                 f"{c.get('not_reproduced', 0)} not reproduced.")
    return text + (f" {info} informational rows (no bound, no verdict)." if info else "")


def _secs(timings: dict[str, float], claim_id: str) -> str:
    return f"{timings[claim_id]:.2f}" if claim_id in timings else "-"


def _run_line(header: dict[str, Any]) -> str:
    m = header["machine"]
    env = ", ".join(f"{k}={v}" for k, v in m["env"].items() if v is not None) or "no thread vars"
    return (f"seed {header['seed']}, full {header['full']}, wall time "
            f"{header['timings']['wall_s']:.1f} s, {header['date']}; {m['platform']}, "
            f"{m['cpu_count']} CPUs ({env})")


def render_markdown(rows: list[Row], header: dict[str, Any],
                    figures: list[tuple[str | dict[str, str], str]]) -> str:
    """The Markdown report; ``figures`` are ``(relative path, caption)`` pairs.

    A path may be ``{format: relative path}`` (``png``, ``pdf``, ``svg``): the PNG is shown,
    the vector files are linked under it.
    """
    v = header["machine"]["versions"]
    lines = ["# gpdtheory check report", "",
             ", ".join(f"{k} {val}" for k, val in v.items()), "",
             _run_line(header), "",
             f"**{_totals(header)}**", "",
             "## Claims", "", "| claim | section | statement | seconds |", "|---|---|---|---|"]
    secs = header["timings"]["claims"]
    lines += [f"| {c['id']} | {c['section']} | {c['statement'].replace('|', chr(92) + '|')} | "
              f"{_secs(secs, c['id'])} |" for c in claims_of(rows)]
    lines += ["", "## Summary (tightest case of each claim)", "",
              format_table(summarize(rows), markdown=True), ""]
    if figures:
        lines += ["## Figures", ""]
        for path, caption in figures:
            files = path if isinstance(path, dict) else {"png": path}
            vector = ", ".join(f"[{fmt.upper()}]({files[fmt]})" for fmt in ("pdf", "svg")
                               if fmt in files)
            lines += [f"![{caption}]({files['png']})", "",
                      f"*{caption}*" + (f" Vector: {vector}." if vector else ""), ""]
    lines += ["## Every row", "", format_table(rows, markdown=True), ""]
    return "\n".join(lines)


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}
table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 6px}
th{background:#eee}.FAILS,.ERROR{background:#fdd}.vacuous{background:#ffd}.info{color:#666}
.unresolved{background:#def}
figure{display:inline-block;margin:1em}img{max-width:46em}"""


def _html_table(rows: list[Row]) -> str:
    head = ["claim", "section", "case", "measured", "", "bound", "ratio", "verdict"]
    out = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for r in rows:
        case = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in r.case.items()) or r.note
        cls = (r.verdict.split()[0] if not r.ok else "info" if r.info
               else "vacuous" if "vacuous" in r.verdict
               else "unresolved" if r.unresolved or r.not_reproduced else "")
        cells = [r.claim, r.section, case, _g(r.measured), r.sense, bound_text(r),
                 ratio_text(r) if not r.info else "-", r.verdict]
        out.append(f'<tr class="{cls}">' + "".join(f"<td>{html.escape(str(c))}</td>"
                                                  for c in cells) + "</tr>")
    return "\n".join(out + ["</table>"])


def _g(x: float) -> str:
    return str(x) if isinstance(x, float) and not math.isfinite(x) else f"{x:.4g}"


def render_html(rows: list[Row], header: dict[str, Any], figures: list[tuple[bytes, str]]) -> str:
    """A standalone HTML report; ``figures`` are ``(png bytes, caption)`` pairs, embedded."""
    e = html.escape
    v = ", ".join(f"{k} {val}" for k, val in header["machine"]["versions"].items())
    parts = ["<!DOCTYPE html>", '<html><head><meta charset="utf-8">',
             "<title>gpdtheory check report</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>gpdtheory check report</h1>", f"<p>{e(v)}</p>",
             f"<p>{e(_run_line(header))}</p>",
             f"<p><b>{e(_totals(header))}</b></p>", "<h2>Claims</h2><table>",
             "<tr><th>claim</th><th>section</th><th>statement</th><th>seconds</th></tr>"]
    secs = header["timings"]["claims"]
    parts += [f"<tr><td>{e(c['id'])}</td><td>{e(c['section'])}</td><td>{e(c['statement'])}</td>"
              f"<td>{_secs(secs, c['id'])}</td></tr>" for c in claims_of(rows)]
    parts += ["</table>", "<h2>Summary (tightest case of each claim)</h2>",
              _html_table(summarize(rows))]
    if figures:
        parts.append("<h2>Figures</h2>")
        for png, caption in figures:
            data = base64.b64encode(png).decode("ascii")
            parts.append(f'<figure><img alt="{e(caption)}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{e(caption)}</figcaption></figure>")
    parts += ["<h2>Every row</h2>", _html_table(rows), "</body></html>", ""]
    return "\n".join(parts)


def _draw(rows: list[Row], folder: Path) -> list[tuple[str, str, dict[str, Path]]]:
    """Save every figure the rows support; return ``(name, caption, {format: path})``.

    Each figure is written as PDF and SVG (vector, for a paper) and as PNG at
    :data:`gpdtheory_checks.plots.PNG_DPI` dots per inch (for the Markdown and HTML pages).
    """
    from . import plots

    folder.mkdir()
    return [(spec.name, spec.caption, plots.save_figure(spec.figure, folder, spec.name))
            for spec in plots.make_figures(rows)]


def write_report(rows: list[Row], out: Path, cfg: CheckConfig, wall_s: float, *,
                 timings: dict[str, float] | None = None,
                 config: dict[str, Any] | None = None, parents: bool = False) -> Path:
    """Write the report (Markdown, HTML, figures, ``results.json``) into the new directory ``out``.

    The folder gets the mode ``os.mkdir`` gives (``0o777`` less the umask) and its files
    the mode a plain ``open`` gives (``0o666`` less the umask), as every other output.

    Parameters
    ----------
    rows : list of Row
        The rows of a run, in table order.
    out : path
        The report directory; it must not exist.
    cfg : CheckConfig
        The configuration of the run (seed, full), for the header.
    wall_s : float
        Wall time of the run in seconds, for the header.
    timings : dict, optional
        Seconds per claim, for the header's ``timings``.
    config : dict, optional
        Further settings of the run (``only``, ``workers``, ...) for the header's ``config``.
    parents : bool
        Create ``out``'s missing parent folders; by default a missing parent is refused.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ReportExistsError
        If ``out`` exists (checked before and, atomically, at the rename).
    InvalidArgumentError
        If ``parents`` is False and ``out``'s parent folder does not exist.

    Example
    -------
    >>> import tempfile, pathlib, gpdtheory_checks
    >>> from gpdtheory_checks.report import write_report
    >>> rows = gpdtheory_checks.run(["kappa"])
    >>> cfg = gpdtheory_checks.CheckConfig()
    >>> d = write_report(rows, pathlib.Path(tempfile.mkdtemp()) / "r", cfg, 1.0)
    >>> sorted(p.name for p in d.iterdir())
    ['figures', 'report.html', 'report.md', 'results.json']
    """
    header = make_header(cfg, wall_s, rows, timings, config)
    return _write(rows, header, Path(out), parents=parents)


def rerender(results: Path, out: Path, *, parents: bool = False) -> Path:
    """Re-render a report into the new directory ``out`` from a results file, running nothing.

    ``results`` is a ``gpdtheory check --json`` file or a report's ``results.json``
    (:func:`gpdtheory_checks.schema.read_results`); the rows and the header are those of the
    run that wrote it (its date, machine and timings), the figures and pages are drawn anew.

    Parameters
    ----------
    results : path
        The results document to read.
    out : path
        The report directory; it must not exist.
    parents : bool
        Create ``out``'s missing parent folders; by default a missing parent is refused.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    InvalidArgumentError
        If ``results`` is missing, not JSON or not a ``gpdtheory.check/1`` document.
    ReportExistsError
        If ``out`` exists.
    """
    rows, header = read_results(results)
    return _write(rows, header, Path(out), parents=parents)


def _write(rows: list[Row], header: dict[str, Any], out: Path, *, parents: bool) -> Path:
    """Build the report in a temporary folder beside ``out`` and rename it into place."""
    if out.exists():
        raise ReportExistsError(f"{out} exists; results are never overwritten. "
                                "Fix: choose a new directory or remove the old one.")
    if parents:
        out.parent.mkdir(parents=True, exist_ok=True)
    elif not out.parent.is_dir():
        raise InvalidArgumentError("out", str(out), f"its parent folder {out.parent} does not "
                                   "exist", "create it first, or pass parents=True")
    # the name is clipped so that a target name near the filesystem's limit still leaves
    # room for the temporary name's prefix and suffix
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name[:40]}.", suffix=".tmp"))
    try:
        figs = _draw(rows, tmp / "figures")
        md_figs = [({fmt: f"figures/{p.name}" for fmt, p in files.items()}, cap)
                   for _, cap, files in figs]
        (tmp / "report.md").write_text(render_markdown(rows, header, md_figs), encoding="utf-8")
        html_figs = [(files["png"].read_bytes(), cap) for _, cap, files in figs]
        (tmp / "report.html").write_text(render_html(rows, header, html_figs), encoding="utf-8")
        payload = results_document(rows, CheckConfig(), 0.0, header=header)
        payload["figures"] = [{"name": n, "caption": c, "path": f"figures/{files['png'].name}",
                               "files": {fmt: f"figures/{p.name}" for fmt, p in files.items()}}
                              for n, c, files in figs]
        (tmp / "results.json").write_text(dumps(payload), encoding="utf-8")
        os.chmod(tmp, folder_mode())  # mkdtemp makes it 0o700; a report is for reading
        try:
            rename_noreplace(tmp, out)
        except FileExistsError as exc:
            raise ReportExistsError(f"{out} appeared while the report was written; results "
                                    "are never overwritten. Fix: choose a new directory or "
                                    "remove the old one.") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
