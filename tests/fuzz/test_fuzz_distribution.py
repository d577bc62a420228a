"""Fuzz :mod:`gpdtheory.distribution`.

Estimators, Lyapunov covariances, Gaussian divergences, the Girsanov bound.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import distribution as dist
from gpdtheory import sampling
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.testing.bad_input import (
    bad_arrays,
    bad_ints,
    bad_scalars,
    bad_sigmas,
    call_clean,
)

from ._accepted import accepted_int
from ._settings import fuzz

SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.array([[1.5, 0.2], [0.2, 0.7]]))


def _matrix_fn(kind, n):
    return {"ok": lambda t: 2.0 * np.eye(n), "nan": lambda t: np.full((n, n), np.nan),
            "shape": lambda t: np.eye(n + 1), "none": lambda t: None,
            "complex": lambda t: np.eye(n) * 1j, "raise": lambda t: 1 / 0}[kind]


EST = dist.exact_score_estimator(SPEC)
GD_EST = dist.gd_estimator(SPEC, 1, 2)
SPEC6 = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 6, np.array([[1.5, 0.2], [0.2, 0.7]]))


def _rng0_normal(shape, complex_part=False):
    """``default_rng(0)`` standard normals: the base array of the recorded falsifying examples."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal(shape)
    return base + 1j * rng.standard_normal(shape) if complex_part else base


@fuzz()
@given(N=st.one_of(st.just(SPEC.N), bad_ints()), d=st.one_of(st.just(SPEC.d), bad_ints()),
       kind=st.sampled_from(["ok", "nan", "shape", "none", "complex", "notcallable"]),
       t=st.one_of(st.just(0.5), bad_scalars()), Y=bad_arrays((2, 4, 2)))
def test_dense_estimator(N, d, kind, t, Y):
    n = (accepted_int(N) or 1) * (accepted_int(d) or 1)
    fn = 3.0 if kind == "notcallable" else _matrix_fn(kind, n)
    est = call_clean(dist.dense_estimator, N, d, fn)
    if kind == "notcallable":
        assert isinstance(est, InvalidArgumentError)
    if not isinstance(est, dist.LinearEstimator):
        return
    A = call_clean(est.matrix, t)
    call_clean(est.score, Y, t)
    if kind != "ok":
        assert isinstance(A, gp.GPDTheoryError), (kind, A)


@fuzz()
@given(W=bad_arrays((4, 4), valid=lambda r: np.eye(4)),
       U=bad_arrays((2, 2), valid=lambda r: np.eye(2)),
       eig=st.sampled_from(["ok", "nan", "shape", "none", "neg"]),
       t=st.one_of(st.just(0.5), bad_scalars()))
def test_spectral_estimator(W, U, eig, t):
    fns = {"ok": lambda t: np.full((4, 2), 2.0), "nan": lambda t: np.full((4, 2), np.nan),
           "shape": lambda t: np.ones((3, 2)), "none": lambda t: None,
           "neg": lambda t: -np.ones((4, 2))}
    est = call_clean(dist.LinearEstimator, 4, 2, temporal_basis=W, spatial_basis=U,
                     eigenvalue_fn=fns[eig])
    if not isinstance(est, dist.LinearEstimator):
        return
    e = call_clean(est.eigenvalues, t)
    call_clean(est.matrix, t)
    if eig in ("nan", "shape", "none"):
        assert isinstance(e, gp.GPDTheoryError), (eig, e)


@fuzz()
@given(T=st.one_of(st.just(3.0), bad_scalars()), t0=st.one_of(st.just(0.05), bad_scalars()),
       rtol=st.one_of(st.just(1e-8), bad_scalars()),
       est=st.sampled_from([EST, GD_EST, None, "est"]))
def test_girsanov_bound(T, t0, rtol, est):
    out = call_clean(dist.girsanov_bound, SPEC, est, T, t0, rtol=rtol)
    if isinstance(out, dist.GirsanovBound):
        assert out.bound >= 0 and out.score_term >= 0


@fuzz()
@given(T=st.one_of(st.just(3.0), bad_scalars()), t0=st.one_of(st.just(0.05), bad_scalars()),
       dynamics=st.sampled_from(["sde", "ode", "heun", None]),
       P0=st.one_of(st.none(), bad_sigmas(d=8), bad_arrays((8, 8), valid=lambda r: np.eye(8))),
       est=st.sampled_from([EST, GD_EST, dist.dense_estimator(4, 2, lambda t: np.eye(8)), None]),
       rtol=st.one_of(st.just(1e-8), bad_scalars()))
@example(T=1e300, t0=0.05, dynamics="sde", P0=None, est=GD_EST, rtol=1e-8)  # overflow
@example(T=484.0, t0=0.05, dynamics="sde", P0=None, est=EST, rtol=1e-8)  # Radau's last step
def test_output_covariance(T, t0, dynamics, P0, est, rtol):
    call_clean(dist.output_covariance, est, T, t0, dynamics=dynamics, P0=P0, rtol=rtol)


@fuzz()
@given(times=st.one_of(st.just(sampling.time_grid(3.0, 0.05, 4)),
                       bad_arrays((5,), valid=lambda r: np.array([3.0, 1.0, 0.5, 0.1, 0.05])),
                       st.sampled_from([np.array([1e300, 1.0]), np.array([800.0, 1.0]),
                                        np.array([1.0, 1.0]), np.array([1.0, -1.0])])),
       method=st.sampled_from(list(sampling.SAMPLERS) + ["rk4", None]),
       P0=st.one_of(st.none(), bad_sigmas(d=8)),
       est=st.sampled_from([EST, GD_EST, dist.dense_estimator(4, 2, lambda t: np.eye(8)), None]))
def test_discrete_covariance(times, method, P0, est):
    call_clean(dist.discrete_covariance, est, times, method, P0=P0)


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
# t0 -> 0, L = 0: log1p(-1) in the GD factor
@example(T=4.0, t0=1e-300, J=0, L=0, sampler="sde", steps=None)
def test_distribution_error(T, t0, J, L, sampler, steps):
    est = call_clean(dist.gd_estimator, SPEC6, J, L)
    call_clean(dist.truncated_score_estimator, SPEC6, J)
    call_clean(dist.prior_kl, SPEC6, T)
    if isinstance(est, gp.GPDTheoryError):
        return
    call_clean(dist.score_l2_error, SPEC6, est, t0)
    call_clean(dist.distribution_error, SPEC6, est, T, t0, sampler=sampler, steps=steps,
               allow_inf=True)


@fuzz()
@given(samples=bad_arrays((50, 3)), target=st.one_of(bad_sigmas(d=3), bad_arrays((3, 3))),
       n=st.one_of(st.integers(1, 100), bad_ints()))
# errors near 1e155: the bootstrap std must not overflow np.std
@example(samples=np.clip(_rng0_normal((50, 3)), -1.0, 1.0) * 1e50,
         target=np.array([[6.53489754e-56, 3.92782748e-56, 8.88412829e-57],
                          [3.92782748e-56, 1.58199255e-55, -1.20797517e-57],
                          [8.88412829e-57, -1.20797517e-57, 1.89501441e-55]]), n=1)
def test_covariance_error(samples, target, n):
    call_clean(dist.covariance_relative_error, samples, target)
    call_clean(dist.wishart_noise_floor, target, n)
