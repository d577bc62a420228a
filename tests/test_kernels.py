"""Decay kernels: values, tail bounds, symbols and validity against independent oracles."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.gaussian_process.kernels import RBF, DotProduct, Matern, RationalQuadratic, WhiteKernel

import gpdtheory as gp
from gpdtheory.testing import strategies as gst


def test_family_formulas():
    m = np.array([0.0, 1.0, 2.5, 7.0])
    np.testing.assert_allclose(gp.PoweredExponential(2.0, 1.5)(m), np.exp(-m**1.5 / 2.0),
                               rtol=1e-15)
    np.testing.assert_allclose(gp.Polynomial(3.0, 2.0)(m), (1 + m / 3.0) ** -2.0, rtol=1e-15)
    np.testing.assert_allclose(gp.Logarithmic(0.5, 1.2)(m), (1 + np.log(1 + m / 0.5)) ** -1.2,
                               rtol=1e-15)
    for k in (gp.PoweredExponential(2.0, 1.5), gp.Polynomial(3.0, 2.0), gp.Logarithmic(0.5, 1.2)):
        assert k(0.0) == 1.0
        np.testing.assert_array_equal(k(-m), k(m))  # even


def test_autocovariance_with_dt():
    k = gp.PoweredExponential(1.0, 1.0)
    np.testing.assert_allclose(k.autocovariance(4, dt=0.5), np.exp(-0.5 * np.arange(4)))


@pytest.mark.parametrize("kernel", [gp.PoweredExponential(0.7, 0.5),
                                    gp.PoweredExponential(3.0, 1.0),
                                    gp.PoweredExponential(2.0, 2.0), gp.Polynomial(1.5, 1.7),
                                    gp.Polynomial(0.5, 3.0)])
@pytest.mark.parametrize("J", [0, 1, 3, 10])
def test_tail_bound_dominates_the_tail(kernel, J):
    # a long finite sum is an independent lower estimate of the infinite tail
    m = np.arange(J + 1, 200000, dtype=float)
    tail = float(np.sum(kernel(m)))
    bound = kernel.tail_bound(J)
    assert tail <= bound
    # the integral bound is tight to within the first omitted term
    assert bound - tail <= float(kernel(J)) + 1e-12 * bound + kernel.tail_bound(199999)


def test_tail_sum_is_exact_finite_sum():
    k = gp.Logarithmic(1.0, 1.0)
    assert k.tail_sum(2, 10) == pytest.approx(float(np.sum(k(np.arange(3, 10.0)))), rel=1e-15)
    assert math.isinf(k.tail_bound(3))
    assert math.isinf(gp.Polynomial(1.0, 0.9).tail_bound(3))


def test_symbol_against_direct_sum_and_spectrum():
    k = gp.PoweredExponential(2.0, 1.0)
    w = np.linspace(0, np.pi, 7)
    r = np.exp(-0.5)
    closed = (1 - r**2) / (1 - 2 * r * np.cos(w) + r**2)  # AR(1) spectral density
    np.testing.assert_allclose(k.symbol(w), closed, rtol=1e-13)
    np.testing.assert_allclose(k.symbol(w, J=2), 1 + 2 * (r * np.cos(w) + r**2 * np.cos(2 * w)))
    # min f <= lambda(Gamma_N) <= max f for every N
    for N in (1, 2, 3, 40):
        g = np.linalg.eigvalsh(k.gamma_dense(N))
        assert closed.min() - 1e-12 <= g.min() and g.max() <= closed.max() + 1e-12


def test_abs_sum_is_an_upper_bound_on_lmax():
    for k in (gp.PoweredExponential(2.0, 1.0), gp.Polynomial(1.0, 2.5)):
        lmax = np.linalg.eigvalsh(k.gamma_dense(300))[-1]
        assert lmax <= 1 + 2 * k.abs_sum()
    assert math.isinf(gp.Logarithmic(1.0, 1.0).abs_sum())


def test_nonsummable_symbol_needs_J():
    with pytest.raises(gp.InvalidArgumentError, match="J"):
        gp.Logarithmic(1.0, 1.0).symbol([0.0])


def test_powered_exponential_nu_above_two_warns_and_is_checked():
    with pytest.warns(gp.PositiveDefinitenessWarning):
        k = gp.PoweredExponential(ell=30.0, nu=3.0)
    assert not k.always_positive_definite
    # independent oracle: dense eigenvalues
    for N in (2, 5, 12, 30):
        dense_pd = np.linalg.eigvalsh(k.gamma_dense(N))[0] > 0
        assert k.is_positive_definite(N) == dense_pd
    bad = [N for N in range(2, 40) if not k.is_positive_definite(N)]
    assert bad, "nu = 3 with a long length scale must fail for some N"
    with pytest.raises(gp.NotPositiveDefiniteError, match="reflection coefficient"):
        gp.GPSpec(k, bad[0], np.eye(1))


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf, 1e300, "a", None])
def test_bad_ell_nu(bad):
    for fam in (gp.PoweredExponential, gp.Polynomial, gp.Logarithmic):
        with pytest.raises(gp.InvalidArgumentError, match="ell"):
            fam(bad, 1.0)
        with pytest.raises(gp.InvalidArgumentError, match="nu"):
            fam(1.0, bad)


def test_sampled_kernel():
    k = gp.SampledKernel([1.0, 0.5, 0.2])
    np.testing.assert_array_equal(k.autocovariance(3), [1.0, 0.5, 0.2])
    with pytest.raises(gp.InvalidArgumentError, match="largest lag"):
        k.autocovariance(4)
    with pytest.raises(gp.InvalidArgumentError, match="rho\\[0\\]"):
        gp.SampledKernel([2.0, 0.5])
    with pytest.raises(gp.InvalidArgumentError, match="integer lags"):
        k(0.5)
    with pytest.raises(gp.NotPositiveDefiniteError):
        gp.GPSpec(gp.SampledKernel([1.0, 0.9, 0.1]), 3, np.eye(1))


@pytest.mark.parametrize("skk, closed", [
    (RBF(2.0), lambda m: np.exp(-m**2 / 8)),
    (Matern(length_scale=1.5, nu=0.5), lambda m: np.exp(-m / 1.5)),
    (RationalQuadratic(length_scale=1.0, alpha=2.0), lambda m: (1 + m**2 / 4) ** -2),
])
def test_from_sklearn(skk, closed):
    k = gp.from_sklearn(skk)
    m = np.arange(6.0)
    np.testing.assert_allclose(k(m), closed(m), rtol=1e-12)
    spec = gp.GPSpec(skk, 6, np.eye(1))  # accepted directly too
    np.testing.assert_allclose(spec.r, closed(m), rtol=1e-12)


def test_from_sklearn_nugget_and_refusals():
    k = gp.from_sklearn(RBF(1.0) + WhiteKernel(0.5))
    np.testing.assert_allclose(k([0.0, 1.0]), [1.0, np.exp(-0.5) / 1.5])
    with pytest.raises(gp.InvalidArgumentError, match="not stationary"):
        gp.from_sklearn(DotProduct())
    with pytest.raises(gp.InvalidArgumentError, match="scikit-learn kernel"):
        gp.from_sklearn(lambda x: x)


@given(gst.kernels(), st.integers(1, 30))
def test_families_are_positive_definite_for_every_N(kernel, N):
    # the Pólya / stable-law theory says so; Durbin and dense eigenvalues must agree
    assert kernel.always_positive_definite
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = np.linalg.eigvalsh(kernel.gamma_dense(N))
    assert g[0] > -1e-12 * g[-1]


def test_equality_uses_exact_parameters_not_their_printed_form():
    a, b = gp.PoweredExponential(1.0000001, 1.0), gp.PoweredExponential(1.0000002, 1.0)
    assert repr(a) == repr(b)
    assert a != b and len({a, b}) == 2
    same = gp.PoweredExponential(1.0000001, 1)
    assert a == same and hash(a) == hash(same)
    assert gp.Polynomial(2.0, 1.5) != gp.PoweredExponential(2.0, 1.5)
    assert gp.kernels.with_jitter(a, 1e-6) == gp.kernels.with_jitter(a, 1e-6)
    assert gp.kernels.with_jitter(a, 1e-6) != gp.kernels.with_jitter(b, 1e-6)
    assert gp.from_sklearn(RBF(2.0) + RBF(3.0)) == gp.from_sklearn(RBF(2.0) + RBF(3.0))
    assert gp.from_sklearn(RBF(2.0) + RBF(3.0)) != gp.from_sklearn(RBF(2.0) * RBF(3.0))
    assert gp.from_sklearn(RBF(2.0)) != gp.from_sklearn(RBF(2.0000001))
