"""Truncations of Gamma, their error and the closed-form tail bounds (docs/theory.md §§3-4)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.testing import strategies as gst
from gpdtheory.truncation import (
    error_bound,
    smallest_J,
    symbol_minimum,
    tau_J,
    truncated_autocovariance,
    truncation_error,
)

#: Spectral norms from dense eigvalsh of O(1) matrices: a few eps times N.
NORM_ATOL = 1e-12
#: min f_J from the Chebyshev critical points against a 2e5-point grid; the grid misses the
#: minimum by at most max|f''| h^2 / 8 <= (J^2 sum|c|) (pi/2e5)^2 / 8, about 1e-9 here.
SYMBOL_ATOL = 1e-8
#: A shifted truncation is PSD up to the accuracy of min f_J (about 1e-15 sum |r|).
SHIFT_PSD_ATOL = 1e-12


def _dense_truncations(r, J):
    N = r.size
    m = np.arange(N)
    hard = np.where(m <= J, r, 0.0)
    taper = hard * np.maximum(0.0, 1 - m / (J + 1))
    return hard, taper


@pytest.mark.parametrize("N", [1, 2, 3, 7, 30])
@pytest.mark.parametrize("J", [0, 1, 2, 5, 40])
def test_truncations_match_definitions(N, J):
    r = gp.PoweredExponential(2.0, 1.0).autocovariance(N)
    hard, taper = _dense_truncations(r, J)
    np.testing.assert_array_equal(truncated_autocovariance(r, J, "hard"), hard)
    np.testing.assert_allclose(truncated_autocovariance(r, J, "taper"), taper, rtol=0, atol=0)
    shift = truncated_autocovariance(r, J, "shift")
    np.testing.assert_array_equal(shift[1:], hard[1:])
    fmin = symbol_minimum(r, J)[0]
    assert shift[0] == pytest.approx(1.0 + max(0.0, -fmin), abs=0)


def test_symbol_minimum_against_grid():
    w = np.linspace(0.0, np.pi, 200_001)
    for kernel in (gp.PoweredExponential(2.0, 1.0), gp.PoweredExponential(3.0, 0.5),
                   gp.Polynomial(2.0, 0.8), gp.Logarithmic(1.0, 1.0), gp.PoweredExponential(8, 2)):
        for J in (1, 2, 3, 8, 25):
            r = kernel.autocovariance(J + 1)
            v, wmin = symbol_minimum(r, J)
            grid = kernel.symbol(w, J)
            assert v <= grid.min() + 1e-13
            assert v >= grid.min() - SYMBOL_ATOL
            assert kernel.symbol(np.array([wmin]), J)[0] == pytest.approx(v, abs=1e-12)


def test_symbol_minimum_large_J_grid_path():
    r = gp.Polynomial(2.0, 0.8).autocovariance(600)
    v, _ = symbol_minimum(r)            # J = 599 > COMPANION_MAX_J: grid + Newton
    w = np.linspace(0, np.pi, 20_001)
    grid = np.polynomial.chebyshev.chebval(np.cos(w), np.r_[1.0, 2 * r[1:]])
    assert v <= grid.min() + 1e-13
    # where the grid minimum sits at w = pi (an endpoint), the two agree to round-off
    assert abs(v - grid.min()) < 1e-9 * max(1.0, abs(grid.min()))


@given(gst.kernels(), st.integers(1, 40), st.integers(0, 45))
def test_error_and_tau_against_dense(kernel, N, J):
    r = kernel.autocovariance(N)
    G = scipy.linalg.toeplitz(r)
    for method in ("hard", "taper", "shift"):
        Gb = scipy.linalg.toeplitz(truncated_autocovariance(r, J, method))
        exact = np.linalg.norm(G - Gb, 2)
        assert truncation_error(r, J, method) == pytest.approx(exact, abs=NORM_ATOL)
        assert exact <= error_bound(r, J, method) + NORM_ATOL          # Lemma TR's tail bound
    assert error_bound(r, J, "hard") == pytest.approx(tau_J(r, J), rel=1e-14, abs=0)
    assert tau_J(r, J) == pytest.approx(2 * np.abs(r[J + 1:]).sum(), rel=1e-15, abs=0)


@given(gst.kernels(), st.integers(0, 12), st.integers(2, 60))
def test_taper_and_shift_are_psd(kernel, J, N):
    for method in ("taper", "shift"):
        rb = truncated_autocovariance(kernel.autocovariance(N), J, method)
        lmin = np.linalg.eigvalsh(scipy.linalg.toeplitz(rb))[0]
        assert lmin >= -SHIFT_PSD_ATOL
    # the shift uses the all-N symbol: PSD for a much larger N too
    rbig = np.zeros(200)
    rbig[: J + 1] = kernel.autocovariance(J + 1)
    lmin = np.linalg.eigvalsh(scipy.linalg.toeplitz(truncated_autocovariance(rbig, J, "shift")))[0]
    assert lmin >= -SHIFT_PSD_ATOL


# ------------------------------------------------------------------ closed-form tail bounds
@pytest.mark.parametrize("ell, nu", [(2, sp.Integer(1)), (sp.Rational(1, 2), sp.Rational(1, 2)),
                                     (3, sp.Integer(2)), (sp.Rational(3, 2), sp.Rational(3, 2))])
@pytest.mark.parametrize("J", [0, 1, 4, 9])
def test_powered_exponential_tail_bound_is_the_sympy_integral(ell, nu, J):
    x = sp.Symbol("x", positive=True)
    integral = sp.integrate(sp.exp(-x**nu / ell), (x, J, sp.oo))
    closed = 2 * ell ** (1 / nu) / nu * sp.uppergamma(1 / nu, sp.Integer(J) ** nu / ell) / 2
    k = gp.PoweredExponential(float(ell), float(nu))
    assert float(integral) == pytest.approx(k.tail_bound(J), rel=1e-12)
    assert float(closed) == pytest.approx(k.tail_bound(J), rel=1e-12)
    # the integral of a decreasing function dominates the sum of its values past J
    tail = k(np.arange(J + 1, J + 20_000, dtype=float)).sum()
    assert tail <= k.tail_bound(J)


@pytest.mark.parametrize("ell, nu", [(1, sp.Rational(5, 2)), (2, sp.Integer(2)),
                                     (sp.Rational(1, 3), sp.Rational(3, 2))])
@pytest.mark.parametrize("J", [0, 3, 10])
def test_polynomial_tail_bound_is_the_sympy_integral(ell, nu, J):
    x = sp.Symbol("x", positive=True)
    integral = sp.integrate((1 + x / ell) ** (-nu), (x, J, sp.oo))
    closed = ell / (nu - 1) * (1 + sp.Integer(J) / ell) ** (1 - nu)
    assert sp.simplify(integral - closed) == 0
    k = gp.Polynomial(float(ell), float(nu))
    assert float(closed) == pytest.approx(k.tail_bound(J), rel=1e-12)
    assert k(np.arange(J + 1, J + 200_000, dtype=float)).sum() <= k.tail_bound(J)


def test_logarithmic_tau_grows_with_N():
    k = gp.Logarithmic(1.0, 1.0)
    taus = [tau_J(k.autocovariance(N), 4) for N in (50, 500, 5000)]
    assert taus[0] < taus[1] < taus[2] and taus[2] > 5 * taus[0]
    assert math.isinf(k.tail_bound(4))
    with pytest.raises(InvalidArgumentError):
        smallest_J(k, 1e-3)


# ------------------------------------------------------------------ smallest J
@given(gst.kernels(), st.integers(1, 80), st.floats(1e-8, 1.0))
def test_smallest_J_is_smallest(kernel, N, eps):
    r = kernel.autocovariance(N)
    J = smallest_J(r, eps)
    assert tau_J(r, J) <= eps
    assert J == 0 or tau_J(r, J - 1) > eps
    assert smallest_J(kernel, eps, N=N) == J


@pytest.mark.parametrize("kernel", [gp.PoweredExponential(2.0, 1.0),
                                    gp.PoweredExponential(0.5, 2.0), gp.Polynomial(1.0, 2.5)])
@pytest.mark.parametrize("eps", [1e-2, 1e-6])
def test_smallest_J_closed_form(kernel, eps):
    J = smallest_J(kernel, eps)
    assert 2 * kernel.tail_bound(J) <= eps
    assert J == 0 or 2 * kernel.tail_bound(J - 1) > eps
    assert smallest_J(kernel, eps, N=4 * J + 10) <= J       # the exact tail is smaller


def test_validation():
    with pytest.raises(InvalidArgumentError):
        truncated_autocovariance([1.0, 0.5], 1, "bogus")
    with pytest.raises(InvalidArgumentError):
        truncated_autocovariance([0.0, 0.5], 1)
    with pytest.raises(InvalidArgumentError):
        truncated_autocovariance([1.0, np.nan], 1)
    with pytest.raises(InvalidArgumentError):
        tau_J([1.0, 0.5], -1)
