"""The real transform at the odd frequencies of twice the length, and its inverse.

For a real row ``x`` of even length ``n`` these are the transform and inverse

.. math::

    Y_k = \\sum_{j<n} x_j \\, e^{-2\\pi i j (2k+1) / (2n)}, \\quad k < n/2,
    \\qquad
    x_j = \\frac{1}{n} \\sum_{k<n} Y_k \\, e^{2\\pi i j (2k+1) / (2n)}
    \\quad (Y_{n-1-k} = \\overline{Y_k}),

the odd bins of the length-``2n`` transform of ``x`` padded with ``n`` zeros. Its even
bins are the length-``n`` transform of ``x``, so a product with the circulant embedding
of length ``2n`` of an order-``n`` Toeplitz matrix splits into an even part (one real
transform of length ``n``) and an odd part (these two), each of length ``n``
(docs/theory.md §2.2, item 5).

Each costs about one real transform of length ``n``: with ``h = n / 2``, ``a_m = x_{2m}``,
``b_m = x_{2m+1}`` and ``w = e^{-2 pi i / (2n)}``, the complex transform of length ``h`` of
``v_m = (a_m + i b_m) w^{2m}`` is ``V = A + i B`` with ``A``, ``B`` the transforms of
``a_m w^{2m}`` and ``b_m w^{2m}``, which satisfy ``A_{h-1-k} = conj A_k`` (``a`` is real);
so ``A_k = (V_k + conj V_{h-1-k}) / 2``, ``B_k = (V_k - conj V_{h-1-k}) / (2i)`` and
``Y_k = A_k + w^{2k+1} B_k``, ``Y_{h-1-k} = conj(A_k - w^{2k+1} B_k)``. The inverse solves
the same pair of equations. Complex transforms go through :mod:`.realfft` (ducc0; four
steps for long rows), roots through :func:`.fourstep.roots`. Equivalent computation:
``numpy.fft.fft(x * exp(-1j * pi * arange(n) / n))[:n // 2]`` (tests/toeplitz/
test_oddfft.py).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .fourstep import root, roots, shift_of
from .realfft import complex_transform, pair_term

__all__ = ["odd_rfft", "odd_irfft", "twist_numba"]


@nb.njit(nogil=True, cache=True)
def twist_numba(x, v, coarse, fine, shift):  # pragma: no cover - compiled
    """``v_m = (x_{2m} + i x_{2m+1}) w^{2m}`` for a real row ``x`` of even length, with
    :func:`.fourstep.roots` tables of ``2n`` (``len(fine) = 2^shift``)."""
    for m in range(v.shape[0]):
        e = 2 * m
        v[m] = complex(x[e], x[e + 1]) * root(coarse, fine, shift, e)


@nb.njit(nogil=True, cache=True)
def _untwist_numba(v, x, coarse, fine, shift):  # pragma: no cover - compiled
    """The inverse of :func:`twist_numba`: ``x_{2m} + i x_{2m+1} = v_m conj(w^{2m})``."""
    for m in range(v.shape[0]):
        e = 2 * m
        z = v[m] * root(coarse, fine, shift, e).conjugate()
        x[e] = z.real
        x[e + 1] = z.imag


@nb.njit(nogil=True, cache=True)
def _odd_pairs(Y, coarse, fine, shift, sign):  # pragma: no cover - compiled
    """In place on a row of ``h``: with ``sign = 1``, ``V = A + i B`` becomes
    ``Y = A + w^{2k+1} B``; with ``sign = -1``, the inverse. Both are the packing step
    :func:`.realfft.pair_term` on the pairs ``(k, h - 1 - k)`` with the root ``w^{2k+1}``."""
    h = Y.shape[0]
    for k in range(h // 2 + h % 2):
        j = h - 1 - k
        e = 2 * k + 1
        a = Y[k]
        b = Y[j].conjugate()
        A = 0.5 * (a + b)
        d = pair_term(root(coarse, fine, shift, e), a, b, sign)
        Y[k] = A + d
        if j != k:
            Y[j] = (A - d).conjugate()


def _rows(a: np.ndarray, n: int) -> np.ndarray:
    """The rows of ``a`` as one ``(-1, n)`` view (no copy: the compiled passes write it)."""
    view = a.view()
    view.shape = (-1, n)     # raises where a view is impossible instead of copying
    return view


def _buffer(given: np.ndarray | None, shape: tuple[int, ...], dtype: type,
            name: str) -> np.ndarray:
    """``given`` checked against ``shape`` (C-contiguous, writeable), or a new array."""
    if given is None:
        return np.empty(shape, dtype=dtype)
    if given.shape != shape or given.dtype != dtype or not given.flags.c_contiguous \
            or not given.flags.writeable:
        raise ValueError(f"{name} must be a writeable C-contiguous {np.dtype(dtype).name} "
                         f"array of shape {shape}, got {given.dtype} {given.shape} "
                         f"(C-contiguous: {given.flags.c_contiguous}); pass such an array "
                         "or None")
    return given


def _even_length(n: int, name: str) -> int:
    n = int(n)
    if n < 2 or n % 2:
        raise ValueError(f"the odd-frequency transform needs an even length {name} >= 2, got "
                         f"{name} = {n}; use numpy.fft.fft on x * exp(-1j pi arange(n) / n) "
                         "for odd lengths")
    return n


def odd_rfft(x: np.ndarray, *, out: np.ndarray | None = None, workers: int = 1,
             scratch: np.ndarray | None = None) -> np.ndarray:
    """``Y_k = sum_j x_j exp(-2 pi i j (2k + 1) / (2n))``, ``k < n / 2``, for each real row.

    Parameters
    ----------
    x : (..., n) real array_like, ``n`` even
    out : (..., n // 2) complex128 C-contiguous ndarray, optional
    workers : int
        Threads for a batch of rows (``-1``: the engine's thread count).
    scratch : complex128 ndarray like ``out``, optional
        Work space (saves an allocation per call).

    Returns
    -------
    (..., n // 2) complex128 ndarray
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = _even_length(x.shape[-1], "x.shape[-1]")
    shape = x.shape[:-1] + (n // 2,)
    out = _buffer(out, shape, np.complex128, "out")
    if not out.size:
        return out
    h = n // 2
    coarse, fine = roots(2 * n, n)
    shift = shift_of(fine)
    twisted = _buffer(scratch, shape, np.complex128, "scratch")
    for xr, tr in zip(_rows(x, n), _rows(twisted, h), strict=True):
        twist_numba(xr, tr, coarse, fine, shift)
    complex_transform(twisted, out, forward=True, workers=workers)
    for row in _rows(out, h):
        _odd_pairs(row, coarse, fine, shift, 1.0)
    return out


def odd_irfft(Y: np.ndarray, n: int, *, out: np.ndarray | None = None, workers: int = 1,
              overwrite: bool = False, scratch: np.ndarray | None = None) -> np.ndarray:
    """The real rows ``x`` of length ``n`` with ``odd_rfft(x) == Y``:
    ``x_j = (1/n) sum_{k<n} Y_k exp(2 pi i j (2k + 1) / (2n))``, ``Y_{n-1-k} = conj Y_k``.

    Parameters
    ----------
    Y : (..., n // 2) complex array_like
    n : int
        Output length (even).
    out : (..., n) float64 C-contiguous ndarray, optional
    workers : int
        Threads for a batch of rows (``-1``: the engine's thread count).
    overwrite : bool
        ``Y`` is scratch: the transform may use it as work space (saves a copy).
    scratch : complex128 ndarray like ``Y``, optional
        Work space (saves an allocation per call).

    Returns
    -------
    (..., n) float64 ndarray
    """
    n = _even_length(n, "n")
    h = n // 2
    F = np.asarray(Y, dtype=np.complex128)
    if F.shape[-1] != h:
        raise ValueError(f"Y has {F.shape[-1]} entries per row; the inverse of length n = {n} "
                         f"needs n // 2 = {h}; pass odd_rfft's output")
    out = _buffer(out, F.shape[:-1] + (n,), np.float64, "out")
    if not out.size:
        return out
    work = F if overwrite and F.flags.c_contiguous and F.flags.writeable else F.copy()
    coarse, fine = roots(2 * n, n)
    shift = shift_of(fine)
    for row in _rows(work, h):
        _odd_pairs(row, coarse, fine, shift, -1.0)
    v = _buffer(scratch, F.shape, np.complex128, "scratch")
    complex_transform(work, v, forward=False, workers=workers)
    for vr, xr in zip(_rows(v, h), _rows(out, n), strict=True):
        _untwist_numba(vr, xr, coarse, fine, shift)
    return out
