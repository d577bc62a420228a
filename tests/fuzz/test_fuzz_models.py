"""Fuzz :mod:`gpdtheory.models`.

Model constructors, ``model_spec``/``make_model``, forward passes, time embeddings.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory.construct import block, build
from gpdtheory.models import (
    SoftmaxDiT,
    UNet1d,
    make_model,
    matching_model,
    model_spec,
    sincos_position_embedding,
    timestep_embedding,
)
from gpdtheory.testing.bad_input import bad_arrays, bad_ints, bad_scalars, call_clean

from ._settings import fuzz

SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.eye(2))
BUILT = build(SPEC, 1, 2)
TRAINED = matching_model(SPEC, L=1, J=1)
DIT = SoftmaxDiT(4, 2, width=8, depth=1, heads=2, time_dim=4)
UNET = UNet1d(4, 2, width=4, time_dim=4)
MODELS = st.sampled_from([BUILT, TRAINED, DIT, UNET])
#: Not models; a module with another forward signature (nn.Linear) counts as one only where a
#: GPDiT is required: elsewhere ``model(X, t)`` is the user's own code and its error is theirs.
NOT_MODELS = [None, "model", 3.0, SPEC]
TIMES2 = st.one_of(st.just(0.5), bad_scalars(),
                   bad_arrays((2,), valid=lambda r: r.uniform(.1, 2, 2)))


def _as_input(X):
    """Half the time a tensor (the models' usual input), else the raw value."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "biufc":
        return torch.as_tensor(X)
    return X


@fuzz()
@given(N=st.one_of(st.integers(1, 4), bad_ints()), d=st.one_of(st.integers(1, 2), bad_ints()),
       L=st.one_of(st.integers(0, 2), bad_ints()), heads=st.one_of(st.integers(0, 3), bad_ints()),
       key_dim=st.one_of(st.just(3), bad_ints()), value_dim=st.one_of(st.none(), bad_ints()),
       ffn_hidden=st.one_of(st.just(0), bad_ints()),
       n_frequencies=st.one_of(st.just(0), bad_ints()),
       mean=st.one_of(st.none(), bad_arrays((4, 2))),
       dtype=st.sampled_from([torch.float64, torch.float32, torch.int64, torch.complex64, "f8",
                              None]))
@example(N=4, d=2, L=1, heads=1, key_dim=3, value_dim=None, ffn_hidden=0, n_frequencies=0,
         mean=np.full((4, 2), np.nan), dtype=torch.float64)  # a NaN mean is refused, not stored
def test_gpdit(N, d, L, heads, key_dim, value_dim, ffn_hidden, n_frequencies, mean, dtype):
    m = call_clean(block.GPDiT, N, d, L, heads, key_dim, value_dim, ffn_hidden=ffn_hidden,
                   n_frequencies=n_frequencies, mean=mean, dtype=dtype)
    if isinstance(m, block.GPDiT):
        out = call_clean(m, torch.zeros(2, m.N, m.d, dtype=m.pos.dtype), 0.5)
        assert isinstance(out, torch.Tensor) and out.shape == (2, m.N, m.d)
        spec = call_clean(model_spec, m)
        if isinstance(spec, dict):
            call_clean(make_model, spec)


@fuzz()
@given(kind=st.sampled_from(["dit", "unet"]), N=st.one_of(st.integers(1, 4), bad_ints()),
       d=st.one_of(st.integers(1, 2), bad_ints()), width=st.one_of(st.just(4), bad_ints()),
       depth=st.one_of(st.just(1), bad_ints()), heads=st.one_of(st.integers(1, 2), bad_ints()),
       mlp_ratio=st.one_of(st.just(2), bad_ints()),
       time_dim=st.one_of(st.just(4), st.integers(1, 5), bad_ints()),
       dtype=st.sampled_from([torch.float64, torch.float32, torch.int64, "f8"]),
       pos_init=st.sampled_from(["normal", "sincos", "zeros", None]))
@example(kind="dit", N=2, d=1, width=4, depth=1, heads=0, mlp_ratio=2, time_dim=4,
         dtype=torch.float64, pos_init="normal")  # ZeroDivisionError in width % heads
@example(kind="dit", N=2, d=1, width=4, depth=1, heads=1, mlp_ratio=2, time_dim=3,
         dtype=torch.float64, pos_init="normal")  # odd time_dim: shape error at first forward
def test_baselines(kind, N, d, width, depth, heads, mlp_ratio, time_dim, dtype, pos_init):
    if kind == "dit":
        m = call_clean(SoftmaxDiT, N, d, width, depth, heads, mlp_ratio, time_dim,
                       pos_init=pos_init, dtype=dtype)
    else:
        m = call_clean(UNet1d, N, d, width, time_dim, dtype=dtype)
    if isinstance(m, torch.nn.Module):
        p = next(m.parameters())
        out = call_clean(m, torch.zeros(2, m.N, m.d, dtype=p.dtype), torch.ones(2, dtype=p.dtype))
        assert isinstance(out, torch.Tensor) and out.shape == (2, m.N, m.d)
        call_clean(make_model, model_spec(m))


@fuzz()
@given(D=st.one_of(st.integers(1, 7), bad_ints()), heads=st.one_of(st.integers(0, 3), bad_ints()),
       key_dim=st.one_of(st.just(3), bad_ints()), value_dim=st.one_of(st.just(2), bad_ints()),
       ffn_hidden=st.one_of(st.just(0), bad_ints()), n_time=st.one_of(st.just(2), bad_ints()),
       dtype=st.sampled_from([torch.float64, torch.float32, torch.int64, "f8"]))
@example(D=3, heads=0, key_dim=3, value_dim=2, ffn_hidden=0, n_time=2,
         dtype=torch.float64)  # no content slot: zero-width layers
def test_relu_block(D, heads, key_dim, value_dim, ffn_hidden, n_time, dtype):
    b = call_clean(block.ReLUAttentionBlock, D, heads, key_dim, value_dim,
                   ffn_hidden=ffn_hidden, n_time=n_time, dtype=dtype)
    if isinstance(b, block.ReLUAttentionBlock):
        H = torch.zeros(2, 3, b.D, dtype=b.gate.weight.dtype)
        out = call_clean(b, H, torch.zeros(2, b.n_time, dtype=H.dtype))
        assert isinstance(out, torch.Tensor) and out.shape == H.shape


@fuzz()
@given(spec=st.one_of(st.sampled_from([None, "spec", {}, {"class": "GPDiT"}]),
                      st.fixed_dictionaries({
                          "class": st.sampled_from(["GPDiT", "SoftmaxDiT", "UNet1d", "Linear", 3]),
                          "kwargs": st.one_of(st.sampled_from([None, [], {"N": 4}, {"bogus": 1}]),
                                              st.just(model_spec(BUILT)["kwargs"]),
                                              st.just(model_spec(DIT)["kwargs"])),
                          "dtype": st.sampled_from(["float64", "float32", "int8", None])})))
def test_make_model(spec):
    call_clean(make_model, spec)


@fuzz()
@given(model=st.sampled_from([BUILT, DIT, UNET] + NOT_MODELS))
def test_model_spec(model):
    out = call_clean(model_spec, model)
    if isinstance(out, dict):
        assert isinstance(call_clean(make_model, out), type(model))


@fuzz()
@given(model=MODELS, X=bad_arrays((2, 4, 2)),
       t=TIMES2,
       tensor=st.booleans())
@example(model=DIT, X=np.zeros((2, 4, 2)), t=0.0, tensor=True)  # log(0): NaN score
@example(model=UNET, X=np.zeros((2, 4, 2)), t=-1.0, tensor=True)
@example(model=BUILT, X=np.full((2, 4, 2), np.nan), t=0.5, tensor=True)  # NaN in, NaN out
def test_forward(model, X, t, tensor):
    if tensor:
        X, t = _as_input(X), _as_input(t)
    out = call_clean(model, X, t)
    if isinstance(out, torch.Tensor):
        assert out.shape == (2, 4, 2) and torch.isfinite(out).all()


@fuzz()
@given(t=st.one_of(bad_arrays((3,), valid=lambda r: r.uniform(.1, 2, 3)), bad_scalars()),
       dim=st.one_of(st.integers(1, 8), bad_ints()),
       n_freq=st.one_of(st.integers(0, 2), bad_ints()))
def test_time_embeddings(t, dim, n_freq):
    tt = _as_input(t)
    call_clean(timestep_embedding, tt, dim)
    call_clean(block.time_features, tt, n_freq)
    call_clean(block.position_embedding, dim)
    call_clean(sincos_position_embedding, n_freq, dim)
