"""The diffused covariance's spectrum: ``C_t``'s eigenvalues and validated noisy batches.

docs/theory.md §2: ``C_t = alpha_t^2 (Gamma ⊗ Sigma) + sigma_t^2 I`` is diagonal in ``V ⊗ U``
with eigenvalues ``alpha_t^2 g_i lam_k + sigma_t^2`` (:mod:`gpdtheory.schedule`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..schedule import alpha2_sigma2, check_diffusion_time
from ..spec import GPSpec, check_spec
from ..validation import as_real_array

__all__ = ["diffuse_eigenvalues", "marginal_eigenvalues", "noisy_batch", "noisy_batch_at"]


def diffuse_eigenvalues(m: Any, t: Any) -> np.ndarray:
    """``e^{-t} m + 1 - e^{-t}``: the eigenvalues at time t of a covariance with eigenvalues m.

    The OU forward process maps a covariance ``K`` to ``alpha_t^2 K + sigma_t^2 I``, which
    keeps ``K``'s eigenvectors; ``1 - e^{-t}`` is formed as ``-expm1(-t)`` (exact near 0).
    ``m`` and ``t`` broadcast against each other.
    """
    a2, s2 = alpha2_sigma2(np.asarray(t, dtype=np.float64))
    return a2 * m + s2


def marginal_eigenvalues(g: Any, lam: Any, t: Any) -> np.ndarray:
    """``(N, d)`` eigenvalues ``e^{-t} g_i lam_k + 1 - e^{-t}`` of ``C_t`` in ``V ⊗ U``.

    Parameters
    ----------
    g : (N,) array_like
        Eigenvalues of the temporal factor (``Gamma`` or ``Gamma_bar``).
    lam : (d,) array_like
        Eigenvalues of ``Sigma``.
    t : float
        Diffusion time.

    Returns
    -------
    (N, d) ndarray
        Entry ``[i, k]`` belongs to the eigenvector ``v_i ⊗ u_k`` (row ``i d + k`` of the
        row-major ``vec``).
    """
    return diffuse_eigenvalues(np.multiply.outer(g, lam), t)


def noisy_batch_at(spec: GPSpec, X: Any, t: Any
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate noisy sequences and their times: ``(X, t, alpha_t^2, sigma_t^2)``.

    Parameters
    ----------
    spec : GPSpec
    X : (..., N, d) array_like
    t : float or (...) array_like
        Diffusion time(s) (:func:`gpdtheory.schedule.check_diffusion_time`): a scalar or
        one per sequence of the batch ``X.shape[:-2]``.

    Returns
    -------
    X : (..., N, d) ndarray of float64
    t, a2, s2 : (...) ndarray
        The times and ``alpha_t^2``, ``sigma_t^2`` (:func:`gpdtheory.schedule.alpha2_sigma2`),
        broadcast to the batch shape; ``t`` travels with them so that no message has to
        recover it from ``(a2, s2)``.
    """
    check_spec(spec)
    X = as_real_array(X, "X", min_ndim=2, shape=(spec.N, spec.d))
    t = check_diffusion_time(t)
    batch = X.shape[:-2]
    try:
        t = np.broadcast_to(t, batch)
    except ValueError as exc:
        raise InvalidArgumentError("t", f"array of shape {t.shape}",
                                   f"does not broadcast against the batch shape {batch} of X",
                                   "pass a scalar t or one t per sequence") from exc
    a2, s2 = alpha2_sigma2(t)
    return X, t, a2, s2


def noisy_batch(spec: GPSpec, X: Any, t: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`noisy_batch_at` without the times: ``(X, alpha_t^2, sigma_t^2)``."""
    X, _, a2, s2 = noisy_batch_at(spec, X, t)
    return X, a2, s2
