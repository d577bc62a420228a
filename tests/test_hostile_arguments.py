"""Arguments outside the Toeplitz engine: specs, diffusion times, certificates."""

from __future__ import annotations

import numpy as np
import pytest

import gpdtheory as gp
from gpdtheory.diffusion import marginal_covariance_operator
from gpdtheory.psd.certificate import certify_all_n


@pytest.fixture(scope="module")
def spec():
    return gp.GPSpec(gp.PoweredExponential(3.0, 1.0), N=8, Sigma=np.eye(1))


@pytest.mark.parametrize("call", [
    lambda s: gp.condition_number(s, 0.5),
    lambda s: gp.marginal_covariance(s, 0.5),
    lambda s: marginal_covariance_operator(s, 0.5),
    lambda s: gp.score(s, np.zeros((8, 1)), 0.5),
])
@pytest.mark.parametrize("bad", [None, "spec", 3])
def test_spec_is_validated(call, bad):
    with pytest.raises(gp.InvalidArgumentError, match=r"^spec=.*not a GPSpec.*Fix: "):
        call(bad)


@pytest.mark.parametrize("t, shown", [(np.inf, "t=inf"), (-np.inf, "t=-inf"),
                                      (float("nan"), "t=nan")])
def test_non_finite_time_shows_its_value(spec, t, shown):
    with pytest.raises(gp.InvalidArgumentError, match=rf"^{shown}: is not finite"):
        gp.score(spec, np.zeros((8, 1)), t)
    with pytest.raises(gp.InvalidArgumentError, match=rf"^{shown}: is not finite"):
        gp.condition_number(spec, t)


@pytest.mark.parametrize("t", [True, False, np.array([True, True]), np.bool_(True)])
def test_boolean_time_is_refused(spec, t):
    with pytest.raises(gp.InvalidArgumentError, match="boolean"):
        gp.score(spec, np.zeros((2, 8, 1)), t)


@pytest.mark.parametrize("c", [1e-300, 1e-20, 1e-5, 1.0, 3.0, 1e20, 1e300])
def test_certify_all_n_is_scale_free(c):
    for r, verdict in (([1.0, 0.45], "psd"), ([1.0, 0.5], "psd"), ([1.0, 0.5000001], "not_psd"),
                       ([1.0, 0.3, 0.6], "not_psd")):
        ref = certify_all_n(np.array(r), len(r) - 1)
        cert = certify_all_n(np.array(r) * c, len(r) - 1)
        assert ref.verdict == verdict
        assert cert.verdict == verdict
        assert abs(cert.min_value - c * ref.min_value) <= 1e-12 * c  # c r rounds: ~eps c
        if verdict == "not_psd":
            assert float(cert.witness_value) < 0


def test_certify_all_n_unit_scale_is_unchanged():
    """A correlation (r_0 = 1) is certified exactly as before: no rescaling at all."""
    cert = certify_all_n(np.array([1.0, 0.45, 0.1]), 2)
    assert cert.coefficients[0] == 1 and cert.slack >= 0


# --- one kernel, one positive-definiteness verdict ----------------------------------------

def test_rbf_and_powered_exponential_get_one_verdict():
    from sklearn.gaussian_process.kernels import RBF

    import gpdtheory.toeplitz as tz

    pe, sk = gp.PoweredExponential(5000, 2), gp.from_sklearn(RBF(50))
    lags = np.arange(600.0)
    np.testing.assert_allclose(pe(lags), sk(lags), rtol=1e-12)
    specs = [gp.GPSpec(k, N=600, Sigma=np.eye(1)) for k in (pe, sk)]   # both accepted
    assert pe.is_positive_definite(600) and sk.is_positive_definite(600)
    assert pe.always_positive_definite and sk.always_positive_definite
    for spec in specs:  # singular to float64 precision: a clear error naming the fix
        with pytest.raises(gp.NotPositiveDefiniteError, match="float64 precision.*nugget"):
            tz.logdet(spec.r.copy())
        r = spec.r.copy()
        r[0] += 1e-10
        assert np.isfinite(tz.logdet(r))


@pytest.mark.parametrize("make, expected", [
    (lambda K: K.RBF(3.0), True),
    (lambda K: K.Matern(2.0, nu=0.5), True),
    (lambda K: K.RationalQuadratic(2.0, alpha=0.5), True),
    (lambda K: K.ConstantKernel(2.0) * K.RBF(3.0) + K.WhiteKernel(0.1), True),
    (lambda K: K.ExpSineSquared(1.0, 5.0) + K.WhiteKernel(0.1), True),
    (lambda K: K.RBF(3.0) ** 0.5, True),
    (lambda K: K.Matern(2.0, nu=1.5) ** 2, True),
    (lambda K: K.ExpSineSquared(1.0, 5.0), False),
    (lambda K: K.ConstantKernel(0.0) * K.RBF(3.0) + K.ConstantKernel(1.0), False),
    (lambda K: K.Matern(2.0, nu=1.5) ** 0.5, False),
])
def test_sklearn_definiteness_by_construction(make, expected):
    from sklearn.gaussian_process import kernels as K

    assert gp.from_sklearn(make(K)).always_positive_definite is expected


def test_matern_half_and_exponential_agree():
    from sklearn.gaussian_process.kernels import Matern

    pe, sk = gp.PoweredExponential(2.0, 1.0), gp.from_sklearn(Matern(2.0, nu=0.5))
    np.testing.assert_allclose(pe(np.arange(50.0)), sk(np.arange(50.0)), rtol=1e-14)
    assert pe.always_positive_definite == sk.always_positive_definite


# --- the accuracy warning follows the error estimate of the route taken ------------------

def test_eig_route_warns_when_its_error_exceeds_the_tolerance():
    """exp(-m^2/20), N = 600, t = 3e-7: kappa_t = 2.6e7, the eig route's error ~ 1-2.5e-8."""
    import warnings

    spec = gp.GPSpec(gp.PoweredExponential(20.0, 2.0), N=600, Sigma=np.eye(1))
    X = np.random.default_rng(0).standard_normal((600, 1))
    with pytest.warns(gp.AccuracyWarning, match=r"kappa_t.*eig route"):
        gp.score(spec, X, 3e-7, method="eig")
    with warnings.catch_warnings():  # Levinson's error there is 10x smaller: no warning
        warnings.simplefilter("error", gp.AccuracyWarning)
        gp.score(spec, X, 3e-7, method="toeplitz")
    with pytest.warns(gp.AccuracyWarning, match=r"eig route"):  # "auto" takes eig here
        gp.score(gp.GPSpec(gp.PoweredExponential(20.0, 2.0), N=600, Sigma=np.eye(1)), X, 3e-7)


def test_cg_route_warns_from_its_residual(monkeypatch):
    import gpdtheory.diffusion as dif

    monkeypatch.setattr(dif, "PCG_SCORE_MIN_N", 64)
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=256, Sigma=np.eye(1))
    X = np.random.default_rng(0).standard_normal((256, 1))
    assert gp.condition_number(spec, 1e-3).kappa > 10
    gp.score(spec, X, 1e-3, method="toeplitz")      # kappa * 1e-12 < 1e-8: silent
    import dataclasses

    from gpdtheory.toeplitz import rows_pcg

    solve = rows_pcg.pcg_rows                        # a CG run that stopped at residual 1e-6
    monkeypatch.setattr(rows_pcg, "pcg_rows", lambda *a, **k: dataclasses.replace(
        solve(*a, **k), residual=1e-6))
    with pytest.warns(gp.AccuracyWarning, match="CG route"):
        gp.score(spec, X, 1e-3, method="toeplitz")
