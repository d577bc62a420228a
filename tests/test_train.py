"""DSM trainer, marginalised loss, models and checkpoints (gpdtheory.train, gpdtheory.models)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import gpdtheory as gp
from gpdtheory.errors import CheckpointError, ConvergenceError, InvalidArgumentError
from gpdtheory.evaluate import linear_map, score_error
from gpdtheory.models import SoftmaxDiT, UNet1d, matching_model
from gpdtheory.train import (
    TrainConfig,
    TrainingDivergedError,
    dsm_loss,
    linear_maps,
    load_checkpoint,
    marginal_dsm_loss,
    midpoint_times,
    save_checkpoint,
    train,
)

#: Monte Carlo agreement of the marginalised loss with the sampled DSM loss: 4 standard errors.
MC_SIGMAS = 4.0


def _spec(N=4, d=2, mean=False):
    S = np.array([[1.0, 0.3], [0.3, 0.6]])[:d, :d]
    mu = np.linspace(-1, 1, N * d).reshape(N, d) if mean else None
    return gp.GPSpec(gp.PoweredExponential(1.0, 1.0), N, S, mean=mu)


@pytest.mark.parametrize("N,d", [(1, 1), (2, 1), (3, 2)])
def test_linear_maps_match_autograd(N, d):
    spec = _spec(N, d, mean=True)
    m = matching_model(spec, L=2)
    t = torch.tensor([0.3, 1.7], dtype=torch.float64)
    A = linear_maps(m, t, N, d).detach().numpy()
    for k, tk in enumerate([0.3, 1.7]):
        np.testing.assert_allclose(A[k], linear_map(m, tk), rtol=1e-12, atol=1e-14)


def test_marginal_loss_is_noise_average_of_dsm(rng):
    spec = _spec(3, 2)
    m = matching_model(spec, L=2)
    x0 = torch.as_tensor(spec.sample(16, seed=1))
    S = (x0.reshape(16, -1).T @ x0.reshape(16, -1)) / 16
    t = torch.tensor([0.5], dtype=torch.float64)
    with torch.no_grad():
        exact = float(marginal_dsm_loss(m, S, t, 3, 2))
    R = 1000
    xs = x0.repeat(R, 1, 1)
    eps = torch.as_tensor(rng.standard_normal(xs.shape))
    with torch.no_grad():
        per = [float(dsm_loss(m, xs[i::R // 50], t.expand(xs[i::R // 50].shape[0]),
                              eps[i::R // 50])) for i in range(R // 50)]
    se = np.std(per, ddof=1) / np.sqrt(len(per))
    assert abs(np.mean(per) - exact) < MC_SIGMAS * se, (np.mean(per), exact, se)


def test_adamw_training_reduces_held_out_loss():
    spec = _spec(3, 1)
    m = matching_model(spec, L=1, seed=3)
    res = train(m, spec.sample(128, seed=0), TrainConfig(steps=30, batch_size=32, lr=2e-2,
                                                         eval_every=10, ema=0.9))
    assert res.history["val_loss"][-1] < res.history["val_loss"][0]
    assert len(res.history["loss"]) == 30 and not m.training


def test_lbfgs_marginalised_training_beats_init():
    spec = _spec(4, 2)
    m = matching_model(spec, L=3, seed=0)
    before = score_error(m, spec, 0.5).relative[0]
    cfg = TrainConfig(steps=20, optimizer="lbfgs", marginalize=True, lr=1.0, n_times=3, t0=0.1,
                      T=4.0, eval_every=20)
    res = train(m, spec.sample(512, seed=0), cfg)
    after = score_error(m, spec, 0.5).relative[0]
    assert after < 0.5 * before and res.best_step > 0


def test_exact_score_regression_diagnostic_runs():
    import functools

    spec = _spec(3, 1)
    m = matching_model(spec, L=2, seed=1)
    res = train(m, spec.sample(64, seed=0), TrainConfig(steps=30, batch_size=32, eval_every=10),
                target=functools.partial(gp.score, spec))
    assert np.all(np.isfinite(res.history["loss"]))


@pytest.mark.parametrize("make", [lambda s: SoftmaxDiT(s.N, s.d, width=8, depth=1, heads=2),
                                  lambda s: UNet1d(s.N, s.d, width=4)])
def test_baselines_train(make):
    spec = _spec(4, 2)
    torch.manual_seed(0)
    m = make(spec)
    res = train(m, spec.sample(64, seed=0), TrainConfig(steps=20, batch_size=16, lr=3e-3,
                                                        eval_every=10))
    assert res.history["val_loss"][-1] < res.history["val_loss"][0]


@pytest.mark.parametrize("make", [lambda s: matching_model(s, L=3, tied=False),
                                  lambda s: SoftmaxDiT(s.N, s.d, width=8, depth=1, heads=2),
                                  lambda s: UNet1d(s.N, s.d, width=4)])
def test_checkpoint_roundtrip_is_bitwise(tmp_path, make):
    spec = _spec(4, 2, mean=True)
    m = make(spec)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p))
    path = save_checkpoint(m, tmp_path / "ck", config=TrainConfig(steps=5), extra={"n": 3})
    m2, side = load_checkpoint(path)
    assert side["train_config"]["steps"] == 5 and side["extra"] == {"n": 3}
    for (k, a), (k2, b) in zip(m.state_dict().items(), m2.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(a, b)
    X = torch.as_tensor(spec.sample(2, seed=0))
    t = torch.full((2,), 0.7, dtype=torch.float64)
    assert torch.equal(m(X, t), m2(X, t))
    assert not list(tmp_path.glob("*.tmp"))


def test_corrupt_checkpoints_are_refused(tmp_path):
    spec = _spec(3, 1)
    path = save_checkpoint(matching_model(spec, L=1), tmp_path / "ck.safetensors")
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])  # truncated
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    bad = bytearray(blob)
    bad[-1] ^= 0xFF  # one flipped bit in the data
    path.write_bytes(bytes(bad))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    path.write_bytes(blob)
    load_checkpoint(path)
    path.with_suffix(".json").write_text("{not json")
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    path.with_suffix(".json").unlink()
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


@pytest.mark.parametrize("kw", [{"steps": 0}, {"t0": 2.0, "T": 1.0}, {"t_sampling": "beta"},
                                {"optimizer": "lbfgs"}, {"batch_size": 3}, {"ema": 1.0},
                                {"holdout": 1.0}])
def test_config_validation(kw):
    with pytest.raises(InvalidArgumentError):
        TrainConfig(**kw)


# ------------------------------------------------------------------ numerical failure
def _nan_after(monkeypatch, calls: int):
    """Make the marginalised loss non-finite from its ``calls``-th evaluation on."""
    from gpdtheory.train import loop

    real, count = loop.marginal_dsm_loss, [0]

    def flaky(*args, **kwargs):
        count[0] += 1
        out = real(*args, **kwargs)
        return out * float("nan") if count[0] > calls else out

    monkeypatch.setattr(loop, "marginal_dsm_loss", flaky)


@pytest.mark.parametrize("optimizer", ["adamw", "lbfgs"])
def test_non_finite_loss_is_a_numerical_error_that_keeps_the_last_good_state(
        tmp_path, monkeypatch, optimizer):
    spec = _spec(3, 1)
    m = matching_model(spec, L=1, seed=0)
    cfg = TrainConfig(steps=40, optimizer=optimizer, marginalize=True, lr=1e-2, n_times=2,
                      eval_every=5, holdout=0.0, warmup=0)
    _nan_after(monkeypatch, 12)
    with pytest.raises(TrainingDivergedError) as info:
        train(m, spec.sample(32, seed=0), cfg, checkpoint=tmp_path / "run")
    err = info.value
    assert isinstance(err, ConvergenceError) and not isinstance(err, InvalidArgumentError)
    assert err.step > 0 and np.isfinite(err.last_loss) and 0 <= err.last_step <= err.step
    assert f"non-finite loss at step {err.step}" in str(err)
    assert f"last finite loss {err.last_loss:.6g}" in str(err) and "Fix:" in str(err)
    assert err.checkpoint and err.checkpoint in str(err)
    kept, side = load_checkpoint(err.checkpoint)
    assert side["extra"]["partial"] and all(torch.isfinite(p).all() for p in kept.parameters())


def test_first_step_non_finite_names_no_last_loss(monkeypatch):
    spec = _spec(3, 1)
    _nan_after(monkeypatch, 0)
    with pytest.raises(TrainingDivergedError) as info:
        train(matching_model(spec, L=1), spec.sample(16, seed=0),
              TrainConfig(steps=5, marginalize=True, holdout=0.0))
    assert info.value.step == 0 and info.value.last_step == -1 and info.value.checkpoint is None


def test_lbfgs_without_held_out_data_returns_nan_best_val():
    spec = _spec(3, 1)
    cfg = TrainConfig(steps=6, optimizer="lbfgs", marginalize=True, lr=1.0, n_times=2,
                      holdout=0.0, eval_every=4)
    res = train(matching_model(spec, L=1), spec.sample(32, seed=0), cfg)
    assert np.isnan(res.best_val) and res.best_step == res.history["step"][-1]
    assert res.history["eval_step"] == res.history["step"]


def test_midpoint_times_follow_the_sampling_rule():
    cfg = TrainConfig(t0=0.01, T=1.0)
    t = midpoint_times(cfg, 4, torch.float64, "cpu").numpy()
    np.testing.assert_allclose(np.log(t), np.log(0.01) + (np.arange(4) + 0.5) / 4 * np.log(100))
    fixed = midpoint_times(TrainConfig(t_sampling="fixed"), 3, torch.float32, "cpu")
    assert fixed.dtype == torch.float32 and torch.all(fixed == 4.0)


def test_registry_is_shared_with_models():
    from gpdtheory import models
    from gpdtheory.train import MODEL_CLASSES, make_model, model_spec

    assert models.MODEL_CLASSES is MODEL_CLASSES and models.make_model is make_model
    assert {"GPDiT", "SoftmaxDiT", "UNet1d"} <= set(MODEL_CLASSES)
    m = matching_model(_spec(3, 2, mean=True), L=2, tied=False)
    again = make_model(model_spec(m))
    assert type(again) is type(m) and again.mean is not None


def test_a_checkpoint_finds_a_built_in_class_before_gpdtheory_models_is_imported():
    # the registry sits below gpdtheory.models: it imports a built-in class's module by its
    # qualified name when a description names the class, never at import time
    code = ("import sys\n"
            "from gpdtheory.train import checkpoints\n"
            "assert 'gpdtheory.models' not in sys.modules\n"
            "m = checkpoints.make_model({'class': 'UNet1d', 'dtype': 'float64',\n"
            "                            'kwargs': {'N': 4, 'd': 2, 'width': 8}})\n"
            "assert type(m).__module__ == 'gpdtheory.models', type(m)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=300)
    assert out.returncode == 0, out.stderr


def test_unregistered_class_is_refused():
    from gpdtheory.train import model_spec

    class Local(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))

    with pytest.raises(InvalidArgumentError, match="checkpoints know"):
        model_spec(Local())


@pytest.mark.integration
def test_plateau_rule_stops_when_the_best_heldout_loss_stalls():
    """``plateau``: stop once the best held-out loss fell by less than the fraction over the
    window; 0 (default) never stops on it."""
    import gpdtheory as gp
    from gpdtheory.models import matching_model
    from gpdtheory.train import TrainConfig, train

    spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), 4, np.eye(2))
    data = spec.sample(256, seed=1)
    base = dict(steps=400, batch_size=32, lr=1e-3, warmup=0, eval_every=10, patience=1000)
    res = train(matching_model(spec, L=1, seed=0), data, TrainConfig(**base, plateau=0.5,
                                                                       plateau_window=2))
    assert res.stopped_early and res.history["eval_step"][-1] < 400
    vals = res.history["val_loss"]
    assert min(vals[:-2]) - min(vals) < 0.5 * min(vals[:-2])
    res = train(matching_model(spec, L=1, seed=0), data, TrainConfig(**base))
    assert not res.stopped_early and res.history["eval_step"][-1] == 400
    with pytest.raises(gp.errors.InvalidArgumentError):
        TrainConfig(plateau=1.0)
