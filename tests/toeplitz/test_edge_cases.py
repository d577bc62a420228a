"""Regression tests for the engine's edge cases, ported from the cases that found them.

- Gohberg–Semencul at extreme but representable scales (was all NaN, or an overflow warning);
- one positive-definiteness verdict for every route when kappa > 1/eps (Gaussian, N = 100);
- log-determinant accuracy of every route (AR(1), p = 0.99, N = 4096: was 1.3e-9 absolute);
- NaN input is never reported positive definite by the public njit kernels;
- N = 0 and k = 0 right-hand sides as scipy.linalg.solve_toeplitz; zero diagonal.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import gpdtheory.toeplitz as tz
from gpdtheory.errors import NotPositiveDefiniteError
from gpdtheory.toeplitz.reflection import durbin_core


@pytest.mark.parametrize("scale_r, scale_b", [(1e-310, 1e-300), (1e-2, 1.0), (1e300, 1e300),
                                              (1e-150, 1e150), (1e150, 1e-150)])
def test_gohberg_semencul_is_scale_free(scale_r, scale_b):
    r = 0.5 ** np.arange(64) * scale_r
    B = np.ones((64, 3)) * scale_b
    res = tz.solve(r, B)                          # auto: Gohberg–Semencul (k >= 3, N >= 64)
    assert res.method == "gohberg-semencul"
    ref = scipy.linalg.solve_toeplitz(r, B)
    lev = tz.solve(r, B, method="levinson").x
    assert np.all(np.isfinite(res.x))
    # subnormal r (1e-310) carries fewer digits: the data, not the solver, limit agreement
    tol = 1e-10 if scale_r < 1e-300 else 1e-13
    assert np.abs(res.x - ref).max() <= tol * np.abs(ref).max()
    assert np.abs(res.x - lev).max() <= tol * np.abs(lev).max()
    S = tz.ToeplitzSolver(r)
    assert S.residual(res.x, B) < 1e-10


def test_gohberg_semencul_extreme_case_value():
    x = tz.solve(0.5 ** np.arange(64) * 1e-310, np.ones((64, 3)) * 1e-300).x
    assert x[0, 0] == pytest.approx(6.6667e9, rel=1e-4)


def _verdicts(r):
    n = r.shape[0]
    out = {"is_positive_definite": tz.is_positive_definite(r),
           "durbin": tz.durbin(r).positive_definite,
           "durbin_numba": tz.durbin_numba(r)[2] < 0,
           "inverse_column_numba": tz.inverse_column_numba(r)[3] < 0,
           "levinson_numba": tz.levinson_numba(r, np.ones(n))[2] < 0}
    calls = {"logdet": lambda: tz.logdet(r),
             "solve levinson": lambda: tz.solve(r, np.ones(n)),
             "solve levinson batch": lambda: tz.solve(r, np.ones((n, 2))),
             "solve gohberg-semencul": lambda: tz.solve(r, np.ones((n, 3))),
             "solve k=0": lambda: tz.solve(r, np.ones((n, 0))),
             "ToeplitzSolver": lambda: tz.ToeplitzSolver(r)}
    for name, call in calls.items():
        try:
            call()
            out[name] = True
        except NotPositiveDefiniteError:
            out[name] = False
    return out


@pytest.mark.parametrize("ell", [5.0, 4.5])
def test_one_verdict_near_singular_gaussian(ell):
    r = np.exp(-(np.arange(100) / ell) ** 2)       # kappa > 1/eps
    v = _verdicts(r)
    assert len(set(v.values())) == 1, v
    assert v["durbin"] == (durbin_core(r, False)[3] < 0)   # THE verdict


def test_one_verdict_sweep():
    m = np.arange(100)
    for ell in np.linspace(4.0, 5.5, 61):
        v = _verdicts(np.exp(-(m / ell) ** 2))
        assert len(set(v.values())) == 1, (ell, v)


def test_logdet_accuracy_every_route():
    p, n = 0.99, 4096
    r = p ** np.arange(n)
    exact = (n - 1) * np.log1p(-p * p)
    got = {"logdet": tz.logdet(r),
           "durbin": tz.durbin(r).logdet,
           "levinson": tz.solve(r, np.ones(n), method="levinson").logdet,
           "levinson batch": tz.solve(r, np.ones((n, 2)), method="levinson").logdet,
           "gohberg-semencul": tz.solve(r, np.ones((n, 3))).logdet,
           "k = 0": tz.solve(r, np.ones((n, 0))).logdet,
           "levinson_numba": tz.levinson_numba(r, np.ones(n))[1],
           "inverse_column_numba": tz.inverse_column_numba(r)[1]}
    for name, v in got.items():
        assert abs(v - exact) <= 1e-14 * abs(exact), (name, v - exact)
    # a scale r0 != 1 adds N log r0 without cancellation loss
    assert tz.logdet(3.0 * r) == pytest.approx(exact + n * np.log(3.0), rel=1e-14)


def test_nan_input_is_not_positive_definite():
    for bad in (np.array([1.0, np.nan, 0.1, 0.0]), np.array([np.nan, 0.5, 0.1, 0.0]),
                np.array([1.0, 0.5, 0.1, np.nan])):
        assert tz.durbin_numba(bad)[2] >= 0
        assert tz.inverse_column_numba(bad)[3] >= 0
        assert tz.levinson_numba(bad, np.ones(4))[2] >= 0
        assert durbin_core(bad, True)[3] >= 0


def test_empty_and_no_rhs_like_scipy():
    res = tz.solve(np.zeros(0), np.zeros(0))
    assert res.x.shape == scipy.linalg.solve_toeplitz(np.zeros(0), np.zeros(0)).shape == (0,)
    assert res.logdet == 0.0
    assert tz.solve(np.zeros(0), np.zeros((0, 2))).x.shape == (0, 2)   # scipy 1.17: (0, 0)
    r = 0.5 ** np.arange(5)
    for method in ("auto", "levinson", "gohberg-semencul"):
        res = tz.solve(r, np.zeros((5, 0)), method=method)
        assert res.x.shape == scipy.linalg.solve_toeplitz(r, np.zeros((5, 0))).shape == (5, 0)
        assert res.logdet == pytest.approx(np.linalg.slogdet(scipy.linalg.toeplitz(r))[1])
    assert tz.logdet(np.zeros(0)) == 0.0 and tz.is_positive_definite(np.zeros(0))
    assert tz.durbin(np.zeros(0)).positive_definite
    with pytest.raises(NotPositiveDefiniteError):
        tz.solve(np.array([1.0, 2.0]), np.zeros((2, 0)))


def test_zero_diagonal_raises_a_linalg_error():
    r = np.array([0.0, 1.0, 0.0])
    with pytest.raises(np.linalg.LinAlgError):
        scipy.linalg.solve_toeplitz(r, np.ones(3))
    for b in (np.ones(3), np.ones((3, 2)), np.ones((3, 3))):
        with pytest.raises(np.linalg.LinAlgError, match="r\\[0\\] <= 0"):
            tz.solve(r, b)
    assert issubclass(NotPositiveDefiniteError, ValueError)
