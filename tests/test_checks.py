"""The claim table runs under pytest: one test per claim, failing when a bound fails."""

import json
import math

import pytest

import checks
from checks.table import CLAIMS, CheckConfig, Measurement, Row
from gpdtheory.cli import main


@pytest.mark.parametrize("claim_id", list(CLAIMS))
def test_claim_holds(claim_id):
    rows = CLAIMS[claim_id].run(CheckConfig())
    assert rows, f"{claim_id} produced no rows"
    bad = [r for r in rows if not r.ok]
    assert not bad, "\n".join(f"{r.case} measured={r.measured:.4g} bound={r.bound:.4g} "
                              f"verdict={r.verdict} {r.note}" for r in bad)
    for r in rows:
        assert math.isfinite(r.measured) and not math.isnan(r.bound)


def test_verdict_logic():
    ok = Row.from_measurement("x", "1", Measurement({}, 1.0, 2.0))
    assert ok.verdict == "holds" and ok.ratio == 0.5
    assert Row.from_measurement("x", "1", Measurement({}, 3.0, 2.0)).verdict == "FAILS"
    assert Row.from_measurement("x", "1", Measurement({}, 1e-9, 1.0)).verdict == "holds (vacuous)"
    assert Row.from_measurement("x", "1", Measurement({}, 1e-9, 1.0, kind="tolerance")).verdict == "holds"
    assert Row.from_measurement("x", "1", Measurement({}, 0.9, 0.95, sense=">=")).verdict == "FAILS"
    assert Row.from_measurement("x", "1", Measurement({}, float("nan"), 1.0)).verdict == "FAILS"


def test_cli_json_and_refusal(tmp_path, capsys):
    out = tmp_path / "rows.json"
    assert main(["check", "--only", "score.exact", "--json", str(out), "--no-progress"]) == 0
    rows = json.loads(out.read_text())
    assert rows and {"claim", "section", "case", "measured", "bound", "ratio", "verdict"} <= set(rows[0])
    assert main(["check", "--only", "score.exact", "--json", str(out), "--no-progress"]) == 2
    assert "never overwritten" in capsys.readouterr().err


def test_cli_unknown_claim(capsys):
    assert main(["check", "--only", "no.such.claim", "--no-progress"]) == 2
    assert "matches no claim" in capsys.readouterr().err


def test_cli_report(tmp_path):
    out = tmp_path / "report"
    assert main(["check", "--only", "kappa", "--out", str(out), "--no-progress"]) == 0
    assert (out / "report.md").exists() and (out / "results.json").exists()
    assert main(["check", "--only", "kappa", "--out", str(out), "--no-progress"]) == 2


def test_select_prefix():
    assert checks.select(["score"]) == ["score.exact"]
