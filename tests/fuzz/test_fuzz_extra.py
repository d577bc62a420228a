"""Fuzz the numpy entry points not covered elsewhere: data, plug-in sweeps, PSD, extras.

``gpdtheory.data`` (moving-ball videos), :mod:`gpdtheory.sample_complexity`, the PSD
certificate / phase diagram / frontier table, the numpy helpers of
:mod:`gpdtheory.compare` and :mod:`gpdtheory.video`, the construction's numbers
(:mod:`gpdtheory.construct.weights`), linear estimators, the Girsanov bound, the Lyapunov
covariances and the samplers called directly. Every call goes through
:func:`gpdtheory.fuzz_strategies.call_clean`: a NaN-free result or a documented error
naming the argument, the value and the fix. Where the input is certainly invalid the
test also asserts that an error *was* raised.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import data as mb
from gpdtheory import distribution as dist
from gpdtheory import psd, sample_complexity, sampling
from gpdtheory.construct import weights as cw
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.fuzz_strategies import (
    bad_arrays,
    bad_correlations,
    bad_ints,
    bad_scalars,
    bad_sigmas,
    call_clean,
)

from ._accepted import accepted_int, accepted_real
from ._settings import fuzz

SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.array([[1.5, 0.2], [0.2, 0.7]]))
SEEDS = st.one_of(st.integers(0, 2**32), st.none(),
                  st.sampled_from([-1, 1.5, math.nan, "seed", 2**200, np.int64(3), [1, 2],
                                   np.random.default_rng(0)]))
JS = st.one_of(st.integers(0, 6), bad_ints())
METHODS = st.sampled_from(["hard", "taper", "shift", "soft", None])


# ----------------------------------------------------------------------------- moving ball
@fuzz()
@given(n=st.one_of(st.integers(1, 3), bad_ints()), N=st.one_of(st.integers(1, 4), bad_ints()),
       size=st.one_of(st.integers(4, 10), bad_ints()),
       radius=st.one_of(st.none(), st.floats(0.5, 3.0), bad_scalars()),
       softness=st.one_of(st.just(0.6), bad_scalars()),
       scale=st.one_of(st.none(), st.floats(0.1, 5.0), bad_scalars()),
       boundary=st.sampled_from(["reflect", "clip", "wrap", None]),
       patch=st.one_of(st.none(), st.integers(1, 4), bad_ints()), seed=SEEDS)
@example(n=1, N=2, size=8, radius=None, softness=0.6, scale=1.7976931348623157e308,
         boundary="reflect", patch=None, seed=0)  # scale * Z overflowed: NaN positions
@example(n=1, N=2, size=8, radius=None, softness=5e-324, scale=None, boundary="reflect",
         patch=None, seed=0)  # dist / softness overflowed in render
def test_moving_ball(n, N, size, radius, softness, scale, boundary, patch, seed):
    out = call_clean(mb.moving_ball, n, N, size, seed=seed, radius=radius, softness=softness,
                     scale=scale, boundary=boundary, patch=patch)
    if isinstance(out, mb.MovingBall):
        assert out.images.min() >= 0.0 and out.images.max() <= 1.0
        assert np.all(np.abs(out.tokens) <= 1.0)
        lo, hi = out.radius, out.size - 1 - out.radius
        assert np.all(out.positions >= lo - 1e-9) and np.all(out.positions <= hi + 1e-9)
    if boundary not in ("reflect", "clip"):
        assert isinstance(out, InvalidArgumentError)


BALL = mb.moving_ball(2, 3, 6, seed=0)


@fuzz()
@given(max_lag=st.one_of(st.integers(0, 6), bad_ints()))
@example(max_lag=-3)  # gave an empty profile
def test_moving_ball_rho(max_lag):
    out = call_clean(BALL.rho, max_lag)
    if isinstance(out, np.ndarray):
        assert out[0] == 1.0 and out.size == accepted_int(max_lag) + 1


@fuzz()
@given(kernel=st.one_of(bad_correlations(max_n=6), st.sampled_from(
    [None, gp.Polynomial(1.0, 2.0), "rbf", 3.0])),
       Sigma=st.one_of(st.none(), bad_sigmas(d=2), bad_arrays((2, 2), valid=lambda r: np.eye(2)),
                       bad_sigmas(d=3)))
def test_moving_ball_kernel_sigma(kernel, Sigma):
    call_clean(mb.moving_ball, 2, 3, 6, kernel, Sigma, seed=0)


@fuzz()
@given(positions=bad_arrays((3, 2), valid=lambda r: r.uniform(0, 7, (3, 2))),
       size=st.one_of(st.integers(1, 8), bad_ints()), radius=st.one_of(st.just(1.5), bad_scalars()),
       softness=st.one_of(st.just(0.6), bad_scalars()))
@example(positions=np.array([[1.0, 1.0]]), size=4, radius=1.0, softness=5e-324)
@example(positions=np.array([[1e300, 1e300]]), size=4, radius=1.0, softness=0.6)
@example(positions=np.array([[1.0, 1.0]]), size=4, radius=1.7976931348623157e308,
         softness=2.0)  # ball_mass: inf * 0
def test_render_and_mass(positions, size, radius, softness):
    img = call_clean(mb.render, positions, size, radius, softness)
    if isinstance(img, np.ndarray):
        assert img.min() >= 0.0 and img.max() <= 1.0
    m = call_clean(mb.ball_mass, radius, softness)
    r, s = accepted_real(radius), accepted_real(softness)
    if r is not None and s is not None and not (r > 0 and s > 0):
        assert isinstance(m, InvalidArgumentError)
    if isinstance(m, float):
        assert m >= 0  # underflows to 0 for a ball of radius ~1e-200


@fuzz()
@given(images=bad_arrays((2, 3, 4, 4), valid=lambda r: r.uniform(0, 1, (2, 3, 4, 4))),
       patch=st.one_of(st.none(), st.integers(1, 4), bad_ints()),
       size=st.one_of(st.just(4), bad_ints()), floor=st.one_of(st.just(0.0), bad_scalars()))
def test_tokens_and_centroids(images, patch, size, floor):
    X = call_clean(mb.frames_to_tokens, images, patch)
    if isinstance(X, np.ndarray):
        call_clean(mb.tokens_to_frames, X, size, patch)
    call_clean(mb.tokens_to_frames, images, size, patch)
    c = call_clean(mb.centroids, images, floor)
    f = accepted_real(floor)
    if f is not None and not (0.0 <= f < 1.0):
        assert isinstance(c, InvalidArgumentError)
    if f is None:
        assert isinstance(c, InvalidArgumentError)


@fuzz()
@given(paths=bad_arrays((3, 5, 2)), max_lag=st.one_of(st.integers(0, 6), bad_ints()))
@example(paths=np.ones((3, 5, 2)), max_lag=1)  # constant: no variance
def test_temporal_correlation(paths, max_lag):
    out = call_clean(mb.temporal_correlation, paths, max_lag)
    if isinstance(out, np.ndarray):  # c(0) = 1; c(m >= 1) is not bounded by 1 (pooled scale)
        assert out[0] == pytest.approx(1.0) and out.shape == (accepted_int(max_lag) + 1,)
    m = accepted_int(max_lag)
    if m is None or not 0 <= m < 5:
        assert isinstance(out, InvalidArgumentError), (max_lag, out)


# ----------------------------------------------------------------------------- video (numpy)
@fuzz()
@given(K=bad_arrays((2, 4, 4)), profile=bad_arrays((4,)), rho=bad_arrays((4,)))
def test_lag_profile_and_correlation(K, profile, rho):
    from gpdtheory.video import lag_profile, profile_correlation

    out = call_clean(lag_profile, K)
    if isinstance(out, np.ndarray):
        assert out.shape == (np.shape(K)[-1],)
    try:
        raw = profile_correlation(profile, rho)
    except gp.GPDTheoryError:
        raw = None  # refused: call_clean below checks the error's message
    if raw is not None and math.isnan(raw):  # documented: nan exactly when a profile is constant
        a, b = (np.asarray(x, dtype=float) for x in (profile, rho))
        assert np.ptp(a) == 0 or np.ptp(b) == 0, (profile, rho)
        return
    out = call_clean(profile_correlation, profile, rho)
    if isinstance(out, float):
        assert -1.0 <= out <= 1.0


# ----------------------------------------------------------------------------- compare (numpy)
@fuzz()
@given(a=bad_arrays((6,)), b=bad_arrays((6,)))
def test_correlations(a, b):
    from gpdtheory.compare import correlation, jacobian_cosine

    c = call_clean(correlation, a, b)
    j = call_clean(jacobian_cosine, a, b)
    for v in (c, j):
        if isinstance(v, float):
            assert -1.0 - 1e-12 <= v <= 1.0 + 1e-12


@fuzz()
@given(M=bad_arrays((6, 6)), Mref=bad_arrays((6, 6)),
       shape=st.sampled_from([((2, 2), (3, 3)), ((3, 3), (2, 2)), ((2, 3), (3, 2)),
                              ((0, 2), (3, 3)), ((-2, -2), (-3, -3)), ((2.0, 2), (3, 3)),
                              (None, (3, 3)), ((2,), (3, 3)),
                              ((math.nan, 2), (3, 3)), ("ab", (3, 3))]),
       N=st.one_of(st.just(3), bad_ints()), d=st.one_of(st.just(2), bad_ints()))
def test_nearest_kronecker(M, Mref, shape, N, d):
    from gpdtheory.compare import kronecker_correlation, nearest_kronecker

    out = call_clean(nearest_kronecker, M, *shape)
    if isinstance(out, tuple):
        assert 0.0 <= out[2] <= 1.0 + 1e-9
    call_clean(kronecker_correlation, M, Mref, N, d)


# ----------------------------------------------------------------------------- sample complexity
@fuzz()
@given(samples=bad_arrays((20, 4, 2)), mean=st.one_of(st.none(), bad_arrays((4, 2))),
       t=st.one_of(st.just(0.5), bad_scalars()))
@example(samples=np.zeros((20, 4, 2)), mean=None, t=0.5)  # tr(Sigma_hat) = 0
def test_plugin(samples, mean, t):
    out = call_clean(sample_complexity.plugin_covariance, samples, mean)
    if isinstance(out, tuple):
        r, S = out
        A = call_clean(sample_complexity.plugin_matrix, r, S, t)
        if isinstance(A, np.ndarray):
            call_clean(gp.gd.l2_error, SPEC, A, t)


@fuzz()
@given(r=bad_arrays((4,), valid=lambda rng: 0.5 ** np.arange(4.0)),
       S=st.one_of(bad_sigmas(d=2), bad_arrays((2, 2), valid=lambda rng: np.eye(2))),
       t=st.one_of(st.just(0.5), bad_scalars()))
def test_plugin_matrix(r, S, t):
    call_clean(sample_complexity.plugin_matrix, r, S, t)


@fuzz()
@given(n=st.one_of(st.integers(1, 50), bad_ints()), seed=SEEDS,
       t=st.one_of(st.just(0.5), bad_scalars()),
       spec=st.sampled_from([SPEC, None, "spec", gp.GPSpec(gp.Polynomial(1.0, 2.0), 1, np.eye(1))]))
@example(n=1, seed=45, t=2.04726137455056e-277, spec=SPEC)  # l2_error overflowed
def test_plugin_error(n, seed, t, spec):
    out = call_clean(sample_complexity.plugin_error, spec, n, seed, t)
    if isinstance(out, float):
        assert out >= 0.0


@fuzz()
@given(n=bad_arrays((6,), valid=lambda r: np.repeat([10.0, 30.0, 100.0], 2)),
       err=bad_arrays((6,), valid=lambda r: r.uniform(0.01, 1, 6)),
       level=st.one_of(st.just(0.95), bad_scalars()))
@example(n=np.repeat([10.0, 30.0, 100.0], 2), err=np.ones(6), level=0.95)  # nan stderr
def test_fit_slope(n, err, level):
    out = call_clean(sample_complexity.fit_slope, n, err, level)
    lv = accepted_real(level)
    if lv is None or not (0.0 < lv < 1.0):
        assert isinstance(out, InvalidArgumentError), (level, out)


def _error_fn(spec, n, seed=0, **kwargs):
    return 1.0 / math.sqrt(n) * (1.0 + 0.01 * (seed % 7))


@fuzz()
@given(ns=st.one_of(st.just([10, 30, 100]), st.lists(bad_ints(), max_size=4), bad_arrays((3,)),
                    st.sampled_from([[], [5], [5, 5, 5], None, 3, "abc"])),
       replicates=st.one_of(st.just(2), bad_ints()), seed=SEEDS,
       error_fn=st.sampled_from([_error_fn, None, "plugin",
                                 lambda spec, n, seed=0: math.nan,
                                 lambda spec, n, seed=0: -1.0]))
def test_sweep(ns, replicates, seed, error_fn):
    out = call_clean(sample_complexity.sweep_n, error_fn, SPEC, ns, replicates, seed)
    if error_fn is not _error_fn:
        assert isinstance(out, gp.GPDTheoryError), out
    call_clean(sample_complexity.sweep_decay, _error_fn,
               lambda nu, ell: gp.GPSpec(gp.PoweredExponential(ell, nu), 3, np.eye(1)),
               [(1.0, 2.0)], ns, replicates, seed)


@fuzz()
@given(regimes=st.one_of(st.just([(1.0, 2.0)]), st.sampled_from([None, 3, "ab", [(1.0,)],
                                                                 [(math.nan, 1.0)], [1.0]])),
       make_spec=st.sampled_from([None, "spec", lambda nu, ell: "x",
                                  lambda nu, ell: gp.GPSpec(gp.PoweredExponential(ell, nu), 3,
                                                            np.eye(1))]))
def test_sweep_decay(regimes, make_spec):
    call_clean(sample_complexity.sweep_decay, _error_fn, make_spec, regimes, [10, 30, 100], 1)


# ----------------------------------------------------------------------------- PSD
@fuzz()
@given(c=st.one_of(st.lists(st.fractions(max_denominator=2**20), min_size=1, max_size=8),
                   st.lists(st.integers(-5, 5), min_size=1, max_size=8),
                   st.lists(bad_scalars(), max_size=3), st.sampled_from([None, [], (), "ab"])))
@example(c=[1.0, math.nan])  # floats, NaN among them, went through unchecked
def test_chebyshev_to_monomial(c):
    from fractions import Fraction

    out = call_clean(psd.certificate.chebyshev_to_monomial, c)
    if isinstance(out, list):
        assert len(out) == len(c) and all(isinstance(x, Fraction) for x in out)
        # p(1) = sum c_m T_m(1) = sum c_m
        assert sum(out) == sum(c)


KERNELS_OR_R = st.one_of(
    st.sampled_from([gp.PoweredExponential(3.0, 1.5), gp.Polynomial(1.0, 0.7),
                     gp.Logarithmic(1.0, 1.0), "bad", None]),
    bad_correlations(max_n=10), bad_arrays((8,), valid=lambda r: 0.6 ** np.arange(8.0)))


@fuzz()
@given(kern=KERNELS_OR_R, J=JS, rel_error=st.one_of(st.none(), bad_scalars()),
       dt=st.one_of(st.just(1.0), bad_scalars()))
@example(kern=np.array([1.0, 0.5]), J=1, rel_error=-1.0, dt=1.0)  # negative slack
@example(kern=gp.PoweredExponential(3.0, 1.5), J=2, rel_error=None, dt=math.nan)
def test_certify_all_n(kern, J, rel_error, dt):
    out = call_clean(psd.certify_all_n, kern, J, rel_error, dt)
    if isinstance(out, psd.AllNCertificate):
        assert out.verdict in ("psd", "not_psd", "inconclusive") and out.slack >= 0
        if out.verdict == "not_psd":
            assert out.witness_value + out.slack < 0


@fuzz()
@given(kern=st.sampled_from([gp.PoweredExponential(0.9, 1.0), gp.Polynomial(1.0, 0.7),
                             gp.SampledKernel(0.5 ** np.arange(5)), "bad", None, np.ones(3)]),
       J=st.one_of(st.none(), bad_ints()))
def test_diagonally_dominant(kern, J):
    out = call_clean(psd.diagonally_dominant, kern, J)
    assert isinstance(out, (bool, gp.GPDTheoryError)), out


@fuzz()
@given(nu=st.one_of(st.just(1.0), bad_scalars()),
       ells=st.one_of(st.just([0.5, 2.0]), bad_arrays((2,), valid=lambda r: r.uniform(.1, 5, 2)),
                      st.sampled_from([[], None, "x"])),
       Js=st.one_of(st.just([0, 1, 3]), bad_arrays((2,), valid=lambda r: np.array([1, 2])),
                    st.lists(bad_ints(), max_size=3), st.sampled_from([[2**45], [-1], None])),
       family=st.sampled_from(["powered_exponential", "polynomial", "logarithmic", "gauss"]),
       N=st.one_of(st.none(), st.integers(1, 8), bad_ints()))
@example(nu=1.0, ells=[1.0], Js=[-1], family="powered_exponential", N=None)  # csum[-2]
@example(nu=1.0, ells=[1.0], Js=[2**45], family="powered_exponential", N=None)  # huge alloc
@example(nu=1.0, ells=[1.0], Js=[1.5], family="powered_exponential", N=None)  # truncated J
def test_phase_diagram(nu, ells, Js, family, N):
    out = call_clean(psd.phase_diagram, nu, ells, Js, family, N)
    if isinstance(out, psd.PhaseDiagram):
        assert out.min_symbol.shape == (out.ells.size, out.Js.size)
        assert np.all(out.Js >= 0)


@fuzz()
@given(nus=st.one_of(st.just((1.0,)), st.lists(bad_scalars(), max_size=2),
                     st.sampled_from([None, 1.0, "x"])),
       J_max=st.one_of(st.integers(1, 2), bad_ints()),
       family=st.sampled_from(["powered_exponential", "polynomial", "gauss"]))
@example(nus=[1e-9], J_max=1, family="powered_exponential")  # brentq RuntimeError
@example(nus=[5e-324], J_max=1, family="powered_exponential")  # NaN tail bound (inf - inf)
@example(nus=[6.0], J_max=2, family="powered_exponential")  # Newton step overflow
def test_frontier_table(nus, J_max, family):
    if isinstance(J_max, int) and J_max > 2:
        J_max = 2  # every J costs a bisection: keep the valid path cheap
    out = call_clean(psd.frontier_table, nus, J_max, family, allow_inf=True)
    if isinstance(out, list):
        for row in out:
            assert row.dominance >= 0 and row.exact > 0


# ----------------------------------------------------------------------------- construction
@fuzz()
@given(N=st.one_of(st.integers(1, 8), bad_ints()), J=JS,
       r=bad_arrays((5,), valid=lambda rng: 0.5 ** np.arange(5.0)))
def test_construct_numbers(N, J, r):
    call_clean(cw.lag_cosines, N)
    call_clean(cw.relu_gap_matrix, N, J)
    call_clean(cw.effective_lag, N, J)
    s = call_clean(cw.interpolation_coefficients, r, J)
    if isinstance(J, int) and not isinstance(J, bool) and J < 0:
        assert isinstance(s, InvalidArgumentError)


@fuzz()
@given(m=st.one_of(st.integers(0, 3), bad_ints()),
       lags=st.one_of(st.just(np.arange(4)), bad_arrays((4,), valid=lambda r: np.arange(4.0)),
                      st.sampled_from([[0.5], [-1], [99], [], 2])))
@example(m=0, lags=np.array([0.0, 1e50]))  # cast of 1e50 to int64
@example(m=7, lags=np.arange(4))  # IndexError past the last head
def test_constructed_head_weight(m, lags):
    cws = cw.construct_weights(SPEC, 2)
    out = call_clean(cws.head_weight, m, lags)
    if isinstance(out, np.ndarray):
        assert np.all(out >= 0)


@fuzz()
@given(spec=st.sampled_from([SPEC, None, "spec", gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 1,
                                                           np.eye(1)),
                             gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 3, np.eye(1),
                                       times=[0.0, 0.5, 2.0])]),
       J=JS, truncation=METHODS)
def test_construct_weights(spec, J, truncation):
    out = call_clean(cw.construct_weights, spec, J, truncation)
    if isinstance(out, cw.ConstructedWeights):
        np.testing.assert_allclose(out.kernel()[: out.J + 1], out.r_bar[: out.J + 1],
                                   atol=1e-8 * max(1.0, np.abs(out.s).max()))


# ----------------------------------------------------------------------------- estimators
def _matrix_fn(kind, n):
    return {"ok": lambda t: 2.0 * np.eye(n), "nan": lambda t: np.full((n, n), np.nan),
            "shape": lambda t: np.eye(n + 1), "none": lambda t: None,
            "complex": lambda t: np.eye(n) * 1j, "raise": lambda t: 1 / 0}[kind]


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


EST = dist.exact_score_estimator(SPEC)
GD_EST = dist.gd_estimator(SPEC, 1, 2)


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


# ----------------------------------------------------------------------------- samplers (direct)
@fuzz()
@given(times=st.one_of(st.just(sampling.time_grid(3.0, 0.05, 4)),
                       bad_arrays((5,), valid=lambda r: np.array([3.0, 1.0, 0.5, 0.1, 0.05])),
                       st.sampled_from([np.array([1e300, 1.0]), np.array([800.0, 1.0]),
                                        np.array([1.0, 1.0])])),
       Y0=bad_arrays((2, 3, 2)), seed=SEEDS,
       sampler=st.sampled_from([sampling.euler_maruyama, sampling.exponential_integrator,
                                sampling.probability_flow]))
@example(times=np.array([800.0, 1.0]), Y0=np.zeros((1, 2, 1)), seed=0,
         sampler=sampling.exponential_integrator)  # math.expm1(800) overflowed
def test_samplers_direct(times, Y0, seed, sampler):
    call_clean(sampler, lambda y, t: -y, Y0, times, seed=seed, progress=False)
