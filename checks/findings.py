"""The record of the paper's findings, and the rows whose verdict moved against it.

A finding row (``kind="finding"``) is ``reproduced`` or ``not reproduced``; neither is a
failure. What must never pass silently is a change: a finding recorded as not reproduced
that starts to hold (a fix, or a bug that manufactures the effect), or a reproduced one
that stops. ``findings_record.json`` (next to this module) holds the verdict of every
finding row of the default run (``--seed 0``, not ``--full``); after such a run the command
line prints every row whose verdict differs from the record, and every recorded row that
is missing. Rows are matched by :func:`finding_key`: the claim and the case entries that
name the statement and its setting, never the measured ones (steps run, losses, the
best baseline's name), so a change of the measurement does not hide a row.

Refresh the record deliberately, after reading the changes, from a ``--json`` file of the
default run::

    python -m gpdtheory_checks.findings results.json --replace
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gpdtheory.fileio import atomic_write_json

from .table import CheckConfig, Row

__all__ = ["RECORD", "finding_key", "record_of", "read_record", "changed_findings",
           "format_changes", "applies"]

RECORD = Path(__file__).with_name("findings_record.json")
SCHEMA = "gpdtheory.findings/1"
#: Case entries that name a finding's statement and setting (the rest are measurements).
STATEMENT_KEYS = ("quantity", "side", "axis", "slower", "faster", "family", "ell", "nu", "N",
                  "n", "seed", "model", "width", "J", "L", "k", "target")


def finding_key(row: Row) -> str:
    """``claim | key=value ...`` over :data:`STATEMENT_KEYS` present in the row's case."""
    parts = [f"{k}={row.case[k]}" for k in STATEMENT_KEYS if k in row.case]
    return f"{row.claim} | " + " ".join(parts)


def record_of(rows: list[Row]) -> dict[str, str]:
    """``{finding_key: verdict}`` of the finding rows (a repeated key keeps every verdict,
    joined with ``;`` in row order, so duplicates cannot hide one another)."""
    out: dict[str, str] = {}
    for r in rows:
        if r.kind == "finding":
            key = finding_key(r)
            out[key] = f"{out[key]};{r.verdict}" if key in out else r.verdict
    return out


def read_record(path: Path = RECORD) -> dict[str, str]:
    """The recorded ``{finding_key: verdict}``; empty when there is no record."""
    if not path.exists():
        return {}
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"{path}: schema {doc.get('schema')!r} is not {SCHEMA!r}; "
                         "Fix: regenerate it with python -m gpdtheory_checks.findings")
    return dict(doc["findings"])


def applies(cfg: CheckConfig, scenario: bool = False) -> bool:
    """The record describes the default run: seed 0, not ``--full``, no scenario."""
    return cfg.seed == 0 and not cfg.full and not scenario


def changed_findings(rows: list[Row], record: dict[str, str] | None = None
                     ) -> list[tuple[str, str, str]]:
    """``(key, recorded, now)`` for every finding whose verdict differs from the record.

    Only the claims present in ``rows`` are compared (a ``--only`` run checks its own
    claims); a recorded key of such a claim with no row now reads ``now="missing"``, a new
    key ``recorded="unrecorded"``.
    """
    record = read_record() if record is None else record
    now = record_of(rows)
    claims = {r.claim for r in rows}
    out = []
    for key in sorted(set(record) | set(now)):
        if key.split(" | ", 1)[0] not in claims:
            continue
        before, after = record.get(key, "unrecorded"), now.get(key, "missing")
        if before != after:
            out.append((key, before, after))
    return out


def format_changes(changes: list[tuple[str, str, str]]) -> str:
    """The changes as lines for the terminal (empty string when there are none)."""
    if not changes:
        return ""
    lines = [f"Findings whose verdict changed against the record ({RECORD.name}; a "
             "not-reproduced finding that starts to hold is a result to explain, not a pass):"]
    lines += [f"  {key}: recorded {before}, now {after}" for key, before, after in changes]
    return "\n".join(lines)


def _main(argv: list[str] | None = None) -> int:
    from .runner import row_from_json

    parser = argparse.ArgumentParser(prog="python -m gpdtheory_checks.findings",
                                     description="Write the findings record from the --json "
                                     "file of a default run (seed 0, not --full).")
    parser.add_argument("results", type=Path)
    parser.add_argument("--replace", action="store_true",
                        help="replace the existing record (required when one exists)")
    args = parser.parse_args(argv)
    doc: dict[str, Any] = json.loads(args.results.read_text(encoding="utf-8"))
    header = doc.get("header", {})
    cfg = CheckConfig(seed=int(header.get("seed", 0)), full=bool(header.get("full", False)))
    if not applies(cfg, scenario=bool(header.get("scenario"))):
        print(f"{args.results}: not a default run (seed 0, not --full, no scenario)",
              file=sys.stderr)
        return 2
    rows = [row_from_json(r) for r in doc["rows"]]
    atomic_write_json(RECORD, {"schema": SCHEMA, "config": {"seed": 0, "full": False},
                               "findings": record_of(rows)}, overwrite=args.replace)
    print(f"wrote {RECORD} ({len(record_of(rows))} findings)")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
