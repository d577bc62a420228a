"""The DST-I (sine) basis of a symmetric Toeplitz matrix: Rayleigh quotients and vectors.

``s_k(j) = sqrt(2/(N+1)) sin(a_k (j+1))``, ``a_k = pi (k+1)/(N+1)``, ``k, j = 0..N-1``,
are the eigenvectors of the tau algebra; the optimal tau approximation of
``T = toeplitz(r)`` is ``P = S diag(q) S`` with ``q_k = s_k^T T s_k`` (``S`` the orthonormal
DST-I, its own inverse). Here: ``q`` in one real FFT (:func:`rayleigh_quotients`), the
orthonormal DST-I through a real FFT of length ``N + 1`` (:class:`SineTransform`, rows of an
array: :func:`dst`) and chosen rows of ``S`` (:func:`sine_rows`).
Inputs are validated float64 arrays (the public entry point is
:func:`.eig.sine_rayleigh_quotients`). Equivalent dense computation:
``numpy.diag(S @ scipy.linalg.toeplitz(r) @ S)``, ``S = scipy.fft.dst(numpy.eye(N), 1,
norm="ortho")``.
"""

from __future__ import annotations

from functools import partial

import numba as nb
import numpy as np

from .realfft import rfft
from .threads import Workspace, parallel
from .work import count_transforms

__all__ = ["rayleigh_quotients", "quotient_grid", "SineTransform", "dst", "sine_rows"]


def rayleigh_quotients(r: np.ndarray, order: int | None = None,
                       work: Workspace | None = None) -> np.ndarray:
    """``q_k = s_k^T toeplitz(r) s_k`` for every DST-I vector ``s_k``, in ``O(N log N)``.

    Since ``2 sin(a(i+1)) sin(a(j+1)) = cos(a(i-j)) - cos(a(i+j+2))``,

    ``(N+1) q_k = sum_{|m|<N} (N-|m|) r_|m| cos(a_k m) - sum_{p=2}^{2N} g_p cos(a_k p)``,

    where ``g_p = sum r_|m|`` over ``m = i - j`` with ``i + j + 2 = p``, ``0 <= i, j < N``:
    the ``m`` of the parity of ``p`` with ``|m| <= min(p - 2, 2N - p)`` (prefix sums over
    even and odd lags). Both cosine sums are one real FFT of length ``2N + 2``. ``order``
    ``>= len(r)``: the quotients of the sine basis of that order for ``r`` padded with
    zeros (default ``len(r)``); ``work``: the weights and the spectrum go to the calling
    thread's buffers (memory touched once per call at large ``N``).
    """
    n = r.shape[0] if order is None else order
    return quotient_grid(r, 2 * n + 2, n, work)[1:n + 1]


