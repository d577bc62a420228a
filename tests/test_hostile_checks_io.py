"""Hostile journals: every line validated, bad lines reported and skipped."""

from __future__ import annotations

import json

import gpdtheory_checks
import pytest
from gpdtheory_checks.cli import main
from gpdtheory_checks.journal import (
    JOURNAL_SCHEMA,
    Journal,
    fingerprint,
    read_journal,
    rows_checksum,
)
from gpdtheory_checks.runner import row_to_json
from gpdtheory_checks.table import CheckConfig

from gpdtheory.errors import InvalidArgumentError

CLAIMS = ["psd.all_n", "theorem_s"]


@pytest.fixture(scope="module")
def finished():
    cfg = CheckConfig(seed=3)
    out = {}
    gpdtheory_checks.run(CLAIMS, cfg, on_claim=lambda c, rows, s: out.__setitem__(c, (rows, s)))
    return cfg, out


def _write(path, cfg, finished_rows):
    with Journal(path, cfg) as journal:
        for cid, (rows, seconds) in finished_rows.items():
            journal.record(cid, rows, seconds)
    return path.read_bytes().split(b"\n")


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def test_lines_carry_row_count_and_checksum(tmp_path, finished):
    cfg, rows = finished
    path = tmp_path / "j.jsonl"
    _write(path, cfg, rows)
    header, *records = [json.loads(x) for x in _lines(path)]
    assert header["schema"] == JOURNAL_SCHEMA
    for rec in records:
        assert rec["n_rows"] == len(rec["rows"]) and rec["sha256"] == rows_checksum(rec["rows"])
    done = read_journal(path, cfg)
    assert set(done) == set(CLAIMS)
    assert [row_to_json(r) for r in done["psd.all_n"][0]] == \
        [row_to_json(r) for r in rows["psd.all_n"][0]]


def _corrupt(rec: dict, how: str) -> dict:
    if how == "checksum":
        rec["rows"][0]["measured"] = 12345.0
    elif how == "n_rows":
        rec["n_rows"] += 1
    elif how == "unknown claim":
        rec["claim"] = "no.such.claim"
    elif how == "other claim's rows":
        rec["claim"] = "theorem_s" if rec["claim"] != "theorem_s" else "psd.all_n"
    elif how == "seconds":
        rec["seconds"] = -1.0
    elif how == "no claim":
        del rec["claim"]
    return rec


@pytest.mark.parametrize("how", ["checksum", "n_rows", "unknown claim", "other claim's rows",
                                 "seconds", "no claim"])
def test_bad_line_is_reported_with_its_number_and_skipped(tmp_path, finished, how):
    cfg, rows = finished
    path = tmp_path / "j.jsonl"
    _write(path, cfg, rows)
    lines = _lines(path)
    lines[1] = json.dumps(_corrupt(json.loads(lines[1]), how))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    said = []
    done = read_journal(path, cfg, report=said.append)
    assert set(done) == {json.loads(lines[2])["claim"]}
    assert len(said) == 1 and "line 2" in said[0] and "skipped" in said[0]


@pytest.mark.parametrize("junk, why", [(b"\xff\xfe{not utf-8}", "not UTF-8"),
                                       (b"{not json", "not JSON"), (b"[1, 2]", "not a JSON")])
def test_undecodable_line_is_reported(tmp_path, finished, junk, why):
    cfg, rows = finished
    path = tmp_path / "j.jsonl"
    raw = _write(path, cfg, rows)
    raw.insert(2, junk)
    path.write_bytes(b"\n".join(raw))
    said = []
    assert set(read_journal(path, cfg, report=said.append)) == set(CLAIMS)
    assert len(said) == 1 and "line 3" in said[0] and why in said[0]


def test_torn_last_line_is_reported(tmp_path, finished):
    cfg, rows = finished
    path = tmp_path / "j.jsonl"
    _write(path, cfg, {"psd.all_n": rows["psd.all_n"]})
    with open(path, "ab") as fh:
        fh.write(b'{"claim": "theorem_s", "rows": [')
    said = []
    assert set(read_journal(path, cfg, report=said.append)) == {"psd.all_n"}
    assert len(said) == 1 and "line 3" in said[0] and "torn" in said[0]
    with Journal(path, cfg) as journal:  # the next append starts on a fresh line
        journal.record("theorem_s", *rows["theorem_s"])
    said.clear()
    assert set(read_journal(path, cfg, report=said.append)) == set(CLAIMS)
    assert len(said) == 1 and "line 3" in said[0]


def test_duplicate_claim_is_refused(tmp_path, finished, capsys):
    cfg, rows = finished
    path = tmp_path / "j.jsonl"
    _write(path, cfg, rows)
    lines = _lines(path)
    path.write_text("\n".join(lines + [lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidArgumentError, match=r"twice \(lines 2 and 4\)"):
        read_journal(path, cfg)
    assert main(["check", "--only", "psd.all_n", "--resume", str(path), "--no-progress"]) == 2
    assert "twice" in capsys.readouterr().err


def test_journal_refuses_to_record_a_claim_twice(tmp_path, finished):
    cfg, rows = finished
    path = tmp_path / "j.jsonl"
    with Journal(path, cfg) as journal:
        journal.record("psd.all_n", *rows["psd.all_n"])
        with pytest.raises(InvalidArgumentError, match="already in"):
            journal.record("psd.all_n", *rows["psd.all_n"])
    with Journal(path, cfg) as journal, pytest.raises(InvalidArgumentError, match="already in"):
        journal.record("psd.all_n", *rows["psd.all_n"])


def test_schema_1_journal_without_checksums_is_read(tmp_path, finished):
    cfg, rows = finished
    path = tmp_path / "old.jsonl"
    recs = [{"schema": "gpdtheory.journal/1", "fingerprint": fingerprint(cfg)}] + [
        {"claim": c, "seconds": s, "rows": [row_to_json(r) for r in rs]}
        for c, (rs, s) in rows.items()]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    assert set(read_journal(path, cfg, report=None)) == set(CLAIMS)


@pytest.mark.parametrize("content", [b"", b"not json\n", b'{"claim": "x"}\n',
                                     b"\xff\xfe\n", b'{"schema": "gpdtheory.journal/9"}\n'])
def test_unusable_journal_exits_non_zero_with_a_clear_message(tmp_path, content, capsys):
    path = tmp_path / "j.jsonl"
    path.write_bytes(content)
    with pytest.raises(InvalidArgumentError, match="header"):
        read_journal(path)
    assert main(["check", "--only", "psd.all_n", "--resume", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "header" in err and "Fix:" in err


def test_directory_is_not_a_journal(tmp_path, capsys):
    assert main(["check", "--only", "psd.all_n", "--resume", str(tmp_path), "--no-progress"]) == 2
    assert "is not a file" in capsys.readouterr().err
