"""The DST-I (sine) basis of a symmetric Toeplitz matrix: Rayleigh quotients and vectors.

``s_k(j) = sqrt(2/(N+1)) sin(a_k (j+1))``, ``a_k = pi (k+1)/(N+1)``, ``k, j = 0..N-1``,
are the eigenvectors of the tau algebra; the optimal tau approximation of
``T = toeplitz(r)`` is ``P = S diag(q) S`` with ``q_k = s_k^T T s_k`` (``S`` the orthonormal
DST-I, its own inverse). Here: ``q`` in one real FFT (:func:`rayleigh_quotients`), the
orthonormal DST-I of rows (:func:`dst`) and chosen rows of ``S`` (:func:`sine_rows`).
Inputs are validated float64 arrays (the public entry point is
:func:`.eig.sine_rayleigh_quotients`). Equivalent dense computation:
``numpy.diag(S @ scipy.linalg.toeplitz(r) @ S)``, ``S = scipy.fft.dst(numpy.eye(N), 1,
norm="ortho")``.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from .work import count_transforms

__all__ = ["rayleigh_quotients", "quotient_grid", "dst", "sine_rows"]


def rayleigh_quotients(r: np.ndarray) -> np.ndarray:
    """``q_k = s_k^T toeplitz(r) s_k`` for every DST-I vector ``s_k``, in ``O(N log N)``.

    Since ``2 sin(a(i+1)) sin(a(j+1)) = cos(a(i-j)) - cos(a(i+j+2))``,

    ``(N+1) q_k = sum_{|m|<N} (N-|m|) r_|m| cos(a_k m) - sum_{p=2}^{2N} g_p cos(a_k p)``,

    where ``g_p = sum r_|m|`` over ``m = i - j`` with ``i + j + 2 = p``, ``0 <= i, j < N``:
    the ``m`` of the parity of ``p`` with ``|m| <= min(p - 2, 2N - p)`` (prefix sums over
    even and odd lags). Both cosine sums are one real FFT of length ``2N + 2``.
    """
    n = r.shape[0]
    return quotient_grid(r, 2 * n + 2)[1:n + 1]


def _cosine_weights(r: np.ndarray, size: int) -> np.ndarray:
    """``w`` of length ``size >= 2N + 1`` with ``(N+1) q(a) = sum_p w_p cos(a p)``."""
    n = r.shape[0]
    m = np.arange(n)
    even = np.cumsum(np.where(m % 2 == 0, r, 0.0))
    odd = np.cumsum(np.where(m % 2 == 1, r, 0.0))
    p = np.arange(2, 2 * n + 1)
    lim = np.minimum(p - 2, 2 * n - p)
    w = np.zeros(size)  # both cosine sums in one transform (linearity)
    w[2:2 * n + 1] = -np.where(p % 2 == 0, 2.0 * even[lim] - r[0],
                               np.where(lim >= 1, 2.0 * odd[np.maximum(lim, 0)], 0.0))
    w[:n] += 2.0 * (n - m) * r
    w[0] = n * r[0]
    return w


def quotient_grid(r: np.ndarray, size: int) -> np.ndarray:
    """``q(a)`` (module notes: ``q_k = q(a_k)``) at ``a = 2 pi j / size``, ``j = 0..size//2``.

    ``q(a) = (1/(N+1)) [sum_{|m|<N} (N-|m|) r_|m| cos(a m) - sum_p g_p cos(a p)]`` is a
    trigonometric polynomial of degree ``2N``: ``size = 2N + 2`` gives the exact ``q_k``
    (``j = k + 1``), a fast length ``>= 2N + 1`` a grid of the same function as fine (one
    real FFT; the exact length can have a large prime factor and cost ten times more).
    """
    n = r.shape[0]
    count_transforms(1, size)
    return np.fft.rfft(_cosine_weights(r, size)).real / (n + 1)


def dst(X: np.ndarray) -> np.ndarray:
    """Orthonormal DST-I along rows (its own inverse)."""
    count_transforms(X.shape[0] if X.ndim == 2 else 1, 2 * (X.shape[-1] + 1))
    return scipy.fft.dst(X, type=1, axis=-1, norm="ortho", workers=-1)


def sine_rows(n_basis: int, index: np.ndarray, n: int) -> np.ndarray:
    """Rows ``s_k`` (``k`` in ``index``) of the orthonormal DST-I of order ``n_basis``, the
    first ``n`` entries of each (``n <= n_basis``).

    The phase ``(k+1) (j+1)`` is reduced modulo ``2 (n_basis + 1)`` in integers: the sine of
    an argument of size ``~N^2`` would carry an absolute error ``~eps N^2`` and spoil the
    orthonormality of the rows.
    """
    j = np.arange(1, n + 1, dtype=np.int64)
    phase = np.outer(np.asarray(index, dtype=np.int64) + 1, j) % (2 * (n_basis + 1))
    return np.sqrt(2.0 / (n_basis + 1)) * np.sin(np.pi * phase / (n_basis + 1))
