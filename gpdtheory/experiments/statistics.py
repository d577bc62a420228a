"""Statistics of the paper's runs: the covariance metric, its floor, bootstraps and tests.

See :mod:`gpdtheory.experiments` for the metric and the bootstrap schemes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..spec import GPSpec
from ..validation import as_real_array, check_positive_int

__all__ = ["CovarianceErrors", "QUANTITIES", "covariance_errors", "sampling_floor",
           "bootstrap_errors", "percentile_ci", "hierarchical_bootstrap", "bootstrap_slope",
           "bootstrap_difference", "permutation_pvalue", "temporal_decay_bootstrap",
           "paired_bootstrap_difference", "signflip_pvalue"]


@dataclass(frozen=True)
class CovarianceErrors:
    """The paper's relative covariance error and its Kronecker factors' errors."""

    total: float
    temporal: float
    spatial: float

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.total, self.temporal, self.spatial)


QUANTITIES = ("total", "temporal", "spatial")


def _second_moment(samples, spec: GPSpec) -> np.ndarray:
    X = as_real_array(samples, "samples", ndim=3)
    if X.shape[1:] != (spec.N, spec.d):
        raise InvalidArgumentError("samples", f"array of shape {X.shape}",
                                   f"does not match the spec (N={spec.N}, d={spec.d})",
                                   "pass (m, N, d) samples")
    V = X.reshape(X.shape[0], -1) - spec.mean_array.ravel()
    return V.T @ V / V.shape[0]


def _errors_of(S: np.ndarray, spec: GPSpec, C: np.ndarray, G: np.ndarray,
               Sig: np.ndarray) -> CovarianceErrors:
    from ..compare import nearest_kronecker

    total = float(np.linalg.norm(S - C) / np.linalg.norm(C))
    A, B, _ = nearest_kronecker(S, (spec.N, spec.N), (spec.d, spec.d))
    c = np.trace(G) / np.trace(A) if np.trace(A) != 0 else 1.0
    A, B = A * c, B / c
    return CovarianceErrors(total, float(np.linalg.norm(A - G) / np.linalg.norm(G)),
                            float(np.linalg.norm(B - Sig) / np.linalg.norm(Sig)))


def covariance_errors(samples, spec: GPSpec) -> CovarianceErrors:
    """Relative error of the samples' covariance against ``Gamma ⊗ Sigma``: total, factors.

    Parameters
    ----------
    samples : (m, N, d) array_like
        Generated sequences.
    spec : GPSpec

    Returns
    -------
    CovarianceErrors
        ``total`` (the paper's metric), ``temporal`` and ``spatial`` (nearest Kronecker
        product, see the module docstring).
    """
    S = _second_moment(samples, spec)
    if not np.all(np.isfinite(S)):
        raise InvalidArgumentError("samples", "array", "has a non-finite covariance",
                                   "check the model that generated them")
    return _errors_of(S, spec, spec.covariance_dense(), spec.gamma_dense(), spec.Sigma)


def sampling_floor(spec: GPSpec, m: int) -> float:
    """``sqrt(E ||Cov_hat - C||_F^2) / ||C||_F`` for ``m`` exact samples (known mean).

    ``E ||Cov_hat - C||_F^2 = (||C||_F^2 + tr(C)^2) / m`` for Gaussian samples.
    """
    m = check_positive_int(m, "m")
    C = spec.covariance_dense()
    return float(math.sqrt((1.0 + np.trace(C) ** 2 / np.sum(C * C)) / m))


def bootstrap_errors(samples, spec: GPSpec, B: int = 200, seed: Any = 0) -> np.ndarray:
    """Bias-corrected bootstrap replicates of :func:`covariance_errors`: ``(B, 3)``.

    Each replicate resamples the ``m`` sequences with replacement and recomputes
    ``(total, temporal, spatial)``; the replicates are then shifted by
    ``mean(replicates) - estimate`` (the bootstrap bias estimate), so they centre on the
    estimate. Percentiles of the result are the 95% interval (:func:`percentile_ci`).
    """
    B = check_positive_int(B, "B")
    X = as_real_array(samples, "samples", ndim=3)
    m = X.shape[0]
    V = X.reshape(m, -1) - spec.mean_array.ravel()
    rng = np.random.default_rng(seed)
    C, G, Sig = spec.covariance_dense(), spec.gamma_dense(), spec.Sigma
    out = np.empty((B, 3))
    for b in range(B):
        W = V[rng.integers(0, m, m)]
        out[b] = _errors_of(W.T @ W / m, spec, C, G, Sig).as_tuple()
    est = np.array(_errors_of(V.T @ V / m, spec, C, G, Sig).as_tuple())
    return out - (out.mean(axis=0) - est)


def percentile_ci(values, level: float = 0.95) -> tuple[float, float]:
    """The ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles of bootstrap replicates."""
    v = np.asarray(values, dtype=np.float64).ravel()
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(v, [a, 1.0 - a])
    return float(lo), float(hi)


def hierarchical_bootstrap(boot_by_seed: Sequence[Sequence[float]], B: int, rng) -> np.ndarray:
    """Replicates of the seed-mean error, resampling seeds and generated samples: ``(B,)``.

    ``boot_by_seed[s]`` holds seed ``s``'s generated-sample bootstrap replicates. Each
    replicate draws ``R`` seeds with replacement and, for each, one of its replicates, and
    averages them.
    """
    arrs = [np.asarray(b, dtype=np.float64) for b in boot_by_seed]
    R = len(arrs)
    out = np.empty(B)
    for b in range(B):
        picks = rng.integers(0, R, R)
        out[b] = np.mean([arrs[s][rng.integers(0, arrs[s].size)] for s in picks])
    return out


def bootstrap_slope(ns: Sequence[float], boot_cells: Sequence[Sequence[Sequence[float]]],
                    B: int = 2000, seed: Any = 0) -> np.ndarray:
    """Replicates of the OLS slope of ``log(seed-mean error)`` on ``log n``: ``(B,)``.

    ``boot_cells[i]`` is the per-seed replicate lists at ``ns[i]``
    (:func:`hierarchical_bootstrap` draws each cell, independently across cells).
    """
    rng = np.random.default_rng(seed)
    x = np.log(np.asarray(ns, dtype=np.float64))
    x = x - x.mean()
    cells = np.stack([hierarchical_bootstrap(c, B, rng) for c in boot_cells])  # (K, B)
    y = np.log(cells)
    y = y - y.mean(axis=0)
    return (x @ y) / (x @ x)


def bootstrap_difference(boot_a, boot_b, B: int = 2000, seed: Any = 0) -> np.ndarray:
    """Replicates of ``mean error(a) - mean error(b)``, each a per-seed replicate list: ``(B,)``."""
    rng = np.random.default_rng(seed)
    return hierarchical_bootstrap(boot_a, B, rng) - hierarchical_bootstrap(boot_b, B, rng)


def permutation_pvalue(a: Sequence[float], b: Sequence[float]) -> float:
    """Exact one-sided permutation p-value of ``mean(a) < mean(b)`` on seed-level errors.

    Every split of the pooled values into groups of the sizes of ``a`` and ``b`` is
    enumerated; the p-value is the fraction whose ``mean(a') - mean(b')`` is at most the
    observed one. With 3 seeds a side the smallest attainable value is 1/20 = 0.05.
    """
    import itertools

    a, b = np.asarray(a, float), np.asarray(b, float)
    pooled = np.concatenate([a, b])
    obs = a.mean() - b.mean()
    k, hits, total = a.size, 0, 0
    for idx in itertools.combinations(range(pooled.size), k):
        mask = np.zeros(pooled.size, bool)
        mask[list(idx)] = True
        total += 1
        hits += pooled[mask].mean() - pooled[~mask].mean() <= obs + 1e-12
    return hits / total


def temporal_decay_bootstrap(samples, spec: GPSpec, B: int = 200, seed: Any = 0) -> np.ndarray:
    """Bias-corrected bootstrap replicates of the temporal-decay error: ``(B,)``.

    Each replicate resamples the ``m`` sequences with replacement and recomputes
    :func:`gpdtheory.compare_models.temporal_decay_error`; the replicates are then shifted by
    ``mean(replicates) - estimate`` as in :func:`bootstrap_errors`.
    """
    from ..compare_models import temporal_decay_error

    B = check_positive_int(B, "B")
    X = as_real_array(samples, "samples", ndim=3)
    rng = np.random.default_rng(seed)
    out = np.array([temporal_decay_error(X[rng.integers(0, X.shape[0], X.shape[0])], spec)[0]
                    for _ in range(B)])
    est, _ = temporal_decay_error(X, spec)
    return out - (out.mean() - est)


def paired_bootstrap_difference(boot_a: Sequence[Sequence[float]],
                                boot_b: Sequence[Sequence[float]], B: int = 2000,
                                seed: Any = 0) -> np.ndarray:
    """Replicates of ``mean over seeds of (error a - error b)``, seeds paired: ``(B,)``.

    ``boot_a[s]`` and ``boot_b[s]`` are seed ``s``'s generated-sample bootstrap replicates of
    the two models. Each replicate draws ``S`` seeds with replacement (the same draw for
    both models, which share the seed's data and sampling noise) and, for each drawn seed,
    one replicate of each model, and averages the differences.
    """
    A = [np.asarray(a, dtype=np.float64) for a in boot_a]
    Bb = [np.asarray(b, dtype=np.float64) for b in boot_b]
    if len(A) != len(Bb) or not A:
        raise InvalidArgumentError("boot_b", f"{len(Bb)} seeds",
                                   f"does not pair with boot_a's {len(A)} seeds",
                                   "pass one replicate list per seed for both models")
    B = check_positive_int(B, "B")
    rng = np.random.default_rng(seed)
    S = len(A)
    out = np.empty(B)
    for b in range(B):
        picks = rng.integers(0, S, S)
        out[b] = np.mean([A[s][rng.integers(0, A[s].size)] - Bb[s][rng.integers(0, Bb[s].size)]
                          for s in picks])
    return out


def signflip_pvalue(differences: Sequence[float]) -> float:
    """Exact one-sided sign-flip p-value of ``mean(differences) > 0`` (paired seeds).

    Every assignment of signs to the ``S`` paired differences is enumerated; the p-value
    is the fraction whose mean is at least the observed one. Its smallest value is
    ``2^-S``: 0.125 for 3 seeds, 0.031 for 5.
    """
    import itertools

    x = as_real_array(differences, "differences", ndim=1)
    obs = x.mean()
    hits = [np.mean(np.array(s) * x) >= obs - 1e-12
            for s in itertools.product((1.0, -1.0), repeat=x.size)]
    return float(np.mean(hits))
