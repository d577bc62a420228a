"""View 1 of docs/theory.md §4: positive definiteness of ``Gamma_bar_N`` for one N, exactly.

Three equivalent tests of the ``N x N`` band-J Toeplitz matrix ``Gamma_bar_N``:

* ``"durbin"``: Durbin's recursion; positive definite iff every reflection coefficient
  has ``|k_j| < 1`` (``O(N^2)``);
* ``"banded"``: LAPACK banded Cholesky (``O(N J^2)``), the fastest for small J;
* ``"dense"``: ``np.linalg.eigvalsh`` (``O(N^3)``), the oracle.

Durbin and banded Cholesky both report the first leading minor that fails. Leading
principal submatrices of a Toeplitz matrix are the smaller Toeplitz matrices, so that
index is the smallest failing N, found in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.linalg

from ..errors import InvalidArgumentError
from ..kernels import Kernel
from ..toeplitz import durbin
from ..toeplitz.banded import banded_extreme_eigenvalue, banded_form
from ..truncation import Method, truncated_autocovariance
from ..validation import as_real_array, check_nonnegative_int, check_positive_int

__all__ = ["PerNResult", "truncated_column", "per_n", "first_failing_n", "smallest_eigenvalue"]

PerNMethod = Literal["durbin", "banded", "dense"]


def truncated_column(kernel_or_r: Any, J: int, N: int, truncation: Method = "hard",
                     dt: float = 1.0) -> np.ndarray:
    """First column ``r_bar`` (N,) of ``Gamma_bar_N`` for a kernel or an autocovariance array.

    Parameters
    ----------
    kernel_or_r : Kernel or (M,) array_like
        A kernel (evaluated at lags ``m dt``), or ``r`` with ``M > min(J, N - 1)``;
        lags past ``M - 1`` are taken as 0 (they lie beyond the truncation).
    J, N : int
    truncation : {"hard", "taper", "shift"}
        ``"shift"`` uses the all-N shift of the kernel's ``f_J``.
    """
    J = check_nonnegative_int(J, "J")
    N = check_positive_int(N, "N")
    keep = min(J, N - 1) + 1
    if isinstance(kernel_or_r, Kernel):
        head = kernel_or_r.autocovariance(keep, dt)
    else:
        r = as_real_array(kernel_or_r, "kernel_or_r", ndim=1)
        if r.size < keep:
            raise InvalidArgumentError("kernel_or_r", r, f"has {r.size} lags, J = {J} and N = {N} "
                                       f"need {keep}", "pass more lags or a smaller J")
        head = r[:keep]
    col = np.zeros(N)
    col[:keep] = head
    if truncation == "shift" and N < J + 1 and isinstance(kernel_or_r, Kernel):
        # the all-N shift uses the whole f_J, not only the lags that fit in N frames
        full = kernel_or_r.autocovariance(J + 1, dt)
        shifted = truncated_autocovariance(full, J, "shift")
        col[0] = shifted[0]
        return col
    return truncated_autocovariance(col, J, truncation)


@dataclass(frozen=True)
class PerNResult:
    """Verdict on ``Gamma_bar_N`` for one N.

    Attributes
    ----------
    positive_definite : bool
    N, J : int
    method : str
    first_failing_n : int or None
        Smallest ``n <= N`` with ``Gamma_bar_n`` not positive definite (``durbin`` and
        ``banded``; ``None`` when positive definite or with ``dense``).
    lmin : float or None
        Smallest eigenvalue (``dense`` only).
    """

    positive_definite: bool
    N: int
    J: int
    method: str
    first_failing_n: int | None
    lmin: float | None = None


def per_n(kernel_or_r: Any, J: int, N: int, method: PerNMethod = "banded",
          truncation: Method = "hard") -> PerNResult:
    """Is the band-J truncation ``Gamma_bar_N`` positive definite? Exact for this N.

    Parameters
    ----------
    kernel_or_r : Kernel or (M,) array_like
    J : int
        Truncation lag.
    N : int
        Number of frames.
    method : {"banded", "durbin", "dense"}
    truncation : {"hard", "taper", "shift"}

    Returns
    -------
    PerNResult

    Notes
    -----
    docs/theory.md §4, view 1. The three methods agree away from the boundary
    ``lmin = 0`` (tested on many sizes); near it each decides for a matrix within its
    backward error (about ``J eps ||Gamma_bar||`` for Cholesky, ``N eps`` for Durbin).

    Examples
    --------
    >>> from gpdtheory import PoweredExponential
    >>> per_n(PoweredExponential(2.0, 1.0), J=1, N=4).positive_definite
    True
    >>> # tridiagonal [1, e^{-1/2}]: PD iff e^{-1/2} <= 1/(2 cos(pi/(N+1))), i.e. N <= 4
    >>> per_n(PoweredExponential(2.0, 1.0), J=1, N=64).first_failing_n
    5
    """
    col = truncated_column(kernel_or_r, J, N, truncation)
    if method == "durbin":
        res = durbin(col)
        fail = None if res.positive_definite else res.first_failure + 1
        return PerNResult(res.positive_definite, N, J, method, fail)
    if method == "banded":
        _, info = scipy.linalg.lapack.dpbtrf(banded_form(col, min(J, N - 1)), lower=0)
        return PerNResult(info == 0, N, J, method, None if info == 0 else int(info))
    if method == "dense":
        lmin = float(np.linalg.eigvalsh(scipy.linalg.toeplitz(col))[0])
        return PerNResult(lmin > 0.0, N, J, method, None, lmin)
    raise InvalidArgumentError("method", method, "is not a per-N method",
                               "pass 'banded', 'durbin' or 'dense'")


def first_failing_n(kernel_or_r: Any, J: int, N_max: int,
                    truncation: Method = "hard") -> int | None:
    """Smallest ``N <= N_max`` for which ``Gamma_bar_N`` is not positive definite, else None.

    One banded Cholesky of size ``N_max`` (``O(N_max J^2)``): LAPACK stops at the first
    leading minor that is not positive definite, and the leading ``n x n`` block of
    ``Gamma_bar_{N_max}`` is ``Gamma_bar_n``.
    """
    return per_n(kernel_or_r, J, N_max, "banded", truncation).first_failing_n


def smallest_eigenvalue(kernel_or_r: Any, J: int, N: int, truncation: Method = "hard",
                        tol: float = 1e-13) -> float:
    """``lmin(Gamma_bar_N)``: dense ``eigvalsh`` for ``N <= 512``, banded bisection beyond.

    The bisection (:func:`gpdtheory.toeplitz.banded.banded_extreme_eigenvalue`) costs
    ``O(N J^2 log(1/tol))`` and agrees with the dense value to ``tol`` times the
    Gershgorin radius (a ``tol`` below ``4 eps`` is clamped to it: the bisection always
    ends). ``lmin(Gamma_bar_N)`` decreases with N towards ``min f_J``.
    """
    col = truncated_column(kernel_or_r, J, N, truncation)
    if N <= 512:
        return float(np.linalg.eigvalsh(scipy.linalg.toeplitz(col))[0])
    return banded_extreme_eigenvalue(col, min(J, N - 1), "min", tol)
