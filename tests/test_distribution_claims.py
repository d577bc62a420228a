"""The distribution claims of the table (checks/distribution.py) at the fast configuration.

``l2.identity``: every row holds, records what reproduces it, and the Monte Carlo z-score
has power (a 10% error in the exact side is caught). ``girsanov``: attained rows carry a
round-off allowance and the others none; the docs/theory.md §6.4 regression figures are in
the table. The sampler claims run over the three decay families.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from gpdtheory_checks import distribution as cd
from gpdtheory_checks.table import CLAIMS, CheckConfig, Row

import gpdtheory as gp
from gpdtheory import distribution as dist
from gpdtheory.gd import l2_error

FAMILIES = {"powered_exponential", "polynomial", "logarithmic"}


def _rows(claim_id: str) -> list[Row]:
    return CLAIMS[claim_id].run(CheckConfig())


@pytest.fixture(scope="module")
def l2_rows() -> list[Row]:
    return _rows("l2.identity")


@pytest.fixture(scope="module")
def girsanov_rows() -> list[Row]:
    return _rows("girsanov")


def test_l2_identity_holds_and_records_its_cases(l2_rows):
    assert len(l2_rows) >= 100
    assert all(r.verdict == "holds" for r in l2_rows), [r for r in l2_rows if not r.holds][:3]
    assert {r.case["family"] for r in l2_rows} == FAMILIES
    mc = [r for r in l2_rows if r.case["quantity"] == "|MC - exact|/SE"]
    det = [r for r in l2_rows if r.case["quantity"] == "|dense - structured|"]
    assert len(mc) == len(det) == len(l2_rows) // 2
    assert {r.case["estimator"].split(" J=")[0] for r in mc} == {"GD", "truncated score"}
    for r in mc:
        assert {"sigma_seed", "mc_seed", "M", "mc", "exact"} <= set(r.case)
        assert r.bound == cd.Z_L2 and r.allowance == 0.0
        assert abs(r.case["mc/exact"] - 1.0) < 0.05
    for r in det:
        assert 0.0 < r.bound < 1e-9  # a round-off tolerance, not a blanket one


def test_l2_identity_row_reproduces_from_its_case(l2_rows):
    r = next(r for r in l2_rows if r.case["quantity"] == "|MC - exact|/SE"
             and r.case["family"] == "logarithmic" and r.case["estimator"].startswith("GD"))
    c = r.case
    spec = gp.GPSpec(gp.Logarithmic(c["ell"], c["nu"]), c["N"], cd._sigma(c["sigma_seed"], c["d"]))
    J, L = (int(x.split("=")[1]) for x in c["estimator"].split()[1:])
    est, t = dist.gd_estimator(spec, J, L), c["t"]
    assert l2_error(spec, est.matrix(t), t) == pytest.approx(c["exact"], rel=1e-12)
    rng = np.random.default_rng(c["mc_seed"])
    X0 = spec.sample(c["M"], seed=rng)
    x = math.exp(-t / 2) * X0 + math.sqrt(-math.expm1(-t)) * rng.standard_normal(X0.shape)
    sq = np.sum((est.score(x, t) - gp.score(spec, x, t)) ** 2, axis=(1, 2))
    assert sq.mean() == pytest.approx(c["mc"], rel=1e-12)


def test_l2_identity_monte_carlo_has_power():
    # the same statistic against an exact side off by 10% fails by over 2 Z_L2 standard errors
    spec = gp.GPSpec(gp.Polynomial(1.0, 2.5), 8, cd._sigma(3, 2))
    est, t = dist.gd_estimator(spec, 1, 5), 0.05
    exact = l2_error(spec, est.matrix(t), t)
    rng = np.random.default_rng(0)
    X0 = spec.sample(cd.MC_DRAWS, seed=rng)
    x = math.exp(-t / 2) * X0 + math.sqrt(-math.expm1(-t)) * rng.standard_normal(X0.shape)
    sq = np.sum((est.score(x, t) - gp.score(spec, x, t)) ** 2, axis=(1, 2))
    se = sq.std(ddof=1) / math.sqrt(sq.size)
    assert abs(sq.mean() - exact) / se < cd.Z_L2
    assert abs(sq.mean() - 1.10 * exact) / se > 2 * cd.Z_L2


def test_girsanov_allowance_only_on_attained_rows(girsanov_rows):
    assert all(r.holds for r in girsanov_rows), [r for r in girsanov_rows if not r.holds][:3]
    attained = [r for r in girsanov_rows if r.case.get("route") == "closed form"]
    others = [r for r in girsanov_rows if r.case.get("route") != "closed form"]
    assert attained and others
    assert all(r.case["Gamma_bar"] == "PSD" for r in attained)
    # docs/theory.md §11.3: the gap is O(e^-2T); only e^-2T <= u is attained to round-off
    assert all((r.allowance > 0.0) == (math.exp(-2 * r.case["T"]) <= 2.0**-53)
               for r in attained)
    assert any(r.allowance > 0.0 for r in attained)
    assert all(r.allowance == 0.0 for r in others)
    assert {r.case["family"] for r in attained} == FAMILIES
    assert {r.case["family"] for r in others} == FAMILIES
    for r in girsanov_rows:
        assert "quantity" in r.case and ("sigma_seed" in r.case or "Sigma" in r.case)
    # the allowance is round-off sized, far below the O(e^{-2T}) margin at T <= 8
    for r in attained:
        assert r.allowance < 1e-9
        if r.case["T"] <= 8.0:
            assert r.bound - r.measured > 0.0 and r.verdict == "holds"


def test_girsanov_regression_rows(girsanov_rows):
    by_sigma = {r.case["Sigma"]: r for r in girsanov_rows if "Sigma" in r.case}
    assert by_sigma["I"].measured == pytest.approx(1.5323986547, rel=1e-9)
    assert by_sigma["I"].bound == pytest.approx(1.5323990359, rel=1e-9)
    assert round(by_sigma["diag(1,0.49392)"].measured, 5) == 1.45835
    assert round(by_sigma["diag(1,0.49392)"].bound, 5) == 1.45835


@pytest.mark.parametrize("claim_id", ["sampler.covariance", "sampler.order", "lyapunov.exact"])
def test_sampler_claims_cover_the_three_families(claim_id):
    rows = _rows(claim_id)
    assert all(r.holds for r in rows), [r for r in rows if not r.holds][:3]
    assert {r.case["family"] for r in rows} >= FAMILIES
    assert all("quantity" in r.case and "sigma_seed" in r.case for r in rows)
