"""Run the claim table: selection, progress, JSON and report output.

Used by ``gpdtheory check`` and by pytest. Results are written atomically
(temporary file, then ``os.replace``) and never overwrite an existing file.
"""

from __future__ import annotations

import json
import os
import tempfile
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from gpdtheory.errors import InvalidArgumentError, ReportExistsError

from .table import CLAIMS, CheckConfig, Row

__all__ = ["select", "run", "write_json", "atomic_write_text"]


def select(only: list[str] | None = None) -> list[str]:
    """Claim ids to run: all, or those equal to / prefixed by an entry of ``only``.

    ``only=["psd"]`` selects ``psd.per_n``, ``psd.all_n`` and ``psd.frontier``.
    """
    if not only:
        return list(CLAIMS)
    chosen = []
    for pattern in only:
        hits = [c for c in CLAIMS if c == pattern or c.startswith(pattern + ".")]
        if not hits:
            raise InvalidArgumentError("--only", pattern, "matches no claim",
                                       "pick from: " + ", ".join(CLAIMS))
        chosen += [h for h in hits if h not in chosen]
    return chosen


def _run_one(claim_id: str, cfg: CheckConfig) -> list[Row]:
    import checks  # noqa: F401  (registers claims in worker processes)

    return CLAIMS[claim_id].run(cfg)


def run(only: list[str] | None = None, cfg: CheckConfig | None = None, *,
        progress: bool = False, executor: Executor | None = None) -> list[Row]:
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
    """
    cfg = cfg or CheckConfig()
    ids = select(only)
    from tqdm.auto import tqdm

    bar = tqdm(total=len(ids), desc="gpdtheory check", unit="claim", disable=not progress)
    rows: list[Row] = []
    try:
        if executor is None:
            for cid in ids:
                bar.set_postfix_str(cid)
                rows += CLAIMS[cid].run(cfg)
                bar.update()
        else:
            futures = [executor.submit(_run_one, cid, cfg) for cid in ids]
            for fut in futures:
                rows += fut.result()
                bar.update()
    finally:
        bar.close()
    return rows


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically; refuse if ``path`` exists."""
    path = Path(path)
    if path.exists():
        raise ReportExistsError(f"{path} exists; results are never overwritten. "
                                "Fix: choose a new path or remove the old one.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        # os.link fails if the target appeared meanwhile: no silent overwrite even in a race
        os.link(tmp, path)
    except FileExistsError as exc:
        raise ReportExistsError(
            f"{path} appeared while writing; refusing to overwrite it.") from exc
    finally:
        os.unlink(tmp)


def write_json(rows: list[Row], path: Path, meta: dict[str, Any] | None = None) -> None:
    """Write the rows (a list of dicts with the table's fields) as JSON."""
    payload = [r.to_dict() for r in rows]
    text = json.dumps(payload, indent=1, default=float, allow_nan=True)
    atomic_write_text(Path(path), text + "\n")
