"""Positive semidefiniteness of the truncated Gamma: the four views of docs/theory.md §4."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import scipy.linalg
from hypothesis import assume, example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory.errors import NotPositiveDefiniteError
from gpdtheory.psd import (
    certify_all_n,
    diagonally_dominant,
    dominance_frontier,
    exact_frontier,
    first_failing_n,
    frontier_table,
    per_n,
    phase_diagram,
    smallest_eigenvalue,
    truncated_column,
)
from gpdtheory.psd.certificate import KERNEL_REL_ERROR, chebyshev_to_monomial
from gpdtheory.testing import strategies as gst
from gpdtheory.toeplitz import (
    banded_cholesky,
    banded_extreme_eigenvalue,
    is_positive_definite_banded,
)
from gpdtheory.truncation import symbol_minimum

#: Verdicts are compared only where the dense lmin is this far from 0 (backward errors are
#: about J eps ||Gamma_bar|| for Cholesky and N eps for Durbin).
BOUNDARY_GAP = 1e-9
#: Banded bisection against eigvalsh: 1e-13 bracket times the Gershgorin radius (<= 2J+1).
EIG_ATOL = 1e-11


def _dense(r, J, N):
    col = np.zeros(N)
    k = min(J, N - 1) + 1
    col[:k] = r[:k]
    return scipy.linalg.toeplitz(col)


# ------------------------------------------------------------------ view 1: one N
@pytest.mark.parametrize("N", [1, 2, 3, 4, 9, 50])
@pytest.mark.parametrize("J", [0, 1, 2, 6])
def test_banded_routines_match_dense(N, J):
    for kernel in (gp.PoweredExponential(0.6, 0.5), gp.PoweredExponential(2.0, 1.0),
                   gp.Logarithmic(1.0, 1.0)):
        r = kernel.autocovariance(max(N, J + 1))
        T = _dense(r, J, N)
        w = np.linalg.eigvalsh(T)
        col = T[:, 0]
        if abs(w[0]) > BOUNDARY_GAP:
            assert is_positive_definite_banded(col, J) == (w[0] > 0)
        if w[0] > BOUNDARY_GAP:
            U = banded_cholesky(col, J)
            Ud = np.zeros((N, N))
            b = U.shape[0] - 1
            for k in range(b + 1):
                Ud += np.diag(U[b - k, k:], k)
            np.testing.assert_allclose(Ud.T @ Ud, T, atol=1e-13)
        elif w[0] < -BOUNDARY_GAP:
            with pytest.raises(NotPositiveDefiniteError):
                banded_cholesky(col, J)
        assert banded_extreme_eigenvalue(col, J, "min") == pytest.approx(w[0], abs=EIG_ATOL)
        assert banded_extreme_eigenvalue(col, J, "max") == pytest.approx(w[-1], abs=EIG_ATOL)


@given(gst.kernels(ell=(0.2, 12.0)), st.integers(0, 10), st.integers(1, 60))
@example(gp.Polynomial(0.5, 0.5), 1, 6)   # a singular minor of order 2: eigvalsh -1.1e-16
def test_per_n_methods_agree_with_dense(kernel, J, N):
    dense = per_n(kernel, J, N, "dense")
    r = kernel.autocovariance(J + N)
    assert dense.lmin == pytest.approx(np.linalg.eigvalsh(_dense(r, J, N))[0], abs=1e-13)
    assume(abs(dense.lmin) > BOUNDARY_GAP)
    for method in ("banded", "durbin"):
        res = per_n(kernel, J, N, method)
        assert res.positive_definite == dense.positive_definite
        if not res.positive_definite:
            # the first failing n is the first leading minor with lmin <= 0 (leading blocks of
            # a Toeplitz matrix are the smaller Toeplitz matrices)
            n = res.first_failing_n
            assert np.linalg.eigvalsh(_dense(kernel.autocovariance(J + N), J, n))[0] < BOUNDARY_GAP
            if n > 1:   # the minor before it is PD, up to the dense solver's round-off
                assert (np.linalg.eigvalsh(_dense(kernel.autocovariance(J + N), J, n - 1))[0]
                        > -BOUNDARY_GAP)


@pytest.mark.parametrize("N", [1, 2, 3, 5, 10, 31, 200])
def test_tridiagonal_threshold_for_one_N(N):
    thr = 0.5 / math.cos(math.pi / (N + 1)) if N > 1 else math.inf
    if N == 1:
        assert per_n([1.0, 0.99], 1, N).positive_definite
        return
    for method in ("banded", "durbin", "dense"):
        assert per_n(np.array([1.0, thr * (1 - 1e-9)]), 1, N, method).positive_definite
        assert not per_n(np.array([1.0, thr * (1 + 1e-9)]), 1, N, method).positive_definite
        assert per_n(np.array([1.0, -thr * (1 - 1e-9)]), 1, N, method).positive_definite


def test_first_failing_n_closed_form():
    for r1 in (0.501, 0.52, 0.6, 0.9):
        expected = next(n for n in range(2, 10**6) if r1 >= 0.5 / math.cos(math.pi / (n + 1)))
        assert first_failing_n(np.array([1.0, r1]), 1, 2000) == expected
    assert first_failing_n(np.array([1.0, 0.5]), 1, 2000) is None
    # nu = 1, ell = 2, J = 1: rho(1) = e^{-1/2} fails at N = 5
    assert first_failing_n(gp.PoweredExponential(2.0, 1.0), 1, 100) == 5


def test_smallest_eigenvalue_large_N_tends_to_min_symbol():
    k = gp.PoweredExponential(3.0, 0.5)
    fmin = symbol_minimum(k.autocovariance(3), 2)[0]
    vals = [smallest_eigenvalue(k, 2, N) for N in (64, 512, 4096)]
    assert vals[0] >= vals[1] >= vals[2] >= fmin - 1e-12
    assert vals[2] - fmin < 1e-4
    assert vals[1] == pytest.approx(np.linalg.eigvalsh(_dense(k.autocovariance(3), 2, 512))[0],
                                    abs=1e-11)
    assert smallest_eigenvalue(k, 2, 600) == pytest.approx(
        np.linalg.eigvalsh(_dense(k.autocovariance(3), 2, 600))[0], abs=EIG_ATOL)


def test_truncated_column_shift_uses_all_lags():
    k = gp.PoweredExponential(2.0, 1.0)
    col = truncated_column(k, 5, 3, "shift")
    fmin = symbol_minimum(k.autocovariance(6), 5)[0]
    assert col[0] == pytest.approx(1.0 + max(0.0, -fmin), abs=0)


# ------------------------------------------------------------------ view 2: all N
def test_chebyshev_to_monomial_matches_numpy(rng):
    c = rng.standard_normal(9)
    ours = chebyshev_to_monomial([Fraction(float(x)) for x in c])
    np.testing.assert_allclose([float(x) for x in ours], np.polynomial.chebyshev.cheb2poly(c),
                               rtol=1e-12, atol=1e-12)


def test_tridiagonal_all_n_iff_half():
    assert certify_all_n([1.0, 0.5], 1).verdict == "psd"
    assert certify_all_n([1.0, -0.5], 1).verdict == "psd"
    assert certify_all_n([1.0, 0.5 - 2.0**-50], 1).verdict == "psd"
    c = certify_all_n([1.0, 0.5 + 2.0**-50], 1)
    assert c.verdict == "not_psd" and c.witness_value < 0
    assert float(c.slack) == 0.0


def test_double_root_inside_is_psd_exactly():
    # p(z) = z^2 = (T_0 + T_2)/2: c_0 = r_0 = 1/2, c_2 = 2 r_2 = 1/2; touches 0 at w = pi/2
    assert certify_all_n([0.5, 0.0, 0.25], 2).verdict == "psd"
    c = certify_all_n([0.5, 0.0, 0.25 + 2.0**-40], 2)
    assert c.verdict == "not_psd" and abs(float(c.witness_z)) < 1e-3


def test_known_fact_nu1_ell2():
    k = gp.PoweredExponential(2.0, 1.0)
    assert not diagonally_dominant(k)
    c1 = certify_all_n(k, 1)
    assert c1.verdict == "not_psd" and c1.witness_w == pytest.approx(math.pi, abs=1e-6)
    for J in range(2, 25):
        assert certify_all_n(k, J).verdict == "psd", J
        assert not diagonally_dominant(k, J)


def test_kernel_rounding_model_against_mpmath():
    """The slack assumes |fl(rho) - rho| <= KERNEL_REL_ERROR (1 + |ln rho|) rho."""
    mpmath.mp.dps = 40
    rel = float(KERNEL_REL_ERROR)
    cases = [(gp.PoweredExponential(e, n), lambda m, e=e, n=n: mpmath.exp(-mpmath.mpf(m) ** n / e))
             for e, n in ((2.0, 1.0), (0.37, 0.5), (7.3, 1.7), (0.01, 2.0))]
    cases += [(gp.Polynomial(e, n), lambda m, e=e, n=n: (1 + mpmath.mpf(m) / e) ** (-n))
              for e, n in ((1.0, 2.5), (0.3, 0.8))]
    cases += [(gp.Logarithmic(e, n),
               lambda m, e=e, n=n: (1 + mpmath.log1p(mpmath.mpf(m) / e)) ** (-n))
              for e, n in ((1.0, 1.0), (4.0, 2.2))]
    for kernel, exact in cases:
        for m in range(0, 200):
            f = float(kernel(float(m)))
            if f == 0.0:
                continue
            err = abs(mpmath.mpf(f) - exact(m))
            assert err <= rel * (1 + abs(math.log(f))) * f + 2.0**-1000, (kernel, m)


@given(gst.kernels(family="powered_exponential", ell=(0.2, 6.0)), st.integers(1, 6))
def test_certificate_is_the_limit_of_per_n_verdicts(kernel, J):
    cert = certify_all_n(kernel, J)
    fmin = cert.min_value
    assume(abs(fmin) > 1e-3)                     # lmin(T_N) - min f = O(J^2 / N^2)
    lmin = smallest_eigenvalue(kernel, J, 4096)
    assert lmin >= fmin - 1e-10
    if cert.verdict == "psd":
        assert fmin > 0 and lmin > 0
        for N in (1, 2, 3, 17, 300):
            assert per_n(kernel, J, N).positive_definite
    else:
        assert cert.verdict == "not_psd" and fmin < 0
        assert lmin < 0 and first_failing_n(kernel, J, 4096) is not None
        f_w = kernel.symbol(np.array([cert.witness_w]), J)[0]
        assert f_w < 0


@given(gst.kernels(), st.integers(1, 12))
@example(gp.Polynomial(1.0, 1.0), 1)   # rho(1) = 1/2: f_1 = 1 + cos w touches 0 at pi
def test_dominance_implies_certificate(kernel, J):
    """Dominance (a float test) implies the exact certificate's ``psd``, except where its
    margin ``1 - 2 sum |rho(m)|`` is within the kernel values' assumed error
    (``KERNEL_REL_ERROR (1 + |ln rho|) rho`` per value, twice) and the float sum's
    (``J eps``): there the certificate may honestly answer ``inconclusive``."""
    if diagonally_dominant(kernel, J):
        verdict = certify_all_n(kernel, J).verdict
        lags = np.abs(kernel.autocovariance(J + 1)[1:])
        margin = 1.0 - 2.0 * float(lags.sum())
        values = float(KERNEL_REL_ERROR) * (1.0 + np.abs(np.log(lags, where=lags > 0,
                                                                out=np.zeros_like(lags)))) * lags
        tight = margin <= 2.0 * (2.0 * float(values.sum()) + J * np.finfo(float).eps)
        assert verdict == "psd" or (tight and verdict == "inconclusive"), (verdict, margin)


# ------------------------------------------------------------------ views 3 and 4
def test_dominance_frontier_known_constants():
    assert dominance_frontier(1.0) == pytest.approx(1 / math.log(3), abs=1e-10)
    assert dominance_frontier(0.5) == pytest.approx(0.614, abs=5e-4)
    assert dominance_frontier(2.0) == pytest.approx(1.273, abs=5e-4)
    ell = 1 / math.log(3)
    assert diagonally_dominant(gp.PoweredExponential(ell * (1 - 1e-9), 1.0))
    assert not diagonally_dominant(gp.PoweredExponential(ell * (1 + 1e-9), 1.0))
    assert dominance_frontier(1.0, family="logarithmic") == 0.0     # never summable
    assert dominance_frontier(2.5, family="polynomial") > 0


def test_exact_frontier_and_table():
    assert exact_frontier(1.0, 1) == pytest.approx(1 / math.log(2), abs=1e-9)
    ell2 = exact_frontier(1.0, 2)
    assert 2.0 < ell2 < 2.1          # so J = 2 at ell = 2 is PSD for every N
    assert certify_all_n(gp.PoweredExponential(ell2 * (1 - 1e-6), 1.0), 2).verdict == "psd"
    assert certify_all_n(gp.PoweredExponential(ell2 * (1 + 1e-6), 1.0), 2).verdict == "not_psd"
    rows = frontier_table((0.5, 1.0, 2.0), J_max=3)
    for row in rows:
        assert row.dominance < row.exact
        assert row.c == pytest.approx(row.dominance ** (1 / row.nu))


def test_phase_diagram_consistency():
    ells = np.geomspace(0.3, 6.0, 9)
    Js = np.arange(0, 6)
    pd = phase_diagram(1.0, ells, Js, N=64)
    assert pd.min_symbol.shape == pd.psd_all_n.shape == pd.dominant.shape == (9, 6)
    assert np.all(pd.psd_all_n[pd.dominant])              # dominance => PSD for every N
    assert np.all(pd.psd_at_N[pd.psd_all_n])              # PSD for all N => PD at N = 64
    assert np.all(pd.psd_all_n[:, 0])                     # J = 0: Gamma_bar = I
    assert np.all(pd.psd_all_n[ells <= 1 / math.log(2), 1])
    assert not pd.psd_all_n[-1, 1] and pd.dominant[0, 5] == diagonally_dominant(
        gp.PoweredExponential(ells[0], 1.0), 5)


@pytest.mark.parametrize("dt", [1.7976931348623157e308, 1e300, math.nan, -1.0])
def test_kernel_lags_refuse_a_spacing_that_leaves_float64(dt):
    """The certificate and the per-N column evaluate the kernel at ``m dt`` through
    ``Kernel.autocovariance``: a spacing whose last lag leaves float64 (or is not a positive
    number) is refused naming ``dt``, not turned into ``rho(inf)`` with an overflow warning."""
    kernel = gp.PoweredExponential(3.0, 1.5)
    for call in (lambda: certify_all_n(kernel, 2, None, dt),
                 lambda: truncated_column(kernel, 4, 3, "shift", dt=dt),
                 lambda: truncated_column(kernel, 2, 8, dt=dt)):
        with pytest.raises(gp.InvalidArgumentError, match="^dt"):
            call()
    np.testing.assert_array_equal(certify_all_n(kernel, 2, None, 0.5).coefficients,
                                  certify_all_n(kernel.autocovariance(3, 0.5), 2,
                                                KERNEL_REL_ERROR).coefficients)
