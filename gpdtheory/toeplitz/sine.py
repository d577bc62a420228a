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

from functools import partial

import numpy as np

from .threads import Workspace, parallel
from .work import count_transforms

__all__ = ["rayleigh_quotients", "quotient_grid", "dst", "sine_buffers", "sine_transform",
           "sine_rows"]


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
    """``w`` of length ``size >= 2N + 1`` with ``(N+1) q(a) = sum_p w_p cos(a p)``.

    ``g_p`` for ``p = 2u`` is ``2 E(min(u-1, N-u)) - r_0`` and for ``p = 2u + 1`` it is
    ``2 O(min(u, N-u) - 1)``, with ``E(t) = sum_{i<=t} r_{2i}``, ``O(t) = sum_{i<=t} r_{2i+1}``
    (slices and one gather each: no ``2N``-long index temporaries).
    """
    n = r.shape[0]
    w = np.zeros(size)
    if n > 1:
        ce = np.cumsum(r[0::2])
        co = np.cumsum(r[1::2])
        u = np.arange(1, n + 1)
        w[2:2 * n + 1:2] = r[0] - 2.0 * ce[np.minimum(u - 1, n - u)]
        u = u[:n - 1]
        w[3:2 * n:2] = -2.0 * co[np.minimum(u, n - u) - 1]
    else:
        w[2] = -r[0]
    w[:n] += 2.0 * (n - np.arange(n)) * r
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


def dst(X: np.ndarray, work: Workspace | None = None) -> np.ndarray:
    """Orthonormal DST-I along the rows of ``X`` (2-D; its own inverse).

    Through one real FFT of length ``2(n+1)`` per row: with ``z = [0, x, 0, -x reversed]``,
    ``fft(z)_k = -2i sum_j x_j sin(pi (j+1) k / (n+1))``. (SciPy's DST-I of a fast length
    runs about eight times slower than this FFT.) Rows are transformed on the engine's
    threads, each in its own buffers of ``work`` (a fresh :class:`.threads.Workspace` when
    None); the result does not depend on the thread count.
    """
    k, n = X.shape
    count_transforms(k, 2 * (n + 1))
    out = np.empty((k, n))
    work = Workspace() if work is None else work

    def row(i: int) -> None:
        z, spec = sine_buffers(work, n)
        z[1:n + 1] = X[i]
        sine_transform(z, spec, n, out[i])

    parallel([partial(row, i) for i in range(k)])
    return out


def sine_buffers(work: Workspace, n: int) -> tuple[np.ndarray, np.ndarray]:
    """This thread's ``z`` (length ``2(n+1)``, zero at ``0`` and ``n+1``) and spectrum
    buffers for a DST-I of order ``n``: views of the thread's longest ones, so a thread
    keeps one pair whatever the order (the Toeplitz products of the same call share it)."""
    z = work.row("real", 2 * (n + 1))
    z[0] = z[n + 1] = 0.0
    return z, work.row("complex", n + 2, np.complex128)


def sine_transform(z: np.ndarray, spec: np.ndarray, n: int, out: np.ndarray) -> None:
    """``out = S x`` (orthonormal DST-I of order ``n``) for ``x = z[1:n+1]``, the rest of
    ``z`` as :func:`sine_buffers` leaves it; ``z[n+2:]`` is overwritten."""
    np.negative(z[n:0:-1], out=z[n + 2:])
    np.fft.rfft(z, out=spec)
    np.multiply(spec.imag[1:n + 1], -0.5 * np.sqrt(2.0 / (n + 1)), out=out)


def sine_rows(n_basis: int, index: np.ndarray, n: int) -> np.ndarray:
    """Rows ``s_k`` (``k`` in ``index``) of the orthonormal DST-I of order ``n_basis``, the
    first ``n`` entries of each (``n <= n_basis``).

    The phase ``(k+1) (j+1)`` is reduced modulo ``2 (n_basis + 1)`` in integers: the sine of
    an argument of size ``~N^2`` would carry an absolute error ``~eps N^2`` and spoil the
    orthonormality of the rows.
    """
    j = np.arange(1, n + 1, dtype=np.int64)
    index = np.asarray(index, dtype=np.int64)
    out = np.empty((index.size, n))
    for i, kk in enumerate(index):
        phase = ((kk + 1) * j) % (2 * (n_basis + 1))
        np.sin(phase * (np.pi / (n_basis + 1)), out=out[i])
    out *= np.sqrt(2.0 / (n_basis + 1))
    return out
