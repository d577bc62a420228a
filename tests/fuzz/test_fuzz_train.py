"""Fuzz :mod:`gpdtheory.train`.

Configuration, devices, time sampling, the DSM loss, ``train`` arguments and bad data.

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
from gpdtheory import train
from gpdtheory.construct import build
from gpdtheory.models import (
    SoftmaxDiT,
    UNet1d,
    matching_model,
)
from gpdtheory.testing.bad_input import bad_arrays, bad_ints, bad_scalars, call_clean

from ._settings import fuzz

SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.eye(2))
FIELDS = ["steps", "batch_size", "lr", "warmup", "t0", "T", "ema", "holdout", "patience",
          "optimizer", "schedule", "t_sampling", "weighting"]
BUILT = build(SPEC, 1, 2)
TRAINED = matching_model(SPEC, L=1, J=1)
DIT = SoftmaxDiT(4, 2, width=8, depth=1, heads=2, time_dim=4)
UNET = UNet1d(4, 2, width=4, time_dim=4)
MODELS = st.sampled_from([BUILT, TRAINED, DIT, UNET])
VCFG = train.TrainConfig(steps=2, batch_size=4, eval_every=1, warmup=0)


def _as_input(X):
    """Half the time a tensor (the models' usual input), else the raw value."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "biufc":
        return torch.as_tensor(X)
    return X


@fuzz()
@given(field=st.sampled_from(FIELDS),
       value=st.one_of(bad_scalars(), bad_ints(), st.sampled_from(["", "sgd", None])))
@example(field="optimizer", value=np.array([]))  # an array: `in` on a tuple must not raise
def test_train_config(field, value):
    call_clean(train.TrainConfig, **{field: value})


@fuzz()
@given(data=bad_arrays((16, 4, 2)))
def test_train_bad_data(data):
    """NaN, complex or misshaped training data: refused, never a NaN-trained model."""
    model = matching_model(SPEC, L=1, J=1)
    cfg = train.TrainConfig(steps=2, batch_size=4)
    # best_val is a documented nan without a held-out set: check the model, not the record
    out = call_clean(lambda: train.train(model, data, cfg).model)
    if not isinstance(out, gp.GPDTheoryError):
        for p in out.parameters():
            assert torch.isfinite(p).all()


@fuzz()
@given(device=st.sampled_from(["cpu", "auto", None, "gpu", "cuda:99", "", 3, "cpu:0", "meta",
                               "cuda", torch.device("cpu"), object(), math.nan]))
def test_resolve_device(device):
    out = call_clean(train.resolve_device, device)
    if isinstance(out, torch.device):
        assert out.type in ("cpu", "cuda", "mps")


@fuzz()
@given(cfg=st.sampled_from([VCFG, train.TrainConfig(t_sampling="uniform"),
                            train.TrainConfig(t_sampling="fixed"), None, "cfg"]),
       n=st.one_of(st.integers(1, 5), bad_ints()),
       dtype=st.sampled_from([torch.float64, torch.float32, torch.int32, None]),
       gen=st.sampled_from(["gen", None, 0]))
def test_sample_times(cfg, n, dtype, gen):
    g = torch.Generator().manual_seed(0) if gen == "gen" else gen
    out = call_clean(train.sample_times, cfg, n, g, dtype, "cpu")
    if isinstance(out, torch.Tensor):
        assert (out >= cfg.t0 * (1 - 1e-6)).all() and (out <= cfg.T * (1 + 1e-6)).all()


@fuzz()
@given(model=MODELS, x0=bad_arrays((2, 4, 2)),
       t=bad_arrays((2,), valid=lambda r: r.uniform(.1, 2, 2)),
       eps=bad_arrays((2, 4, 2)), weighting=st.sampled_from(["sigma2", "none", "bogus", None]))
def test_dsm_loss(model, x0, t, eps, weighting):
    out = call_clean(train.dsm_loss, model, _as_input(x0), _as_input(t), _as_input(eps), weighting)
    if isinstance(out, torch.Tensor):
        assert torch.isfinite(out)


@fuzz()
@given(model=st.sampled_from([TRAINED, None, "model", torch.nn.ReLU()]),
       cfg=st.sampled_from([None, "cfg", {"steps": 1}]),
       device=st.sampled_from(["cpu", "nope", 3]),
       track=st.sampled_from([None, 3, lambda m: 1.0]))
def test_train_arguments(model, cfg, device, track):
    cfg = train.TrainConfig(steps=1, batch_size=4, eval_every=1) if cfg is None else cfg
    call_clean(lambda: train.train(model, SPEC.sample(8, seed=0), cfg, device=device,
                                   track=track).model)
