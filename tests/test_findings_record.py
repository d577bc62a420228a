"""The findings record: a finding whose verdict moves against it is reported, never silent."""

from __future__ import annotations

import json

import gpdtheory_checks  # noqa: F401  (registers the claims)
import pytest
from gpdtheory_checks import findings
from gpdtheory_checks.table import CLAIMS, CheckConfig, Row


def _finding(claim: str, verdict: str, **case) -> Row:
    return Row(claim, "9", {"quantity": "margin", **case}, 0.1, 0.02, 5.0, verdict, ">=",
               "finding")


def test_a_not_reproduced_finding_that_starts_to_hold_is_reported():
    before = [_finding("paper.attention", "not reproduced", seed=0),
              _finding("paper.attention", "reproduced", seed=1)]
    record = findings.record_of(before)
    assert findings.changed_findings(before, record) == []
    after = [_finding("paper.attention", "reproduced", seed=0), before[1]]
    changes = findings.changed_findings(after, record)
    assert len(changes) == 1 and changes[0][1:] == ("not reproduced", "reproduced")
    text = findings.format_changes(changes)
    assert "recorded not reproduced, now reproduced" in text and "seed=0" in text


def test_missing_and_new_findings_are_reported_only_for_the_claims_run():
    record = findings.record_of([_finding("paper.attention", "reproduced", seed=0),
                                 _finding("video.attention", "reproduced", seed=0)])
    now = [_finding("paper.attention", "reproduced", seed=5)]
    changes = {(k.split(" | ")[0], b, a) for k, b, a in findings.changed_findings(now, record)}
    # video.attention did not run: not compared
    assert changes == {("paper.attention", "reproduced", "missing"),
                       ("paper.attention", "unrecorded", "reproduced")}


def test_measurements_in_the_case_do_not_change_the_key():
    a = _finding("trained.layers", "not reproduced", family="logarithmic", steps_run=400,
                 heldout_loss=0.3, best_baseline="zero")
    b = _finding("trained.layers", "not reproduced", family="logarithmic", steps_run=900,
                 heldout_loss=0.2, best_baseline="time-ignoring")
    assert findings.finding_key(a) == findings.finding_key(b)


def test_duplicate_keys_keep_every_verdict():
    rows = [_finding("paper.attention", "reproduced"), _finding("paper.attention",
                                                                "not reproduced")]
    assert list(findings.record_of(rows).values()) == ["reproduced;not reproduced"]


def test_the_record_applies_to_the_default_run_only():
    assert findings.applies(CheckConfig())
    assert not findings.applies(CheckConfig(seed=1))
    assert not findings.applies(CheckConfig(full=True))
    assert not findings.applies(CheckConfig(), scenario=True)


def test_the_shipped_record_names_registered_claims_and_verdicts():
    record = findings.read_record()
    assert record, "the record is missing: python -m gpdtheory_checks.findings results.json"
    for key, verdicts in record.items():
        assert key.split(" | ")[0] in CLAIMS, key
        assert set(verdicts.split(";")) <= {"reproduced", "not reproduced"}, key


def test_a_record_of_another_schema_is_refused(tmp_path):
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"schema": "other", "findings": {}}))
    with pytest.raises(ValueError, match="schema"):
        findings.read_record(path)
