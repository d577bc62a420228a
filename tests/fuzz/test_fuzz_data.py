"""Fuzz :mod:`gpdtheory.data` (moving-ball videos): generation, rendering, tokens, correlations.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import data as mb
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.testing.bad_input import (
    bad_arrays,
    bad_correlations,
    bad_ints,
    bad_scalars,
    bad_sigmas,
    call_clean,
)

from ..helpers import NEAR_SINGULAR_SIGMA
from ._accepted import accepted_int, accepted_real
from ._settings import fuzz

SEEDS = st.one_of(st.integers(0, 2**32), st.none(),
                  st.sampled_from([-1, 1.5, math.nan, "seed", 2**200, np.int64(3), [1, 2],
                                   np.random.default_rng(0)]))
BALL = mb.moving_ball(2, 3, 6, seed=0)


@fuzz()
@given(n=st.one_of(st.integers(1, 3), bad_ints()), N=st.one_of(st.integers(1, 4), bad_ints()),
       size=st.one_of(st.integers(4, 10), bad_ints()),
       radius=st.one_of(st.none(), st.floats(0.5, 3.0), bad_scalars()),
       softness=st.one_of(st.just(0.6), bad_scalars()),
       scale=st.one_of(st.none(), st.floats(0.1, 5.0), bad_scalars()),
       boundary=st.sampled_from(["reflect", "clip", "wrap", None]),
       patch=st.one_of(st.none(), st.integers(1, 4), bad_ints()), seed=SEEDS)
# scale * Z at the float64 limit: positions stay finite
@example(n=1, N=2, size=8, radius=None, softness=0.6, scale=1.7976931348623157e308,
         boundary="reflect", patch=None, seed=0)
@example(n=1, N=2, size=8, radius=None, softness=5e-324, scale=None, boundary="reflect",
         patch=None, seed=0)  # dist / softness at the float64 limit in render
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
@example(kernel=None, Sigma=NEAR_SINGULAR_SIGMA)   # exactly definite, eigh's value negative
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
