"""Certified brackets for the extreme eigenvalues of a symmetric Toeplitz matrix, ``O(N log N)``.

``T = toeplitz(r)`` with ``r = (r_0, ..., r_{N-1})`` is the ``N x N`` section of the
Toeplitz operator whose symbol is the trigonometric polynomial

    f(w) = r_0 + 2 sum_{m=1}^{N-1} r_m cos(m w),

so every eigenvalue lies in ``[min f, max f]`` (docs/theory.md §1.3): for a unit
``x``, ``x^T T x = (1/2 pi) int f(w) |x^(w)|^2 dw``. This module turns that fact
into *rigorous* numbers without any ``O(N^2)`` step:

* **Outer bounds** (``lmin_lower <= lmin(T)``, ``lmax(T) <= lmax_upper``). ``f`` is
  evaluated on the half-shifted grid ``w_k = (2k + 1) pi / (2K)``, ``k = 0..K-1``
  (``K >= N``), by one real transform of length ``K`` (:mod:`.cosine_grid`), and at
  ``0`` and ``pi`` by plain sums. With the mirror images (``f`` is even) the grid has
  spacing ``h = pi / K`` on the circle, so every ``w`` lies within ``h/2`` of a grid
  point, and between grid points the extreme of ``f`` can exceed the grid extreme by at
  most

      min( (h/2) * max|f'| ,  (h^2/8) * max|f''| ),  h = pi / K,

  (first order: mean value theorem; second order: ``f' = 0`` at an interior extreme of
  the periodic ``f``, Taylor to the nearest grid point), with
  ``max|f'| <= 2 sum m |r_m|`` and ``max|f''| <= 2 sum m^2 |r_m|``. A round-off
  allowance ``8 eps log2(2K) (|r_0| + 2 sum |r_m|)`` covers the transform
  (:mod:`.cosine_grid`) and the two sums. Gershgorin's discs (row sums by cumulative
  sums, ``O(N)``) give a second pair; the tighter of each is kept (docs/theory.md §1.4).
* **Inner bounds** (``lmin(T) <= lmin_upper``, ``lmax_lower <= lmax(T)``) are Rayleigh
  quotients: the diagonal ``r_0`` and the Fejér means
  ``(1/N) e_w^* T e_w = r_0 + 2 sum (1 - m/N) r_m cos(m w)`` on the same grid,
  widened by the same round-off allowance.

So ``lmin(T)`` lies in ``[lmin_lower, lmin_upper]`` and ``lmax(T)`` in
``[lmax_lower, lmax_upper]``. For a summable, smooth symbol the outer bounds are within
``O(1/N^2)`` of the eigenvalues; for slowly decaying ``r`` (``sum m^2 |r_m|`` large)
the grid allowance can make ``lmin_lower`` loose (even negative), which is honest.

Cost: two real transforms of length ``K ~ grid_factor N / 2`` (one without the Fejér
means), on two threads, and ``O(N)`` sums; memory ``O(K)``. Equivalent dense computation
(what the tests compare against): ``numpy.linalg.eigvalsh(scipy.linalg.toeplitz(r))[[0, -1]]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numba as nb
import numpy as np
import scipy.fft

from ..validation import as_real_array, check_positive_int
from .cosine_grid import cosine_extremes

__all__ = ["EigenvalueBounds", "eigenvalue_bounds"]

#: Default grid points per frame (the grid allowance falls like ``1/grid_factor^2``; with 4
#: each of the two transforms has the length ``2N`` of a circulant embedding).
GRID_FACTOR = 4


@dataclass(frozen=True)
class EigenvalueBounds:
    """Certified brackets of the extreme eigenvalues of a symmetric Toeplitz matrix.

    Attributes
    ----------
    lmin_lower, lmin_upper : float
        Bracket of the smallest eigenvalue (symbol/Gershgorin below, Rayleigh above).
    lmax_lower, lmax_upper : float
        Bracket of the largest eigenvalue (Rayleigh below, symbol/Gershgorin above).
    grid_allowance : float
        How far the continuous extremes of the symbol may lie beyond the grid values.
    """

    lmin_lower: float
    lmin_upper: float
    lmax_lower: float
    lmax_upper: float
    grid_allowance: float

    def kappa_bounds(self) -> tuple[float, float]:
        """``(lower, upper)`` bracket of ``lmax / lmin`` (upper ``inf`` if ``lmin_lower <= 0``)."""
        lo = self.lmax_lower / self.lmin_upper if self.lmin_upper > 0 else math.inf
        hi = self.lmax_upper / self.lmin_lower if self.lmin_lower > 0 else math.inf
        return lo, hi


#: Terms per block of :func:`_symbol_sums`' pairwise sums: within ``(BLOCK + log2 n) eps``
#: of the 1-norm, below the transform's ``8 eps log2(2K)`` for every ``n >= 2``.
_BLOCK = 16


@nb.njit(nogil=True, cache=True)
def _tree_sum(partials, count):  # pragma: no cover - compiled
    """Sum of ``partials[:count]`` by halving (``ceil(log2 count)`` levels), in place."""
    while count > 1:
        half = (count + 1) // 2
        for i in range(count // 2):
            partials[i] = partials[2 * i] + partials[2 * i + 1]
        if count % 2:
            partials[half - 1] = partials[count - 1]
        count = half
    return partials[0] if count == 1 else 0.0


@nb.njit(nogil=True, cache=True)
def _symbol_sums(r, fejer):  # pragma: no cover - compiled
    """One pass over ``r`` (and one from both ends for Gershgorin), no array of length N.

    Returns ``(s0, s1, s2, radius, ends)``: ``s_k = sum_{m>=1} m^k |r_m|`` (recursive sums
    of nonnegative terms, relative error <= ``2 n eps``); ``radius = max_i S(i) + S(N-1-i)``,
    ``S(k) = sum_{m=1}^k |r_m|`` (as ``S(i) + (s0 - T(i))`` with the suffix sum ``T``, within
    ``(2n + 2) eps s0 <= (2n + 2) eps radius``); ``ends[j]`` the symbol at 0 and pi (and, with
    ``fejer``, its Fejér mean there) less ``r_0``, by blocked pairwise sums.
    """
    n = r.shape[0]
    blocks = (n - 2) // _BLOCK + 1
    partials = np.zeros((4, blocks))
    s0 = s1 = s2 = 0.0
    for m in range(1, n):
        a = abs(r[m])
        s0 += a
        s1 += m * a
        s2 += (m * m) * a
        b = (m - 1) // _BLOCK
        term = 2.0 * r[m]
        signed = term if m % 2 == 0 else -term
        partials[0, b] += term
        partials[1, b] += signed
        if fejer:
            weight = 1.0 - m / n
            partials[2, b] += term * weight
            partials[3, b] += signed * weight
    ends = np.empty(4)
    for j in range(4 if fejer else 2):
        ends[j] = _tree_sum(partials[j], blocks)
    front = back = 0.0
    radius = s0  # i = 0
    for i in range(1, (n - 1) // 2 + 1):
        front += abs(r[i])
        back += abs(r[n - i])
        radius = max(radius, front + (s0 - back))
    return s0, s1, s2, radius, ends


@nb.njit(nogil=True, cache=True)
def _fejer_row(r):  # pragma: no cover - compiled
    """``r_m (1 - m / N)``: the Fejér mean's coefficients."""
    n = r.shape[0]
    out = np.empty(n)
    for m in range(n):
        out[m] = r[m] * (1.0 - m / n)
    return out


