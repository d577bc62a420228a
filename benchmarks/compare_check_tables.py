"""Compare two ``gpdtheory check --json`` tables row by row: ``python compare_check_tables.py A B``.

Rows are keyed by ``(claim, case)`` (the case as sorted JSON; repeated keys by their order).
Prints the rows only one side has, every verdict that differs, how many measured values are
bitwise equal, and per claim the largest relative difference of a measured value or bound.
Exit status 1 when the rows or any verdict differ. Used for the kill-and-resume and
thread-count comparisons in RESULTS.md.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter


def load(path: str) -> dict:
    rows, seen = {}, Counter()
    for r in json.load(open(path))["rows"]:
        key = (r["claim"], json.dumps(r["case"], sort_keys=True))
        seen[key] += 1
        rows[(key, seen[key])] = r
    return rows


def value(row: dict, field: str) -> float:
    """A number of the strict JSON schema: non-finite values are null plus ``<field>_text``."""
    v = row.get(field)
    if v is None:
        text = row.get(field + "_text")
        return float(text) if text is not None else math.nan
    return float(v)


def main(argv: list[str]) -> int:
    a, b = load(argv[0]), load(argv[1])
    common = set(a) & set(b)
    print(f"rows {len(a)} / {len(b)}; only in the first {len(set(a) - set(b))}, "
          f"only in the second {len(set(b) - set(a))}")
    flips = [(k[0][0], a[k]["verdict"], b[k]["verdict"]) for k in common
             if a[k]["verdict"] != b[k]["verdict"]]
    print(f"verdicts that differ: {len(flips)}", flips[:10])
    equal, worst = 0, {}
    for k in common:
        for field in ("measured", "bound"):
            x, y = value(a[k], field), value(b[k], field)
            if x == y or (math.isnan(x) and math.isnan(y)):
                equal += field == "measured"
                continue
            rel = abs(x - y) / max(abs(x), abs(y))
            if rel > worst.get(k[0][0], (0.0,))[0]:
                worst[k[0][0]] = (rel, field, x, y)
    print(f"measured values bitwise equal: {equal} of {len(common)}")
    for claim, (rel, field, x, y) in sorted(worst.items(), key=lambda kv: -kv[1][0]):
        print(f"  {claim}: largest relative difference {rel:.2e} ({field} {x!r} vs {y!r})")
    return int(bool(flips) or set(a) != set(b))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
