"""Fuzz :mod:`gpdtheory.evaluate`: score error, exact KL and covariance error of a model.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import evaluate
from gpdtheory.construct import build
from gpdtheory.models import (
    SoftmaxDiT,
    matching_model,
)
from gpdtheory.testing.bad_input import bad_arrays, bad_ints, bad_scalars, call_clean

from ._settings import fuzz

SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.eye(2))
BUILT = build(SPEC, 1, 2)
TRAINED = matching_model(SPEC, L=1, J=1)
DIT = SoftmaxDiT(4, 2, width=8, depth=1, heads=2, time_dim=4)
#: Not models; a module with another forward signature (nn.Linear) counts as one only where a
#: GPDiT is required: elsewhere ``model(X, t)`` is the user's own code and its error is theirs.
NOT_MODELS = [None, "model", 3.0, SPEC]
TIMES2 = st.one_of(st.just(0.5), bad_scalars(),
                   bad_arrays((2,), valid=lambda r: r.uniform(.1, 2, 2)))
SEEDS = st.one_of(st.integers(0, 2**32), st.sampled_from([-1, 1.5, math.nan, "seed", None,
                                                         2**70, np.int64(3)]))


@fuzz()
@given(model=st.sampled_from([BUILT, TRAINED, DIT] + NOT_MODELS),
       spec=st.sampled_from([SPEC, None, "spec", gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 3,
                                                           np.eye(2))]),
       t=TIMES2,
       n_mc=st.one_of(st.just(8), bad_ints()), seed=SEEDS,
       exact=st.sampled_from([None, True, False, "yes", 1]))
def test_score_error(model, spec, t, n_mc, seed, exact):
    out = call_clean(evaluate.score_error, model, spec, t, n_mc=n_mc, seed=seed, exact=exact)
    if isinstance(out, evaluate.ScoreAccuracy):
        assert np.all(out.relative >= 0)
    call_clean(evaluate.score_norm2, spec, t)
    call_clean(evaluate.linear_map, model, t)
    assert isinstance(evaluate.is_linear(model), bool)


@fuzz()
@given(model=st.sampled_from([BUILT, DIT, None]),
       spec=st.sampled_from([SPEC, None, gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.eye(2),
                                                   mean=np.ones(2))]),
       T=st.one_of(st.just(3.0), bad_scalars()), t0=st.one_of(st.just(0.1), bad_scalars()))
def test_exact_kl(model, spec, T, t0):
    out = call_clean(evaluate.exact_kl, model, spec, T, t0)
    if isinstance(out, float):
        assert out >= -1e-9


@fuzz()
@given(model=st.sampled_from([BUILT, DIT, None]), spec=st.sampled_from([SPEC, None]),
       n=st.one_of(st.integers(1, 4), bad_ints()), T=st.one_of(st.just(3.0), bad_scalars()),
       t0=st.one_of(st.just(0.1), bad_scalars()), steps=st.one_of(st.integers(1, 3), bad_ints()),
       seed=SEEDS)
@example(model=BUILT, spec=SPEC, n=1, T=353.0, t0=0.1, steps=1, seed=0)  # covariance overflow
def test_covariance_error(model, spec, n, T, t0, steps, seed):
    call_clean(evaluate.covariance_error, model, spec, n, T=T, t0=t0, steps=steps, seed=seed)
