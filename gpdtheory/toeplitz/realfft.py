"""The discrete Fourier transforms of the Toeplitz engine, by ducc0.

ducc0 (Reinecke's "distinctly useful code collection") holds the current version of the
pocketfft library whose older C and C++ ports NumPy and SciPy ship. On the machine of
benchmarks/RESULTS.md its real transforms run 2.5-4x faster than ``numpy.fft`` from
``2^16`` to ``2^20`` points (the lengths that stay in cache; 1.3x at ``2^22``), with no
planning step (FFTW's measured plan for ``2^20`` points takes seconds, which a first call
would pay). Every function here has NumPy's conventions, so a call reads like the
``numpy.fft`` or ``scipy.fft`` call it replaces:

* :func:`rfft` is ``numpy.fft.rfft(x, n, axis=-1)``: the half spectrum
  ``F_k = sum_j x_j exp(-2 pi i j k / n)``, ``k = 0..n//2``, ``x`` cut or zero-padded to ``n``;
* :func:`irfft` is ``numpy.fft.irfft(F, n, axis=-1)``: the real ``x`` of length ``n`` with
  that half spectrum, ``1/n`` included; the imaginary parts of ``F_0`` (and of ``F_{n/2}``
  for even ``n``) are ignored, as NumPy does;
* :func:`fft` is ``numpy.fft.fft(x, axis=-1)`` for complex input.

From :data:`PACKED_MIN_LENGTH` points on, a real transform of even length ``n`` is the
complex transform of half the length of ``z_j = x_{2j} + i x_{2j+1}`` and one pass over
the spectrum (:func:`_unpack_numba`, :func:`_pack_numba`; docs/theory.md §2.2): ducc0's
complex transforms stay fast beyond the last-level cache where its real ones do not
(an rfft + irfft pair at ``2^21``: 51 ms by ducc0's real transforms, 18 ms packed).

Transforms act along the last axis, in float64. ``out`` receives the result (it must not
overlap the input). ``workers`` is the thread count (``-1``: :func:`.threads.threads`): a
batch gives each row whole to a thread; a single row is split among them only where the
bits stay those of one thread (powers of two, in one piece or in four steps); the
engine's row tasks pass 1 and run on its own pool. ducc0 releases the GIL and works in a
forked child; this module keeps no state (the root tables live in :func:`.fourstep.roots`,
under a lock that a forked child renews). Equivalent computation:
``numpy.fft.rfft`` / ``irfft`` / ``fft`` (tests/toeplitz/test_realfft.py compares them at
every length ``1..64`` and at large ones).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import ducc0
import numba as nb
import numpy as np

from .fourstep import c2c_row, root, roots, shift_of, split
from .threads import parallel, threads

__all__ = ["rfft", "irfft", "fft", "complex_transform", "pair_term", "PACKED_MIN_LENGTH"]

#: Even lengths from which a real transform goes through the complex one of half the length
#: (``python benchmarks/run.py --only transforms`` on the machine of benchmarks/RESULTS.md,
#: rfft + irfft pair: the packed route takes 1.09-1.12x ducc0's real transform at
#: 2^15-2^17, 0.96x at 2^18, 0.87-0.88x at 2^19-2^20, 0.37x at 2^21, 0.42x at 2^22 and
#: 0.69x at 2^23).
PACKED_MIN_LENGTH = 1 << 19


@nb.njit(nogil=True, cache=True, inline="always")
def pair_term(w, a, b, sign):  # pragma: no cover - compiled
    """The twiddled half of a packing step on ``a = F_k``, ``b = conj F_partner``:
    ``w (a - b) / (2i)`` forward (``sign = 1``), ``conj(w) i (a - b) / 2`` for the inverse
    (``sign = -1``), without a branch; the step writes ``F_k = (a + b) / 2 + term`` and
    ``F_partner = conj((a + b) / 2 - term)``."""
    return complex(w.real, sign * w.imag) * (complex(0.0, -0.5 * sign) * (a - b))


@nb.njit(nogil=True, cache=True)
def _pairs(F, coarse, fine, shift, sign):  # pragma: no cover - compiled
    """Rows ``F`` of ``h + 1``: the packing step on the pairs ``(k, h - k)``,
    ``0 < k < h - k``, in blocks of the fine root table (no division per entry), then on the
    middle ``k = h / 2`` of an even ``h``, its own partner."""
    h = F.shape[1] - 1
    width = fine.shape[0]
    pairs = (h - 1) // 2
    for row in range(F.shape[0]):
        f = F[row]
        for block in range(pairs // width + 1):
            start = block * width
            c = coarse[block]
            for k in range(max(start, 1), min(start + width, pairs + 1)):
                a = f[k]
                b = f[h - k].conjugate()
                e = 0.5 * (a + b)
                d = pair_term(c * fine[k - start], a, b, sign)
                f[k] = e + d
                f[h - k] = (e - d).conjugate()
        if h % 2 == 0 and h > 0:
            k = h // 2
            a = f[k]
            b = a.conjugate()
            f[k] = 0.5 * (a + b) + pair_term(root(coarse, fine, shift, k), a, b, sign)


@nb.njit(nogil=True, cache=True)
def _unpack_numba(F, coarse, fine, shift):  # pragma: no cover - compiled
    """Rows ``F`` of ``h + 1`` entries whose first ``h`` hold ``Z = DFT_h(z)``,
    ``z_j = x_{2j} + i x_{2j+1}``: overwrite them with ``X = DFT_{2h}(x)``, ``k = 0..h``.

    ``E_k = (Z_k + conj Z_{h-k}) / 2`` and ``O_k = (Z_k - conj Z_{h-k}) / (2i)`` are the
    transforms of the even and the odd samples, so ``X_k = E_k + w_k O_k`` with
    ``w_k = exp(-2 pi i k / 2h)``; since ``E_{h-k} = conj E_k``, ``O_{h-k} = conj O_k`` and
    ``w_{h-k} = -conj w_k``, ``X_{h-k} = conj(E_k - w_k O_k)``. The pair ``(k, h - k)`` is
    read before either is written: the pass works in place."""
    h = F.shape[1] - 1
    for row in range(F.shape[0]):
        z0 = F[row, 0]
        F[row, 0] = z0.real + z0.imag
        F[row, h] = z0.real - z0.imag
    _pairs(F, coarse, fine, shift, 1.0)


@nb.njit(nogil=True, cache=True)
def _pack_numba(F, coarse, fine, shift):  # pragma: no cover - compiled
    """The inverse of :func:`_unpack_numba`: rows ``F`` of ``h + 1`` entries holding the half
    spectrum ``X`` of real rows of length ``2h``; their first ``h`` entries become
    ``Z = DFT_h(z)``, ``z_j = x_{2j} + i x_{2j+1}``, with ``E_k = (X_k + conj X_{h-k}) / 2``,
    ``O_k = conj(w_k) (X_k - conj X_{h-k}) / 2`` and ``Z_k = E_k + i O_k``,
    ``Z_{h-k} = conj(E_k - i O_k)``. The imaginary parts of ``X_0`` and ``X_h`` are ignored
    (the real transform's convention)."""
    h = F.shape[1] - 1
    for row in range(F.shape[0]):
        x0 = F[row, 0].real
        xh = F[row, h].real
        F[row, 0] = complex(0.5 * (x0 + xh), 0.5 * (x0 - xh))
    _pairs(F, coarse, fine, shift, -1.0)


def _matrices(a: np.ndarray):
    """2-D views covering ``a`` (rows along the last axis), for the compiled passes."""
    if a.ndim == 1:
        yield a[None, :]
    elif a.ndim == 2:
        yield a
    else:
        for index in np.ndindex(*a.shape[:-2]):
            yield a[index]


def _threads(workers: int, shape: tuple[int, ...]) -> int:
    """Threads for a batch of ``shape`` (rows along the last axis). A batch gives each row
    whole to a thread. A single row is split among threads only where that keeps every
    bit (:func:`_splits_exactly`), else it runs on one."""
    wanted = threads() if workers == -1 else max(int(workers), 1)
    if math.prod(shape[:-1]) <= 1 and not _splits_exactly(shape[-1]):
        return 1
    return wanted


def _splits_exactly(length: int) -> bool:
    """Whether ducc0 gives one transform of ``length`` points the same bits on several
    threads as on one: for powers of two (tests/toeplitz/test_realfft.py checks every
    length ``2^10`` to ``2^23`` and the rows of the four steps); other lengths change in
    the last bits."""
    return length > 0 and length & (length - 1) == 0


def _c2c(source: np.ndarray, target: np.ndarray, forward: bool, inorm: int,
         workers: int) -> None:
    """ducc0's complex transform of each row of ``source`` into ``target``; rows of
    :func:`.fourstep.split`-able length go through the four steps (one row per task, on the
    engine's threads when ``workers != 1``), other rows through one ducc0 call."""
    m = source.shape[-1]
    n1 = split(m)
    if not n1:
        ducc0.fft.c2c(source, axes=(source.ndim - 1,), forward=forward, inorm=inorm,
                      out=target, nthreads=_threads(workers, source.shape))
        return

    rows = math.prod(source.shape[:-1])
    # one row: its four steps' batches of short transforms go to the threads (powers of
    # two only: ducc0 groups the rows of a batch for SIMD, and for other lengths the
    # grouping moves the last bits)
    inner = _threads(workers, source.shape) if rows == 1 else 1

    def task(index: tuple[int, ...]) -> Callable[[], None]:
        def run() -> None:
            row = target[index]
            result = row if row.flags.c_contiguous else np.empty(m, dtype=np.complex128)
            c2c_row(np.ascontiguousarray(source[index]), result, n1, forward, inorm, inner)
            if result is not row:
                row[...] = result
        return run

    tasks = [task(index) for index in np.ndindex(*source.shape[:-1])]
    if rows > 1 and _threads(workers, source.shape) > 1:
        parallel(tasks)
    else:
        for run in tasks:
            run()


def _resized(x: np.ndarray, n: int, dtype: type) -> np.ndarray:
    """``x`` along its last axis cut or zero-padded to ``n`` (``x`` itself when it fits)."""
    if x.shape[-1] == n:
        return x
    out: np.ndarray = np.zeros(x.shape[:-1] + (n,), dtype=dtype)
    k = min(n, x.shape[-1])
    out[..., :k] = x[..., :k]
    return out


def _check_length(n: int, name: str) -> int:
    n = int(n)
    if n < 1:
        raise ValueError(f"the transform length {name} = {n} must be at least 1; pass a "
                         "positive length")
    return n


def rfft(x: np.ndarray, n: int | None = None, *, out: np.ndarray | None = None,
         workers: int = 1) -> np.ndarray:
    """``numpy.fft.rfft(x, n, axis=-1)``: the half spectrum of each real row.

    Parameters
    ----------
    x : (..., L) real array_like
        Rows to transform (any strides; read-only is fine).
    n : int, optional
        Transform length (default ``L``); rows are cut or zero-padded to it.
    out : (..., n // 2 + 1) complex128 ndarray, optional
        Where to write the spectrum.
    workers : int
        Threads for a batch of rows (``-1``: the engine's thread count).

    Returns
    -------
    (..., n // 2 + 1) complex128 ndarray
    """
    x = np.asarray(x, dtype=np.float64)
    n = _check_length(x.shape[-1] if n is None else n, "n")
    x = _resized(x, n, np.float64)
    if out is None:
        out = np.empty(x.shape[:-1] + (n // 2 + 1,), dtype=np.complex128)
    if not x.size:
        return out
    if n % 2 or n < PACKED_MIN_LENGTH:
        ducc0.fft.r2c(x, axes=(x.ndim - 1,), out=out, nthreads=_threads(workers, x.shape))
        return out
    h = n // 2
    z = np.ascontiguousarray(x).view(np.complex128)
    _c2c(z, out[..., :h], True, 0, workers)
    coarse, fine = roots(n, n // 4 + 1)
    for rows in _matrices(out):
        _unpack_numba(rows, coarse, fine, shift_of(fine))
    return out


def irfft(spectrum: np.ndarray, n: int, *, out: np.ndarray | None = None,
          workers: int = 1, overwrite: bool = False) -> np.ndarray:
    """``numpy.fft.irfft(spectrum, n, axis=-1)``: the real rows of length ``n`` with that
    half spectrum (``1/n`` included).

    Parameters
    ----------
    spectrum : (..., H) complex array_like
        Half spectra, cut or zero-padded to ``n // 2 + 1`` entries.
    n : int
        Output length.
    out : (..., n) float64 ndarray, optional
        Where to write the rows.
    workers : int
        Threads for a batch of rows (``-1``: the engine's thread count).
    overwrite : bool
        ``spectrum`` is scratch: the transform may use it as work space (saves a copy).

    Returns
    -------
    (..., n) float64 ndarray
    """
    F = np.asarray(spectrum, dtype=np.complex128)
    n = _check_length(n, "n")
    resized = _resized(F, n // 2 + 1, np.complex128)
    if out is None:
        out = np.empty(F.shape[:-1] + (n,), dtype=np.float64)
    if not out.size:
        return out
    if n % 2 or n < PACKED_MIN_LENGTH:
        ducc0.fft.c2r(resized, axes=(resized.ndim - 1,), lastsize=n, forward=False, inorm=2,
                      out=out, nthreads=_threads(workers, out.shape),
                      allow_overwriting_input=overwrite or resized is not F)
        return out
    h = n // 2
    work = resized if overwrite or resized is not F else resized.copy()
    coarse, fine = roots(n, n // 4 + 1)
    for rows in _matrices(work):
        _pack_numba(rows, coarse, fine, shift_of(fine))
    target = out if out.flags.c_contiguous else np.empty(out.shape)
    _c2c(work[..., :h], target.view(np.complex128), False, 2, workers)
    if target is not out:
        out[...] = target
    return out


def fft(x: np.ndarray, *, out: np.ndarray | None = None, workers: int = 1) -> np.ndarray:
    """``numpy.fft.fft(x, axis=-1)`` for complex rows.

    Parameters
    ----------
    x : (..., n) complex array_like
    out : (..., n) complex128 ndarray, optional
    workers : int
        Threads for a batch of rows (``-1``: the engine's thread count).

    Returns
    -------
    (..., n) complex128 ndarray
    """
    x = np.asarray(x, dtype=np.complex128)
    _check_length(x.shape[-1], "x.shape[-1]")
    if out is None:
        out = np.empty(x.shape, dtype=np.complex128)
    if x.size:
        _c2c(x, out, True, 0, workers)
    return out


def complex_transform(source: np.ndarray, target: np.ndarray, *, forward: bool,
                      workers: int = 1) -> np.ndarray:
    """``target = numpy.fft.fft(source)`` (``forward``) or ``numpy.fft.ifft(source)`` along the
    last axis, into ``target`` (same shape, complex128, not overlapping ``source``): the
    engine's complex transform, four steps for long rows (:mod:`.fourstep`).

    Parameters
    ----------
    source, target : (..., n) complex128 ndarray
    forward : bool
        The forward transform (no normalisation) or the inverse (``1/n``).
    workers : int
        Threads for a batch of rows (``-1``: the engine's thread count).

    Returns
    -------
    target
    """
    if source.shape != target.shape or target.dtype != np.complex128:
        raise ValueError(f"target must be a complex128 array of source's shape {source.shape}, "
                         f"got {target.dtype} {target.shape}; pass numpy.empty_like(source, "
                         "dtype=complex)")
    if source.size:
        _c2c(np.asarray(source, dtype=np.complex128), target, forward, 0 if forward else 2,
             workers)
    return target
