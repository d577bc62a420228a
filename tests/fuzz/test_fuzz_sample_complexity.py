"""Fuzz :mod:`gpdtheory.sample_complexity`.

The plug-in estimator, slopes, sweeps and the trained error.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import sample_complexity, train
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.testing.bad_input import (
    bad_arrays,
    bad_ints,
    bad_scalars,
    bad_sigmas,
    call_clean,
)

from ._accepted import accepted_real
from ._settings import fuzz

SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.array([[1.5, 0.2], [0.2, 0.7]]))
SEEDS = st.one_of(st.integers(0, 2**32), st.none(),
                  st.sampled_from([-1, 1.5, math.nan, "seed", 2**200, np.int64(3), [1, 2],
                                   np.random.default_rng(0)]))


def _error_fn(spec, n, seed=0, **kwargs):
    return 1.0 / math.sqrt(n) * (1.0 + 0.01 * (seed % 7))


SPEC_EYE = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.eye(2))
TS = st.one_of(st.just(0.5), bad_scalars())
TORCH_SEEDS = st.one_of(st.integers(0, 2**32), st.sampled_from([-1, 1.5, math.nan, "seed", None,
                                                         2**70, np.int64(3)]))


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
@example(n=1, seed=45, t=2.04726137455056e-277, spec=SPEC)  # t ~ 1e-277: l2_error must not overflow
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


@fuzz()
@given(spec=st.sampled_from([SPEC_EYE, None, "spec"]), n=st.one_of(st.integers(2, 8), bad_ints()),
       seed=TORCH_SEEDS, t=TS, L=st.one_of(st.integers(0, 2), bad_ints()),
       cfg=st.sampled_from(["tiny", None, "cfg"]))
@example(spec=SPEC_EYE, n=2, seed=0, t=0.5, L=0, cfg="tiny")  # L = 0: backward on a constant
def test_trained_error(spec, n, seed, t, L, cfg):
    from gpdtheory.sample_complexity import trained_error

    if cfg in ("tiny", None):  # None would train 2000 steps: the valid path stays tiny
        cfg = train.TrainConfig(steps=1, batch_size=4, eval_every=1, holdout=0.0)
    out = call_clean(trained_error, spec, n, seed, t, L, cfg)
    if isinstance(out, float):
        assert out >= 0
