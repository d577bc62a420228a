"""Denoising score matching on ``n`` samples, and safe checkpoints (docs/theory.md §7).

Any ``torch.nn.Module`` with ``forward(X, t) -> score`` (``X`` of shape ``(B, N, d)``,
``t`` of shape ``(B,)``) can be trained: the matching model
(:class:`gpdtheory.construct.GPDiT`, looped or untied), the softmax DiT and the U-Net of
:mod:`gpdtheory.models`.

The loss
--------
With ``x_t = alpha_t x_0 + sigma_t eps`` (``alpha_t = e^{-t/2}``, ``sigma_t^2 = 1 - e^{-t}``),

    loss = E_t E_{x_0, eps} lambda(t) || s_theta(x_t, t) + eps / sigma_t ||^2 / (N d),

whose minimiser over all functions is the exact score ``s*`` at every ``t``. The
weighting ``lambda(t) = sigma_t^2`` (``weighting="sigma2"``, the default) makes the
target ``-eps`` of unit variance at every ``t`` (the loss of noise prediction); with
``weighting="none"`` the small-``t`` terms, of variance ``1/sigma_t^2``, dominate the
gradient noise. ``t`` is drawn log-uniformly on ``[t0, T]`` by default (equal weight per
decade: the score changes on a log scale in ``t``), or uniformly, or fixed.

Variance reduction (for the small models here optimisation noise, not data, limits the
error): antithetic noise (each ``x_0`` is used with ``eps`` and ``-eps``;
for a model linear in ``X`` every gradient term odd in ``eps`` cancels exactly), a
warm-up then cosine learning-rate decay to zero, and an exponential moving average of
the weights, evaluated on a held-out set for early stopping.

Checkpoints are a ``.safetensors`` file plus a ``.json`` sidecar (model class and
arguments, training config, SHA-256 of the tensor file), each written to a temporary file
and moved into place with ``os.replace``; no pickle. :func:`load_checkpoint` refuses a
missing, truncated or altered file with :class:`~gpdtheory.errors.CheckpointError`.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

try:
    import torch
    from torch import nn
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from ._extras import require

    require("torch", "torch")
    raise

from .errors import CheckpointError, InvalidArgumentError
from .validation import as_real_array, check_positive_int, check_positive_scalar

__all__ = ["TrainConfig", "TrainResult", "train", "dsm_loss", "resolve_device", "torch_threads",
           "sample_times",
           "save_checkpoint", "load_checkpoint", "CHECKPOINT_FORMAT", "TrainingDivergedError"]

#: Version tag written into every checkpoint's JSON sidecar.
CHECKPOINT_FORMAT = "gpdtheory-checkpoint-1"

_T_SAMPLING = ("log-uniform", "uniform", "fixed")
_WEIGHTING = ("sigma2", "none")
_SCHEDULES = ("cosine", "constant")
_OPTIMIZERS = ("adamw", "lbfgs")


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of :func:`train` (the defaults train the default check in seconds).

    Attributes
    ----------
    steps : int
        Optimiser steps (upper limit; early stopping may end sooner).
    batch_size : int
        Noisy samples per step (an even number when ``antithetic``).
    optimizer : {"adamw", "lbfgs"}
        AdamW on stochastic batches, or L-BFGS (strong Wolfe line search, ``steps``
        iterations) on the deterministic marginalised loss at a fixed grid of
        ``n_times`` times (requires ``marginalize``).
    lr, weight_decay : float
        AdamW learning rate (peak) and decoupled weight decay (L-BFGS: initial step, 1).
    warmup : int
        Linear warm-up steps before the schedule.
    schedule : {"cosine", "constant"}
        Learning rate after warm-up: cosine decay to 0 at ``steps``, or constant.
    t0, T : float
        Range of diffusion times, ``0 < t0 <= T``.
    t_sampling : {"log-uniform", "uniform", "fixed"}
        How ``t`` is drawn; ``"fixed"`` trains at ``t = T`` only.
    weighting : {"sigma2", "none"}
        ``lambda(t) = sigma_t^2`` (noise-prediction loss) or 1.
    antithetic : bool
        Pair every noise draw ``eps`` with ``-eps``.
    marginalize : bool
        For models linear in ``X`` only: use the DSM loss averaged over the noise in
        closed form (see :func:`marginal_dsm_loss`), at ``n_times`` times per step.
    n_times : int
        Diffusion times per step with ``marginalize``.
    ema : float
        Decay of the weight average (0 disables it); the average is what is evaluated,
        early-stopped and returned.
    holdout : float
        Fraction of the samples held out for early stopping (0: none; then the model
        at the last step is returned).
    eval_every, patience : int
        Held-out loss every ``eval_every`` steps; stop after ``patience`` evaluations
        without improvement.
    val_noise : int
        Noise draws per held-out sample (the held-out loss uses fixed draws).
    seed : int
        Seeds the split, the batches, the noise and the times (not the model's init).
    progress : bool
        Show a tqdm progress bar.
    """

    steps: int = 2000
    batch_size: int = 256
    optimizer: str = "adamw"
    lr: float = 1e-2
    weight_decay: float = 0.0
    warmup: int = 50
    schedule: str = "cosine"
    t0: float = 1e-2
    T: float = 4.0
    t_sampling: str = "log-uniform"
    weighting: str = "sigma2"
    antithetic: bool = True
    marginalize: bool = False
    n_times: int = 8
    ema: float = 0.99
    holdout: float = 0.1
    eval_every: int = 100
    patience: int = 10
    val_noise: int = 8
    seed: int = 0
    progress: bool = False

    def __post_init__(self):
        for name in ("steps", "batch_size", "eval_every", "patience", "val_noise", "n_times"):
            check_positive_int(getattr(self, name), name)
        check_positive_scalar(self.lr, "lr")
        check_positive_scalar(self.t0, "t0")
        check_positive_scalar(self.T, "T")
        if self.t0 > self.T:
            raise InvalidArgumentError("t0", self.t0, f"exceeds T = {self.T}", "pass t0 <= T")
        for name, allowed in (("t_sampling", _T_SAMPLING), ("weighting", _WEIGHTING),
                              ("schedule", _SCHEDULES), ("optimizer", _OPTIMIZERS)):
            value = getattr(self, name)  # a str first: `in` on an array or tensor is ambiguous
            if not isinstance(value, str) or value not in allowed:
                raise InvalidArgumentError(name, getattr(self, name), "is not supported",
                                           f"pass one of {allowed}")
        for name in ("ema", "holdout", "weight_decay"):  # NaN would pass the range tests below
            as_real_array(getattr(self, name), name, ndim=0)
        if isinstance(self.warmup, bool) or not isinstance(self.warmup, (int, np.integer)):
            raise InvalidArgumentError("warmup", self.warmup, "is not an integer",
                                       "pass an int >= 0")
        if not (0.0 <= self.ema < 1.0):
            raise InvalidArgumentError("ema", self.ema, "is not in [0, 1)", "pass e.g. 0.99 or 0")
        if not (0.0 <= self.holdout < 1.0):
            raise InvalidArgumentError("holdout", self.holdout, "is not in [0, 1)",
                                       "pass a fraction such as 0.1, or 0 for no early stopping")
        if self.optimizer == "lbfgs" and not self.marginalize:
            raise InvalidArgumentError("optimizer", "lbfgs", "needs a deterministic objective",
                                       "set marginalize=True (models linear in X) or use adamw")
        if self.antithetic and self.batch_size % 2:
            raise InvalidArgumentError("batch_size", self.batch_size,
                                       "is odd with antithetic noise",
                                       "pass an even batch size")
        if self.weight_decay < 0 or self.warmup < 0:
            raise InvalidArgumentError("weight_decay/warmup", (self.weight_decay, self.warmup),
                                       "must be >= 0", "pass non-negative values")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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


