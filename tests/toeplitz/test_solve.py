"""``solve``, ``logdet``, ``is_positive_definite`` and the Levinson functions against dense oracles.

Tolerances: Levinson is weakly stable, forward error ~ kappa * eps (module notes);
``SOLVE_RTOL * kappa`` leaves a factor ~100 over eps for the N-dependent growth measured
(worst seen ~5 eps * kappa). The residual goal of the issue is 1e-12 when kappa <= 1e3.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

import gpdtheory.toeplitz as tz
from gpdtheory.errors import NotPositiveDefiniteError

from ..helpers import kms, kms_inverse, rel_err
from .oracles import KERNEL_IDS, KERNELS, SIZES

SOLVE_RTOL = 1e-14          # times kappa
RESIDUAL_RTOL = 1e-12       # issue goal for kappa <= 1e3
LOGDET_ATOL = 1e-12         # times N (sum of N logs, each to ~eps)


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_IDS)
@pytest.mark.parametrize("N", SIZES)
@pytest.mark.parametrize("method", ["levinson", "gohberg-semencul"])
def test_solve_matches_dense(kernel, N, method, rng):
    r = kernel.autocovariance(N)
    T = scipy.linalg.toeplitz(r)
    B = rng.standard_normal((N, 3))
    res = tz.solve(r, B, method=method)
    kappa = np.linalg.cond(T)
    oracle = np.linalg.solve(T, B)
    assert res.x.shape == B.shape
    assert rel_err(res.x, oracle) <= SOLVE_RTOL * kappa + 1e-15, (rel_err(res.x, oracle), kappa)
    assert rel_err(res.x, scipy.linalg.solve_toeplitz(r, B)) <= SOLVE_RTOL * kappa + 1e-15
    if kappa <= 1e3:
        assert rel_err(T @ res.x, B) <= RESIDUAL_RTOL
    assert abs(res.logdet - np.linalg.slogdet(T)[1]) <= LOGDET_ATOL * N
    assert abs(tz.logdet(r) - np.linalg.slogdet(T)[1]) <= LOGDET_ATOL * N
    x1 = tz.solve(r, B[:, 0]).x
    assert x1.shape == (N,) and rel_err(x1, oracle[:, 0]) <= SOLVE_RTOL * kappa + 1e-15


@pytest.mark.parametrize("N", [1, 2, 3, 10, 300])
@given(rho=st.floats(-0.95, 0.95), c=st.floats(0.1, 10.0))
def test_kms_closed_form(N, rho, c):
    """KMS ``c rho^|i-j|``: inverse tridiagonal, ``det = c^N (1 - rho^2)^(N-1)``."""
    r = c * rho ** np.arange(N)
    Tinv = kms_inverse(N, rho) / c
    res = tz.solve(r, np.eye(N), method="levinson")
    kappa = np.linalg.cond(kms(N, rho))
    assert rel_err(res.x, Tinv) <= SOLVE_RTOL * kappa * 10
    assert abs(res.logdet - (N * np.log(c) + (N - 1) * np.log1p(-rho * rho))) <= LOGDET_ATOL * N
    g = tz.ToeplitzSolver(r).first_column
    assert rel_err(g, Tinv[:, 0]) <= SOLVE_RTOL * kappa * 10


@pytest.mark.parametrize("r", [[1.0, 1.5], [1.0, 0.9, 0.0, 0.9], [0.0, 1.0], [-1.0],
                               [1.0, 0.0, 2.0]])
@pytest.mark.parametrize("method", ["levinson", "gohberg-semencul"])
def test_indefinite_is_reported(r, method):
    assert np.linalg.eigvalsh(scipy.linalg.toeplitz(r))[0] <= 0
    with pytest.raises(NotPositiveDefiniteError):
        tz.solve(r, np.ones(len(r)), method=method)
    with pytest.raises(NotPositiveDefiniteError):
        tz.logdet(r)
    assert not tz.is_positive_definite(r)


@given(N=st.integers(1, 40), rho=st.floats(-0.6, 0.6), tol=st.floats(0.0, 2.0))
def test_is_positive_definite_matches_eigvalsh(N, rho, tol):
    r = np.zeros(N)
    r[0] = 1.0
    if N > 1:
        r[1] = rho
    lmin = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))[0]
    if abs(lmin - tol) > 1e-12:  # away from the boundary, where round-off decides
        assert tz.is_positive_definite(r, tol) == (lmin > tol)


def test_gaussian_hard_case_documented():
    """scipy's hard case ``0.9**(k**2)`` (N=200): PD, kappa = 7.2e9. Weak stability
    promises a forward error <= kappa eps (measured 6e-9 against the dense solve)."""
    r = 0.9 ** (np.arange(200) ** 2)
    T = scipy.linalg.toeplitz(r)
    kappa = np.linalg.cond(T)
    assert 1e9 < kappa < 1e11
    res = tz.solve(r, np.ones(200))
    assert rel_err(res.x, np.linalg.solve(T, np.ones(200))) <= SOLVE_RTOL * kappa


@pytest.mark.xfail(reason="Gaussian kernel near singularity: kappa(0.9**(k**2), N=600) > 1/eps, "
                   "no float64 solver keeps a digit (scipy keeps this case as a known failure)",
                   strict=False)
def test_gaussian_near_singular_xfail():
    r = 0.9 ** (np.arange(600) ** 2)
    T = scipy.linalg.toeplitz(r)
    x = tz.solve(r, np.ones(600)).x
    assert rel_err(T @ x, np.ones(600)) <= RESIDUAL_RTOL


def test_bad_input():
    from gpdtheory.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError):
        tz.solve([1.0, np.nan], [1.0, 1.0])
    with pytest.raises(InvalidArgumentError):
        tz.solve([1.0, 0.5], [1.0, 1.0, 1.0])
    with pytest.raises(InvalidArgumentError):
        tz.solve([1.0, 0.5], [1.0, 1.0], method="cholesky")


@pytest.mark.parametrize("method", ["levinson", "gohberg-semencul"])
@pytest.mark.parametrize("scale_r, scale_b", [(1.0, 1.0), (1e-200, 1.0), (1.0, 1e-200),
                                              (1e200, 1e-100), (1.0, 0.0)])
def test_underflow_flush_is_scale_free(method, scale_r, scale_b, rng):
    # exp(-m/2) underflows for m > 1490: the kernels flush sub-1e-150 entries of their
    # scale-free vectors (speed on Intel); the result must not depend on the scale of r or b.
    N = 1600
    r = np.exp(-np.arange(N) / 2.0)
    b = rng.standard_normal(N)
    T = scipy.linalg.toeplitz(r)
    oracle = np.linalg.solve(T, b)
    res = tz.solve(r * scale_r, b * scale_b, method=method)
    if scale_b == 0.0:
        assert np.all(res.x == 0.0)
        return
    assert rel_err(res.x * scale_r / scale_b, oracle) <= 1e-13
    assert abs(res.logdet - (np.linalg.slogdet(T)[1] + N * np.log(scale_r))) <= 1e-9 * N


def test_durbin_flush_is_scale_free():
    N = 1600
    r = np.exp(-np.arange(N) / 2.0)
    for s in (1.0, 1e-200, 1e200):
        d = tz.durbin(r * s)
        assert d.positive_definite
        np.testing.assert_allclose(d.reflection[0], -np.exp(-0.5), rtol=1e-15)
        assert np.max(np.abs(d.reflection[1:])) <= 1e-15   # AR(1): PACF vanishes after lag 1
        np.testing.assert_allclose(d.prediction_error / s,
                                   np.r_[1.0, np.full(N - 1, 1 - np.exp(-1.0))], rtol=1e-13)
