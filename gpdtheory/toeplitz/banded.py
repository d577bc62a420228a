"""Banded symmetric Toeplitz matrices: Cholesky PSD test and extreme eigenvalues in O(N J^2).

``Gamma_bar = band_J(toeplitz(r))`` has bandwidth ``J``. LAPACK's banded Cholesky
(``scipy.linalg.cholesky_banded``, ``dpbtrf``) factors it in ``O(N J^2)`` flops and
``O(N J)`` memory, and succeeds iff the matrix is positive definite (docs/theory.md
§4, view 1). Bisection on ``lambda`` with the same test (``T - lambda I`` positive
definite iff ``lambda < lmin(T)``) gives the extreme eigenvalues in ``O(N J^2 log(1/tol))``.

Equivalent dense computations: ``np.linalg.cholesky(scipy.linalg.toeplitz(r_bar))`` and
``np.linalg.eigvalsh(scipy.linalg.toeplitz(r_bar))[[0, -1]]``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import scipy.linalg

from ..errors import InvalidArgumentError, NotPositiveDefiniteError
from ..validation import as_real_array, check_nonnegative_int, check_positive_scalar

__all__ = ["banded_form", "banded_cholesky", "is_positive_definite_banded",
           "banded_extreme_eigenvalue"]


def banded_form(r: Any, J: int | None = None) -> np.ndarray:
    """Upper banded storage ``ab`` (LAPACK layout) of ``band_J(toeplitz(r))``.

    Parameters
    ----------
    r : (N,) array_like
        First column; only ``r[0..J]`` is read.
    J : int, optional
        Bandwidth, clipped to ``N - 1``; default: the index of the last nonzero entry.

    Returns
    -------
    (J + 1, N) ndarray
        ``ab[J + i - j, j] = T[i, j]`` for ``max(0, j - J) <= i <= j``.
    """
    r = as_real_array(r, "r", ndim=1)
    n = r.size
    if J is None:
        nz = np.flatnonzero(r)
        J = int(nz[-1]) if nz.size else 0
    J = min(check_nonnegative_int(J, "J"), n - 1)
    ab = np.zeros((J + 1, n))
    for k in range(J + 1):
        ab[J - k, k:] = r[k]
    return ab


def banded_cholesky(r: Any, J: int | None = None) -> np.ndarray:
    """Banded Cholesky factor of ``band_J(toeplitz(r))`` (upper, LAPACK layout).

    Returns
    -------
    (J + 1, N) ndarray
        ``U`` in banded storage with ``U^T U = band_J(toeplitz(r))``.

    Raises
    ------
    NotPositiveDefiniteError
        When the matrix is not positive definite; the message gives the leading minor
        at which the factorisation broke down (the smallest failing N).

    Examples
    --------
    >>> U = banded_cholesky([2.0, 1.0, 0.0])
    >>> bool(np.allclose(U[-1], [np.sqrt(2), np.sqrt(1.5), np.sqrt(4 / 3)]))
    True
    """
    ab = banded_form(r, J)
    cb, info = scipy.linalg.lapack.dpbtrf(ab, lower=0)
    if info > 0:
        raise NotPositiveDefiniteError(
            f"banded Toeplitz matrix (N={ab.shape[1]}, J={ab.shape[0] - 1})",
            f"its leading {info} x {info} minor is not positive definite",
            "use a positive semidefinite truncation ('taper' or 'shift') or a smaller N")
    if info < 0:  # pragma: no cover - LAPACK argument error, cannot happen with banded_form
        raise RuntimeError(f"dpbtrf: illegal argument {-info}")
    return cb


def is_positive_definite_banded(r: Any, J: int | None = None) -> bool:
    """Whether ``band_J(toeplitz(r))`` is positive definite (banded Cholesky, ``O(N J^2)``).

    Same verdict as ``np.linalg.eigvalsh(toeplitz(r_bar))[0] > 0`` away from the
    boundary (backward error about ``J eps ||T||``).

    Examples
    --------
    >>> is_positive_definite_banded([1.0, 0.5, 0.0, 0.0])
    True
    >>> is_positive_definite_banded([1.0, 0.6] + [0.0] * 8)   # |r| > 1/(2 cos(pi/11))
    False
    """
    ab = banded_form(r, J)
    _, info = scipy.linalg.lapack.dpbtrf(ab, lower=0)
    return info == 0


def banded_extreme_eigenvalue(r: Any, J: int | None = None, which: Literal["min", "max"] = "min",
                              tol: float = 1e-13) -> float:
    """Smallest or largest eigenvalue of ``band_J(toeplitz(r))`` by Cholesky bisection.

    Parameters
    ----------
    r : (N,) array_like
    J : int, optional
        Bandwidth (default: last nonzero lag).
    which : {"min", "max"}
    tol : float
        Absolute bracket width, relative to ``|r_0| + 2 sum |r_m|`` (the Gershgorin radius).

    Returns
    -------
    float

    Notes
    -----
    ``lambda < lmin(T)`` iff ``T - lambda I`` has a Cholesky factor. The bracket starts
    at the Gershgorin interval ``[r_0 - R, r_0 + R]``, ``R = 2 sum_{m=1}^{J} |r_m|``, and
    halves until its width is ``tol (|r_0| + R)``: about 45 factorisations of ``O(N J^2)``.
    A ``tol`` below ``4 eps`` is clamped to ``4 eps``, what the factorisation's backward
    error resolves, and the halving also stops when the bracket has no double strictly
    inside: every call returns after at most 52 factorisations.
    Same result as ``np.linalg.eigvalsh(toeplitz(band_J(r)))[0]`` (or ``[-1]``) to about
    ``tol`` relative (tested).
    """
    ab = banded_form(r, J)
    tol = check_positive_scalar(tol, "tol")
    if which not in ("min", "max"):
        raise InvalidArgumentError("which", which, "is not 'min' or 'max'", "pass 'min' or 'max'")
    sign = 1.0 if which == "min" else -1.0
    ab = sign * ab  # lmax(T) = -lmin(-T)
    band = ab.shape[0] - 1
    r0 = float(ab[band, 0])
    R = 2.0 * float(sum(abs(ab[band - k, -1]) for k in range(1, band + 1)))
    lo, hi = r0 - R, r0 + R
    width = tol * (abs(r0) + R) if (abs(r0) + R) > 0 else tol
    # Cholesky decides "lambda < lmin" only to about eps (|r_0| + R) (backward error), and
    # the bracket cannot shrink below one ulp: a smaller tol is clamped to what the
    # arithmetic resolves, and the halving stops when the midpoint is an endpoint.
    width = max(width, 4.0 * np.finfo(np.float64).eps * (abs(r0) + R))
    work = ab.copy()
    while hi - lo > width:
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            break
        work[:] = ab
        work[band] -= mid
        _, info = scipy.linalg.lapack.dpbtrf(work, lower=0, overwrite_ab=1)
        lo, hi = (mid, hi) if info == 0 else (lo, mid)
    return sign * 0.5 * (lo + hi)
