"""Run the claim table: selection, progress, per-claim timings and JSON output.

Used by ``gpdtheory check`` and by pytest. Results are written atomically and never
overwrite an existing file (:func:`gpdtheory.fileio.atomic_write_text`, re-exported here).

JSON
----
``--json PATH`` and the report's ``results.json`` share one schema (:data:`SCHEMA`, built
by :func:`checks.report.results_document`)::

    {"schema": "gpdtheory.check/1", "header": {...}, "claims": [...],
     "summary": [row, ...], "rows": [row, ...]}

and are strict JSON (``allow_nan=False``): a non-finite number is written as ``null``
with a sibling ``<field>_text`` string saying what it was (``"inf"``, ``"-inf"``,
``"nan"``), e.g. ``"ratio": null, "ratio_text": "inf"``. This holds for ``measured``,
``bound``, ``ratio``, ``allowance`` and every float in ``case``.
:func:`row_from_json` reads a row back (``null`` + text -> the float).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from pathlib import Path
from typing import Any

from gpdtheory.errors import InvalidArgumentError
from gpdtheory.fileio import atomic_write_text

from .table import CLAIMS, CheckConfig, Row

__all__ = ["select", "run", "write_json", "atomic_write_text", "dumps", "row_to_json",
           "row_from_json", "SCHEMA"]

#: The ``schema`` field of ``--json`` files and of ``results.json``.
SCHEMA = "gpdtheory.check/1"

_ROW_FLOATS = ("measured", "bound", "ratio", "allowance")


def select(only: list[str] | None = None, *, scenario: bool = False) -> list[str]:
    """Claim ids to run: all, or those equal to / prefixed by an entry of ``only``.

    ``only=["psd"]`` selects ``psd.per_n``, ``psd.all_n`` and ``psd.frontier``. Without a
    scenario, claims registered with ``scenario="only"`` are left out; with one
    (``scenario=True``), only the claims that take a scenario are kept (the others are
    listed with their reasons by :func:`checks.scenario.applicability`).
    """
    def keep(c: str) -> bool:
        flag = CLAIMS[c].scenario
        return bool(flag) if scenario else flag != "only"

    if not only:
        return [c for c in CLAIMS if keep(c)]
    chosen = []
    for pattern in only:
        hits = [c for c in CLAIMS if c == pattern or c.startswith(pattern + ".")]
        if not hits:
            raise InvalidArgumentError("--only", pattern, "matches no claim",
                                       "pick from: " + ", ".join(CLAIMS))
        chosen += [h for h in hits if h not in chosen and keep(h)]
    return chosen


def _run_one(claim_id: str, cfg: CheckConfig) -> list[Row]:
    import checks  # noqa: F401  (registers claims in worker processes)

    return CLAIMS[claim_id].run(cfg)


def _run_timed(claim_id: str, cfg: CheckConfig) -> tuple[list[Row], float]:
    """The rows of one claim and the seconds it took (measured where it ran)."""
    start = time.perf_counter()
    rows = _run_one(claim_id, cfg)
    return rows, time.perf_counter() - start


def run(only: list[str] | None = None, cfg: CheckConfig | None = None, *,
        progress: bool = False, executor: Executor | None = None,
        timings: dict[str, float] | None = None,
        on_claim: Callable[[str, list[Row], float], None] | None = None,
        scenario: Any = None,
        done: dict[str, tuple[list[Row], float]] | None = None) -> list[Row]:
    """Run the selected claims and return their rows in table order.

    Parameters
    ----------
    only : list of str, optional
        Claim ids or prefixes.
    cfg : CheckConfig, optional
    progress : bool
        Show a tqdm progress bar (one tick per claim).
    executor : concurrent.futures.Executor, optional
        Run claims concurrently (local processes, or a Dask cluster through
        ``Client(address).get_executor()``). Rows come back in the same order and,
        for the same seed, with the same values.
    timings : dict, optional
        Filled with ``{claim id: seconds}`` (wall time of each claim where it ran), in
        table order.
    on_claim : callable, optional
        ``on_claim(claim_id, rows, seconds)``, called as soon as each claim finishes (in
        completion order when an executor runs claims concurrently).
    scenario : checks.scenario.Scenario, optional
        A user's case: runs the claims that take one (``cfg.scenario`` is set to it).
    done : dict, optional
        ``{claim id: (rows, seconds)}`` already finished (a resumed journal,
        :func:`checks.journal.read_journal`): those claims are not run again, and their rows
        take their place in table order. ``on_claim`` is not called for them.
    """
    cfg = cfg or CheckConfig()
    if scenario is not None:
        import dataclasses

        cfg = dataclasses.replace(cfg, scenario=scenario)
    ids = select(only, scenario=cfg.scenario is not None)
    done_before = {cid: done[cid] for cid in ids if done and cid in done}
    from gpdtheory._extras import progress_bar

    bar = progress_bar(show=bool(progress), total=len(ids), desc="gpdtheory check", unit="claim",
                       initial=len(done_before))
    done = dict(done_before)
    todo = [cid for cid in ids if cid not in done]

    def finished(cid: str, rows: list[Row], seconds: float) -> None:
        done[cid] = (rows, seconds)
        bar.update()
        if on_claim is not None:
            on_claim(cid, rows, seconds)

    try:
        if executor is None:
            for cid in todo:
                bar.set_postfix_str(cid)
                start = time.perf_counter()
                rows = CLAIMS[cid].run(cfg)
                finished(cid, rows, time.perf_counter() - start)
        else:
            futures = {executor.submit(_run_timed, cid, cfg): cid for cid in todo}
            for fut in as_completed(futures):
                finished(futures[fut], *fut.result())
    finally:
        bar.close()
    if timings is not None:
        timings.update({cid: done[cid][1] for cid in ids})
    return [r for cid in ids for r in done[cid][0]]


# -- strict JSON ---------------------------------------------------------------------------

def _nonfinite_text(x: float) -> str:
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _plain(value: Any) -> Any:
    """numpy scalars and arrays, tuples and sets as plain Python values."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()  # numpy scalar or array
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    return value


