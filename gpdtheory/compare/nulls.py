"""Null scores: what a network that learns nothing temporal would output (docs/theory.md §8).

Every comparison of :mod:`gpdtheory.compare` that grades a trained model reports the same
statistic for these scores, so that a good number can be told from one that any network
gets for free:

- the **time-ignoring** score, the exact score of a model that treats the ``N`` frames as
  independent with the right per-frame covariance: ``s_0(X, t) = -(I_N ⊗ P_t) vec(X -
  alpha_t mu)`` with ``P_t = (alpha_t^2 Sigma + sigma_t^2 I_d)^{-1}`` (the diagonal blocks
  of ``C_t`` inverted one by one, the off-diagonal, temporal ones dropped);
- the **zero** score (a network whose output stays 0).

``alpha_t^2 = exp(-t)`` and ``sigma_t^2 = 1 - exp(-t)`` (docs/theory.md §2).
"""

from __future__ import annotations

import numpy as np

from ..schedule import alpha2_sigma2, alpha_sigma, check_scalar_diffusion_time
from ..spec import GPSpec, check_spec

__all__ = ["frame_precision", "time_ignoring_map", "time_ignoring_iterate"]


def frame_precision(spec: GPSpec, t: float) -> np.ndarray:
    """``P_t = (alpha_t^2 Sigma + sigma_t^2 I_d)^{-1}``, one frame's marginal precision ``(d, d)``.

    The frame covariance of ``X_t`` is ``alpha_t^2 Sigma + sigma_t^2 I_d`` (``Gamma_ii = 1``).
    """
    spec, t = check_spec(spec), check_scalar_diffusion_time(t)
    a2, s2 = alpha2_sigma2(t)
    Sigma = np.asarray(spec.Sigma, dtype=np.float64)
    return np.linalg.inv(a2 * Sigma + s2 * np.eye(spec.d))


def time_ignoring_map(spec: GPSpec, t: float) -> np.ndarray:
    """``I_N ⊗ P_t``: the time-ignoring score's matrix (``s_0 = -M vec X``), ``(Nd, Nd)``."""
    return np.kron(np.eye(check_spec(spec).N), frame_precision(spec, t))


def time_ignoring_iterate(spec: GPSpec, X: np.ndarray, t: float) -> np.ndarray:
    """``-s_0(X, t)``, in the sign of GD's iterates (``Y_L ≈ -s*``): ``(..., N, d)``.

    ``X`` is ``(..., N, d)`` at time ``t``; the mean, if any, is removed first
    (``X - alpha_t mu``), as :func:`gpdtheory.gd.gd_iterates` does.
    """
    spec = check_spec(spec)
    X = np.asarray(X, dtype=np.float64)
    if spec.mean is not None:
        X = X - alpha_sigma(check_scalar_diffusion_time(t))[0] * spec.mean_array
    return X @ frame_precision(spec, t)  # P_t is symmetric: row-vector frames times P_t
