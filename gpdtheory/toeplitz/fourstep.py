"""Long complex transforms as two batches of short ones: the four-step FFT, and the exact
roots of unity it and the packed real route (:mod:`.realfft`) share.

A transform of length ``m = n1 n2`` is, with ``j = j1 + n1 j2`` and ``k = k2 + n2 k1``
(docs/theory.md §2.2, item 4),

.. math::

    X_{k_2 + n_2 k_1} = \\sum_{j_1} \\omega_{n_1}^{j_1 k_1} \\, \\omega_m^{j_1 k_2}
    \\sum_{j_2} \\omega_{n_2}^{j_2 k_2} \\, x_{j_1 + n_1 j_2},
    \\qquad \\omega_n = e^{\\mp 2 \\pi i / n},

so one row of ``m`` points becomes: a transpose of the ``(n2, n1)`` view of the input into
the ``(n1, n2)`` view of the output, ``n1`` transforms of length ``n2`` along its rows, the
twiddle ``omega_m^{j1 k2}``, and ``n2`` transforms of length ``n1`` along its columns,
which leaves ``X`` in natural order. Each pass streams the row once through memory in
blocks that fit in cache; a single transform of ``m`` points does ``~log m`` passes over
all of it, which is what makes ducc0's long transforms slow once a row outgrows the
last-level cache (``python benchmarks/run.py --only transforms`` on the machine of
benchmarks/RESULTS.md, one rfft + irfft pair with two rows in flight on two threads:
real rows of 2^22, 44 ms in four steps against 70 ms with the complex half in one piece;
2^23, 88 ms against 142 ms).

Every pass gives whole short transforms to one thread, so results do not depend on the
thread count. Equivalent computation: ``numpy.fft.fft`` / ``ifft`` (tests/toeplitz/
test_fourstep.py).
"""

from __future__ import annotations

import math
import os
import threading
from functools import partial

import ducc0
import numba as nb
import numpy as np

from .threads import parallel

__all__ = ["roots", "root", "shift_of", "split", "c2c_row", "FOUR_STEP_MIN_LENGTH"]

#: Complex lengths from which :func:`split` offers the four steps (real rows of 2^21 through
#: the packed route). With two rows in flight on two threads, as in the score's row tasks,
#: they take 1.00-1.16x the one-piece time for real rows of 2^19-2^21 and 0.63x from 2^22
#: (``python benchmarks/run.py --only transforms``); offering them from 2^19 complex points
#: made no difference to the first score at 2^20 x 16
#: (``python benchmarks/paired_first_score.py``; both in benchmarks/RESULTS.md).
FOUR_STEP_MIN_LENGTH = 1 << 20

_ROOTS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
_ROOTS_LOCK = threading.Lock()


def _after_fork_in_child() -> None:
    # a lock held by a parent thread at the fork would be held forever in the child
    global _ROOTS_LOCK
    _ROOTS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _exact_roots(k: np.ndarray, n: int) -> np.ndarray:
    """``exp(-2 pi i k / n)`` to about one rounding: ``k / n = q / 4 + r / (4 n)`` in integers,
    so ``exp`` only sees angles below ``pi / 2`` (an angle near ``2 pi`` would carry an
    absolute error of ``2 pi eps``), and the quarter turn ``(-i)^q`` is exact."""
    k = np.asarray(k, dtype=np.int64) % n
    q = (4 * k) // n
    z = np.exp(-2j * np.pi * ((4 * k - q * n) / (4 * n)))
    turned = np.select([q == 1, q == 2, q == 3],
                       [z.imag - 1j * z.real, -z, -z.imag + 1j * z.real], z)
    return np.asarray(turned, dtype=np.complex128)


