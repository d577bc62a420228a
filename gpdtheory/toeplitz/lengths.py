"""Fast transform lengths of the Toeplitz engine (no validation, no state).

``scipy.fft`` runs fastest on lengths whose prime factors are 2, 3, 5 (and 7, 11); a
length with a large prime factor falls back to Bluestein's algorithm, about ten times the
cost of a fast length. Every transform length of the engine is chosen here.
"""

from __future__ import annotations

import scipy.fft

__all__ = ["embedding_length", "fast_sine_length"]


def embedding_length(n: int) -> int:
    """Fast FFT length ``M >= 2n - 1`` of the circulant embedding of an order-``n`` Toeplitz
    matrix."""
    return int(scipy.fft.next_fast_len(max(2 * n - 1, 1), real=True))


def fast_sine_length(n: int) -> int:
    """Smallest ``n' >= n`` whose DST-I (a real FFT of length ``n' + 1``,
    :class:`.sine.SineTransform`) is fast.

    ``N + 1`` can have a large prime factor (``N = 2^16``: ``65537``), and a Bluestein
    transform then costs about ten of a fast length. The Rayleigh quotients of that basis
    take one real FFT of length ``2(n' + 1)``, fast too.
    """
    return int(scipy.fft.next_fast_len(n + 1, real=True)) - 1
