"""The training loop of denoising score matching (docs/theory.md §7): one loop, two optimisers.

Any ``torch.nn.Module`` with ``forward(X, t) -> score`` (``X`` of shape ``(B, N, d)``,
``t`` of shape ``(B,)``) can be trained: the matching model
(:class:`gpdtheory.construct.GPDiT`, looped or untied), the softmax DiT and the U-Net of
:mod:`gpdtheory.models`. The losses are in :mod:`gpdtheory.train.losses`.

Variance reduction (for the small models here optimisation noise, not data, limits the
error): antithetic noise (each ``x_0`` is used with ``eps`` and ``-eps``; for a model
linear in ``X`` every gradient term odd in ``eps`` cancels exactly), a warm-up then cosine
learning-rate decay to zero, and an exponential moving average of the weights, evaluated
on a held-out set for early stopping.

The optimiser is a *stepper*: AdamW takes one step on a fresh batch per call; L-BFGS runs
up to ``eval_every`` iterations of its line search on the deterministic marginalised loss
through a closure. Everything else is shared: the held-out evaluation, early stopping,
the best state, the partial checkpoint, the divergence check and the history.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._torch import nn, torch
from ..errors import InvalidArgumentError, TrainingDivergedError
from ..validation import as_real_array
from .checkpoints import save_checkpoint
from .config import TrainConfig, check_config
from .device import resolve_device
from .losses import dsm_loss, marginal_dsm_loss, midpoint_times, regression_loss, sample_times

__all__ = ["train", "TrainResult", "TrainingDivergedError"]


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    model : nn.Module
        The trained model (the weight average when ``ema > 0``; the best held-out
        state when early stopping is on), in eval mode.
    history : dict of str -> list
        ``step``, ``loss`` (training loss at that step), ``lr``, and at every
        evaluation ``eval_step``, ``val_loss`` and ``track`` (the ``track`` callback).
    best_step : int
    best_val : float
        Held-out loss of the returned model (nan without a held-out set).
    stopped_early : bool
    seconds : float
    """

    model: nn.Module
    history: dict[str, list] = field(default_factory=dict)
    best_step: int = 0
    best_val: float = math.nan
    stopped_early: bool = False
    seconds: float = 0.0


def _check_grad(loss: torch.Tensor, model: nn.Module) -> None:
    if not loss.requires_grad:
        raise InvalidArgumentError("model", type(model).__name__,
                                   "has an output that does not depend on its parameters "
                                   "(e.g. a GPDiT with L = 0 blocks)",
                                   "train a model with at least one block (L >= 1)")


