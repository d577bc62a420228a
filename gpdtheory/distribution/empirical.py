"""Sample-based distribution metrics for estimators that are not linear (trained networks).

docs/theory.md §6 (nonlinear estimators have no closed-form output law). The metric is
the covariance relative error

    err = ||Cov_hat - K||_F / ||K||_F,        K = Gamma ⊗ Sigma (or C_t),

reported with two error bars from the sample size ``n``:

- ``noise_floor``: ``sqrt(E||S - K||_F^2) / ||K||_F`` for a *perfect* sampler, from the
  Wishart variance ``Var(S_ij) = (K_ij^2 + K_ii K_jj)/m`` (``m = n - 1`` centred,
  ``n`` uncentred): ``E||S - K||_F^2 = (||K||_F^2 + (tr K)^2)/m``. An ``err`` near the
  floor is indistinguishable from sampling noise.
- ``std_error``: the bootstrap standard deviation of ``err`` (resampling sequences).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..spec import GPSpec
from ..validation import as_real_array, as_rng, check_positive_int, check_spd

__all__ = ["CovarianceAccuracy", "covariance_relative_error", "wishart_noise_floor"]


@dataclass(frozen=True)
class CovarianceAccuracy:
    """Covariance relative error with its sampling error bars.

    Attributes
    ----------
    rel_error : float
        ``||Cov_hat - K||_F / ||K||_F``.
    std_error : float
        Bootstrap standard deviation of ``rel_error`` (``nan`` when ``n_boot = 0``).
    noise_floor : float
        Expected ``rel_error`` (root-mean-square) of exact samples of the same size.
    n : int
        Number of samples.
    """

    rel_error: float
    std_error: float
    noise_floor: float
    n: int


def wishart_noise_floor(K: Any, n: int, centered: bool = True) -> float:
    """``sqrt((||K||_F^2 + (tr K)^2) / m) / ||K||_F``, ``m = n - 1`` (centred) or ``n``.

    Examples
    --------
    >>> bool(abs(wishart_noise_floor(np.eye(1), 101) - np.sqrt(2 / 100)) < 1e-15)
    True
    """
    K = check_spd(K, "K", allow_semidefinite=True)
    n = check_positive_int(n, "n")
    m = n - 1 if centered else n
    if m < 1:
        raise InvalidArgumentError(
            "n", n, "leaves no degrees of freedom", "pass at least 2 samples"
        )
    fro2 = float(np.sum(K * K))
    if fro2 == 0.0:
        raise InvalidArgumentError(
            "K", "zero matrix", "has no scale to be relative to", "pass a nonzero covariance"
        )
    return float(np.sqrt((fro2 + float(np.trace(K)) ** 2) / m / fro2))


def _cov(X: np.ndarray, centered: bool) -> np.ndarray:
    if centered:
        Xc = X - X.mean(axis=0)
        return Xc.T @ Xc / (X.shape[0] - 1)
    return X.T @ X / X.shape[0]


def covariance_relative_error(
    samples: Any,
    target: Any,
    *,
    t: float | None = None,
    centered: bool = True,
    n_boot: int = 100,
    seed: Any = 0,
) -> CovarianceAccuracy:
    """Relative Frobenius error of the sample covariance, with error bars.

    Parameters
    ----------
    samples : (n, N, d) or (n, Nd) array_like (or a torch tensor)
        Generated sequences (row-major ``vec``).
    target : GPSpec or (Nd, Nd) array_like
        ``K``: a spec gives ``Gamma ⊗ Sigma`` (or ``C_t`` when ``t`` is given).
    t : float, optional
        Compare with the diffused ``C_t`` instead of the data covariance.
    centered : bool
        Subtract the sample mean (``n - 1`` normalisation); else assume mean 0.
    n_boot : int
        Bootstrap resamples for ``std_error`` (0 skips it).
    seed : int or numpy Generator

    Returns
    -------
    CovarianceAccuracy

    Examples
    --------
    >>> import gpdtheory as gp
    >>> spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=4, Sigma=np.eye(2))
    >>> e = covariance_relative_error(spec.sample(20000, seed=1), spec)
    >>> bool(e.rel_error < 4 * e.noise_floor)
    True
    """
    X = as_real_array(samples, "samples", min_ndim=2)
    X = X.reshape(X.shape[0], -1)
    if isinstance(target, GPSpec):
        if t is None:
            K = target.covariance_dense()
        else:
            from ..diffusion import marginal_covariance

            K = marginal_covariance(target, t)
    else:
        K = check_spd(target, "target", allow_semidefinite=True)
    if K.shape != (X.shape[1],) * 2:
        raise InvalidArgumentError(
            "samples",
            X.shape,
            f"have dimension {X.shape[1]}, the target {K.shape[0]}",
            "pass samples of shape (n, N, d) matching the target",
        )
    n = X.shape[0]
    floor = wishart_noise_floor(K, n, centered)
    normK = float(np.linalg.norm(K))
    with np.errstate(over="ignore"):  # an overflow is reported below, not warned about
        err = float(np.linalg.norm(_cov(X, centered) - K)) / normK
    if not np.isfinite(err):
        raise InvalidArgumentError("samples", f"max |entry| {float(np.abs(X).max()):.3e}",
                                   f"give a covariance error relative to ||K||_F = {normK:.3e} "
                                   "that overflows float64", "rescale samples and target together")
    std = float("nan")
    if n_boot:
        rng = as_rng(seed)
        boots = [
            float(np.linalg.norm(_cov(X[rng.integers(0, n, n)], centered) - K)) / normK
            for _ in range(check_positive_int(n_boot, "n_boot"))
        ]
        if len(boots) > 1:  # scaled: the squares of errors near 1e155 overflow float64
            scale = max(boots)
            std = scale * float(np.std(np.asarray(boots) / scale, ddof=1)) if scale > 0 else 0.0
    return CovarianceAccuracy(rel_error=err, std_error=std, noise_floor=floor, n=n)
