"""Fuzz :mod:`gpdtheory.construct`.

The construction's numbers and weights, ``build``, inspection and sizes.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import construct
from gpdtheory.construct import block, build, inspect, sizes
from gpdtheory.construct import weights as cw
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.models import (
    SoftmaxDiT,
    matching_model,
)
from gpdtheory.testing.bad_input import (
    bad_arrays,
    bad_ints,
    bad_scalars,
    bad_sigmas,
    call_clean,
)

from ._settings import fuzz

SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.array([[1.5, 0.2], [0.2, 0.7]]))
JS = st.one_of(st.integers(0, 6), bad_ints())
METHODS = st.sampled_from(["hard", "taper", "shift", "soft", None])
SPEC_EYE = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.eye(2))
BUILT = build(SPEC_EYE, 1, 2)
TRAINED = matching_model(SPEC_EYE, L=1, J=1)
DIT = SoftmaxDiT(4, 2, width=8, depth=1, heads=2, time_dim=4)
#: Not models; a module with another forward signature (nn.Linear) counts as one only where a
#: GPDiT is required: elsewhere ``model(X, t)`` is the user's own code and its error is theirs.
NOT_MODELS = [None, "model", 3.0, SPEC_EYE]
NOT_GPDIT = NOT_MODELS + [torch.nn.Linear(2, 2), DIT]
TS = st.one_of(st.just(0.5), bad_scalars())
SEEDS = st.one_of(st.integers(0, 2**32), st.sampled_from([-1, 1.5, math.nan, "seed", None,
                                                         2**70, np.int64(3)]))


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


@fuzz()
@given(J=st.one_of(st.integers(0, 5), bad_ints()), L=st.one_of(st.integers(0, 3), bad_ints()),
       spec=st.sampled_from([SPEC_EYE, None, "spec"]))
def test_build(J, L, spec):
    call_clean(construct.build, spec, J, L)
    call_clean(matching_model, spec, L, J)


@fuzz()
@given(model=st.sampled_from([BUILT, TRAINED, build(SPEC_EYE, 0, 1, tied=False)] + NOT_GPDIT),
       blk=st.one_of(st.integers(0, 2), bad_ints()),
       X=st.one_of(st.none(), bad_arrays((4, 2))), t=TS)
def test_inspect(model, blk, X, t):
    call_clean(inspect.head_weights, model, blk, X, t)
    call_clean(inspect.weights_by_lag, model, blk)
    call_clean(inspect.qk_products, model, blk)
    call_clean(inspect.ov_products, model, blk)
    call_clean(inspect.attention_kernel, model, blk, X)
    call_clean(inspect.end_to_end_map, model, t, X)
    call_clean(sizes.model_sizes, model)
    if not isinstance(model, block.GPDiT):
        assert isinstance(call_clean(sizes.model_sizes, model), InvalidArgumentError)


@fuzz()
@given(Sigma=st.one_of(bad_sigmas(d=2), bad_arrays((2, 2), valid=lambda r: np.eye(2))),
       eta=st.one_of(st.just(BUILT.construction.eta), bad_scalars()))
def test_implied_gamma(Sigma, eta):
    out = call_clean(inspect.implied_gamma, BUILT, Sigma, eta)
    if isinstance(out, np.ndarray):
        assert out.shape == (4, 4)


@fuzz()
@given(model=st.sampled_from([BUILT, TRAINED] + NOT_GPDIT),
       cw=st.sampled_from([BUILT.construction, None, "cw",
                           build(gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 3, np.eye(1)), 1,
                                 1).construction]))
def test_load_construction(model, cw):
    import copy

    target = copy.deepcopy(model) if isinstance(model, torch.nn.Module) else model
    call_clean(build.__globals__["load_construction"], target, cw)


@fuzz()
@given(Ns=st.one_of(st.just([3, 4]), st.lists(bad_ints(), max_size=3),
                    st.sampled_from([None, [], [3], [3, 3], "ab", [2**20], 3])),
       J=st.one_of(st.none(), st.integers(0, 3), bad_ints()),
       kernel=st.sampled_from([gp.PoweredExponential(2.0, 1.0), None, "k"]),
       Sigma=st.one_of(st.none(), bad_sigmas(d=1)))
def test_weight_growth(Ns, J, kernel, Sigma):
    out = call_clean(sizes.weight_growth, kernel, Ns, J, Sigma)
    if isinstance(out, dict):
        assert out["B"].shape == out["N"].shape


@fuzz()
@given(J=st.one_of(st.integers(0, 3), bad_ints()), L=st.one_of(st.integers(0, 3), bad_ints()),
       t=TS, n=st.one_of(st.integers(1, 3), bad_ints()), seed=SEEDS,
       spec=st.sampled_from([SPEC_EYE, None, "spec"]))
@example(J=1, L=0, t=0.5, n=2, seed=0, spec=SPEC_EYE)  # L = 0: zero output, 0/0
# t = 1e300: the float32 time tensor must not overflow
@example(J=0, L=0, t=1e300, n=1, seed=0, spec=SPEC_EYE)
def test_float32_error(J, L, t, n, seed, spec):
    out = call_clean(sizes.float32_error, spec, J, L, t, n=n, seed=seed)
    if isinstance(out, dict):
        assert out["output"] >= 0 and out["kernel"] >= 0
