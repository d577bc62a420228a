"""Fuzz :mod:`gpdtheory.video`.

Standardisation, training, generation, attention maps, evaluation, plots.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
from hypothesis import HealthCheck, example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import figures, train, video
from gpdtheory.construct import build
from gpdtheory.data import moving_ball
from gpdtheory.models import (
    SoftmaxDiT,
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
DIT = SoftmaxDiT(4, 2, width=8, depth=1, heads=2, time_dim=4)
TS = st.one_of(st.just(0.5), bad_scalars())
SEEDS = st.one_of(st.integers(0, 2**32), st.sampled_from([-1, 1.5, math.nan, "seed", None,
                                                         2**70, np.int64(3)]))
VIDEO = moving_ball(8, 3, size=4, seed=0)
VCFG = train.TrainConfig(steps=2, batch_size=4, eval_every=1, warmup=0)
VM_DIT = video.train_video(VIDEO, "dit", cfg=VCFG, width=8, depth=1, heads=2)
VM_RELU = video.train_video(VIDEO, "relu", cfg=VCFG, L=1, J=1)
EV = video.evaluate_video(VM_DIT, VIDEO, max_lag=1, n_gen=2, steps=2)
_HC = {"suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much]}


def _model_part(vm):
    return vm.model, vm.shift, vm.scale


def _as_input(X):
    """Half the time a tensor (the models' usual input), else the raw value."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "biufc":
        return torch.as_tensor(X)
    return X


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


@fuzz()
@given(tokens=bad_arrays((2, 3, 16)), Z=bad_arrays((2, 3, 16)))
@example(tokens=np.zeros((2, 3, 16)), Z=np.full((2, 3, 16), np.nan))  # NaN passed through
def test_video_standardize(tokens, Z):
    call_clean(VM_DIT.standardize, tokens)
    call_clean(VM_DIT.destandardize, Z)


@fuzz()
@given(vid=st.sampled_from([VIDEO, moving_ball(8, 3, size=4, seed=1, patch=2), None, "v"]),
       model=st.sampled_from(["dit", "relu", "cnn", None]),
       cfg=st.sampled_from([VCFG, None, "cfg"]), width=st.one_of(st.just(8), bad_ints()),
       heads=st.one_of(st.just(2), bad_ints()), L=st.one_of(st.just(1), bad_ints()),
       J=st.one_of(st.none(), st.just(1), bad_ints()), seed=SEEDS,
       dtype=st.sampled_from([torch.float32, torch.int64]), device=st.sampled_from(["cpu", "x"]),
       pos_init=st.sampled_from(["sincos", "normal", "bogus"]))
def test_train_video(vid, model, cfg, width, heads, L, J, seed, dtype, device, pos_init):
    if cfg is None:
        cfg = VCFG  # the default runs 400 steps: keep the valid path cheap
    # the training record holds documented nans (no track, no held-out loss): check the model
    out = call_clean(lambda: _model_part(video.train_video(
        vid, model, cfg=cfg, width=width, depth=1, heads=heads, pos_init=pos_init, L=L, J=J,
        seed=seed, dtype=dtype, device=device)))
    if isinstance(out, tuple):
        assert all(torch.isfinite(p).all() for p in out[0].parameters())


@fuzz()
@given(vm=st.sampled_from([VM_DIT, VM_RELU, None]), n=st.one_of(st.integers(1, 2), bad_ints()),
       N=st.one_of(st.just(3), bad_ints()), T=st.one_of(st.just(2.0), bad_scalars()),
       t0=st.one_of(st.just(0.1), bad_scalars()), steps=st.one_of(st.integers(1, 2), bad_ints()),
       seed=SEEDS)
def test_generate(vm, n, N, T, t0, steps, seed):
    out = call_clean(video.generate, vm, n, N, T=T, t0=t0, steps=steps, seed=seed)
    if isinstance(out, np.ndarray):
        assert out.min() >= 0 and out.max() <= 1


@fuzz()
@given(model=st.sampled_from([DIT, VM_DIT.model, BUILT, None]), X=bad_arrays((2, 3, 16)), t=TS)
def test_attention_maps(model, X, t):
    out = call_clean(video.attention_maps, model, _as_input(X), t)
    if isinstance(out, np.ndarray):
        np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-5)


@fuzz()
@given(vm=st.sampled_from([VM_DIT, VM_RELU, None]),
       vid=st.sampled_from([VIDEO, moving_ball(2, 3, size=8, seed=0), None]),
       times=st.one_of(st.just((0.5,)), st.lists(bad_scalars(), max_size=2),
                       st.sampled_from([None, 0.5, "ab", [[0.5]]])),
       n=st.one_of(st.integers(1, 4), bad_ints()), seed=SEEDS)
def test_attention_lag_profile(vm, vid, times, n, seed):
    call_clean(video.attention_lag_profile, vm, vid, times=times, n=n, seed=seed)


@fuzz(**_HC)
@given(vm=st.sampled_from([VM_DIT, VM_RELU, None]), vid=st.sampled_from([VIDEO, None]),
       max_lag=st.one_of(st.integers(0, 3), bad_ints()),
       n_gen=st.one_of(st.integers(1, 2), bad_ints()), steps=st.one_of(st.just(1), bad_ints()),
       floor=st.one_of(st.just(0.3), bad_scalars()), seed=SEEDS)
def test_evaluate_video(vm, vid, max_lag, n_gen, steps, floor, seed):
    def run():
        ev = video.evaluate_video(vm, vid, max_lag=max_lag, n_gen=n_gen, steps=steps,
                                  floor=floor, seed=seed)
        # documented: a correlation is nan exactly when its profile is constant
        blank = {}
        for name, prof in (("attention_corr", ev.attention), ("generated_corr", ev.generated),
                           ("data_corr", ev.data)):
            if math.isnan(getattr(ev, name)):
                assert np.ptp(prof) == 0 or np.ptp(ev.rho) == 0, (name, prof)
                blank[name] = 0.0
        return dataclasses.replace(ev, **blank)

    out = call_clean(run)
    if isinstance(out, video.VideoEvaluation):
        assert out.frames.shape[0] == n_gen and out.rho.shape == (int(max_lag) + 1,)


@fuzz()
@given(vid=st.sampled_from([VIDEO, None]), ev=st.sampled_from([EV, None, "ev"]),
       vm=st.sampled_from([None, VM_DIT, VM_RELU, "vm"]),
       n_frames=st.one_of(st.integers(1, 3), bad_ints()))
def test_plot_video(vid, ev, vm, n_frames):
    out = call_clean(figures.plot_video, vid, ev, vm, n_frames=n_frames)
    if not isinstance(out, gp.GPDTheoryError):
        assert type(out).__name__ == "Figure"
