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
``write``) is reported and skipped on reading, and the next append starts on a fresh line.
Each claim line carries its row count and the SHA-256 of its rows, so a corrupted line is
found, reported with its line number and skipped (its claim runs again); a journal that
holds one claim twice, or has no header, is refused. Rows are
stored as strict JSON (:func:`gpdtheory_checks.runner.row_to_json`), so a resumed table equals an
uninterrupted one row for row (timings aside).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpdtheory.errors import InvalidArgumentError

from .runner import row_from_json, row_to_json
from .table import CheckConfig, Row

__all__ = ["Journal", "read_journal", "fingerprint", "rows_checksum", "JOURNAL_SCHEMA"]

#: Schema 2 lines carry ``n_rows`` and the ``sha256`` of their rows; schema 1 (read only)
#: journals were written before and carry neither.
JOURNAL_SCHEMA = "gpdtheory.journal/2"
SCHEMAS = ("gpdtheory.journal/1", JOURNAL_SCHEMA)


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


def rows_checksum(rows: list[dict[str, Any]]) -> str:
    """SHA-256 of a claim's rows as canonical strict JSON (sorted keys, no spaces)."""
    text = json.dumps(rows, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _claim_record(rec: Any, checksummed: bool) -> tuple[str, list[Row], float]:
    """``(claim, rows, seconds)`` of a validated claim line; ValueError says what is wrong."""
    from .table import CLAIMS

    if not isinstance(rec, dict):
        raise ValueError("not a JSON object")
    claim, rows, seconds = rec.get("claim"), rec.get("rows"), rec.get("seconds", 0.0)
    if not isinstance(claim, str) or not claim:
        raise ValueError("no claim id")
    if CLAIMS and claim not in CLAIMS:
        raise ValueError(f"unknown claim id {claim!r}")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError("rows are not a list of objects")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) \
            or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds = {seconds!r} is not a duration")
    if checksummed or "sha256" in rec or "n_rows" in rec:
        if rec.get("n_rows") != len(rows):
            raise ValueError(f"holds {len(rows)} rows, its n_rows says {rec.get('n_rows')!r}")
        if rec.get("sha256") != rows_checksum(rows):
            raise ValueError("the checksum of its rows does not match (corrupted)")
    try:
        parsed = [row_from_json(r) for r in rows]
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"a row cannot be read ({exc})") from None
    if any(r.claim != claim for r in parsed):
        raise ValueError(f"holds rows of another claim than {claim!r}")
    return claim, parsed, float(seconds)


def read_journal(path: str | Path, cfg: CheckConfig | None = None,
                 report: Callable[[str], None] | None = _stderr
                 ) -> dict[str, tuple[list[Row], float]]:
    """``{claim id: (rows, seconds)}`` of a journal.

    Every line is validated: the first must be the header (schema, fingerprint); each
    other line names a known claim, holds ``n_rows`` rows whose SHA-256 matches its
    ``sha256`` (journals of schema ``gpdtheory.journal/1`` carry neither), and rows of that
    claim only. A line that fails (torn, not UTF-8, not JSON, corrupted) is reported to
    ``report`` with its line number and skipped: its claim runs again.

    Raises
    ------
    InvalidArgumentError
        If the file cannot be read, is not a journal, holds one claim twice (two runs
        appended to it), or (with ``cfg``) was written by a different run.
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidArgumentError("--resume", str(path), "is not a file",
                                   "give the journal of an earlier run (--journal PATH)")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InvalidArgumentError("--resume", str(path), f"cannot be read ({exc})",
                                   "check the path and its permissions") from None
    say = report if report is not None else (lambda message: None)
    done: dict[str, tuple[list[Row], float]] = {}
    where: dict[str, int] = {}
    header = None
    lines = data.split(b"\n")
    torn = lines.pop()  # after the last newline: empty unless the last line is torn
    for number, raw in enumerate(lines + ([torn] if torn else []), start=1):
        try:
            if number > len(lines):
                raise ValueError("torn (no final newline: a crash inside write)")
            if not raw.strip():
                continue  # the empty line that closes a torn one
            rec = json.loads(raw.decode("utf-8"))
            if header is None:
                if not (isinstance(rec, dict) and rec.get("schema") in SCHEMAS
                        and isinstance(rec.get("fingerprint"), dict)):
                    raise InvalidArgumentError(
                        "--resume", str(path), f"line {number} is not a {JOURNAL_SCHEMA} header",
                        "give a journal written by gpdtheory check --journal")
                header = rec
                continue
            claim, rows, seconds = _claim_record(rec, header["schema"] != SCHEMAS[0])
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            if isinstance(exc, InvalidArgumentError):
                raise
            why = ("not UTF-8" if isinstance(exc, UnicodeDecodeError) else
                   "not JSON" if isinstance(exc, json.JSONDecodeError) else str(exc))
            if header is None:
                raise InvalidArgumentError("--resume", str(path),
                                           f"line {number} is not a {JOURNAL_SCHEMA} header "
                                           f"({why})", "give a journal written by gpdtheory "
                                           "check --journal") from None
            say(f"journal {path}, line {number}: {why}; skipped (its claim runs again)")
            continue
        if claim in done:
            raise InvalidArgumentError("--resume", str(path),
                                       f"holds claim {claim!r} twice (lines {where[claim]} and "
                                       f"{number}): two runs appended to it",
                                       "start a new journal, or remove one of the two lines")
        done[claim], where[claim] = (rows, seconds), number
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
    parents : bool
        Create the missing parent folders of ``path``; by default a missing parent is
        refused.

    Raises
    ------
    InvalidArgumentError
        ``path`` holds another run's journal, or its parent folder is missing.
    """

    def __init__(self, path: str | Path, cfg: CheckConfig, *, parents: bool = False):
        self.path = Path(path)
        self.cfg = cfg
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        # refuses another run's journal; bad lines were reported by the --resume read
        self._claims = set() if fresh else set(read_journal(self.path, cfg, report=None))
        if parents:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.parent.is_dir():
            raise InvalidArgumentError("--journal", str(path), f"its parent folder "
                                       f"{self.path.parent} does not exist",
                                       "create it first, or pass --parents to create it")
        # 0o666 less the umask: the mode a plain open() gives, as every other output
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        if fresh:
            _append(self._fd, json.dumps({"schema": JOURNAL_SCHEMA,
                                          "fingerprint": fingerprint(cfg)}))
        else:
            with open(self.path, "rb") as fh:  # close a torn last line before appending
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    _append(self._fd, "")

    def record(self, claim_id: str, rows: list[Row], seconds: float) -> None:
        """Append one finished claim (an ``on_claim`` callback of
        :func:`gpdtheory_checks.runner.run`).

        Raises
        ------
        InvalidArgumentError
            When the journal already holds ``claim_id`` (a reader would refuse it).
        """
        if claim_id in self._claims:
            raise InvalidArgumentError("claim_id", claim_id, f"is already in {self.path}",
                                       "resume with --resume (it skips finished claims)")
        encoded = json.loads(json.dumps([row_to_json(r) for r in rows], allow_nan=False,
                                        default=str))  # the rows exactly as a reader sees them
        rec = {"claim": claim_id, "seconds": seconds, "n_rows": len(encoded),
               "sha256": rows_checksum(encoded), "rows": encoded}
        _append(self._fd, json.dumps(rec, allow_nan=False))
        self._claims.add(claim_id)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
