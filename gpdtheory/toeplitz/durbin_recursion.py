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
from .reflection import RECHECK_BETA, durbin_core, logdet_from_reflection

__all__ = ["DurbinResult", "durbin", "durbin_numba", "durbin_core", "logdet_from_reflection",
           "RECHECK_BETA"]


@nb.njit(nb.types.Tuple((nb.float64[::1], nb.float64[::1], nb.int64))(nb.float64[::1]),
         cache=True)
def durbin_numba(r):  # pragma: no cover - compiled
    """Reflection coefficients and error variances of ``toeplitz(r)``.

    Returns ``(k, e, first_failure)``: ``k`` (N-1,), ``e`` (N,), and the index ``j`` of
    the first ``e_j`` that is not ``> 0`` (NaN counts as a failure; -1 when all are
    positive). The recursion continues past a failure (when ``e_j != 0``) so that
    inertia counts remain available. The verdict is :func:`durbin_core`'s.
    """
    n = r.shape[0]
    _y, k, beta, first = durbin_core(r, True)
    e = np.empty(n)
    if n == 0:
        return k, e, first
    sc = abs(r[0]) if (r[0] != 0.0 and np.isfinite(r[0])) else 1.0
    e[0] = r[0]
    for j in range(1, n):
        e[j] = beta[j] * sc
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
        e = self.prediction_error
        return float(logdet_from_reflection(float(e[0]), self.reflection, e.shape[0],
                                            e.shape[0] - 1)) if e.size else 0.0


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
    r = as_real_array(r, "r", ndim=1, allow_empty=True)
    k, e, first = durbin_numba(r)
    return DurbinResult(k, e, first < 0, int(first))
