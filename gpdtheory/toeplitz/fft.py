"""Fast Toeplitz matrix-vector products by circulant embedding, ``O(N log N)``.

``T = toeplitz(r)`` is the leading ``N x N`` block of the ``M x M`` circulant with first
column ``c = [r_0, ..., r_{N-1}, 0, ..., 0, r_{N-1}, ..., r_1]`` for any
``M >= 2N - 1``; a circulant is diagonalised by the DFT, so

    T x = (ifft(fft(c) * fft([x, 0])))[:N].

``M`` is ``scipy.fft.next_fast_len(2N - 1, real=True)`` and ``fft(c)`` is computed once
per matrix (:class:`ToeplitzOperator`; :func:`matvec` keeps the last few in a cache keyed
by the bytes of ``r``). The values ``Re fft(c)`` are also the truncated symbol
``f_{N-1}(w) = r_0 + 2 sum_{m<N} r_m cos(m w)`` on the grid ``w_j = 2 pi j / M``, which
bounds the spectrum of ``T`` (docs/theory.md §1); :mod:`.eig` uses them as brackets.

Accuracy: each product is backward stable, ``|error| <~ eps log2(M) ||r||_1 ||x||``.
Equivalent dense computation: ``scipy.linalg.toeplitz(r) @ x``.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import scipy.fft
import scipy.sparse.linalg

from ..validation import as_columns, as_real_array, check_real_scalar
from .lengths import embedding_length
from .realfft import irfft, rfft
from .work import count_transforms

__all__ = ["ToeplitzOperator", "matvec", "embedding_length", "embedding_column"]

#: How many operators :func:`matvec` keeps (their FFTs cost ``O(M)`` memory each).
_CACHE_SIZE = 8
_cache: OrderedDict[tuple[int, bytes], ToeplitzOperator] = OrderedDict()
# The cache's look-up, reordering and eviction form one step: two threads interleaving them
# would evict or move a key the other just read (KeyError). A forked child gets a fresh
# lock, in case a parent thread held it at the fork.
_cache_lock = threading.Lock()


def _new_lock_in_child() -> None:
    global _cache_lock
    _cache_lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


def embedding_column(r: np.ndarray, m: int, out: np.ndarray | None = None) -> np.ndarray:
    """First column ``[r_0, ..., r_{N-1}, 0, ..., 0, r_{N-1}, ..., r_1]`` of the symmetric
    circulant of order ``m >= 2N - 1`` whose leading ``N x N`` block is ``toeplitz(r)``,
    written to ``out`` (length ``m``) when given."""
    n = r.shape[0]
    c = np.zeros(m) if out is None else out
    c[:n] = r
    c[n:m - n + 1] = 0.0
    if n > 1:
        c[m - n + 1:] = r[:0:-1]
    return c


class ToeplitzOperator:
    """``T = toeplitz(r)`` as a fast operator: products, symbol grid, scipy ``LinearOperator``.

    Parameters
    ----------
    r : (N,) array_like
        First column of the symmetric Toeplitz matrix.

    Examples
    --------
    >>> import scipy.linalg
    >>> r = np.array([2.0, 0.5, 0.25]); x = np.array([1.0, -1.0, 2.0])
    >>> bool(np.allclose(ToeplitzOperator(r) @ x, scipy.linalg.toeplitz(r) @ x))
    True
    """

    def __init__(self, r: Any):
        r = as_real_array(r, "r", ndim=1)
        self.r = r
        self.n = n = r.shape[0]
        self.m = m = embedding_length(n)
        # real-even column: its FFT is real up to round-off
        self.fc = rfft(embedding_column(r, m))

    @property
    def symbol_grid(self) -> np.ndarray:
        """``f_{N-1}(2 pi j / M)`` for ``j = 0..M//2`` (the eigenvalues of the embedding)."""
        return self.fc.real

    def matvec(self, x: np.ndarray) -> np.ndarray:
        """``T @ x`` for ``x`` of shape ``(N,)`` or ``(N, k)`` (columns in one batched FFT)."""
        count_transforms(2 * (1 if x.ndim == 1 else x.shape[1]), self.m)
        if x.ndim == 1:
            fx = rfft(x, self.m)
            fx *= self.fc
            return irfft(fx, self.m, overwrite=True)[: self.n]
        # columns as contiguous rows: FFTs along the last axis run ~1.5-2x faster
        fx = rfft(np.ascontiguousarray(x.T), self.m)
        fx *= self.fc
        return irfft(fx, self.m, overwrite=True)[:, : self.n].T

    __matmul__ = matvec

    def as_linear_operator(self, scale: float = 1.0, shift: float = 0.0):
        """``scale * T + shift * I`` as a ``scipy.sparse.linalg.LinearOperator``."""
        scale = check_real_scalar(scale, "scale")
        shift = check_real_scalar(shift, "shift")
        def mv(v):
            v = np.asarray(v, dtype=np.float64).reshape(self.n)
            return scale * self.matvec(v) + shift * v

        return scipy.sparse.linalg.LinearOperator((self.n, self.n), matvec=mv, rmatvec=mv,
                                                  dtype=np.float64)


def operator(r: np.ndarray) -> ToeplitzOperator:
    """The cached :class:`ToeplitzOperator` of a validated float64 ``r``."""
    key = (r.shape[0], r.tobytes())
    with _cache_lock:
        op = _cache.get(key)
        if op is not None:
            _cache.move_to_end(key)
            return op
    op = ToeplitzOperator(r)  # outside the lock: the FFT may take a while
    with _cache_lock:
        _cache[key] = op
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return op


def matvec(r: Any, x: Any) -> np.ndarray:
    """``toeplitz(r) @ x`` in ``O(N log N)`` by circulant embedding.

    Parameters
    ----------
    r : (N,) array_like
        First column of the symmetric Toeplitz matrix.
    x : (N,) or (N, k) array_like
        ``N = 0`` or ``k = 0`` give an empty product.

    Returns
    -------
    (N,) or (N, k) ndarray of float64

    Notes
    -----
    Same result as ``scipy.linalg.matmul_toeplitz(r, x)`` and ``toeplitz(r) @ x``.

    Examples
    --------
    >>> import scipy.linalg
    >>> r = np.array([1.0, 0.5, 0.1]); x = np.arange(3.0)
    >>> bool(np.allclose(matvec(r, x), scipy.linalg.toeplitz(r) @ x))
    True
    """
    r = as_real_array(r, "r", ndim=1, allow_empty=True)
    x = as_columns(x, r.shape[0], "x", allow_empty=True)
    if x.size == 0:  # the empty product, as solve's empty system
        return np.zeros(x.shape)
    return operator(r).matvec(x)