def _check_cfg(cfg: Any) -> TrainConfig:
    if not isinstance(cfg, TrainConfig):
        raise InvalidArgumentError("cfg", cfg, "is not a TrainConfig",
                                   "pass gpdtheory.train.TrainConfig(...) or None")
    return cfg


@contextlib.contextmanager
def torch_threads(n: int = 1):
    """Run torch on ``n`` intra-op threads, restoring the previous count afterwards.

    The claims train tiny models: one thread makes their reductions independent of the
    machine's core count and avoids spin-waiting on a busy machine.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def resolve_device(device: Any = None) -> torch.device:
    """``None`` or ``"auto"``: CUDA when available, else CPU; otherwise ``torch.device(device)``."""
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise InvalidArgumentError("device", device, "is not a device",
                                   "pass 'cpu', 'cuda', 'cuda:0', 'auto' or a torch.device")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise InvalidArgumentError("device", device, f"is not a device ({exc})".split("\n")[0],
                                   "pass 'cpu', 'cuda', 'cuda:0', 'auto' or a torch.device"
                                   ) from exc
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": bool(getattr(torch.backends, "mps", None)
                             and torch.backends.mps.is_available())}
    if not available.get(dev.type, False):
        raise InvalidArgumentError("device", device, f"is not available here ({dev.type})",
                                   "pass 'cpu', or 'auto' to use CUDA when present")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise InvalidArgumentError("device", device,
                                   f"names GPU {dev.index} of {torch.cuda.device_count()}",
                                   "pass 'cuda' or an existing index")
    return dev


def sample_times(cfg: TrainConfig, n: int, gen: torch.Generator, dtype, device) -> torch.Tensor:
    """Draw ``n`` diffusion times by ``cfg.t_sampling`` on ``[cfg.t0, cfg.T]``: ``(n,)`` tensor."""
    _check_cfg(cfg)
    n = check_positive_int(n, "n")
    if not isinstance(gen, torch.Generator):
        raise InvalidArgumentError("gen", gen, "is not a torch.Generator",
                                   "pass torch.Generator(device=...) seeded with manual_seed")
    from .construct.block import check_dtype

    dtype = check_dtype(dtype)
    u = torch.rand(n, generator=gen, dtype=dtype, device=device)
    if cfg.t_sampling == "fixed":
        return torch.full((n,), cfg.T, dtype=torch.float64, device=device).to(dtype)
    if cfg.t_sampling == "uniform":
        return cfg.t0 + (cfg.T - cfg.t0) * u
    return cfg.t0 * torch.exp(u * math.log(cfg.T / cfg.t0))


def time_grid(cfg: TrainConfig, n: int, dtype, device) -> torch.Tensor:
    """``n`` deterministic times on ``[t0, T]`` spaced as ``cfg.t_sampling`` (midpoint rule)."""
    u = (torch.arange(n, dtype=dtype, device=device) + 0.5) / n
    if cfg.t_sampling == "fixed":
        return torch.full((n,), cfg.T, dtype=torch.float64, device=device).to(dtype)
    if cfg.t_sampling == "uniform":
        return cfg.t0 + (cfg.T - cfg.t0) * u
    return cfg.t0 * torch.exp(u * math.log(cfg.T / cfg.t0))


def _noisy(x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor):
    """``x_t = alpha_t x_0 + sigma_t eps`` and ``sigma_t`` (the forward process of section 2)."""
    a = torch.exp(-t / 2)[:, None, None]
    s = torch.sqrt(-torch.expm1(-t))[:, None, None]
    return a * x0 + s * eps, s


def dsm_loss(model: nn.Module, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor,
             weighting: str = "sigma2") -> torch.Tensor:
    """The denoising score-matching loss of one batch (a scalar tensor).

    Parameters
    ----------
    model : nn.Module
        ``model(X, t) -> (B, N, d)`` score estimate.
    x0 : (B, N, d) tensor
        Clean samples.
    t : (B,) tensor
        Diffusion times.
    eps : (B, N, d) tensor
        Standard normal noise.
    weighting : {"sigma2", "none"}

    Returns
    -------
    0-d tensor
        ``mean_b lambda(t_b) ||s(x_t, t) + eps / sigma_t||^2 / (N d)``.
    """
    if weighting not in _WEIGHTING:
        raise InvalidArgumentError("weighting", weighting, "is not supported",
                                   f"pass one of {_WEIGHTING}")
    for name, v in (("x0", x0), ("t", t), ("eps", eps)):
        if not torch.is_tensor(v) or not v.dtype.is_floating_point:
            raise InvalidArgumentError(name, type(v).__name__, "is not a real floating tensor",
                                       "pass torch tensors (B, N, d), (B,), (B, N, d)")
    if x0.ndim != 3 or eps.shape != x0.shape or t.shape != x0.shape[:1]:
        raise InvalidArgumentError("eps", f"shapes x0 {tuple(x0.shape)}, t {tuple(t.shape)}, "
                                   f"eps {tuple(eps.shape)}", "do not match (B, N, d), (B,), "
                                   "(B, N, d)", "pass one time and one noise draw per sample")
    xt, s = _noisy(x0, t, eps)  # (B, N, d), (B, 1, 1)
    out = model(xt, t)  # (B, N, d); the model refuses t <= 0 and non-finite input
    if weighting == "sigma2":
        r = s * out + eps  # sigma_t^2 ||s + eps/sigma_t||^2 = ||sigma_t s + eps||^2
    else:
        r = out + eps / s
    return (r * r).mean()


def linear_maps(model: nn.Module, t: torch.Tensor, N: int, d: int) -> torch.Tensor:
    """``A_t`` of a model linear in ``X - alpha_t mu`` at every time: ``(K, Nd, Nd)`` tensor.

    Column ``j`` of ``-A_t`` is the model's output at the ``j``-th basis sequence
    (shifted by ``alpha_t mu`` when the model has a ``mean`` buffer); differentiable.
    """
    p = next(model.parameters())
    n = N * d
    K = t.shape[0]
    E = torch.eye(n, dtype=p.dtype, device=p.device).reshape(n, N, d)  # (n, N, d)
    X = E.repeat(K, 1, 1)  # (K n, N, d)
    tt = t.repeat_interleave(n)  # (K n,)
    mu = getattr(model, "mean", None)
    if mu is not None:
        X = X + torch.exp(-tt / 2)[:, None, None] * mu
    out = model(X, tt).reshape(K, n, n)  # [k, j, :] = -A_k e_j
    return -out.transpose(1, 2)  # (K, n, n)


def marginal_dsm_loss(model: nn.Module, S: torch.Tensor, t: torch.Tensor, N: int, d: int
                      ) -> torch.Tensor:
    """The ``sigma_t^2``-weighted DSM loss of a linear model, averaged over the noise exactly.

    Parameters
    ----------
    model : nn.Module
        Linear in ``X - alpha_t mu``: ``s = -A_t vec(X - alpha_t mu)``.
    S : (Nd, Nd) tensor
        Second moment of the centred samples, ``(1/n) sum vec(x_0 - mu) vec(x_0 - mu)^T``.
    t : (K,) tensor
    N, d : int

    Returns
    -------
    0-d tensor
        ``mean_k [alpha^2 sigma^2 tr(A S A^T) + ||I - sigma^2 A||_F^2] / (N d)``.

    Notes
    -----
    With ``x_t - alpha mu = alpha (x_0 - mu) + sigma eps`` the residual is
    ``sigma s + eps = -sigma alpha A (x_0 - mu) + (I - sigma^2 A) eps``; the cross term
    has mean zero, which gives the formula. It equals the expectation of
    :func:`dsm_loss` over ``eps`` for the same samples, so its minimiser is the
    plug-in ``(alpha^2 S + sigma^2 I)^{-1}``: the noise of the target is gone, the
    estimation error of the ``n`` samples remains.
    """
    A = linear_maps(model, t, N, d)  # (K, n, n)
    a2 = torch.exp(-t)[:, None, None]
    s2 = -torch.expm1(-t)[:, None, None]
    I = torch.eye(A.shape[-1], dtype=A.dtype, device=A.device)
    quad = (A @ S * A).sum(dim=(1, 2), keepdim=True)
    resid = ((I - s2 * A) ** 2).sum(dim=(1, 2), keepdim=True)
    return ((a2 * s2 * quad + resid) / (N * d)).mean()


def _regression_loss(model, x0, t, eps, weighting, target):
    """``lambda(t) ||s_theta(x_t) - target(x_t)||^2 / (N d)`` (the exact-score diagnostic)."""
    xt, s = _noisy(x0, t, eps)
    ref = torch.as_tensor(np.asarray(target(xt.detach().cpu().numpy(), t.cpu().numpy())),
                          dtype=xt.dtype, device=xt.device)
    r = model(xt, t) - ref
    if weighting == "sigma2":
        r = s * r
    return (r * r).mean()


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


class TrainingDivergedError(InvalidArgumentError, FloatingPointError):
    """Training met a non-finite loss: names the step, the last finite loss and what was kept.

    Attributes
    ----------
    step : int
        The step whose loss was not finite.
    last_loss : float
        The last finite training loss (nan when the first step diverged).
    last_step : int
        Its step (-1 when none).
    checkpoint : str or None
        The last good checkpoint (``train(..., checkpoint=path)``: the model at the last
        evaluation before the divergence), or None when none was written.
    """

    def __init__(self, lr: float, step: int, last_loss: float, last_step: int,
                 checkpoint: str | None):
        self.step, self.last_loss, self.last_step = step, last_loss, last_step
        self.checkpoint = checkpoint
        kept = (f"; the last good checkpoint (model at the last evaluation) is kept at "
                f"{checkpoint}" if checkpoint else "")
        super().__init__("cfg.lr", lr, f"gave a non-finite loss at step {step} (last finite loss "
                         f"{last_loss:.6g} at step {last_step}){kept}",
                         "lower the learning rate or use float64")


def _check_grad(loss: torch.Tensor, model: nn.Module) -> None:
    if not loss.requires_grad:
        raise InvalidArgumentError("model", type(model).__name__,
                                   "has an output that does not depend on its parameters "
                                   "(e.g. a GPDiT with L = 0 blocks)",
                                   "train a model with at least one block (L >= 1)")


def _lr_factor(cfg: TrainConfig, step: int) -> float:
    if cfg.warmup and step < cfg.warmup:
        return (step + 1) / cfg.warmup
    if cfg.schedule == "constant":
        return 1.0
    span = max(cfg.steps - cfg.warmup, 1)
    return 0.5 * (1.0 + math.cos(math.pi * min(step - cfg.warmup, span) / span))


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
        Diagnostic only: regress on this score (e.g. ``functools.partial(gp.score, spec)``,
        numpy in and out) instead of the denoising target ``-eps / sigma_t``. With the
        exact score this removes the target's noise and separates optimisation error
        from the variance of denoising score matching.
    checkpoint : str or Path, optional
        AdamW only: at every evaluation the evaluated model (the weight average) is saved
        there (:func:`save_checkpoint`, atomic), so a run that diverges keeps its last good
        state; the caller removes it after success.

    Returns
    -------
    TrainResult

    Raises
    ------
    InvalidArgumentError
        Bad data shape, too few samples for the held-out split.
    TrainingDivergedError
        A non-finite loss (an :class:`InvalidArgumentError`): names the step, the last
        finite loss and the last good checkpoint.

    Notes
    -----
    docs/theory.md §7. See the module docstring for the loss, the ``t`` distribution,
    the weighting and the variance reduction.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> from gpdtheory.models import matching_model
    >>> spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), N=4, Sigma=np.eye(1))
    >>> res = train(matching_model(spec, L=2), spec.sample(64, seed=0), TrainConfig(steps=20))
    >>> len(res.history["loss"])
    20
    """
    cfg = TrainConfig() if cfg is None else _check_cfg(cfg)
    if not isinstance(model, nn.Module):
        raise InvalidArgumentError("model", type(model).__name__, "is not a torch.nn.Module",
                                   "pass a model from gpdtheory.models or gpdtheory.construct")
    for name, fn in (("track", track), ("target", target)):
        if fn is not None and not callable(fn):
            raise InvalidArgumentError(name, fn, "is not callable", "pass a function or None")
    dev = resolve_device(device)
    model.to(dev)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise InvalidArgumentError("model", type(model).__name__, "has no trainable parameters",
                                   "pass a torch module with parameters")
    dtype = params[0].dtype
    X = as_real_array(data, "data", ndim=3)
    n = X.shape[0]
    gen = torch.Generator(device=dev)
    gen.manual_seed(cfg.seed)
    perm = np.random.default_rng(cfg.seed).permutation(n)
    n_val = int(round(cfg.holdout * n))
    if cfg.holdout > 0 and (n_val < 1 or n - n_val < 1):
        raise InvalidArgumentError("data", f"{n} samples", "is too few to hold some out",
                                   "pass more samples or holdout=0")
    Xt = torch.as_tensor(X[perm[n_val:]], dtype=dtype, device=dev)
    Xv = torch.as_tensor(X[perm[:n_val]], dtype=dtype, device=dev)
    N, d = X.shape[1], X.shape[2]
    if cfg.marginalize:
        mu = getattr(model, "mean", None)

        def second_moment(Z):
            V = (Z - mu if mu is not None else Z).reshape(Z.shape[0], -1)
            return V.T @ V / max(Z.shape[0], 1)

        S_tr = second_moment(Xt)
        S_val = second_moment(Xv) if n_val else None
    if n_val:
        # a fixed held-out objective: fixed noise and times, antithetic like training
        vgen = torch.Generator(device=dev)
        vgen.manual_seed(cfg.seed + 1)
        x0v = Xv.repeat(cfg.val_noise, 1, 1)
        ev = torch.randn(x0v.shape, generator=vgen, dtype=dtype, device=dev)
        tv = sample_times(cfg, x0v.shape[0], vgen, dtype, dev)
        x0v, ev, tv = torch.cat([x0v, x0v]), torch.cat([ev, -ev]), torch.cat([tv, tv])
        tv_marg = sample_times(cfg, 4 * cfg.n_times, vgen, dtype, dev)

    if cfg.optimizer == "lbfgs":
        return _train_lbfgs(model, cfg, S_tr, S_val if n_val else None, track, N, d, dtype, dev)
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: _lr_factor(cfg, k))
    ema = _Ema(model, cfg.ema) if cfg.ema > 0 else None
    hist: dict[str, list] = {"step": [], "loss": [], "lr": [], "eval_step": [], "val_loss": [],
                             "track": []}
    best_val, best_state, best_step, bad, stopped = math.inf, None, 0, 0, False
    half = cfg.batch_size // 2 if cfg.antithetic else cfg.batch_size
    start = time.perf_counter()

    def evaluate(step: int):
        nonlocal best_val, best_state, best_step, bad
        m = ema.shadow if ema is not None else model
        m.eval()
        with torch.no_grad():
            if not n_val:
                val = math.nan
            elif cfg.marginalize:
                val = float(marginal_dsm_loss(m, S_val, tv_marg, N, d))
            else:
                val = float(dsm_loss(m, x0v, tv, ev, cfg.weighting))
        m.train()
        hist["eval_step"].append(step)
        hist["val_loss"].append(val)
        hist["track"].append(float(track(m)) if track is not None else math.nan)
        if checkpoint is not None and all(bool(torch.isfinite(p).all()) for p in m.parameters()):
            save_checkpoint(m, checkpoint, config=cfg, extra={"step": step, "partial": True})
            kept[0] = str(_paths(checkpoint)[0])
        if n_val:
            if val < best_val:
                best_val, best_step, bad = val, step, 0
                best_state = {k: v.detach().clone() for k, v in m.state_dict().items()}
            else:
                bad += 1

    kept: list[str | None] = [None]

    def _step(loss: torch.Tensor, step: int):
        if not torch.isfinite(loss):
            last = (hist["loss"][-1], hist["step"][-1]) if hist["loss"] else (math.nan, -1)
            raise TrainingDivergedError(cfg.lr, step, last[0], last[1], kept[0])
        _check_grad(loss, model)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if ema is not None:
            ema.update(model, step)
        hist["step"].append(step)
        hist["loss"].append(float(loss.detach()))
        hist["lr"].append(opt.param_groups[0]["lr"])

    def _after(step: int) -> bool:
        """Evaluate when due; True when early stopping ends training."""
        nonlocal stopped
        if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps:
            evaluate(step + 1)
            if n_val and bad >= cfg.patience:
                stopped = True
        return stopped

    it = range(cfg.steps)
    if cfg.progress:
        from ._extras import progress_bar

        it = progress_bar(it, show=True, desc="DSM", leave=False)
    model.train()
    for step in it:
        if cfg.marginalize:
            t = sample_times(cfg, cfg.n_times, gen, dtype, dev)
            loss = marginal_dsm_loss(model, S_tr, t, N, d)
            _step(loss, step)
            if _after(step):
                break
            continue
        idx = torch.randint(0, Xt.shape[0], (half,), generator=gen, device=dev)
        x0 = Xt[idx]  # (half, N, d)
        eps = torch.randn(x0.shape, generator=gen, dtype=dtype, device=dev)
        t = sample_times(cfg, half, gen, dtype, dev)
        if cfg.antithetic:
            x0, eps, t = torch.cat([x0, x0]), torch.cat([eps, -eps]), torch.cat([t, t])
        if target is None:
            loss = dsm_loss(model, x0, t, eps, cfg.weighting)
        else:
            loss = _regression_loss(model, x0, t, eps, cfg.weighting, target)
        _step(loss, step)
        if _after(step):
            break
    out = ema.shadow if ema is not None else model
    if best_state is not None:
        out.load_state_dict(best_state)
    if out is not model:
        model.load_state_dict(out.state_dict())
    model.eval()
    return TrainResult(model, hist, best_step if n_val else len(hist["step"]),
                       best_val if n_val else math.nan, stopped, time.perf_counter() - start)


