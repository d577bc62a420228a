"""The claim table runs under pytest: one test per claim, failing when a bound fails."""

import json
import math

import gpdtheory_checks
import pytest
from gpdtheory_checks.cli import main
from gpdtheory_checks.table import CLAIMS, CheckConfig, Measurement, Row


@pytest.mark.parametrize("claim_id", list(CLAIMS))
@pytest.mark.integration
def test_claim_holds(claim_id):
    rows = CLAIMS[claim_id].run(CheckConfig())
    assert rows, f"{claim_id} produced no rows"
    bad = [r for r in rows if not r.ok]
    assert not bad, "\n".join(f"{r.case} measured={r.measured:.4g} bound={r.bound:.4g} "
                              f"verdict={r.verdict} {r.note}" for r in bad)
    for r in rows:
        # a paper finding whose statistic is undefined (a profile too flat for a Pearson
        # correlation) is reported as not reproduced, with the NaN shown
        assert math.isfinite(r.measured) or r.not_reproduced, r
        assert r.info or not math.isnan(r.bound), r


def test_verdict_logic():
    ok = Row.from_measurement("x", "1", Measurement({}, 1.0, 2.0))
    assert ok.verdict == "holds" and ok.ratio == 0.5
    assert Row.from_measurement("x", "1", Measurement({}, 3.0, 2.0)).verdict == "FAILS"
    assert Row.from_measurement("x", "1", Measurement({}, 1e-9, 1.0)).verdict == "holds (vacuous)"
    tol = Measurement({}, 1e-9, 1.0, kind="tolerance")
    assert Row.from_measurement("x", "1", tol).verdict == "holds"
    assert Row.from_measurement("x", "1", Measurement({}, 0.9, 0.95, sense=">=")).verdict == "FAILS"
    assert Row.from_measurement("x", "1", Measurement({}, float("nan"), 1.0)).verdict == "FAILS"


def test_info_rows_have_no_verdict():
    from gpdtheory_checks.table import count_rows, summarize

    info = Row.from_measurement("x", "1", Measurement({"lag": 1}, 0.3, float("nan"), kind="info"))
    assert info.verdict == "info" and info.info and info.ok and not info.holds
    assert math.isnan(info.bound) and math.isnan(info.ratio)
    # a bound given to an info row is ignored: it can neither hold nor fail
    assert Row.from_measurement("x", "1", Measurement({}, 5.0, 1.0, kind="info")).verdict == "info"
    assert Row.from_measurement("x", "1", Measurement({}, math.nan, 1.0, kind="info")).verdict \
        == "FAILS"
    check = Row.from_measurement("x", "1", Measurement({"n": 1}, 0.99, 0.95, sense=">="))
    (s,) = summarize([check, info, info])
    assert s.verdict == "holds" and s.measured == 0.99 and s.case["cases"] == 1
    assert s.case["info"] == 2
    (s,) = summarize([info])
    assert s.verdict == "info" and s.case["cases"] == 0
    bad = Row.from_measurement("x", "1", Measurement({}, 2.0, 1.0))
    assert count_rows([check, bad, info]) == {"rows": 3, "checked": 2, "hold": 1, "vacuous": 0,
                                               "unresolved": 0, "reproduced": 0,
                                               "not_reproduced": 0, "failing": 1, "info": 1}
    assert summarize([bad, info])[0].verdict == "FAILS (1/1)"


def test_cli_json_and_refusal(tmp_path, capsys):
    out = tmp_path / "rows.json"
    assert main(["check", "--only", "score.exact", "--json", str(out), "--no-progress"]) == 0
    rows = json.loads(out.read_text())["rows"]  # the gpdtheory.check/1 document
    keys = {"claim", "section", "case", "measured", "bound", "ratio", "verdict"}
    assert rows and keys <= set(rows[0])
    assert main(["check", "--only", "score.exact", "--json", str(out), "--no-progress"]) == 2
    assert "never overwritten" in capsys.readouterr().err


def test_cli_unknown_claim(capsys):
    assert main(["check", "--only", "no.such.claim", "--no-progress"]) == 2
    assert "matches no claim" in capsys.readouterr().err


@pytest.mark.integration
def test_cli_report(tmp_path):
    out = tmp_path / "report"
    assert main(["check", "--only", "kappa", "--out", str(out), "--no-progress"]) == 0
    assert (out / "report.md").exists() and (out / "results.json").exists()
    assert main(["check", "--only", "kappa", "--out", str(out), "--no-progress"]) == 2


def test_select_prefix():
    assert gpdtheory_checks.select(["score"]) == ["score.exact"]