def _encode_dict(d: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``d`` with non-finite floats as ``None`` plus ``<key>_text``, recursively."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        value = _plain(value)
        if isinstance(value, float) and not math.isfinite(value):
            out[key] = None
            out[f"{key}_text"] = _nonfinite_text(value)
        elif isinstance(value, dict):
            out[key] = _encode_dict(value)
        elif isinstance(value, list):
            items = [_plain(v) for v in value]
            bad = [isinstance(v, float) and not math.isfinite(v) for v in items]
            out[key] = [None if b else v for v, b in zip(items, bad, strict=True)]
            if any(bad):
                out[f"{key}_text"] = [_nonfinite_text(v) if b else None
                                      for v, b in zip(items, bad, strict=True)]
        else:
            out[key] = value
    return out


def _decode_dict(d: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`_encode_dict`: ``None`` + ``<key>_text`` -> the non-finite float."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        text = d.get(f"{key}_text")
        base = key[:-5] if key.endswith("_text") else None
        if base in d and (d[base] is None or isinstance(d[base], list)):
            continue  # the text of an encoded non-finite value, read with its field
        if value is None and isinstance(text, str):
            out[key] = float(text)
        elif isinstance(value, list) and isinstance(text, list):
            out[key] = [float(t) if v is None and isinstance(t, str) else v
                        for v, t in zip(value, text, strict=True)]
        elif isinstance(value, dict):
            out[key] = _decode_dict(value)
        else:
            out[key] = value
    return out


def row_to_json(row: Row) -> dict[str, Any]:
    """A row as a strict-JSON dict (non-finite floats as ``null`` + ``<field>_text``)."""
    return _encode_dict(row.to_dict())


def row_from_json(d: dict[str, Any]) -> Row:
    """A :class:`Row` from :func:`row_to_json`'s dict (or an old dict with bare floats)."""
    data = _decode_dict(d)
    for key in _ROW_FLOATS:
        if data.get(key) is None and key in data:
            data[key] = math.nan  # null without a text: unknown, read as NaN
    return Row(**data)


def dumps(document: Any) -> str:
    """Strict JSON text (``allow_nan=False``): a NaN or inf left unencoded raises ValueError."""
    return json.dumps(document, indent=1, allow_nan=False, default=_plain) + "\n"


def write_json(rows: list[Row], path: Path, cfg: CheckConfig | None = None, wall_s: float = 0.0,
               *, timings: dict[str, float] | None = None,
               config: dict[str, Any] | None = None, parents: bool = False) -> None:
    """Write the run as strict JSON in the :data:`SCHEMA` document (same as ``results.json``).

    The file gets the mode a plain ``open`` gives (``0o666`` less the umask).

    Parameters
    ----------
    rows : list of Row
    path : path
        Refused if it exists.
    cfg : CheckConfig, optional
        Seed and size of the run, for the header.
    wall_s : float
        Wall time of the run.
    timings : dict, optional
        Seconds per claim (:func:`run`'s ``timings``).
    config : dict, optional
        Further settings of the run for the header's ``config`` (``only``, ``workers``, ...).
    parents : bool
        Create ``path``'s missing parent folders; by default a missing parent is refused.
    """
    from .report import results_document

    doc = results_document(rows, cfg or CheckConfig(), wall_s, timings=timings, config=config)
    atomic_write_text(Path(path), dumps(doc), parents=parents)
