"""Fuzz :mod:`gpdtheory.compare`.

Correlations, Kronecker fits, kernels, heads, Jacobians, warm starts.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import compare, train
from gpdtheory.construct import build
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.models import (
    SoftmaxDiT,
    UNet1d,
    matching_model,
)
from gpdtheory.testing.bad_input import (
    bad_arrays,
    bad_ints,
    bad_scalars,
    call_clean,
)

from ._settings import fuzz

SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.eye(2))
BUILT = build(SPEC, 1, 2)
TRAINED = matching_model(SPEC, L=1, J=1)
DIT = SoftmaxDiT(4, 2, width=8, depth=1, heads=2, time_dim=4)
UNET = UNet1d(4, 2, width=4, time_dim=4)
#: Not models; a module with another forward signature (nn.Linear) counts as one only where a
#: GPDiT is required: elsewhere ``model(X, t)`` is the user's own code and its error is theirs.
NOT_MODELS = [None, "model", 3.0, SPEC]
NOT_GPDIT = NOT_MODELS + [torch.nn.Linear(2, 2), DIT]
TS = st.one_of(st.just(0.5), bad_scalars())
VCFG = train.TrainConfig(steps=2, batch_size=4, eval_every=1, warmup=0)


def _undefined(fn, a, b) -> bool:
    """Whether ``fn(a, b)`` is NaN by its documented rule (a constant / zero input)."""
    arrays = [np.ravel(np.asarray(x, dtype=float)) for x in (a, b)]
    if fn is compare.correlation:
        return any(np.all(x == x[0]) for x in arrays)
    return any(not np.any(x) for x in arrays)


@fuzz()
@given(a=bad_arrays((6,)), b=bad_arrays((6,)))
def test_correlations(a, b):
    for fn in (compare.correlation, compare.jacobian_cosine):
        try:
            raw = fn(a, b)
        except gp.GPDTheoryError:
            raw = None  # refused: call_clean below checks the error's message
        if raw is not None and math.isnan(raw):  # documented: NaN exactly when undefined
            assert _undefined(fn, a, b), (fn.__name__, a, b)
            continue
        v = call_clean(fn, a, b)
        if isinstance(v, float):
            assert -1.0 - 1e-12 <= v <= 1.0 + 1e-12
            assert not _undefined(fn, a, b), (fn.__name__, a, b, v)


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


def _kernel_comparison(model, r_bar, blk) -> object:
    """:func:`compare.compare_kernel` with its two documented NaN baselines checked and set
    aside: the identity and uniform kernels are constant on lags >= 1, where a correlation
    is undefined (``KernelComparison.baselines``); every other value must be a number."""
    out = compare.compare_kernel(model, r_bar, blk)
    assert math.isnan(out.baselines["identity"]) and math.isnan(out.baselines["uniform"])
    kept = {k: v for k, v in out.baselines.items() if k not in ("identity", "uniform")}
    return dataclasses.replace(out, baselines=kept)


@fuzz()
@given(model=st.sampled_from([BUILT, TRAINED] + NOT_GPDIT),
       other=st.sampled_from([BUILT, TRAINED, build(SPEC, 0, 1), None]),
       r_bar=bad_arrays((4,), valid=lambda r: 0.5 ** np.arange(4.0)),
       blk=st.one_of(st.just(0), bad_ints()))
def test_compare_kernels_and_heads(model, other, r_bar, blk):
    call_clean(compare.kernel_by_lag, model, blk)
    try:
        raw = compare.compare_kernel(model, r_bar, blk)
    except gp.GPDTheoryError:
        raw = None  # refused: call_clean below checks the error's message
    if isinstance(raw, compare.KernelComparison) and math.isnan(raw.correlation):
        # documented: NaN exactly when the kernel or r_bar is constant on lags >= 1
        assert _undefined(compare.correlation, raw.kernel[1:], np.asarray(r_bar, float)[1:])
    else:
        out = call_clean(_kernel_comparison, model, r_bar, blk)
        if isinstance(out, compare.KernelComparison):
            assert -1.0 <= out.correlation <= 1.0
    call_clean(compare.match_heads, model, other, blk)


@fuzz()
@given(model=st.sampled_from([DIT, BUILT, torch.nn.Linear(2, 2)]),
       spec=st.sampled_from([SPEC, None, "spec", gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 3,
                                                           np.eye(2))]),
       blk=st.one_of(st.integers(0, 2), bad_ints()), n=st.one_of(st.just(4), bad_ints()),
       times=st.sampled_from([(0.5,), (), (math.nan,), (-1.0,), "t", ((0.5, 1.0),)]),
       direction=st.sampled_from(["forward", "both", "up", None]))
def test_kernel_by_lag_of_any_model(model, spec, blk, n, times, direction):
    out = call_clean(compare.kernel_by_lag, model, blk, direction=direction, spec=spec, n=n,
                     times=times)
    if isinstance(out, np.ndarray):
        assert out.shape == (4,)
        if model is DIT:  # softmax probabilities averaged along diagonals
            assert np.all(out >= 0) and np.all(out <= 1)


@fuzz()
@given(X=bad_arrays((4, 2)), J=st.one_of(st.integers(0, 4), bad_ints()),
       layers=st.sampled_from([None, ["blocks.0"], "blocks.0", ["nope"], [3], "*"]),
       n_train=st.one_of(st.just(16), bad_ints()), ridge=st.one_of(st.just(1e-6), bad_scalars()))
def test_layers_vs_gd_probe(X, J, layers, n_train, ridge):
    out = call_clean(compare.layers_vs_gd, DIT, SPEC, X, 0.5, J, layers=layers, n_train=n_train,
                     ridge=ridge)
    if isinstance(out, np.ndarray):
        assert out.shape == (1,) and np.all(out >= 0)


@fuzz()
@given(model=st.sampled_from([BUILT, DIT, UNET] + NOT_MODELS), X=bad_arrays((4, 2)), t=TS,
       J=st.one_of(st.integers(0, 4), bad_ints()),
       spec=st.sampled_from([SPEC, None, gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 3,
                                                   np.eye(2))]))
def test_jacobian_and_layers(model, X, t, J, spec):
    Jac = call_clean(compare.jacobian, model, X, t)
    if isinstance(Jac, np.ndarray):
        if np.any(Jac):
            assert abs(call_clean(compare.jacobian_cosine, Jac, Jac) - 1.0) < 1e-12
        else:  # documented: a zero Jacobian (a zero-initialised output layer) has no direction
            assert math.isnan(compare.jacobian_cosine(Jac, Jac))
    call_clean(compare.layers_vs_gd, model, spec, X, t, J)


@fuzz()
@given(ref=st.sampled_from(["same", "missing", "extra", "shape", "nan", "notdict", "zero"]))
def test_parameter_distance(ref):
    base = {k: v.detach().clone() for k, v in BUILT.named_parameters()}
    k0 = next(iter(base))
    if ref == "missing":
        base.pop(k0)
    elif ref == "extra":
        base["bogus"] = torch.zeros(1)
    elif ref == "shape":
        base[k0] = torch.zeros(1)
    elif ref == "nan":
        base[k0] = torch.full_like(base[k0], math.nan)
    elif ref == "notdict":
        base = list(base.values())
    elif ref == "zero":
        base = {k: torch.zeros_like(v) for k, v in base.items()}
    out = call_clean(compare.parameter_distance, BUILT, base)
    if ref in ("missing", "extra", "shape", "nan", "notdict"):
        assert isinstance(out, InvalidArgumentError), (ref, out)


@fuzz()
@given(constructed=st.sampled_from([BUILT, None, "m"]),
       data=bad_arrays((8, 4, 2)), cfg=st.sampled_from([None, VCFG, "cfg", {"steps": 1}]))
def test_warm_start(constructed, data, cfg):
    if cfg is None:
        cfg = train.TrainConfig(steps=1, batch_size=4, eval_every=1)
    out = call_clean(lambda: compare.warm_start(constructed, data, cfg).model)
    if isinstance(out, torch.nn.Module):
        assert all(torch.isfinite(p).all() for p in out.parameters())


@fuzz()
@given(model=st.sampled_from([BUILT, TRAINED, DIT] + NOT_MODELS),
       X=st.one_of(bad_arrays((4, 2)), bad_arrays((3, 4, 2)), st.integers(-2, 6), st.just(True)),
       t=TS, J=st.one_of(st.integers(0, 4), bad_ints()),
       untrained=st.sampled_from([None, TRAINED, DIT, "model", torch.nn.Linear(2, 2)]))
def test_compare_layers(model, X, t, J, untrained):
    probe = {"n_train": 16} if model is DIT else {}
    out = call_clean(compare.compare_layers, model, SPEC, X, t, J, untrained=untrained, **probe)
    if isinstance(out, compare.LayersComparison):
        lo, hi = out.bounds
        assert lo - 1e-9 * (1 + hi) <= out.final <= hi * (1 + 1e-9) + 1e-12
        assert all(math.isfinite(v) for v in out.baselines.values())
        assert isinstance(out.beats_baselines, bool) and "\n" not in repr(out)
