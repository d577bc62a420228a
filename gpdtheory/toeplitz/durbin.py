"""Durbin's recursion: reflection coefficients of a symmetric Toeplitz matrix.

For ``T = toeplitz(r)`` with ``r[0] > 0``, the Levinson–Durbin recursion (Golub &
Van Loan, *Matrix Computations*, 4th ed., Alg. 4.7.1) produces the reflection
(partial autocorrelation) coefficients ``k_1..k_{N-1}`` and the prediction-error
variances ``e_0 = r_0``, ``e_j = e_{j-1} (1 - k_j^2)``. Then

* ``T`` is positive definite iff every ``|k_j| < 1`` (iff every ``e_j > 0``);
* ``det T = prod_j e_j``, so ``logdet T = sum_j log e_j``;
* the number of negative ``e_j`` is the number of negative eigenvalues when no
  ``e_j`` vanishes (Sylvester inertia of the ``LDL^T`` factorisation), which the
  bisection eigenvalue routine uses on ``T - lambda I``.

``O(N^2)`` flops, ``O(N)`` memory. Equivalent dense computation: the ``LDL^T``
pivots of ``T``'s Cholesky factorisation are exactly ``e_0..e_{N-1}``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from ..validation import as_real_array
from .levinson import TINY

__all__ = ["DurbinResult", "durbin", "durbin_kernel"]


@nb.njit(nb.types.Tuple((nb.float64[::1], nb.float64[::1], nb.int64))(nb.float64[::1]),
         cache=True, fastmath={"reassoc", "contract"})
def durbin_kernel(r):  # pragma: no cover - compiled
    """Reflection coefficients and error variances of ``toeplitz(r)``.

    Returns ``(k, e, first_failure)``: ``k`` (N-1,), ``e`` (N,), and the index ``j`` of
    the first ``e_j <= 0`` (-1 when all are positive). The recursion continues past a
    failure (when ``e_j != 0``) so that inertia counts remain available.
    """
    n = r.shape[0]
    k = np.zeros(max(n - 1, 0))
    e = np.empty(n)
    e[0] = r[0]
    first = -1 if r[0] > 0.0 else 0
    if n == 1:
        return k, e, first
    # reversed, scale-free copy: the dot product runs forward (vectorises), and entries
    # below TINY are flushed (subnormal operands are ~100x slower; see levinson.TINY)
    sc = abs(r[0]) if r[0] != 0.0 else 1.0
    rr = np.empty(n)
    for m in range(n):
        v = r[n - 1 - m] / sc
        rr[m] = 0.0 if abs(v) < TINY else v
    a = np.zeros(n)
    a2 = np.zeros(n)  # second buffer: an in-place update would not vectorise
    for j in range(1, n):
        if e[j - 1] == 0.0:
            # singular leading minor: the recursion cannot continue
            for jj in range(j, n):
                e[jj] = 0.0
            if first < 0:
                first = j
            return k, e, first
        acc = r[j] / sc
        off = nb.uint64(n - j)
        for ii in range(1, j):
            i = nb.uint64(ii)
            acc += a[i] * rr[off + i - nb.uint64(1)]  # a_i r_{j-i}
        kj = -acc / (e[j - 1] / sc)
        k[j - 1] = kj
        uj = nb.uint64(j)
        for ii in range(1, j):
            i = nb.uint64(ii)
            v = a[i] + kj * a[uj - i]
            a2[i] = 0.0 if abs(v) < TINY else v
        a2[j] = kj
        a, a2 = a2, a
        e[j] = e[j - 1] * (1.0 - kj * kj)
        if first < 0 and e[j] <= 0.0:
            first = j
    return k, e, first


@dataclass(frozen=True)
class DurbinResult:
    """Output of :func:`durbin`.

    Attributes
    ----------
    reflection : (N-1,) ndarray
        ``k_1..k_{N-1}``.
    prediction_error : (N,) ndarray
        ``e_0..e_{N-1}``; ``e_j`` is the variance of predicting frame ``j`` from the
        ``j`` before it.
    positive_definite : bool
    first_failure : int
        Index ``j`` of the first non-positive ``e_j`` (-1 when positive definite); for
        ``j >= 1`` the culprit is ``k_j = reflection[j - 1]`` with ``|k_j| >= 1``.
    """

    reflection: np.ndarray
    prediction_error: np.ndarray
    positive_definite: bool
    first_failure: int

    @property
    def logdet(self) -> float:
        """``log det T``; ``nan``-free: raises if ``T`` is not positive definite."""
        if not self.positive_definite:
            from ..errors import NotPositiveDefiniteError

            raise NotPositiveDefiniteError(
                "Toeplitz matrix", f"prediction error e_{self.first_failure} <= 0",
                "logdet needs a positive definite matrix")
        return float(np.sum(np.log(self.prediction_error)))


def durbin(r) -> DurbinResult:
    """Durbin's recursion on the first column ``r`` of a symmetric Toeplitz matrix.

    Parameters
    ----------
    r : (N,) array_like
        First column; ``r[0]`` is the diagonal.

    Returns
    -------
    DurbinResult

    Examples
    --------
    >>> res = durbin([1.0, 0.5, 0.25])   # AR(1) with r = 0.5: k = (-0.5, 0)
    >>> np.allclose(res.reflection, [-0.5, 0.0]), res.positive_definite
    (True, True)
    """
    r = as_real_array(r, "r", ndim=1)
    k, e, first = durbin_kernel(r)
    return DurbinResult(k, e, first < 0, int(first))