@nb.njit(nogil=True, cache=True)
def _cosine_weights_numba(r, n, w):  # pragma: no cover - compiled
    """``w`` (length ``>= 2n + 1``) with ``(n+1) q(a) = sum_p w_p cos(a p)`` for ``r`` padded
    with zeros to length ``n``.

    ``g_p`` for ``p = 2u`` is ``2 E(min(u-1, n-u)) - r_0`` and for ``p = 2u + 1`` it is
    ``2 O(min(u, n-u) - 1)``, with ``E(t) = sum_{i<=t} r_{2i}``, ``O(t) = sum_{i<=t} r_{2i+1}``
    (running sums in index order, as ``numpy.cumsum``). One pass per sum, no temporaries
    but the two prefix sums.
    """
    m = r.shape[0]
    w[:] = 0.0
    if n > 1:
        ce = np.empty((n + 1) // 2)
        co = np.empty(n // 2)
        acc = 0.0
        for t in range(ce.shape[0]):
            acc += r[2 * t] if 2 * t < m else 0.0
            ce[t] = acc
        acc = 0.0
        for t in range(co.shape[0]):
            acc += r[2 * t + 1] if 2 * t + 1 < m else 0.0
            co[t] = acc
        for u in range(1, n + 1):
            w[2 * u] = r[0] - 2.0 * ce[min(u - 1, n - u)]
        for u in range(1, n):
            w[2 * u + 1] = -2.0 * co[min(u, n - u) - 1]
    else:
        w[2] = -r[0]
    for j in range(min(n, m)):
        w[j] += 2.0 * (n - j) * r[j]
    w[0] = n * r[0]


def quotient_grid(r: np.ndarray, size: int, order: int | None = None,
                  work: Workspace | None = None) -> np.ndarray:
    """``q(a)`` (module notes: ``q_k = q(a_k)``) at ``a = 2 pi j / size``, ``j = 0..size//2``.

    ``q(a) = (1/(N+1)) [sum_{|m|<N} (N-|m|) r_|m| cos(a m) - sum_p g_p cos(a p)]`` is a
    trigonometric polynomial of degree ``2N``: ``size = 2N + 2`` gives the exact ``q_k``
    (``j = k + 1``), a fast length ``>= 2N + 1`` a grid of the same function as fine (one
    real FFT; the exact length can have a large prime factor and cost ten times more).
    ``order`` and ``work`` as in :func:`rayleigh_quotients`.
    """
    n = r.shape[0] if order is None else order
    # the compiled weights write w[0..2n] and read r[0] unchecked: refuse what would go past
    if not 1 <= r.shape[0] <= n or size < 2 * n + 1:
        raise ValueError(f"quotient_grid needs 1 <= len(r) = {r.shape[0]} <= order = {n} "
                         f"and size = {size} >= 2 order + 1; pass order >= len(r) and a "
                         "larger size")
    count_transforms(1, size)
    work = Workspace() if work is None else work
    w = work.row("real", size)
    _cosine_weights_numba(r, n, w)
    spec = rfft(w, out=work.spectrum("complex", size), workers=-1)
    return spec.real / (n + 1)


class SineTransform:
    """Orthonormal DST-I of order ``n`` (``S``, its own inverse) through one real FFT of
    length ``n + 1`` per row, in the calling thread's buffers of a :class:`.Workspace`.

    With ``n1 = n + 1``, ``x_0 = 0`` and ``S_m = sum_{j=1..n} x_j sin(pi j m / n1)``, fold

        ``y_0 = 0``, ``y_j = sin(pi j / n1) (x_j + x_{n1-j}) + (x_j - x_{n1-j}) / 2``

    and take ``F = rfft(y)``. The reflection ``j -> n1 - j`` keeps ``sin(pi j / n1)`` and
    flips the sign of ``sin(2 pi j k / n1)``, so the symmetric part of ``y`` drops out of
    ``Im F_k`` and the antisymmetric part out of ``Re F_k``:

        ``S_{2k} = -Im F_k``,  ``S_{2k+1} - S_{2k-1} = Re F_k``  (``S_{-1} = -S_1``),

    since ``sin((2k+1)a) - sin((2k-1)a) = 2 sin(a) cos(2ka)`` (the fold of Numerical
    Recipes' ``sinft``, for any ``n1``). The odd outputs are a running sum, whose round-off
    grows like ``eps sqrt(n)`` (random signs) to ``eps n`` (worst case) times ``||x||``; the
    tau preconditioner of :mod:`.davidson`, the only user at scale, steers the search space
    and does not enter its Rayleigh quotients. Half the length of the ``2(n+1)`` FFT of
    the odd extension ``[0, x, 0, -x reversed]``, and out of the cache misses that length
    pays from ``N ~ 2^20`` on; SciPy's DST-I of a fast length runs about eight times slower.
    """

    def __init__(self, n: int, work: Workspace):
        self.n = n
        self.work = work
        n1 = n + 1
        self.sines = np.sin(np.arange(n1) * (np.pi / n1))
        self.scale = float(np.sqrt(2.0 / n1))

    def buffer(self) -> np.ndarray:
        """This thread's input row (length ``n``): fill it, then :meth:`apply`."""
        return self.work.row("real", 2 * (self.n + 1))[:self.n]

    def apply(self, out: np.ndarray) -> None:
        """``out = S x`` for ``x`` this thread's :meth:`buffer` (``out`` may be it)."""
        n1 = self.n + 1
        count_transforms(1, n1)
        z = self.work.row("real", 2 * n1)
        _fold_numba(z[:n1 - 1], self.sines, z[n1:])
        spec = self.work.spectrum("complex", n1)
        rfft(z[n1:], out=spec, workers=-1)
        _unfold_numba(spec, self.scale, out)


@nb.njit(nogil=True, cache=True)
def _fold_numba(x, sines, y):  # pragma: no cover - compiled
    """``y_0 = 0``, ``y_j = sines_j (x_j + x_{n1-j}) + (x_j - x_{n1-j}) / 2`` (``x_j`` is
    ``x[j - 1]``, ``n1 = len(y)``)."""
    n1 = y.shape[0]
    y[0] = 0.0
    for j in range(1, n1):
        a = x[j - 1]
        b = x[n1 - j - 1]
        y[j] = sines[j] * (a + b) + 0.5 * (a - b)


@nb.njit(nogil=True, cache=True)
def _unfold_numba(spec, scale, out):  # pragma: no cover - compiled
    """``out[m-1] = scale S_m``: ``S_{2k} = -Im F_k``, ``S_{2k+1} = S_{2k-1} + Re F_k``,
    ``S_1 = Re F_0 / 2``."""
    n = out.shape[0]
    odd = 0.5 * spec[0].real
    out[0] = scale * odd
    k = 1
    while 2 * k <= n:
        out[2 * k - 1] = -scale * spec[k].imag
        if 2 * k + 1 <= n:
            odd += spec[k].real
            out[2 * k] = scale * odd
        k += 1


def dst(X: np.ndarray, work: Workspace | None = None) -> np.ndarray:
    """Orthonormal DST-I along the rows of ``X`` (2-D; its own inverse), by
    :class:`SineTransform`. Rows are transformed on the engine's threads, each in its own
    buffers of ``work`` (a fresh :class:`.threads.Workspace` when None); the result does
    not depend on the thread count."""
    k, n = X.shape
    out = np.empty((k, n))
    if n == 0:
        return out
    transform = SineTransform(n, Workspace() if work is None else work)

    def row(i: int) -> None:
        transform.buffer()[:] = X[i]
        transform.apply(out[i])

    parallel([partial(row, i) for i in range(k)])
    return out


#: Entries of a sine row computed at a time by :func:`sine_rows`.
_SINE_BLOCK = 1 << 16


def sine_rows(n_basis: int, index: np.ndarray, n: int,
              out: np.ndarray | None = None) -> np.ndarray:
    """Rows ``s_k`` (``k`` in ``index``) of the orthonormal DST-I of order ``n_basis``, the
    first ``n`` entries of each (``n <= n_basis``), written to ``out`` (``(len(index), n)``)
    when given.

    The phase ``(k+1) (j+1)`` is reduced modulo ``2 (n_basis + 1)`` in integers: the sine of
    an argument of size ``~N^2`` would carry an absolute error ``~eps N^2`` and spoil the
    orthonormality of the rows. The phases go ``_SINE_BLOCK`` at a time (a row's worth of
    integers would cost ``2N`` doubles of memory).
    """
    index = np.asarray(index, dtype=np.int64)
    out = np.empty((index.size, n)) if out is None else out
    period = 2 * (n_basis + 1)
    for i, kk in enumerate(index):
        for start in range(0, n, _SINE_BLOCK):
            stop = min(start + _SINE_BLOCK, n)
            phase = ((kk + 1) * np.arange(start + 1, stop + 1, dtype=np.int64)) % period
            np.sin(phase * (np.pi / (n_basis + 1)), out=out[i, start:stop])
    out *= np.sqrt(2.0 / (n_basis + 1))
    return out

