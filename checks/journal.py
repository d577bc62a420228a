"""A JSON-lines journal of finished claims: a run that stops resumes without losing a row.

``gpdtheory check --journal PATH`` appends one line per claim as soon as it finishes;
``--resume PATH`` reads the journal, skips the claims it holds and appends the rest. The
first line is a header with the run's fingerprint (seed, ``--full``, scenario): resuming a
different run is refused.

Durability
----------
The file is opened with ``O_APPEND`` and each line is written with a single ``os.write``
followed by ``os.fsync``: a line is either entirely on disk or not at all from the reader's
point of view, whichever process or machine dies. A torn last line (a crash inside
``write``) is ignored on reading, and the next append starts on a fresh line. Rows are
stored as strict JSON (:func:`checks.runner.row_to_json`), so a resumed table equals an
uninterrupted one row for row (timings aside).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gpdtheory.errors import InvalidArgumentError

from .runner import row_from_json, row_to_json
from .table import CheckConfig, Row

__all__ = ["Journal", "read_journal", "fingerprint", "JOURNAL_SCHEMA"]

JOURNAL_SCHEMA = "gpdtheory.journal/1"


def fingerprint(cfg: CheckConfig) -> dict[str, Any]:
    """What the rows of a run depend on: seed, size and the scenario's digest."""
    scn = cfg.scenario
    return {"seed": cfg.seed, "full": cfg.full,
            "scenario": None if scn is None else scn.fingerprint()}


def _append(fd: int, line: str) -> None:
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    written = os.write(fd, data)  # one write: O_APPEND places it whole at the end
    if written != len(data):  # pragma: no cover - regular files do not short-write
        raise OSError(f"short write to journal: {written} of {len(data)} bytes")
    os.fsync(fd)


def read_journal(path: str | Path, cfg: CheckConfig | None = None
                 ) -> dict[str, tuple[list[Row], float]]:
    """``{claim id: (rows, seconds)}`` of a journal (torn lines ignored).

    Raises
    ------
    InvalidArgumentError
        If the file is not a journal, or (with ``cfg``) was written by a different run.
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidArgumentError("--resume", str(path), "is not a file",
                                   "give the journal of an earlier run (--journal PATH)")
    done: dict[str, tuple[list[Row], float]] = {}
    header = None
    with open(p, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break  # a torn last line: its claim runs again
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn line that a later append closed
            if rec.get("schema") == JOURNAL_SCHEMA and "fingerprint" in rec:
                header = rec
            elif header is not None and "claim" in rec:
                done[rec["claim"]] = ([row_from_json(r) for r in rec["rows"]],
                                      float(rec.get("seconds", 0.0)))
    if header is None:
        raise InvalidArgumentError("--resume", str(path), f"has no {JOURNAL_SCHEMA} header",
                                   "give a journal written by gpdtheory check --journal")
    if cfg is not None and header["fingerprint"] != fingerprint(cfg):
        raise InvalidArgumentError("--resume", str(path),
                                   f"was written by another run ({header['fingerprint']}, this "
                                   f"run is {fingerprint(cfg)})",
                                   "resume with the same --seed, --full and scenario, or start "
                                   "a new journal")
    return done


class Journal:
    """Append-only journal of one run (see the module docstring).

    Parameters
    ----------
    path : path
        Created with a header if missing; appended to (after checking the header) if not.
    cfg : CheckConfig
    """

    def __init__(self, path: str | Path, cfg: CheckConfig):
        self.path = Path(path)
        self.cfg = cfg
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        if not fresh:
            read_journal(self.path, cfg)  # refuses another run's journal
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if fresh:
            _append(self._fd, json.dumps({"schema": JOURNAL_SCHEMA,
                                          "fingerprint": fingerprint(cfg)}))
        else:
            with open(self.path, "rb") as fh:  # close a torn last line before appending
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    _append(self._fd, "")

    def record(self, claim_id: str, rows: list[Row], seconds: float) -> None:
        """Append one finished claim (an ``on_claim`` callback of :func:`checks.runner.run`)."""
        rec = {"claim": claim_id, "seconds": seconds, "rows": [row_to_json(r) for r in rows]}
        _append(self._fd, json.dumps(rec, allow_nan=False, default=str))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