def _lr_factor(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to 0 at ``cfg.steps`` (or constant)."""
    if cfg.warmup and step < cfg.warmup:
        return (step + 1) / cfg.warmup
    if cfg.schedule == "constant":
        return 1.0
    span = max(cfg.steps - cfg.warmup, 1)
    return 0.5 * (1.0 + math.cos(math.pi * min(step - cfg.warmup, span) / span))


class _Ema:
    """Exponential moving average of parameters and buffers (a shadow model)."""

    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.shadow = copy.deepcopy(model).eval()
        for p in self.shadow.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int):
        # bias-corrected warm start: early on the average follows the model closely
        dec = min(self.decay, (1.0 + step) / (10.0 + step))
        for ps, p in zip(self.shadow.parameters(), model.parameters(), strict=True):
            ps.lerp_(p, 1.0 - dec)


# ------------------------------------------------------------------------- the data
@dataclass
class _Data:
    """The samples of one run on the device, split, with their second moments."""

    train: torch.Tensor  # (n - n_val, N, d)
    val: torch.Tensor  # (n_val, N, d)
    N: int
    d: int
    S_train: torch.Tensor | None = None  # (Nd, Nd), with marginalize
    S_val: torch.Tensor | None = None


def _split(model: nn.Module, data: Any, cfg: TrainConfig, dtype, dev) -> _Data:
    """Hold out ``cfg.holdout`` of the samples (a permutation seeded by ``cfg.seed``)."""
    X = as_real_array(data, "data", ndim=3)
    n = X.shape[0]
    perm = np.random.default_rng(cfg.seed).permutation(n)
    n_val = int(round(cfg.holdout * n))
    if cfg.holdout > 0 and (n_val < 1 or n - n_val < 1):
        raise InvalidArgumentError("data", f"{n} samples", "is too few to hold some out",
                                   "pass more samples or holdout=0")
    out = _Data(torch.as_tensor(X[perm[n_val:]], dtype=dtype, device=dev),
                torch.as_tensor(X[perm[:n_val]], dtype=dtype, device=dev), X.shape[1], X.shape[2])
    if cfg.marginalize:
        mu = getattr(model, "mean", None)

        def second_moment(Z):
            V = (Z - mu if mu is not None else Z).reshape(Z.shape[0], -1)
            return V.T @ V / max(Z.shape[0], 1)

        out.S_train = second_moment(out.train)
        out.S_val = second_moment(out.val) if n_val else None
    return out


def _objective(model: nn.Module, cfg: TrainConfig, data: _Data, gen: torch.Generator,
               target: Callable | None) -> Callable[[], torch.Tensor]:
    """The training loss as a function of nothing: it draws its own batch and times."""
    dtype, dev = data.train.dtype, data.train.device
    if cfg.optimizer == "lbfgs":  # deterministic: a fixed grid of times
        grid = midpoint_times(cfg, cfg.n_times, dtype, dev)
        return lambda: marginal_dsm_loss(model, data.S_train, grid, data.N, data.d)
    if cfg.marginalize:
        return lambda: marginal_dsm_loss(model, data.S_train,
                                         sample_times(cfg, cfg.n_times, gen, dtype, dev),
                                         data.N, data.d)
    half = cfg.batch_size // 2 if cfg.antithetic else cfg.batch_size

    def batch_loss() -> torch.Tensor:
        idx = torch.randint(0, data.train.shape[0], (half,), generator=gen, device=dev)
        x0 = data.train[idx]  # (half, N, d)
        eps = torch.randn(x0.shape, generator=gen, dtype=dtype, device=dev)
        t = sample_times(cfg, half, gen, dtype, dev)
        if cfg.antithetic:
            x0, eps, t = torch.cat([x0, x0]), torch.cat([eps, -eps]), torch.cat([t, t])
        if target is None:
            return dsm_loss(model, x0, t, eps, cfg.weighting)
        return regression_loss(model, x0, t, eps, cfg.weighting, target)

    return batch_loss


def _validation_loss(cfg: TrainConfig, data: _Data) -> Callable[[nn.Module], float] | None:
    """The held-out loss of a model, on fixed noise and times (None without held-out data)."""
    if not data.val.shape[0]:
        return None
    dtype, dev, N, d = data.val.dtype, data.val.device, data.N, data.d
    if cfg.optimizer == "lbfgs":
        # held-out times interleave the training grid, so early stopping sees other t too
        tv = midpoint_times(cfg, 2 * cfg.n_times, dtype, dev)
        return lambda m: float(marginal_dsm_loss(m, data.S_val, tv, N, d))
    vgen = torch.Generator(device=dev)
    vgen.manual_seed(cfg.seed + 1)
    x0v = data.val.repeat(cfg.val_noise, 1, 1)
    ev = torch.randn(x0v.shape, generator=vgen, dtype=dtype, device=dev)
    tv = sample_times(cfg, x0v.shape[0], vgen, dtype, dev)
    if cfg.marginalize:
        tv_marg = sample_times(cfg, 4 * cfg.n_times, vgen, dtype, dev)
        return lambda m: float(marginal_dsm_loss(m, data.S_val, tv_marg, N, d))
    # antithetic like training
    x0v, ev, tv = torch.cat([x0v, x0v]), torch.cat([ev, -ev]), torch.cat([tv, tv])
    return lambda m: float(dsm_loss(m, x0v, tv, ev, cfg.weighting))


# ------------------------------------------------------------------- the bookkeeping
class _Record:
    """History, best held-out state, patience, last finite loss and last good checkpoint."""

    def __init__(self, cfg: TrainConfig, val_loss: Callable[[nn.Module], float] | None,
                 track: Callable | None, checkpoint: Any):
        self.cfg, self.val_loss, self.track, self.checkpoint = cfg, val_loss, track, checkpoint
        self.hist: dict[str, list] = {"step": [], "loss": [], "lr": [], "eval_step": [],
                                      "val_loss": [], "track": []}
        self.best_val, self.best_state, self.best_step, self.bad = math.inf, None, 0, 0
        self.last: tuple[float, int] = (math.nan, -1)  # last finite training loss, its step
        self.kept: str | None = None

    def check_finite(self, loss: torch.Tensor, step: int) -> None:
        """Raise :class:`TrainingDivergedError` on a non-finite loss."""
        if not torch.isfinite(loss):
            raise TrainingDivergedError(self.cfg.lr, step, *self.last, self.kept)

    def note(self, loss: float, step: int) -> None:
        self.last = (loss, step)

    def log(self, step: int, loss: float, lr: float) -> None:
        self.hist["step"].append(step)
        self.hist["loss"].append(loss)
        self.hist["lr"].append(lr)
        self.note(loss, step)

    def evaluate(self, step: int, m: nn.Module) -> bool:
        """Evaluate ``m`` after ``step`` steps; True when patience has run out."""
        m.eval()
        with torch.no_grad():
            val = self.val_loss(m) if self.val_loss is not None else math.nan
        m.train()
        self.hist["eval_step"].append(step)
        self.hist["val_loss"].append(val)
        self.hist["track"].append(float(self.track(m)) if self.track is not None else math.nan)
        if self.checkpoint is not None and all(bool(torch.isfinite(p).all())
                                               for p in m.parameters()):
            self.kept = str(save_checkpoint(m, self.checkpoint, config=self.cfg,
                                            extra={"step": step, "partial": True}))
        if self.val_loss is None:
            return False
        if val < self.best_val:
            self.best_val, self.best_step, self.bad = val, step, 0
            self.best_state = {k: v.detach().clone() for k, v in m.state_dict().items()}
        else:
            self.bad += 1
        return self.bad >= self.cfg.patience or self.plateaued()

    def plateaued(self) -> bool:
        """The convergence rule ``cfg.plateau``: the best held-out loss so far fell by less
        than that fraction over the last ``cfg.plateau_window`` evaluations (a spike of the
        loss does not count as progress, nor end the run on its own)."""
        w, vals = self.cfg.plateau_window, self.hist["val_loss"]
        if not self.cfg.plateau > 0.0 or len(vals) <= w:
            return False
        before, now = min(vals[: -w]), min(vals)
        return bool(math.isfinite(before) and before - now < self.cfg.plateau * abs(before))


# ----------------------------------------------------------------------- the steppers
class _AdamW:
    """One AdamW step per call, on a fresh batch, with the schedule and the weight average."""

    eval_each_advance = False

    def __init__(self, model: nn.Module, params: list, cfg: TrainConfig,
                 objective: Callable[[], torch.Tensor], record: _Record):
        self.model, self.cfg, self.objective, self.record = model, cfg, objective, record
        self.opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda k: _lr_factor(cfg, k))
        self.ema = _Ema(model, cfg.ema) if cfg.ema > 0 else None

    @property
    def evaluated(self) -> nn.Module:
        """The model that is evaluated, early-stopped and returned."""
        return self.ema.shadow if self.ema is not None else self.model

    def advance(self, done: int) -> int:
        """Take step ``done``; returns the number of steps done."""
        loss = self.objective()
        self.record.check_finite(loss, done)
        _check_grad(loss, self.model)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        if self.ema is not None:
            self.ema.update(self.model, done)
        self.record.log(done, float(loss.detach()), self.opt.param_groups[0]["lr"])
        return done + 1


class _LBFGS:
    """Up to ``eval_every`` L-BFGS iterations (strong Wolfe line search) per call."""

    eval_each_advance = True

    def __init__(self, model: nn.Module, params: list, cfg: TrainConfig,
                 objective: Callable[[], torch.Tensor], record: _Record):
        self.model, self.cfg, self.objective, self.record = model, cfg, objective, record
        # torch keys the optimiser's state (the iteration count) by the first parameter
        self.first = params[0]
        self.opt = torch.optim.LBFGS(params, lr=cfg.lr, max_iter=cfg.eval_every,
                                     history_size=50, line_search_fn="strong_wolfe",
                                     tolerance_grad=1e-12, tolerance_change=1e-15)

    @property
    def evaluated(self) -> nn.Module:
        return self.model

    def _iterations(self, default: int) -> int:
        return self.opt.state[self.first].get("n_iter", default)

    def _closure(self) -> torch.Tensor:
        self.opt.zero_grad(set_to_none=True)
        loss = self.objective()
        self.record.check_finite(loss, self._iterations(0))
        _check_grad(loss, self.model)
        loss.backward()
        self.record.note(float(loss.detach()), self._iterations(0))
        return loss

    def advance(self, done: int) -> int:
        """Iterate from ``done``; returns the iterations done (all when the search stalls)."""
        self.opt.param_groups[0]["max_iter"] = min(self.cfg.eval_every, self.cfg.steps - done)
        self.opt.step(self._closure)
        its = self._iterations(done + 1)
        done = its if its > done else self.cfg.steps
        with torch.no_grad():
            loss = self.objective()
        self.record.check_finite(loss, done)
        self.record.log(done, float(loss), self.cfg.lr)
        return done


def _run(stepper: _AdamW | _LBFGS, record: _Record, cfg: TrainConfig) -> tuple[int, bool]:
    """Advance until ``cfg.steps`` or early stopping: ``(steps done, stopped early)``."""
    from .._extras import progress_bar

    done = 0
    with progress_bar(show=cfg.progress, total=cfg.steps, desc="DSM", leave=False) as bar:
        while done < cfg.steps:
            new = stepper.advance(done)
            bar.update(new - done)
            due = stepper.eval_each_advance or new % cfg.eval_every == 0 or new == cfg.steps
            done = new
            if due and record.evaluate(done, stepper.evaluated):
                return done, True
    return done, False


def _trainable(model: Any, track: Any, target: Any) -> None:
    if not isinstance(model, nn.Module):
        raise InvalidArgumentError("model", type(model).__name__, "is not a torch.nn.Module",
                                   "pass a model from gpdtheory.models or gpdtheory.construct")
    for name, fn in (("track", track), ("target", target)):
        if fn is not None and not callable(fn):
            raise InvalidArgumentError(name, fn, "is not callable", "pass a function or None")


def train(model: nn.Module, data: Any, cfg: TrainConfig | None = None, *, device: Any = "cpu",
          track: Callable[[nn.Module], float] | None = None,
          target: Callable[[Any, Any], Any] | None = None, checkpoint: Any = None) -> TrainResult:
    """Train ``model`` by denoising score matching on the samples ``data``.

    Parameters
    ----------
    model : nn.Module
        ``forward(X, t) -> score``, ``X`` of shape ``(B, N, d)``, ``t`` of shape ``(B,)``.
        Trained in place (its dtype is kept; it is moved to ``device``).
    data : (n, N, d) array_like
        Clean samples (e.g. ``spec.sample(n, seed)``); ``n >= 2`` with a held-out set.
    cfg : TrainConfig, optional
    device : str or torch.device
        ``"cpu"`` by default; ``None``/``"auto"`` picks CUDA when available.
    track : callable ``model -> float``, optional
        Evaluated at every evaluation (e.g. the distance to the constructed weights).
    target : callable ``(X_t, t) -> score``, optional
        Diagnostic only (AdamW without ``marginalize``): regress on this score (e.g.
        ``functools.partial(gp.score, spec)``, numpy in and out) instead of the denoising
        target ``-eps / sigma_t``. With the exact score this removes the target's noise
        and separates optimisation error from the variance of denoising score matching.
    checkpoint : str or Path, optional
        At every evaluation the evaluated model (the weight average) is saved there
        (:func:`~gpdtheory.train.save_checkpoint`, atomic), so a run that diverges keeps
        its last good state; the caller removes it after success.

    Returns
    -------
    TrainResult

    Raises
    ------
    InvalidArgumentError
        Bad data shape, too few samples for the held-out split.
    TrainingDivergedError
        A non-finite loss (a :class:`~gpdtheory.errors.ConvergenceError`): names the
        step, the last finite loss and the last good checkpoint.

    Notes
    -----
    docs/theory.md §7. See :mod:`gpdtheory.train.losses` for the loss, the ``t``
    distribution and the weighting, and this module's docstring for the variance
    reduction.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> from gpdtheory.models import matching_model
    >>> spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), N=4, Sigma=np.eye(1))
    >>> res = train(matching_model(spec, L=2), spec.sample(64, seed=0), TrainConfig(steps=20))
    >>> len(res.history["loss"])
    20
    """
    cfg = TrainConfig() if cfg is None else check_config(cfg)
    _trainable(model, track, target)
    dev = resolve_device(device)
    model.to(dev)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise InvalidArgumentError("model", type(model).__name__, "has no trainable parameters",
                                   "pass a torch module with parameters")
    gen = torch.Generator(device=dev)
    gen.manual_seed(cfg.seed)
    data = _split(model, data, cfg, params[0].dtype, dev)
    record = _Record(cfg, _validation_loss(cfg, data), track, checkpoint)
    stepper_cls = _LBFGS if cfg.optimizer == "lbfgs" else _AdamW
    stepper = stepper_cls(model, params, cfg, _objective(model, cfg, data, gen, target), record)
    start = time.perf_counter()
    model.train()
    done, stopped = _run(stepper, record, cfg)
    out = stepper.evaluated
    if record.best_state is not None:
        out.load_state_dict(record.best_state)
    if out is not model:
        model.load_state_dict(out.state_dict())
    model.eval()
    has_val = record.val_loss is not None
    return TrainResult(model, record.hist, record.best_step if has_val else done,
                       record.best_val if has_val else math.nan, stopped,
                       time.perf_counter() - start)
