"""The mutant catalogue: every edit applies and is undone, and the claims catch the bugs.

The whole kill matrix (every mutant x every claim) is a benchmark-style command,
``gpdtheory check --mutants`` (README); this file runs a fast subset.
"""

from __future__ import annotations

import subprocess
import sys

import gpdtheory_checks  # noqa: F401  (registers the claims)
import numpy as np
import pytest
from gpdtheory_checks.mutants import CATALOGUE, MUTANTS
from gpdtheory_checks.mutation import Edit, Mutant, _resolve, applied, kill_matrix, probe
from gpdtheory_checks.reference import theorem_s_constants, truncated_column
from gpdtheory_checks.table import CheckConfig

import gpdtheory as gp


def test_catalogue_is_large_and_documented():
    assert len(MUTANTS) >= 20
    assert len(CATALOGUE) == len(MUTANTS)
    for m in MUTANTS:
        assert m.description and m.section and m.edits, m.name


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_every_edit_applies_and_is_undone(mutant):
    before = {e.target: _resolve(e.target)[2] for e in mutant.edits}
    with applied(mutant):
        for target, raw in before.items():
            assert _resolve(target)[2] is not raw, f"{target} was not replaced"
    for target, raw in before.items():
        assert _resolve(target)[2] is raw, f"{target} was not restored"


def test_mutation_rebinds_names_imported_elsewhere():
    import gpdtheory.linear.truncated as linear  # imports truncated_autocovariance by name
    import gpdtheory.truncation as truncation

    original = truncation.truncated_autocovariance
    r = np.array([1.0, 0.5, 0.25, 0.125])
    with applied(CATALOGUE["truncation.off_by_one"]):
        assert linear.truncated_autocovariance is truncation.truncated_autocovariance
        assert truncation.truncated_autocovariance(r, 2)[2] == 0.0  # lag J dropped
    assert linear.truncated_autocovariance is original
    assert truncation.truncated_autocovariance(r, 2)[2] == 0.25


def test_an_edit_that_does_not_match_is_refused():
    bad = Mutant("x.y", "3", "no such text", (Edit("gpdtheory.truncation:tau_J", "nope", "x"),))
    with pytest.raises(ValueError, match="occurs 0 times"):
        with applied(bad):
            pytest.fail("an edit whose text is not in the source must be refused")


def test_probe_records_only_what_is_called():
    from gpdtheory_checks.table import CLAIMS

    with probe(MUTANTS) as hits:
        CLAIMS["psd.frontier"].run(CheckConfig())
    assert "psd.grid_coarse" in hits
    assert "sampler.drift_sign" not in hits


#: (mutant, claim) pairs of the fast subset: each must be caught by that claim alone.
FAST = [("truncation.off_by_one", "truncation.error"),
        ("truncation.shift_half", "truncation.error"),
        ("gd.step_size_10pct", "gd.rate"), ("gd.wrong_sign", "gd.rate"),
        ("score.alpha_dropped", "score.exact"), ("score.sigma_transposed", "score.exact"),
        ("kappa.lmax_only", "kappa.bound"), ("psd.grid_coarse", "psd.frontier"),
        ("psd.banded_bandwidth", "psd.per_n")]


@pytest.mark.integration
def test_fast_subset_is_caught_and_the_unmutated_run_holds():
    names = list(dict.fromkeys(m for m, _ in FAST))
    claims = list(dict.fromkeys(c for _, c in FAST))
    km = kill_matrix([CATALOGUE[n] for n in names], claims, CheckConfig())
    assert not km.baseline_failing
    for mutant, claim_id in FAST:
        cell = km.cells[(mutant, claim_id)]
        assert cell.status == "caught", cell
    # a claim that never calls a mutated function is not run for it
    assert km.cells[("psd.grid_coarse", "score.exact")].status == "not reached"


