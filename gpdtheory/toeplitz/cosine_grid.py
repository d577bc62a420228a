"""A cosine sum on the half-shifted grid by one real transform of the grid's own length.

For rows ``x`` of length ``n <= K`` this module computes

    y_k = x_0 + 2 sum_{m=1}^{n-1} x_m cos(pi m (2k + 1) / (2K)),   k = 0..K-1,

that is ``scipy.fft.dct(x, type=3, n=K)`` (unnormalised). For ``x = r`` it is the symbol
``f(w) = r_0 + 2 sum r_m cos(m w)`` of ``toeplitz(r)`` at ``w_k = (2k + 1) pi / (2K)``;
with its mirror image ``-w_k`` (``f`` is even) that is the grid of spacing ``pi / K`` on the
circle that avoids ``0`` and ``pi``, the same spacing as the ``2K`` points ``2 pi j / (2K)``
of a circulant embedding of length ``2K``, at half the transform length and without the
complex half spectrum (docs/theory.md §1.4).

Route (Makhoul 1980): with ``x_m = 0`` for ``m >= n`` and ``x_K = 0``,

    V_m = e^{i pi m / (2K)} (x_m - i x_{K-m}),   m = 0..K-1,

is Hermitian (``V_{K-m} = conj V_m``), so ``v_j = sum_m V_m e^{2 pi i j m / K}`` is real:
``v = K irfft(V_0..V_{K//2}, K)``, one real transform of length ``K``; and ``y_{2j} = v_j``,
``y_{2j+1} = v_{K-1-j}``. The extremes of ``y`` are those of ``v`` (a permutation), so
:func:`cosine_extremes` never reorders.

Round-off: ``e^{i pi m / (2K)}`` comes from :func:`.fourstep.roots`' tables (within about
three roundings), and the complex product adds about one: each ``V_m`` is within ``6 eps``
relative, and an output, a unimodular combination of every ``V_m``, moves by at most
``6 eps sum_m |V_m| = 6 eps (|x_0| + 2 sum_{m>=1} |x_m|)``. The transform adds at most
``8 eps log2 K`` of the same 1-norm (the bound tests/toeplitz/test_fourstep.py and
test_realfft.py hold the engine's transforms to), the scaling by ``K`` two roundings more:
in all within ``8 eps log2(2K) (|x_0| + 2 sum |x_m|)``, the allowance a transform of the
length-``2K`` embedding carries (tests/toeplitz/test_cosine_grid.py checks it against
mpmath).

Equivalent computation: ``scipy.fft.dct(x, type=3, n=K)``.
"""

from __future__ import annotations

from functools import partial

import numba as nb
import numpy as np

from .fourstep import root, roots, shift_of
from .realfft import irfft
from .threads import parallel, zeros
from .work import count_transforms

__all__ = ["cosine_sums", "cosine_extremes"]


@nb.njit(nogil=True, cache=True)
def _twisted_half(x, K, coarse, fine, shift, out):  # pragma: no cover - compiled
    """``out[m] = e^{i pi m / (2K)} (x_m - i x_{K-m})``, ``m = 0..K//2`` (``x`` zero beyond
    its length and at ``K``); ``conj(root(m))`` of the ``4K``-th roots is the twiddle."""
    n = x.shape[0]
    for m in range(K // 2 + 1):
        re = x[m] if m < n else 0.0
        partner = K - m
        im = -x[partner] if (m > 0 and partner < n) else 0.0
        w = root(coarse, fine, shift, m)
        out[m] = complex(w.real, -w.imag) * complex(re, im)


def _transformed(x: np.ndarray, K: int, workers: int = 1) -> np.ndarray:
    """``v = K irfft(V, K)`` for one row (``y`` permuted, see the module notes);
    ``workers`` as :mod:`.realfft`'s (the bits do not depend on it)."""
    coarse, fine = roots(4 * K, K // 2 + 1)
    # mapped (threads.zeros): a heap buffer of a few MB is faulted in page by page on every
    # call once glibc trims it back
    V = zeros(K // 2 + 1, np.complex128)
    _twisted_half(np.ascontiguousarray(x), K, coarse, fine, shift_of(fine), V)
    return irfft(V, K, out=zeros(K), overwrite=True, workers=workers)


def cosine_sums(x: np.ndarray, K: int) -> np.ndarray:
    """``y_k = x_0 + 2 sum_{m>=1} x_m cos(pi m (2k+1) / (2K))``, ``k = 0..K-1``.

    Parameters
    ----------
    x : (n,) float64 ndarray
        Coefficients, ``1 <= n <= K`` (validated by the caller).
    K : int
        Grid size.

    Returns
    -------
    (K,) float64 ndarray
        ``scipy.fft.dct(x, type=3, n=K)``.
    """
    count_transforms(1, K)
    v = _transformed(x, K)
    y = np.empty(K)
    y[0::2] = v[:(K + 1) // 2]
    y[1::2] = v[::-1][:K // 2]
    return y * K


def cosine_extremes(rows: np.ndarray, K: int) -> np.ndarray:
    """``(min_k y_k, max_k y_k)`` of :func:`cosine_sums` for each row, one row per thread.

    Parameters
    ----------
    rows : (R, n) float64 ndarray
        ``1 <= n <= K``.
    K : int

    Returns
    -------
    (R, 2) float64 ndarray
    """
    out = np.empty((rows.shape[0], 2))
    count_transforms(rows.shape[0], K)
    workers = -1 if rows.shape[0] == 1 else 1  # a lone row's transform gets every thread

    def row(i: int) -> None:
        v = _transformed(rows[i], K, workers)
        out[i] = float(v.min()) * K, float(v.max()) * K

    parallel([partial(row, i) for i in range(rows.shape[0])])
    return out