def _train_lbfgs(model, cfg: TrainConfig, S_tr, S_val, track, N, d, dtype, dev) -> TrainResult:
    """L-BFGS on the marginalised loss at a fixed time grid; evaluation every ``eval_every``."""
    start = time.perf_counter()
    tg = time_grid(cfg, cfg.n_times, dtype, dev)
    # held-out times interleave the training grid, so early stopping sees other t too
    tv = time_grid(cfg, 2 * cfg.n_times, dtype, dev)
    opt = torch.optim.LBFGS([p for p in model.parameters() if p.requires_grad], lr=cfg.lr,
                            max_iter=cfg.eval_every, history_size=50,
                            line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                            tolerance_change=1e-15)
    hist: dict[str, list] = {"step": [], "loss": [], "lr": [], "eval_step": [], "val_loss": [],
                             "track": []}
    best_val, best_state, best_step, bad, done = math.inf, None, 0, 0, 0

    def closure():
        opt.zero_grad(set_to_none=True)
        loss = marginal_dsm_loss(model, S_tr, tg, N, d)
        if not torch.isfinite(loss):
            raise InvalidArgumentError("cfg.lr", cfg.lr, "gave a non-finite loss",
                                       "lower the learning rate or use float64")
        _check_grad(loss, model)
        loss.backward()
        return loss

    model.train()
    stopped = False
    while done < cfg.steps:
        opt.param_groups[0]["max_iter"] = min(cfg.eval_every, cfg.steps - done)
        opt.step(closure)
        its = opt.state[opt._params[0]].get("n_iter", done + 1)
        progressed = its > done
        done = its if progressed else cfg.steps
        with torch.no_grad():
            loss = float(marginal_dsm_loss(model, S_tr, tg, N, d))
            val = (float(marginal_dsm_loss(model, S_val, tv, N, d)) if S_val is not None
                   else math.nan)
        hist["step"].append(done)
        hist["loss"].append(loss)
        hist["lr"].append(cfg.lr)
        hist["eval_step"].append(done)
        hist["val_loss"].append(val)
        hist["track"].append(float(track(model)) if track is not None else math.nan)
        if S_val is not None:
            if val < best_val:
                best_val, best_step, bad = val, done, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                bad += 1
                if bad >= cfg.patience:
                    stopped = True
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainResult(model, hist, best_step if S_val is not None else done,
                       best_val, stopped, time.perf_counter() - start)