def test_truncation_bound_does_not_come_from_the_code_under_test():
    """The reviewer's first case: the hard truncation off by one fails truncation.error's
    norm rows, not only its column-vs-rule rows (the bound is tau_J of rho itself)."""
    from gpdtheory_checks.table import CLAIMS

    with applied(CATALOGUE["truncation.off_by_one"]):
        rows = CLAIMS["truncation.error"].run(CheckConfig())
    failing = {r.case.get("quantity") for r in rows if not r.ok}
    assert "||G - Gb||_2" in failing and "Gamma_bar column vs rule" in failing


@pytest.mark.parametrize("name", ["construct.depth_60pct", "construct.J_halved"])
@pytest.mark.integration
def test_weakened_networks_fail_the_rows_that_name_the_stronger_one(name):
    from gpdtheory_checks.table import CLAIMS

    with applied(CATALOGUE[name]):
        rows = CLAIMS["construct.theorem_s"].run(CheckConfig())
    assert any(not r.ok for r in rows)


@pytest.mark.parametrize("N", [1, 2, 3, 7, 40])
@pytest.mark.parametrize("method", ["hard", "taper", "shift"])
def test_reference_truncation_matches_the_library(N, method):
    from gpdtheory.truncation import truncated_autocovariance

    r = gp.PoweredExponential(2.0, 1.0).autocovariance(N)
    for J in range(N):
        np.testing.assert_allclose(truncated_column(r, J, method),
                                   truncated_autocovariance(r, J, method), rtol=0, atol=1e-15)


@pytest.mark.parametrize("method", ["hard", "taper", "shift"])
def test_reference_theorem_s_matches_the_library(method):
    from gpdtheory.gd import theorem_s_bound

    spec = gp.GPSpec(gp.Polynomial(1.0, 2.5), 12, np.diag([1.0, 0.5]))
    for J, t, L in ((0, 0.5, 3), (2, 0.1, 10), (5, 2.0, 40)):
        ref = theorem_s_constants(spec.r, spec.Sigma, t, J, L, method)
        lib = theorem_s_bound(spec, t, J, L, method)
        for field in ("Lambda", "mu_bar", "mu", "gd_factor", "tau", "tr_factor", "x_factor"):
            assert getattr(ref, field) == pytest.approx(getattr(lib, field), rel=1e-12), field


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import sys; from gpdtheory_checks.cli "
                           "import main; sys.exit(main(sys.argv[1:]))", "check", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.integration
def test_cli_refuses_unknown_mutants_and_options_that_do_not_apply(tmp_path):
    out = _cli("--mutants", "nope")
    assert out.returncode == 2 and "truncation.off_by_one" in out.stderr
    out = _cli("--mutants", "--resume", str(tmp_path / "j.jsonl"))
    assert out.returncode == 2 and "--resume" in out.stderr
    out = _cli("--mutants", "--list")
    assert out.returncode == 0 and "gd.wrong_sign" in out.stdout and "equivalent" in out.stdout


@pytest.mark.integration
def test_cli_kill_matrix_exit_status(tmp_path):
    path = tmp_path / "km.json"
    out = _cli("--mutants", "kappa.lmax_only", "--only", "kappa.bound", "--json", str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "caught by 1" in out.stdout and path.exists()
    out = _cli("--mutants", "sampler.drift_sign", "--only", "kappa.bound")
    assert out.returncode == 1 and "SURVIVED" in out.stdout


def test_a_finding_no_longer_reproduced_counts_as_caught():
    from gpdtheory_checks.mutation import _status
    from gpdtheory_checks.table import Measurement, Row

    def finding(m):
        return Row.from_measurement("paper.x", "9", Measurement({}, m, 0.0, sense=">=",
                                                                kind="finding"))

    assert _status("m", "paper.x", [finding(0.1), finding(0.2)], 0.0, 2).status == "survived"
    cell = _status("m", "paper.x", [finding(0.1), finding(-0.2)], 0.0, 2)
    assert cell.status == "caught" and "no longer reproduced" in cell.example
    # a finding that was not reproduced without the mutant cannot be lost
    assert _status("m", "paper.x", [finding(-0.1)], 0.0, 0).status == "survived"