def roots(n: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Tables ``(coarse, fine)`` with ``exp(-2 pi i k / n) = coarse[k >> s] * fine[k & (B - 1)]``
    for ``0 <= k < count``, ``B = len(fine) = 2^s >= sqrt(count)``: two tables of about
    ``sqrt(count)`` entries instead of one of ``count``. Each entry is within about one
    rounding of its root (:func:`_exact_roots`), so a product is within about three. The last 16
    ``(n, count)`` pairs are kept (under a lock that a forked child renews)."""
    key = (int(n), int(count))
    with _ROOTS_LOCK:
        got = _ROOTS.get(key)
        if got is None:
            width = 1 << max(math.isqrt(max(count - 1, 1)), 1).bit_length()
            fine = _exact_roots(np.arange(width), n)
            coarse = _exact_roots(np.arange((count - 1) // width + 1) * width, n)
            got = _ROOTS[key] = (coarse, fine)
            if len(_ROOTS) > 16:  # a few lengths at a time in practice
                _ROOTS.pop(next(iter(_ROOTS)))
        return got


@nb.njit(nogil=True, cache=True, inline="always")
def root(coarse, fine, shift, k):  # pragma: no cover - compiled
    """``exp(-2 pi i k / n)`` from :func:`roots`' tables, ``len(fine) = 2^shift``
    (:func:`shift_of`)."""
    return coarse[k >> shift] * fine[k & (fine.shape[0] - 1)]


def shift_of(fine: np.ndarray) -> int:
    """``log2(len(fine))`` for :func:`roots`' power-of-two fine table."""
    return int(fine.shape[0]).bit_length() - 1


def split(m: int) -> int:
    """``n1`` for the four steps on ``m`` complex points: the largest divisor of ``m`` with
    ``n1^2 <= m``, when ``m >= FOUR_STEP_MIN_LENGTH``, ``m`` has no prime factor above 7
    (ducc0's fast radices; a larger factor goes through Bluestein's algorithm) and
    ``m / n1 <= 4 n1`` (both short lengths fit in cache); else 0: one transform of ``m``
    points."""
    if m < FOUR_STEP_MIN_LENGTH:
        return 0
    rest = m
    for p in (2, 3, 5, 7):
        while rest % p == 0:
            rest //= p
    if rest != 1:
        return 0
    n1 = math.isqrt(m)
    while m % n1:
        n1 -= 1
    return n1 if m // n1 <= 4 * n1 else 0


@nb.njit(nogil=True, cache=True)
def _transpose(source, target, start, stop):  # pragma: no cover - compiled
    """``target[j1, j2] = source[j2, j1]`` for the source rows ``start <= j2 < stop``, in
    16 x 16 tiles (a tile of each is 4 KB, both stay in L1)."""
    cols = source.shape[1]
    tile = 16
    for r0 in range(start, stop, tile):
        r1 = min(r0 + tile, stop)
        for c0 in range(0, cols, tile):
            for c in range(c0, min(c0 + tile, cols)):
                for r in range(r0, r1):
                    target[c, r] = source[r, c]


@nb.njit(nogil=True, cache=True)
def _twiddle(O, coarse, fine, conjugate, start, stop):  # pragma: no cover - compiled
    """``O[j1, k2] *= w^{j1 k2}`` for the rows ``start <= j1 < stop``, with
    ``w = exp(-2 pi i / m)`` (its conjugate for the inverse), ``m = O.size``;
    ``j1 k2 < m``, so :func:`roots` tables of ``m`` entries cover it. The exponent is
    carried as ``(quotient, remainder)`` by ``len(fine)``."""
    cols = O.shape[1]
    width = fine.shape[0]
    for j1 in range(start, stop):
        step_q = j1 // width
        step_r = j1 & (width - 1)
        q = 0
        r = 0
        row = O[j1]
        if conjugate:
            for k2 in range(cols):
                row[k2] *= (coarse[q] * fine[r]).conjugate()
                r += step_r
                q += step_q
                if r >= width:
                    r -= width
                    q += 1
        else:
            for k2 in range(cols):
                row[k2] *= coarse[q] * fine[r]
                r += step_r
                q += step_q
                if r >= width:
                    r -= width
                    q += 1


def _in_shares(kernel, rows: int, threads: int, *args) -> None:
    """``kernel(*args, start, stop)`` over ``0 <= row < rows`` in ``threads`` shares of
    whole 16-row tiles, on the engine's threads (every entry is computed as by one call)."""
    if threads <= 1:
        kernel(*args, 0, rows)
        return
    tiles = -(-rows // 16)
    bounds = [min(16 * (tiles * i // threads), rows) for i in range(threads + 1)]
    parallel([partial(kernel, *args, a, b)
              for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a])


def c2c_row(source: np.ndarray, target: np.ndarray, n1: int, forward: bool,
            inorm: int, threads: int = 1) -> None:
    """``target = DFT(source)`` (``forward``) or its inverse, one contiguous row of ``m``
    complex points in four steps with ``n1 = split(m)``; ``inorm`` as ducc0's (2: divide by
    ``m``, applied as ``1 / n2`` and ``1 / n1`` by the two batches, exact for powers of
    two). ``source`` may be read-only; ``target`` must not overlap it. ``threads`` share
    each step (the two passes by rows, the batches of short transforms by ducc0); for
    powers of two the bits do not depend on it (tests/toeplitz/test_realfft.py)."""
    m = source.shape[0]
    n2 = m // n1
    O = target.reshape(n1, n2)
    _in_shares(_transpose, n2, threads, source.reshape(n2, n1), O)
    ducc0.fft.c2c(O, axes=(1,), forward=forward, inorm=inorm, out=O, nthreads=threads)
    coarse, fine = roots(m, m)
    _in_shares(_twiddle, n1, threads, O, coarse, fine, not forward)
    ducc0.fft.c2c(O, axes=(0,), forward=forward, inorm=inorm, out=O, nthreads=threads)