# --------------------------------------------------------------------------- checkpoints
def _paths(path: Any) -> tuple[Path, Path]:
    p = Path(path)
    if p.suffix != ".safetensors":
        p = p.with_name(p.name + ".safetensors")
    return p, p.with_suffix(".json")


def _atomic_write(target: Path, payload: bytes):
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_checkpoint(model: nn.Module, path: Any, *, config: Any = None,
                    extra: dict[str, Any] | None = None) -> Path:
    """Write ``model`` as ``<path>.safetensors`` plus a ``<path>.json`` sidecar, atomically.

    Parameters
    ----------
    model : nn.Module
        A class known to :func:`gpdtheory.models.model_spec`.
    path : str or Path
        Target; ``.safetensors`` is appended unless present.
    config : TrainConfig or dict, optional
        Stored in the sidecar.
    extra : dict, optional
        JSON-serialisable metadata (e.g. the spec's parameters, ``n``, the seed).

    Returns
    -------
    Path
        The ``.safetensors`` file.

    Notes
    -----
    Each file is written to a temporary name in the same directory, flushed, fsynced
    and moved into place with ``os.replace`` (atomic on POSIX): a crash leaves either
    the old checkpoint or the new one, never a torn file. The sidecar records the
    SHA-256 of the tensor file, which :func:`load_checkpoint` verifies.
    """
    from ._extras import require

    st_save = require("safetensors.torch", "torch").save

    from .models import model_spec

    st_path, js_path = _paths(path)
    st_path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    blob = st_save(tensors, metadata={"format": CHECKPOINT_FORMAT})
    cfg = config.to_dict() if isinstance(config, TrainConfig) else (config or {})
    sidecar = {"format": CHECKPOINT_FORMAT, "model": model_spec(model), "train_config": cfg,
               "sha256": hashlib.sha256(blob).hexdigest(), "bytes": len(blob),
               "tensors": {k: list(v.shape) for k, v in tensors.items()}, "extra": extra or {}}
    _atomic_write(st_path, blob)
    _atomic_write(js_path, json.dumps(sidecar, indent=2, sort_keys=True).encode())
    return st_path


