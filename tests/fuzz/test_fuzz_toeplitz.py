"""Fuzz the Toeplitz engine: bad, indefinite and near-singular first columns.

Every public routine of :mod:`gpdtheory.toeplitz` gets a first column ``r`` that is
corrupted (NaN, complex, wrong ndim, empty, huge), indefinite, singular or nearly
so, or valid; it must return a NaN-free result or raise a documented error. No
input reaches a Numba function unvalidated (a Numba ``TypingError`` or a segfault
would escape ``call_clean``). The raw Numba functions (``levinson_numba`` ...)
are for users' own ``@njit`` code and are excluded: they validate nothing by design.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import example, given
from hypothesis import strategies as st

from gpdtheory import toeplitz as T
from gpdtheory.errors import ConvergenceError, InvalidArgumentError, NotPositiveDefiniteError
from gpdtheory.testing.bad_input import bad_arrays, bad_scalars, call_clean

from ._settings import fuzz


@st.composite
def columns(draw, max_n: int = 40):
    """First columns: valid AR(1), Gaussian (near-singular), indefinite, zero, scaled, corrupted."""
    n = draw(st.integers(1, max_n))
    m = np.arange(n, dtype=np.float64)
    kind = draw(st.sampled_from(["ar1", "gauss", "indefinite", "zero", "negative", "scaled",
                                 "corrupt", "random"]))
    if kind == "ar1":
        return draw(st.floats(-0.999, 0.999)) ** m
    if kind == "gauss":  # 0.9**(k^2) family: lmin ~ 1e-16 quickly (scipy's hard case)
        return np.exp(-(m**2) / draw(st.floats(1.0, 1e4)))
    if kind == "indefinite":
        r = np.ones(n)
        if n > 1:
            r[1] = draw(st.floats(1.0001, 5.0))
        return r
    if kind == "zero":
        return np.zeros(n)
    if kind == "negative":
        return -(0.5**m)
    if kind == "scaled":
        # 1e+-100: with |b| <= 1e50 the exact solution stays inside float64; beyond, an
        # overflowing result is a documented limitation (README "Reliability")
        return 0.5**m * 10.0 ** draw(st.integers(-100, 100))
    if kind == "random":
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        r = rng.uniform(-1, 1, n)
        r[0] = draw(st.floats(0.5, 3.0))
        return r
    return draw(bad_arrays((n,), valid=lambda rng: 0.5**m))


def _n(r) -> int:
    a = np.asarray(r) if isinstance(r, np.ndarray) else None
    return a.shape[0] if a is not None and a.ndim >= 1 else 3


@fuzz()
@given(r=columns())
@example(r=np.zeros(0))
def test_durbin_pd_logdet(r):
    res = call_clean(T.durbin, r)
    pd = call_clean(T.is_positive_definite, r)
    ld = call_clean(T.logdet, r)
    if isinstance(res, T.DurbinResult) and res.prediction_error.size == 0:
        # the empty matrix (documented): det 1, vacuously positive definite
        assert res.positive_definite and pd is True and ld == 0.0, (res, pd, ld)
    elif isinstance(res, T.DurbinResult):
        assert isinstance(pd, bool)
        ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(np.asarray(r, dtype=np.float64)))
        # away from the round-off boundary, every PD test agrees with the dense oracle
        if abs(ev[0]) > 1e-10 * max(abs(ev[-1]), 1e-300):
            assert pd == res.positive_definite == (ev[0] > 0), (ev[0], pd, res.positive_definite)
            assert isinstance(ld, float) == pd, (ld, pd)


@fuzz()
@given(r=columns(), tol=bad_scalars())
def test_is_positive_definite_tol(r, tol):
    call_clean(T.is_positive_definite, r, tol)


@fuzz()
@given(r=columns(), data=st.data(), method=st.sampled_from(["auto", "levinson", "gohberg-semencul",
                                                            "lu", None]))
def test_solve(r, data, method):
    n = _n(r)
    b = data.draw(st.one_of(bad_arrays((n,)), bad_arrays((n, 3))))
    out = call_clean(T.solve, r, b, method=method)
    if isinstance(out, T.SolveResult):
        # a returned solution solves the system (never a partial or silently wrong answer)
        A = scipy.linalg.toeplitz(np.asarray(r, dtype=np.float64))
        x, bb = out.x, np.asarray(b, dtype=np.float64)
        if A.size == 0:   # the empty matrix (documented): an empty solution of b's shape
            assert x.shape == bb.shape, (x.shape, bb.shape)
            return
        kappa = np.linalg.cond(A)
        if kappa < 1e8 and np.max(np.abs(bb), initial=0) < 1e200:
            res = np.linalg.norm(A @ x - bb) / max(np.linalg.norm(bb), 1e-300)
            assert res <= 1e-6 or np.linalg.norm(bb) == 0, (res, kappa)


@pytest.mark.parametrize("b", [np.zeros(0), np.zeros((0, 3)), np.zeros(0, dtype=bool)])
def test_solve_the_empty_matrix(b):
    for method in ("auto", "levinson", "gohberg-semencul"):
        out = T.solve(np.zeros(0), b, method=method)
        assert out.x.shape == b.shape and out.x.dtype == np.float64


@fuzz()
@given(r=columns(), data=st.data())
def test_solver_object(r, data):
    S = call_clean(T.ToeplitzSolver, r)
    if isinstance(S, T.ToeplitzSolver):
        call_clean(S.solve, data.draw(bad_arrays((_n(r), 2))))


@fuzz()
@given(r=columns(), data=st.data())
def test_matvec(r, data):
    call_clean(T.matvec, r, data.draw(st.one_of(bad_arrays((_n(r),)), bad_arrays((_n(r), 2)))))
    call_clean(T.ToeplitzOperator, r)


@fuzz()
@given(r=columns(max_n=80), method=st.sampled_from(["auto", "lanczos", "bisection", "dense", "x"]))
def test_extreme_eigenvalues(r, method):
    lo = call_clean(T.min_eig, r, method=method)
    hi = call_clean(T.max_eig, r, method=method)
    call_clean(T.symbol_bounds, r)
    if isinstance(lo, float) and isinstance(hi, float):
        ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(np.asarray(r, dtype=np.float64)))
        scale = max(abs(ev[0]), abs(ev[-1]), 1e-300)
        assert abs(lo - ev[0]) <= 1e-8 * scale and abs(hi - ev[-1]) <= 1e-8 * scale


@fuzz()
@given(r=columns(), J=st.one_of(st.none(), st.integers(-2, 45), bad_scalars(positive_ok=False)),
       which=st.sampled_from(["min", "max", "mid"]))
def test_banded(r, J, which):
    call_clean(T.banded_cholesky, r, J)
    call_clean(T.is_positive_definite_banded, r, J)
    call_clean(T.banded_extreme_eigenvalue, r, J, which)


def _not_subnormal(v) -> bool:
    """A shift in (0, 1e-300) makes the exact x overflow float64 (documented limitation)."""
    try:
        a = abs(complex(np.asarray(v).item())) if np.size(v) == 1 else 1.0
    except (TypeError, ValueError):
        return True
    return not 0 < a < 1e-300


@fuzz()
@given(r=columns(max_n=64), data=st.data(), tol=st.one_of(st.just(1e-10), bad_scalars()),
       maxiter=st.one_of(st.none(), st.integers(-1, 50)),
       shift=st.one_of(st.just(0.0), bad_scalars().filter(_not_subnormal)))
def test_pcg(r, data, tol, maxiter, shift):
    b = data.draw(bad_arrays((_n(r),)))
    out = call_clean(T.pcg_solve, r, b, tol=tol, maxiter=maxiter, shift=shift)
    if isinstance(out, T.PCGResult):
        assert out.residual <= float(tol), out  # converged, or ConvergenceError instead


def test_pcg_reports_nonconvergence():
    """An iterative method that stops short raises ConvergenceError, never a partial x."""
    r = np.exp(-(np.arange(400.0) ** 2) / 1e4)   # kappa ~ 1e16: CG cannot reach 1e-14 in 3 steps
    with pytest.raises(ConvergenceError, match="did not converge") as info:
        T.pcg_solve(r, np.ones(400), tol=1e-14, maxiter=3)
    assert info.value.iterations <= 3 and info.value.achieved > 1e-14


def test_indefinite_refused_everywhere():
    r = np.array([1.0, 1.5, 0.2])
    for fn in (T.logdet, lambda r: T.solve(r, np.ones(3)), T.ToeplitzSolver):
        with pytest.raises(NotPositiveDefiniteError, match="Fix:"):
            fn(r)
    with pytest.raises(InvalidArgumentError, match="complex"):
        T.solve(r.astype(complex), np.ones(3))