def eigenvalue_bounds(r: Any, grid_factor: int = GRID_FACTOR, *,
                      fejer: bool = True) -> EigenvalueBounds:
    """Certified brackets of ``lmin`` and ``lmax`` of ``toeplitz(r)`` in ``O(N log N)``.

    Parameters
    ----------
    r : (N,) array_like
        First column of a symmetric Toeplitz matrix (definite or not).
    grid_factor : int
        Symbol grid points per frame: ``2K`` points on the circle,
        ``K = next_fast_len(max(ceil(grid_factor N / 2), N))``.
    fejer : bool
        Whether the inner ends use the Fejér means (a second transform); without them
        they are the diagonal ``r_0`` (a Rayleigh quotient of ``e_0``), and the outer ends
        are unchanged.

    Returns
    -------
    EigenvalueBounds

    Notes
    -----
    With ``h = pi / K`` (the grid spacing), ``S_k = sum_{m=1}^{N-1} m^k |r_m|`` and
    ``delta = min(h S_1, h^2 S_2 / 4)`` (module notes), and ``G`` the grid
    ``w_k = (2k + 1) pi / (2K)`` (:mod:`.cosine_grid`) with ``0`` and ``pi`` added,

        lmin(T) >= max( min_G f - delta,  r_0 - max_i R_i ),
        lmax(T) <= min( max_G f + delta,  r_0 + max_i R_i ),

    ``R_i = sum_{j != i} |r_{|i-j|}|`` (Gershgorin), and ``lmin(T) <= min(r_0, min_G F)``,
    ``lmax(T) >= max(r_0, max_G F)`` with ``F`` the Fejér mean (a Rayleigh quotient).
    All four carry the round-off allowance. Exact (``N = 1``): ``r_0`` four times.

    Examples
    --------
    >>> import scipy.linalg
    >>> r = 0.6 ** np.arange(50.0)
    >>> b = eigenvalue_bounds(r); ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
    >>> bool(b.lmin_lower <= ev[0] <= b.lmin_upper and b.lmax_lower <= ev[-1] <= b.lmax_upper)
    True
    """
    r = as_real_array(r, "r", ndim=1)
    grid_factor = check_positive_int(grid_factor, "grid_factor")
    n = r.shape[0]
    r0 = float(r[0])
    if n == 1:
        return EigenvalueBounds(r0, r0, r0, r0, 0.0)
    eps = float(np.finfo(np.float64).eps)
    s0, s1, s2, radius, ends = _symbol_sums(r, fejer)
    K = int(scipy.fft.next_fast_len(max(-(-grid_factor * n // 2), n), real=True))
    h = math.pi / K
    # the sums above are recursive sums of nonnegative terms (relative error <= 2 n eps)
    delta = min(h * s1, h * h * s2 / 4.0) * (1.0 + 2.0 * n * eps)
    roundoff = (8.0 * eps * math.log2(2 * K) * (abs(r0) + 2.0 * s0) * (1.0 + 2.0 * n * eps)
                + 4.0 * n * eps * abs(r0))
    rows = np.stack((r, _fejer_row(r))) if fejer else r[None, :]
    # the grid avoids 0 and pi, where the symbol of a decaying or alternating sequence
    # peaks: both are added (pairwise sums, within the same allowance)
    grid = cosine_extremes(rows, K)
    fmin = min(float(grid[0, 0]), r0 + min(ends[0], ends[1]))
    fmax = max(float(grid[0, 1]), r0 + max(ends[0], ends[1]))
    radius *= 1.0 + 4.0 * n * eps
    lmin_lower = max(fmin - delta - roundoff, r0 - radius)
    lmax_upper = min(fmax + delta + roundoff, r0 + radius)
    lmin_upper, lmax_lower = r0, r0
    if fejer:
        gmin = min(float(grid[1, 0]), r0 + min(ends[2], ends[3]))
        gmax = max(float(grid[1, 1]), r0 + max(ends[2], ends[3]))
        lmin_upper = min(r0, gmin + roundoff)
        lmax_lower = max(r0, gmax - roundoff)
    return EigenvalueBounds(lmin_lower=float(lmin_lower), lmin_upper=float(lmin_upper),
                            lmax_lower=float(lmax_lower), lmax_upper=float(lmax_upper),
                            grid_allowance=float(delta))