def load_checkpoint(path: Any, device: Any = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model saved by :func:`save_checkpoint`.

    Parameters
    ----------
    path : str or Path
        The ``.safetensors`` file (or its stem).
    device : str or torch.device

    Returns
    -------
    model : nn.Module
        In eval mode, on ``device``, bitwise equal to the saved one.
    sidecar : dict
        The JSON sidecar (model spec, training config, extra).

    Raises
    ------
    CheckpointError
        A file is missing, the sidecar is not valid JSON or of another format, the
        tensor file's size or SHA-256 differs from the sidecar (truncated or altered),
        or the tensors do not fit the model.
    """
    from ._extras import require

    st_load = require("safetensors.torch", "torch").load

    from .models import make_model

    st_path, js_path = _paths(path)
    for p in (st_path, js_path):
        if not p.is_file():
            raise CheckpointError(f"checkpoint file {p} is missing; save with save_checkpoint")
    try:
        sidecar = json.loads(js_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{js_path} is not valid JSON ({exc}); the sidecar is corrupt") \
            from exc
    if not isinstance(sidecar, dict) or sidecar.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{js_path} is not a {CHECKPOINT_FORMAT} sidecar")
    blob = st_path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if len(blob) != sidecar.get("bytes") or digest != sidecar.get("sha256"):
        raise CheckpointError(f"{st_path} has {len(blob)} bytes and a SHA-256 that does not match "
                              f"its sidecar ({sidecar.get('bytes')} bytes): truncated or altered")
    try:
        tensors = st_load(blob)
    except Exception as exc:  # safetensors raises its own error type on a bad header
        raise CheckpointError(f"{st_path} is not a readable safetensors file ({exc})") from exc
    try:
        model = make_model(sidecar["model"], device=resolve_device(device))
        model.load_state_dict(tensors, strict=True)
    except (KeyError, TypeError, RuntimeError, InvalidArgumentError) as exc:
        raise CheckpointError(f"{st_path} does not fit the recorded model "
                              f"{sidecar.get('model')}: {exc}") from exc
    return model.eval(), sidecar
