"""Fuzz the core entry points (kernels, GPSpec, diffusion, score) with bad input.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: it returns a
NaN-free result or raises a documented error with the argument, value and fix.
Where the input is certainly invalid (NaN, ``<= 0``, complex, ...) the test also
asserts that an error *was* raised, so a silently accepted bad value fails.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory.errors import (
    AccuracyWarning,
    InvalidArgumentError,
    NotPositiveDefiniteError,
)
from gpdtheory.kernels import ELL_MAX, NU_MAX
from gpdtheory.testing.bad_input import (
    bad_arrays,
    bad_correlations,
    bad_ints,
    bad_scalars,
    bad_sigmas,
    call_clean,
    nonstationary_sklearn_kernels,
)

from ..helpers import sylvester_positive_definite
from ._settings import fuzz

FAMILIES = [gp.PoweredExponential, gp.Polynomial, gp.Logarithmic]


def _real(v) -> float | None:
    """``float(v)`` if ``v`` is a genuine real scalar (not bool, not complex), else None."""
    if isinstance(v, np.ndarray):
        return float(v) if v.ndim == 0 and v.dtype.kind in "iuf" else None
    if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.floating, np.integer)):
        return None
    return float(v)


def _int(v) -> int | None:
    if isinstance(v, bool) or isinstance(v, np.ndarray):
        return None
    if isinstance(v, (numbers.Integral, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer():
        return int(v)
    return None


# ----------------------------------------------------------------------------- kernels
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
@fuzz()
@given(ell=bad_scalars(), nu=bad_scalars())
def test_kernel_parameters(family, ell, nu):
    out = call_clean(family, ell, nu)
    e, n = _real(ell), _real(nu)
    valid = (e is not None and n is not None and math.isfinite(e) and math.isfinite(n)
             and 0 < e <= ELL_MAX and 0 < n <= NU_MAX)
    if valid:
        assert isinstance(out, gp.Kernel), out
    else:
        assert isinstance(out, InvalidArgumentError), (ell, nu, out)


kernels_ok = st.sampled_from([gp.PoweredExponential(2.0, 1.0), gp.Polynomial(1.0, 2.0),
                              gp.Logarithmic(1.0, 1.0), gp.SampledKernel(0.5 ** np.arange(8))])


@fuzz()
@given(k=kernels_ok, m=bad_arrays((5,), valid=lambda rng: rng.uniform(0, 7, 5)))
def test_kernel_call(k, m):
    out = call_clean(k, m)
    assert isinstance(out, (np.ndarray, InvalidArgumentError))


@fuzz()
@given(k=kernels_ok, N=bad_ints(), dt=bad_scalars(), J=bad_ints())
def test_kernel_sums(k, N, dt, J):
    call_clean(k.autocovariance, N, dt)
    call_clean(k.tail_sum, J, N, dt)
    call_clean(k.tail_bound, J, allow_inf=True)
    call_clean(k.check_valid, N, dt)
    if _int(N) is not None and _int(N) < 1:
        assert isinstance(call_clean(k.autocovariance, N), InvalidArgumentError)


@fuzz()
@given(k=kernels_ok, w=bad_arrays((4,)), J=st.one_of(bad_ints(), st.none()))
def test_kernel_symbol(k, w, J):
    call_clean(k.symbol, w, J)


@fuzz()
@given(rho=bad_correlations(), N=st.integers(1, 12))
def test_user_rho(rho, N):
    """A user rho that is not positive definite is refused by GPSpec, never used."""
    kern = call_clean(gp.SampledKernel, rho)
    if isinstance(kern, InvalidArgumentError):
        return
    N = min(N, rho.size)
    spec = call_clean(gp.GPSpec, kern, N, np.eye(2))
    pd = np.linalg.eigvalsh(kern.gamma_dense(N))[0] > 1e-12
    if isinstance(spec, gp.GPSpec):
        assert np.linalg.eigvalsh(spec.gamma_dense())[0] > -1e-12
        call_clean(gp.score, spec, np.ones((N, 2)), 0.1)
    else:
        assert isinstance(spec, NotPositiveDefiniteError) and not pd, spec


@fuzz()
@given(kernel=nonstationary_sklearn_kernels())
def test_sklearn_nonstationary(kernel):
    out = call_clean(gp.from_sklearn, kernel)
    assert isinstance(out, InvalidArgumentError) and "stationary" in str(out)
    assert isinstance(call_clean(gp.GPSpec, kernel, 4, np.eye(1)), InvalidArgumentError)


@fuzz()
@given(obj=st.sampled_from([None, 1.0, "rbf", object(), {"ell": 1}, np.eye(2), lambda m: m]))
def test_not_a_kernel(obj):
    assert isinstance(call_clean(gp.from_sklearn, obj), InvalidArgumentError)
    assert isinstance(call_clean(gp.GPSpec, obj, 4, np.eye(1)), InvalidArgumentError)


# ----------------------------------------------------------------------------- GPSpec
@fuzz()
@given(Sigma=st.one_of(bad_sigmas(), bad_arrays((2, 2), valid=lambda rng: np.eye(2))),
       N=st.one_of(st.integers(1, 6), bad_ints()), dt=st.one_of(st.just(1.0), bad_scalars()))
def test_gpspec(Sigma, N, dt):
    out = call_clean(gp.GPSpec, gp.PoweredExponential(2.0, 1.0), N, Sigma, dt=dt)
    assert isinstance(out, (gp.GPSpec, InvalidArgumentError, NotPositiveDefiniteError)), out
    if isinstance(out, gp.GPSpec):
        S = np.asarray(Sigma, dtype=np.float64)
        assert np.array_equal(out.Sigma, out.Sigma.T) and out.Sigma.dtype == np.float64
        assert sylvester_positive_definite(0.5 * (S + S.T))


@fuzz()
@given(mean=bad_arrays((3, 2)), times=st.one_of(st.none(), bad_arrays(
    (3,), valid=lambda rng: np.sort(rng.uniform(0, 5, 3)))))
def test_gpspec_mean_and_times(mean, times):
    call_clean(gp.GPSpec, gp.Polynomial(1.0, 2.0), 3, np.eye(2), mean=mean, times=times)


# ----------------------------------------------------------------------------- diffusion
SPEC = gp.GPSpec(gp.PoweredExponential(3.0, 1.0), 5, np.array([[2.0, 0.3], [0.3, 1.0]]),
                 mean=np.arange(10.0).reshape(5, 2))


@fuzz()
@given(t=st.one_of(bad_scalars(), bad_arrays((3,), valid=lambda rng: rng.uniform(0.1, 2, 3))))
def test_schedule(t):
    a = call_clean(gp.alpha, t)
    s = call_clean(gp.sigma2, t)
    tv = _real(t)
    if tv is not None and not (tv > 0 and math.isfinite(tv)):
        assert isinstance(a, InvalidArgumentError) and isinstance(s, InvalidArgumentError)


@fuzz()
@given(X=bad_arrays((5, 2)), t=st.one_of(st.just(0.5), bad_scalars(),
                                         bad_arrays((3,), valid=lambda r: r.uniform(.1, 2, 3))),
       method=st.sampled_from(["auto", "eig", "toeplitz", "dense", "cholesky", None]))
def test_score(X, t, method):
    out = call_clean(gp.score, SPEC, X, t, method=method)
    tv = _real(t)
    if tv is not None and not (tv > 0 and math.isfinite(tv)):
        assert isinstance(out, InvalidArgumentError)
    if isinstance(out, np.ndarray):
        assert out.dtype == np.float64 and out.shape[-2:] == (5, 2)


@fuzz()
@given(Sigma=bad_sigmas(d=2), t=st.one_of(st.floats(1e-300, 1e3), bad_scalars()),
       N=st.integers(1, 6), method=st.sampled_from(["eig", "toeplitz", "dense"]))
def test_score_ill_conditioned(Sigma, t, N, method):
    """Near-singular or badly scaled Sigma and t -> 0: finite scores, AccuracyWarning at most."""
    spec = call_clean(gp.GPSpec, gp.PoweredExponential(1e3, 2.0), N, Sigma)
    if not isinstance(spec, gp.GPSpec):
        return
    X = np.random.default_rng(0).standard_normal((N, 2))
    call_clean(gp.score, spec, X, t, method=method)
    call_clean(gp.condition_number, spec, t, allow_inf=True)


@fuzz()
@given(spec=st.sampled_from(["x", None, 3]), t=st.just(0.5))
def test_score_not_a_spec(spec, t):
    assert isinstance(call_clean(gp.score, spec, np.ones((5, 2)), t), InvalidArgumentError)


@fuzz()
@given(t=st.one_of(bad_scalars(), bad_arrays((2,))))
def test_condition_number(t):
    out = call_clean(gp.condition_number, SPEC, t, allow_inf=True)
    call_clean(gp.marginal_covariance, SPEC, t)
    if isinstance(out, gp.ConditionNumber):
        assert out.kappa >= 1.0 and out.kappa <= out.bound_exp * (1 + 1e-12)


# ----------------------------------------------------------------------------- guardrails
def test_score_warns_when_accuracy_is_lost():
    """kappa_t * eps > 1e-8: the score warns and says how large kappa is."""
    spec = gp.GPSpec(gp.PoweredExponential(1e6, 2.0), 16, np.eye(1))
    X = np.ones((16, 1))
    kappa = gp.condition_number(spec, 1e-12).kappa
    assert kappa * np.finfo(float).eps > 1e-8
    with pytest.warns(AccuracyWarning, match="kappa"):
        s = gp.score(spec, X, 1e-12)
    assert np.all(np.isfinite(s))


def test_score_silent_when_well_conditioned():
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 16, np.eye(2))
    gp.score(spec, np.ones((16, 2)), 0.1)  # warnings are errors: must not warn
