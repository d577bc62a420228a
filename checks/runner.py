"""Run the claim table: selection, progress, per-claim timings and JSON output.

Used by ``gpdtheory check`` and by pytest. Results are written atomically and never
overwrite an existing file (:func:`gpdtheory.fileio.atomic_write_text`, re-exported here).

JSON
----
``--json PATH`` and the report's ``results.json`` share one schema (:data:`SCHEMA`, built
by :func:`gpdtheory_checks.schema.results_document`)::

    {"schema": "gpdtheory.check/1", "header": {...}, "claims": [...],
     "summary": [row, ...], "rows": [row, ...]}

and are strict JSON (``allow_nan=False``): a non-finite number is written as ``null``
with a sibling ``<field>_text`` string saying what it was (``"inf"``, ``"-inf"``,
``"nan"``), e.g. ``"ratio": null, "ratio_text": "inf"``. This holds for ``measured``,
``bound``, ``ratio``, ``allowance`` and every float in ``case``.
:func:`row_from_json` reads a row back (``null`` + text -> the float). The codec lives in
:mod:`gpdtheory_checks.schema` (below the runner, the report and the figures) and is re-exported
here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from pathlib import Path
from typing import Any

from gpdtheory.errors import InvalidArgumentError
from gpdtheory.fileio import atomic_write_text

from .schema import SCHEMA, dumps, results_document, row_from_json, row_to_json
from .table import CLAIMS, CheckConfig, Row

__all__ = ["select", "run", "write_json", "atomic_write_text", "dumps", "row_to_json",
           "row_from_json", "SCHEMA"]


def select(only: list[str] | None = None, *, scenario: bool = False) -> list[str]:
    """Claim ids to run: all, or those equal to / prefixed by an entry of ``only``.

    ``only=["psd"]`` selects ``psd.per_n``, ``psd.all_n`` and ``psd.frontier``. Without a
    scenario, claims registered with ``scenario="only"`` are left out; with one
    (``scenario=True``), only the claims that take a scenario are kept (the others are
    listed with their reasons by :func:`gpdtheory_checks.scenario.applicability`).
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


def _run_timed(claim_id: str, cfg: CheckConfig) -> tuple[list[Row], float]:
    """The rows of one claim and the seconds it took (measured where it ran).

    In a worker process the first look-up of :data:`~gpdtheory_checks.table.CLAIMS` loads the claim
    catalogue (:class:`gpdtheory_checks.registry.ClaimRegistry`), plugins included, without this
    module importing it.
    """
    start = time.perf_counter()
    rows = CLAIMS[claim_id].run(cfg)
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
    scenario : gpdtheory_checks.scenario.Scenario, optional
        A user's case: runs the claims that take one (``cfg.scenario`` is set to it).
    done : dict, optional
        ``{claim id: (rows, seconds)}`` already finished (a resumed journal,
        :func:`gpdtheory_checks.journal.read_journal`): those claims are not run again, and their
        rows
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
    doc = results_document(rows, cfg or CheckConfig(), wall_s, timings=timings, config=config)
    atomic_write_text(Path(path), dumps(doc), parents=parents)
