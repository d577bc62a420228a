"""Every verdict label of the claim table, decided from measured, bound, allowance and kind."""

from __future__ import annotations

import math

import pytest
from gpdtheory_checks.table import (
    NOT_REPRODUCED,
    REPRODUCED,
    UNRESOLVED,
    Measurement,
    Row,
    count_rows,
    format_counts,
    format_table,
    summarize,
)


def verdict(*args, **kw) -> Row:
    return Row.from_measurement("x", "1", Measurement({}, *args, **kw))


@pytest.mark.parametrize("m, b, kw, want", [
    (0.5, 1.0, {}, "holds"),
    (1.0 + 4e-16, 1.0, {"allowance": 1e-15}, "holds (attained)"),
    (1.0 + 1e-14, 1.0, {"allowance": 1e-15}, "FAILS"),
    (1e-9, 1.0, {}, "holds (vacuous)"),
    (1e-9, 1.0, {"loose": True}, "holds (loose by design)"),
    (0.5, 1.0, {"loose": True}, "holds"),
    (0.0, 1.0, {}, "holds (measured 0)"),
    (0.0, 0.0, {}, "holds (both 0)"),
    (4e-14, 1e-19, {"allowance": 1e-13}, UNRESOLVED),   # bound below the round-off floor
    (0.0, 1e-19, {"allowance": 1e-13}, UNRESOLVED),     # even when measured is below it
    (4e-12, 1e-19, {"allowance": 1e-13}, "FAILS"),      # above bound + floor: the error is real
    (2.0, 1.0, {"sense": ">="}, "holds"),
    (2.0, 1e-9, {"sense": ">="}, "holds (vacuous)"),    # a lower bound far below measured
    (2.0, 0.0, {"sense": ">="}, "holds"),               # a sign test is not vacuous
    (-1e-3, 0.0, {"sense": ">="}, "FAILS"),
    (0.1, 0.0, {"kind": "finding"}, NOT_REPRODUCED),
    (-0.1, 0.0, {"kind": "finding"}, REPRODUCED),
    (math.nan, 0.0, {"kind": "finding"}, NOT_REPRODUCED),
    (math.nan, 1.0, {}, "FAILS"),
    (1e-9, 1.0, {"kind": "tolerance"}, "holds"),         # tolerances are never vacuous
    (-1e-15, 0.0, {"sense": ">=", "kind": "tolerance", "allowance": 1e-13},
     "holds (within round-off)"),                       # a sign test is never unresolved
    (-1e-12, 0.0, {"sense": ">=", "kind": "tolerance", "allowance": 1e-13}, "FAILS"),
    (0.5, 1e-19, {"kind": "tolerance", "allowance": 1e-13}, "FAILS"),
])
def test_verdict_labels(m, b, kw, want):
    assert verdict(m, b, **kw).verdict == want


def test_ratio_is_not_applicable_for_zero_bounds_and_signs():
    assert math.isnan(verdict(0.3, 0.0, sense=">=").ratio)
    assert math.isnan(verdict(-0.3, 0.0).ratio)
    assert verdict(0.5, 2.0).ratio == 0.25
    text = format_table([verdict(0.3, 0.0, sense=">="), verdict(1.0, 1.0, allowance=1e-15)])
    assert "n/a" in text and "inf" not in text
    assert "1 + 1e-15" in text  # the allowance is printed beside the bound


def test_unresolved_and_findings_are_counted_apart_and_do_not_fail():
    rows = [verdict(0.5, 1.0), verdict(0.0, 1e-19, allowance=1e-13),
            verdict(0.1, 0.0, kind="finding"), verdict(-0.1, 0.0, kind="finding")]
    assert all(r.ok for r in rows)
    assert not rows[1].holds and not rows[2].holds
    c = count_rows(rows)
    assert (c["hold"], c["unresolved"], c["reproduced"], c["not_reproduced"], c["failing"]) \
        == (1, 1, 1, 1, 0)
    text = format_counts(c)
    assert "1 unresolved" in text and "1 not reproduced" in text
    (s,) = summarize(rows[2:])
    assert s.verdict == f"{NOT_REPRODUCED} (1/2)"
    (s,) = summarize(rows[:2])
    assert s.verdict == "holds (1 unresolved)" and s.measured == 0.5
    (s,) = summarize(rows[1:2])
    assert s.verdict == UNRESOLVED
