"""The cases the claims share: default kernels, Sigma draws and the user's scenario grids.

A claim module imports these; it never imports another claim module's helpers. With
``--scenario`` each helper returns the scenario's value instead of the claim's default, so
a claim written against these helpers runs on a user's process unchanged.
"""

from __future__ import annotations

import numpy as np

import gpdtheory as gp

from .table import CheckConfig

__all__ = ["default_kernels", "grid", "scenario_d", "scenario_sigma", "scenario_mean",
           "case_params", "random_sigma", "sigma_with_spectrum", "training_device"]


def training_device() -> str:
    """The torch device the claims train on: ``GPDTHEORY_DEVICE`` (set by ``gpdtheory check
    --device``, validated there), else ``"cpu"``. Read at call time, so worker processes
    that inherit the environment train on the same device."""
    import os

    return os.environ.get("GPDTHEORY_DEVICE") or "cpu"


def default_kernels(cfg: CheckConfig) -> list[gp.Kernel]:
    """One kernel per decay regime: fast, medium and slow decay; a scenario's kernel if given."""
    if cfg.scenario is not None:
        return [cfg.scenario.kernel]
    ks = [gp.PoweredExponential(2.0, 1.0), gp.PoweredExponential(1.0, 2.0),
          gp.PoweredExponential(0.6, 0.5), gp.Polynomial(1.0, 2.5), gp.Polynomial(2.0, 0.8),
          gp.Logarithmic(1.0, 1.0)]
    if cfg.full:
        ks += [gp.PoweredExponential(8.0, 1.5), gp.Polynomial(4.0, 1.5), gp.Logarithmic(4.0, 2.0)]
    return ks


def grid(cfg: CheckConfig, name: str, default):
    """The scenario's grid ``name`` (``"N"``, ``"t"``, ``"J"``, ``"L"``, ``"truncation"``)
    when ``cfg`` carries a scenario, else the claim's own ``default`` (unchanged)."""
    if cfg.scenario is None:
        return default
    return tuple(getattr(cfg.scenario, name))


def scenario_d(cfg: CheckConfig, rng: np.random.Generator) -> int:
    """The scenario's feature dimension, else a draw of ``d`` in ``1..3`` from ``rng``."""
    if cfg.scenario is None:
        return int(rng.integers(1, 4))
    return cfg.scenario.d


def scenario_sigma(cfg: CheckConfig, rng: np.random.Generator, d: int) -> np.ndarray:
    """The scenario's ``Sigma`` when it gives one, else :func:`random_sigma` of size ``d``."""
    if cfg.scenario is not None and cfg.scenario.Sigma is not None:
        return cfg.scenario.Sigma
    return random_sigma(rng, d)


def scenario_mean(cfg: CheckConfig, rng: np.random.Generator, N: int, d: int):
    """The scenario's mean for N frames (None, random or the user's array), else a draw."""
    if cfg.scenario is None:
        return rng.standard_normal((N, d))
    return cfg.scenario.mean_for(N, rng)


def case_params(kernel: gp.Kernel, **extra) -> dict:
    """A row's case: the kernel's family and exact parameters, then ``extra``."""
    return {"family": kernel.family, **kernel.params, **extra}


def random_sigma(rng: np.random.Generator, d: int) -> np.ndarray:
    """An SPD ``Sigma`` with condition number at most 10."""
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    lam = np.exp(rng.uniform(-1.15, 1.15, size=d))
    S = (Q * lam) @ Q.T
    return 0.5 * (S + S.T)


def sigma_with_spectrum(rng: np.random.Generator, eigs) -> np.ndarray:
    """An SPD ``Sigma = Q diag(eigs) Q^T`` with a random orthogonal ``Q``."""
    eigs = np.asarray(eigs, dtype=np.float64)
    Q, _ = np.linalg.qr(rng.standard_normal((eigs.size, eigs.size)))
    S = (Q * eigs) @ Q.T
    return 0.5 * (S + S.T)
