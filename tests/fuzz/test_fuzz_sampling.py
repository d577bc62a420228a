"""Fuzz :mod:`gpdtheory.sampling`: time grids, the reverse sampler and the samplers called directly.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import sampling
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.testing.bad_input import (
    bad_arrays,
    bad_ints,
    bad_scalars,
    call_clean,
)
from gpdtheory.validation import check_positive_int

from ._settings import fuzz


def _rng0_normal(shape, complex_part=False):
    """``default_rng(0)`` standard normals: the base array of the recorded falsifying examples."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal(shape)
    return base + 1j * rng.standard_normal(shape) if complex_part else base


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


SEEDS = st.one_of(st.integers(0, 2**32), st.none(),
                  st.sampled_from([-1, 1.5, math.nan, "seed", 2**200, np.int64(3), [1, 2],
                                   np.random.default_rng(0)]))


@fuzz()
@given(T=bad_scalars(), t0=bad_scalars(), steps=st.one_of(st.integers(1, 5), bad_ints()),
       kind=st.sampled_from(["log", "uniform", "cosine", None]))
# steps=True (a bool) and steps=2**63 (> INT_MAX) are bad steps themselves, so
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


@fuzz()
@given(kind=st.sampled_from(["ok", "nan", "shape", "none"]),
       method=st.sampled_from(["euler_maruyama", "exponential_integrator", "probability_flow",
                               "heun"]),
       Y0=st.one_of(st.none(), bad_arrays((2, 3, 2))), T=st.one_of(st.just(2.0), bad_scalars()),
       t0=st.one_of(st.just(0.01), bad_scalars()))
# a Y0 with extra unit axes must not make a misshaped score look well shaped
@example(kind="shape", method="euler_maruyama", Y0=_rng0_normal((2, 3, 2))[None, ..., None],
         T=2.0, t0=0.01)
def test_reverse_sample(kind, method, Y0, T, t0):
    """A score function returning NaN or the wrong shape is refused, not integrated."""
    out = call_clean(sampling.reverse_sample, _score_fn(kind), 2, 3, 2, T=T, t0=t0, steps=4,
                     method=method, Y0=Y0, seed=0, progress=False)
    if kind != "ok":
        assert isinstance(out, gp.GPDTheoryError), out


@fuzz()
@given(times=st.one_of(st.just(sampling.time_grid(3.0, 0.05, 4)),
                       bad_arrays((5,), valid=lambda r: np.array([3.0, 1.0, 0.5, 0.1, 0.05])),
                       st.sampled_from([np.array([1e300, 1.0]), np.array([800.0, 1.0]),
                                        np.array([1.0, 1.0])])),
       Y0=bad_arrays((2, 3, 2)), seed=SEEDS,
       sampler=st.sampled_from([sampling.euler_maruyama, sampling.exponential_integrator,
                                sampling.probability_flow]))
@example(times=np.array([800.0, 1.0]), Y0=np.zeros((1, 2, 1)), seed=0,
         sampler=sampling.exponential_integrator)  # h ~ 800: math.expm1 at the float64 limit
def test_samplers_direct(times, Y0, seed, sampler):
    call_clean(sampler, lambda y, t: -y, Y0, times, seed=seed, progress=False)
