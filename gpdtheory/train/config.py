"""The configuration of a training run, validated once when it is built."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..validation import as_real_array, check_positive_int, check_positive_scalar

__all__ = ["TrainConfig", "check_config", "T_SAMPLINGS", "WEIGHTINGS", "SCHEDULES", "OPTIMIZERS"]

#: How diffusion times are drawn (:attr:`TrainConfig.t_sampling`).
T_SAMPLINGS = ("log-uniform", "uniform", "fixed")
#: Loss weightings ``lambda(t)`` (:attr:`TrainConfig.weighting`).
WEIGHTINGS = ("sigma2", "none")
#: Learning-rate schedules after warm-up (:attr:`TrainConfig.schedule`).
SCHEDULES = ("cosine", "constant")
#: Optimisers (:attr:`TrainConfig.optimizer`).
OPTIMIZERS = ("adamw", "lbfgs")


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of :func:`gpdtheory.train.train` (the defaults train the default
    check in seconds).

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
        closed form (see :func:`gpdtheory.train.marginal_dsm_loss`), at ``n_times``
        times per step.
    n_times : int
        Diffusion times per step with ``marginalize``.
    ema : float
        Decay of the weight average (0 disables it); the average is what is evaluated,
        early-stopped and returned. AdamW only: L-BFGS iterates are not noisy.
    holdout : float
        Fraction of the samples held out for early stopping (0: none; then the model
        at the last step is returned).
    eval_every, patience : int
        Held-out loss every ``eval_every`` steps; stop after ``patience`` evaluations
        without improvement.
    plateau : float
        Convergence rule (0 disables it): stop at the first evaluation at which the best
        held-out loss so far is less than a fraction ``plateau`` below the best of the
        evaluations up to ``plateau_window`` evaluations earlier (the held-out loss has
        plateaued). Independent of ``patience``.
    plateau_window : int
        Evaluations the plateau rule looks back.
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
    plateau: float = 0.0
    plateau_window: int = 3
    val_noise: int = 8
    seed: int = 0
    progress: bool = False

    def __post_init__(self):
        for name in ("steps", "batch_size", "eval_every", "patience", "val_noise", "n_times",
                     "plateau_window"):
            check_positive_int(getattr(self, name), name)
        check_positive_scalar(self.lr, "lr")
        check_positive_scalar(self.t0, "t0")
        check_positive_scalar(self.T, "T")
        if self.t0 > self.T:
            raise InvalidArgumentError("t0", self.t0, f"exceeds T = {self.T}", "pass t0 <= T")
        for name, allowed in (("t_sampling", T_SAMPLINGS), ("weighting", WEIGHTINGS),
                              ("schedule", SCHEDULES), ("optimizer", OPTIMIZERS)):
            value = getattr(self, name)  # a str first: `in` on an array or tensor is ambiguous
            if not isinstance(value, str) or value not in allowed:
                raise InvalidArgumentError(name, getattr(self, name), "is not supported",
                                           f"pass one of {allowed}")
        self._check_fractions()
        if self.optimizer == "lbfgs" and not self.marginalize:
            raise InvalidArgumentError("optimizer", "lbfgs", "needs a deterministic objective",
                                       "set marginalize=True (models linear in X) or use adamw")
        if self.antithetic and self.batch_size % 2:
            raise InvalidArgumentError("batch_size", self.batch_size,
                                       "is odd with antithetic noise",
                                       "pass an even batch size")

    def _check_fractions(self) -> None:
        """``ema`` and ``holdout`` in ``[0, 1)``, ``weight_decay`` and ``warmup`` ``>= 0``."""
        for name in ("ema", "holdout", "weight_decay", "plateau"):  # NaN: see the range tests
            as_real_array(getattr(self, name), name, ndim=0)
        if isinstance(self.warmup, bool) or not isinstance(self.warmup, (int, np.integer)):
            raise InvalidArgumentError("warmup", self.warmup, "is not an integer",
                                       "pass an int >= 0")
        if not (0.0 <= self.ema < 1.0):
            raise InvalidArgumentError("ema", self.ema, "is not in [0, 1)", "pass e.g. 0.99 or 0")
        if not (0.0 <= self.holdout < 1.0):
            raise InvalidArgumentError("holdout", self.holdout, "is not in [0, 1)",
                                       "pass a fraction such as 0.1, or 0 for no early stopping")
        if not (0.0 <= self.plateau < 1.0):
            raise InvalidArgumentError("plateau", self.plateau, "is not in [0, 1)",
                                       "pass a relative improvement such as 0.01, or 0")
        if self.weight_decay < 0 or self.warmup < 0:
            raise InvalidArgumentError("weight_decay/warmup", (self.weight_decay, self.warmup),
                                       "must be >= 0", "pass non-negative values")

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (JSON-able; stored in checkpoint sidecars)."""
        return dataclasses.asdict(self)


def check_config(cfg: Any) -> TrainConfig:
    """``cfg`` itself when it is a :class:`TrainConfig` (already validated), else an error.

    Raises
    ------
    InvalidArgumentError
        ``cfg`` is not a :class:`TrainConfig`.
    """
    if not isinstance(cfg, TrainConfig):
        raise InvalidArgumentError("cfg", cfg, "is not a TrainConfig",
                                   "pass gpdtheory.train.TrainConfig(...) or None")
    return cfg
