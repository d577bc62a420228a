"""Fuzz the theory modules: truncation, PSD, gradient descent, sampling, distribution error.

Bad ``J``, ``L``, ``t``, ``T``, ``t0``, ``eps``, method names and corrupted arrays;
``J >= N``, ``L = 0``, ``t0 >= T`` and ``t <= 0`` in particular. Each call returns a
NaN-free result or raises a documented error naming the argument and the fix.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import distribution as dist
from gpdtheory import gd, psd, sampling, truncation
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.fuzz_strategies import bad_arrays, bad_ints, bad_scalars, bad_sigmas, call_clean
from gpdtheory.validation import check_positive_int

from ._settings import fuzz

SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 6, np.array([[1.5, 0.2], [0.2, 0.7]]))
METHODS = st.sampled_from(["hard", "taper", "shift", "soft", None])
# J and L: valid small values, J >= N, and every bad integer
JS = st.one_of(st.integers(0, 12), bad_ints())
TS = st.one_of(st.floats(1e-3, 10.0), bad_scalars())


def _rng0_normal(shape, complex_part=False):
    """``default_rng(0)`` standard normals: the base array of the recorded falsifying examples."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal(shape)
    return base + 1j * rng.standard_normal(shape) if complex_part else base


def _column(rng):
    return 0.6 ** np.arange(8.0)


# ----------------------------------------------------------------------------- truncation
@fuzz()
@given(r=bad_arrays((8,), valid=_column), J=JS, method=METHODS)
def test_truncation(r, J, method):
    call_clean(truncation.truncated_autocovariance, r, J, method)
    call_clean(truncation.tau_J, r, J)
    call_clean(truncation.error_bound, r, J, method)
    call_clean(truncation.truncation_error, r, J, method)
    call_clean(truncation.symbol_minimum, r, J)


@fuzz()
@given(eps=bad_scalars(), N=st.one_of(st.none(), bad_ints()),
       what=st.sampled_from([gp.PoweredExponential(2.0, 1.0), gp.Logarithmic(1.0, 1.0), SPEC,
                             "x", None]))
def test_smallest_J(eps, N, what):
    call_clean(truncation.smallest_J, what, eps, N)


# ----------------------------------------------------------------------------- PSD
@fuzz()
@given(J=JS, N=st.one_of(st.integers(1, 20), bad_ints()), method=METHODS,
       kern=st.sampled_from([gp.PoweredExponential(3.0, 1.5), gp.Polynomial(1.0, 0.7),
                             0.5 ** np.arange(6.0), np.array([1.0, 1.2]), "bad"]))
def test_psd_per_n(J, N, method, kern):
    call_clean(psd.truncated_column, kern, J, N, method)
    call_clean(psd.per_n, kern, J, N, truncation=method)
    call_clean(psd.smallest_eigenvalue, kern, J, N, method)
    call_clean(psd.first_failing_n, kern, J, N, method)


@fuzz()
@given(nu=bad_scalars(), J=st.one_of(st.none(), bad_ints()),
       family=st.sampled_from(["powered_exponential", "polynomial", "gauss"]))
def test_psd_frontier(nu, J, family):
    call_clean(psd.dominance_frontier, nu, J, family, allow_inf=True)
    if isinstance(J, int) and 0 <= J <= 8:  # bisection per call: keep J small
        call_clean(psd.exact_frontier, nu, J, family, allow_inf=True)


# ----------------------------------------------------------------------------- gradient descent
@fuzz()
@given(X=bad_arrays((6, 2)), t=TS, J=JS, L=st.one_of(st.integers(0, 30), bad_ints()),
       method=METHODS)
# thorough run: gd_matrix at t -> 0, L = 0 hit log1p(-1) = -inf, 0 * -inf = NaN
@example(X=_rng0_normal((6, 2), complex_part=True), t=1e-300, J=0, L=0, method="hard")
def test_gd(X, t, J, L, method):
    call_clean(gd.gd_iterates, SPEC, X, t, J, L, method)
    call_clean(gd.truncated_score, SPEC, X, t, J, method)
    call_clean(gd.gd_matrix, SPEC, t, J, L, method)


@fuzz()
@given(t=TS, J=JS, L=st.one_of(st.integers(0, 30), bad_ints()), method=METHODS,
       eps=bad_scalars())
@example(t=1.0, J=0, L=0, method="hard", eps=5e-324)  # thorough run: eps * mu_bar underflowed
def test_gd_bounds(t, J, L, method, eps):
    call_clean(gd.theorem_s_bound, SPEC, t, J, L, method, allow_inf=True)
    call_clean(gd.lemma_gd_bound, SPEC, t, J, L, method, allow_inf=True)
    call_clean(gd.lemma_tr_bound, SPEC, t, J, method, allow_inf=True)
    call_clean(gd.sizes_needed, SPEC, t, eps, method, allow_inf=True)


@fuzz()
@given(r_bar=bad_arrays((6,), valid=lambda rng: 0.5 ** np.arange(6.0)),
       Sigma=st.one_of(bad_sigmas(d=2), bad_arrays((2, 2), valid=lambda rng: np.eye(2))),
       A=bad_arrays((12, 12), valid=lambda rng: -np.eye(12)), t=TS)
def test_gd_matrices(r_bar, Sigma, A, t):
    call_clean(gd.gamma_bar_extremes, r_bar)
    call_clean(gd.step_size, r_bar, Sigma)
    call_clean(gd.l2_error, SPEC, A, t)


def test_L_zero_is_the_zero_estimator():
    """L = 0 steps of GD from zero give the zero matrix, a valid (if useless) estimator."""
    assert np.array_equal(gd.gd_matrix(SPEC, 0.5, 2, 0), np.zeros((12, 12)))


