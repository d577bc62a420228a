"""Settings of the paper's runs: what changes a result, hashed into checkpoint keys."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..spec import GPSpec

__all__ = ["PaperConfig", "RunSpec", "kernel_of", "make_spec", "run_key", "ArchConfig",
           "arch_key", "PARAM_TOL", "ARCH_FAMILIES", "ARCH_SECTION"]


class _Digestible:
    """Settings that name their checkpoints: a JSON form and a short digest of it."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def digest(self) -> str:
        """8 hex digits of SHA-256 of the settings (the checkpoint key's suffix)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class PaperConfig(_Digestible):
    """Every setting of a paper run that changes its result (hashed into the run's key).

    The defaults are the small version of ``gpdtheory check`` (seconds per run on one CPU
    thread); :mod:`gpdtheory_checks.paper` sets the ``--full`` sizes.
    """

    N: int = 8
    Sigma: tuple[tuple[float, ...], ...] = ((1.0, 0.3), (0.3, 0.6))
    # the DiT (time embedding of width 16, as in the paper)
    width: int = 16
    depth: int = 1
    heads: int = 2
    time_dim: int = 16
    pos_init: str = "sincos"
    dtype: str = "float32"
    # training (gpdtheory.train.TrainConfig): at a constant learning rate until the held-out
    # loss plateaus (its best falls by less than ``plateau`` over ``plateau_window``
    # evaluations), ``steps`` being the cap
    steps: int = 1000
    batch_size: int = 256
    lr: float = 3e-2
    warmup: int = 20
    t0: float = 1e-2
    T: float = 6.0
    holdout: float = 0.1
    eval_every: int = 50
    schedule: str = "constant"
    plateau: float = 0.01
    plateau_window: int = 3
    # evaluation
    n_gen: int = 1000
    sample_steps: int = 40
    bootstrap: int = 200
    attention_times: tuple[float, ...] = (0.1, 0.5, 2.0)
    attention_n: int = 256

    def train_config(self, seed: int):
        from ..train import TrainConfig

        return TrainConfig(steps=self.steps, batch_size=self.batch_size, lr=self.lr,
                           warmup=self.warmup, t0=self.t0, T=self.T, holdout=self.holdout,
                           eval_every=self.eval_every, patience=10**6, seed=seed,
                           schedule=self.schedule, plateau=self.plateau,
                           plateau_window=self.plateau_window)


@dataclass(frozen=True)
class RunSpec:
    """One training run: a powered-exponential decay pattern ``(ell, nu)``, ``n``, a seed."""

    ell: float
    nu: float
    n: int
    seed: int

    @property
    def data_seed(self) -> int:
        return 1000 + self.seed

    @property
    def gen_seed(self) -> int:
        return 2000 + self.seed


def kernel_of(ell: float, nu: float):
    """``rho(m) = exp(-(m / ell)^nu)``, the paper's decay patterns."""
    from ..kernels import PoweredExponential

    return PoweredExponential(float(ell), float(nu))


def make_spec(cfg: PaperConfig, ell: float, nu: float) -> GPSpec:
    return GPSpec(kernel_of(ell, nu), cfg.N, np.array(cfg.Sigma, dtype=np.float64))


def _stem_number(x: float) -> str:
    """``x`` for a file stem: no dots, so that the stem is not mistaken for a suffix."""
    return f"{x:g}".replace(".", "p")


def run_key(run: RunSpec, cfg: PaperConfig) -> str:
    """File stem of a run: pattern, n, seed and the settings' digest."""
    return (f"powexp_ell{_stem_number(run.ell)}_nu{_stem_number(run.nu)}_n{run.n}"
            f"_seed{run.seed}_{cfg.digest()}")


#: Largest relative parameter-count mismatch allowed between the DiT and the U-Net.
PARAM_TOL = 0.2
#: Decay families of :class:`ArchConfig`.
ARCH_FAMILIES = ("powered_exponential", "polynomial", "logarithmic")
ARCH_SECTION = "architectures"


@dataclass(frozen=True)
class ArchConfig(_Digestible):
    """Every setting of a DiT-against-U-Net run (hashed into the run's key).

    The defaults are the regime where the paper's comparison binds (docs/theory.md §8): 64
    frames with a slowly (polynomially) decaying ``rho(m) = (1 + m/4)^{-1/2}``, which still
    correlates 0.24 at lag 63, far beyond the U-Net's receptive field of about +-8 frames.
    The DiT (width 16, one block, 2 heads, sine-cosine-initialised positions) and the U-Net
    (width 11) have parameter counts within :data:`PARAM_TOL` of each other; both train on
    the same ``n`` sequences with the same :class:`gpdtheory.train.TrainConfig`.
    """

    family: str = "polynomial"
    ell: float = 4.0
    nu: float = 0.5
    N: int = 64
    Sigma: tuple[tuple[float, ...], ...] = ((1.0, 0.3), (0.3, 0.5))
    n: int = 2048
    dit_width: int = 16
    dit_depth: int = 1
    dit_heads: int = 2
    unet_width: int = 11
    time_dim: int = 16
    dtype: str = "float32"
    # training (gpdtheory.train.TrainConfig), the same for both models
    steps: int = 600
    batch_size: int = 64
    lr: float = 3e-3
    warmup: int = 20
    eval_every: int = 50
    patience: int = 100
    val_noise: int = 2
    # evaluation
    n_gen: int = 2000
    sample_steps: int = 40
    T: float = 6.0
    t0: float = 1e-2
    bootstrap: int = 200

    def __post_init__(self):
        if self.family not in ARCH_FAMILIES:
            raise InvalidArgumentError("family", self.family, "is not a decay family here",
                                       f"pass one of {ARCH_FAMILIES}")

    def spec(self) -> GPSpec:
        from .. import kernels

        cls = {"powered_exponential": kernels.PoweredExponential,
               "polynomial": kernels.Polynomial, "logarithmic": kernels.Logarithmic}[self.family]
        return GPSpec(cls(float(self.ell), float(self.nu)), self.N,
                      np.array(self.Sigma, dtype=np.float64))

    def train_config(self, seed: int):
        from ..train import TrainConfig

        return TrainConfig(steps=self.steps, batch_size=self.batch_size, lr=self.lr,
                           warmup=self.warmup, t0=self.t0, T=self.T,
                           eval_every=self.eval_every, patience=self.patience,
                           val_noise=self.val_noise, seed=seed)


def arch_key(cfg: ArchConfig, seed: int) -> str:
    """File stem of a DiT-against-U-Net run: decay pattern, N, seed and the settings' digest."""
    return (f"dvu_{cfg.family}_ell{_stem_number(cfg.ell)}_nu{_stem_number(cfg.nu)}_N{cfg.N}"
            f"_seed{seed}_{cfg.digest()}")