# ----------------------------------------------------------------------------- sampling
@fuzz()
@given(T=bad_scalars(), t0=bad_scalars(), steps=st.one_of(st.integers(1, 5), bad_ints()),
       kind=st.sampled_from(["log", "uniform", "cosine", None]))
# thorough run: steps=True (a bool) and steps=2**63 (> INT_MAX) are bad steps themselves, so
# the error names steps: each argument is validated alone, in signature order, before t0 < T
@example(T=1e-300, t0=1.0, steps=True, kind="log")
@example(T=1e-300, t0=1e-300, steps=2**63, kind="log")
def test_time_grid(T, t0, steps, kind):
    out = call_clean(sampling.time_grid, T, t0, steps, kind)
    if isinstance(out, np.ndarray):
        assert np.all(np.diff(out) < 0) and out[-1] > 0
    elif (isinstance(T, float) and isinstance(t0, float) and 0 < T <= sampling.T_MAX
          and math.isfinite(t0) and t0 >= T and _valid_count(steps, "steps")):
        assert isinstance(out, InvalidArgumentError) and out.argument == "t0"


def _valid_count(value, name):
    """Whether ``value`` alone is a valid count (the library's own check: no bool, <= INT_MAX)."""
    try:
        check_positive_int(value, name)
    except InvalidArgumentError:
        return False
    return True


def _score_fn(kind):
    if kind == "nan":
        return lambda y, t: np.full_like(y, np.nan)
    if kind == "shape":
        return lambda y, t: y[..., :1]
    if kind == "none":
        return lambda y, t: None
    return lambda y, t: -y


@fuzz()
@given(kind=st.sampled_from(["ok", "nan", "shape", "none"]),
       method=st.sampled_from(["euler_maruyama", "exponential_integrator", "probability_flow",
                               "heun"]),
       Y0=st.one_of(st.none(), bad_arrays((2, 3, 2))), T=st.one_of(st.just(2.0), bad_scalars()),
       t0=st.one_of(st.just(0.01), bad_scalars()))
# thorough run: a Y0 with extra unit axes made the misshaped score look well shaped
@example(kind="shape", method="euler_maruyama", Y0=_rng0_normal((2, 3, 2))[None, ..., None],
         T=2.0, t0=0.01)
def test_reverse_sample(kind, method, Y0, T, t0):
    """A score function returning NaN or the wrong shape is refused, not integrated."""
    out = call_clean(sampling.reverse_sample, _score_fn(kind), 2, 3, 2, T=T, t0=t0, steps=4,
                     method=method, Y0=Y0, seed=0, progress=False)
    if kind != "ok":
        assert isinstance(out, gp.GPDTheoryError), out


# ----------------------------------------------------------------------------- distribution
@fuzz()
@given(S0=st.one_of(bad_sigmas(d=3), bad_arrays((3, 3), valid=lambda rng: np.eye(3))),
       S1=bad_sigmas(d=3), m0=st.one_of(st.none(), bad_arrays((3,))))
def test_gaussian_divergences(S0, S1, m0):
    call_clean(dist.gaussian_kl, S0, S1, m0)
    call_clean(dist.gaussian_w2, S0, S1, m0)


@fuzz()
@given(kl=st.one_of(bad_scalars(), bad_arrays((3,))))
def test_pinsker(kl):
    call_clean(dist.pinsker_tv, kl, allow_inf=True)


@fuzz()
@given(T=st.one_of(st.just(4.0), bad_scalars()), t0=st.one_of(st.just(0.05), bad_scalars()),
       J=st.one_of(st.integers(0, 8), bad_ints()), L=st.one_of(st.integers(0, 8), bad_ints()),
       sampler=st.sampled_from(["sde", "ode", "euler_maruyama", "rk4"]),
       steps=st.one_of(st.none(), st.integers(-1, 6)))
@example(T=4.0, t0=1e-300, J=0, L=0, sampler="sde", steps=None)  # thorough run: log1p(-1)
def test_distribution_error(T, t0, J, L, sampler, steps):
    est = call_clean(dist.gd_estimator, SPEC, J, L)
    call_clean(dist.truncated_score_estimator, SPEC, J)
    call_clean(dist.prior_kl, SPEC, T)
    if isinstance(est, gp.GPDTheoryError):
        return
    call_clean(dist.score_l2_error, SPEC, est, t0)
    call_clean(dist.distribution_error, SPEC, est, T, t0, sampler=sampler, steps=steps,
               allow_inf=True)


@fuzz()
@given(samples=bad_arrays((50, 3)), target=st.one_of(bad_sigmas(d=3), bad_arrays((3, 3))),
       n=st.one_of(st.integers(1, 100), bad_ints()))
# thorough run: the bootstrap std of errors near 1e155 overflowed np.std
@example(samples=np.clip(_rng0_normal((50, 3)), -1.0, 1.0) * 1e50,
         target=np.array([[6.53489754e-56, 3.92782748e-56, 8.88412829e-57],
                          [3.92782748e-56, 1.58199255e-55, -1.20797517e-57],
                          [8.88412829e-57, -1.20797517e-57, 1.89501441e-55]]), n=1)
def test_covariance_error(samples, target, n):
    call_clean(dist.covariance_relative_error, samples, target)
    call_clean(dist.wishart_noise_floor, target, n)


@pytest.mark.parametrize("fn", [dist.exact_score_estimator, gd.truncated_r])
def test_not_a_spec(fn):
    args = (None,) if fn is dist.exact_score_estimator else (None, 2)
    assert isinstance(call_clean(fn, *args), InvalidArgumentError)
