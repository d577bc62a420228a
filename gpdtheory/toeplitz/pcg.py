"""Very large N: preconditioned conjugate gradients, FFT products, circulant preconditioner.

This is the validated public entry point for columns ``(N, k)``; the iteration is
:func:`.rows_pcg.pcg_rows`, which holds the systems as contiguous rows.

Solves ``(s_k T + h_k I) x_k = b_k`` for every column ``k`` at once (one scale ``s_k > 0``
and shift ``h_k >= 0`` per column: the ``d`` systems of the exact score, docs/theory.md
§2), with ``T = toeplitz(r)`` symmetric positive definite:

* preconditioner ``s_k C + h_k I`` with ``C`` Strang's circulant (first column
  ``r_0..r_{N/2}`` wrapped), whose eigenvalues cluster those of ``T`` when ``sum |r_m|``
  converges (R. Chan & Strang 1989: superlinear convergence). When Strang's ``C`` makes
  some ``s_k C + h_k I`` indefinite, T. Chan's optimal circulant (eigenvalues inside
  ``[lmin(T), lmax(T)]``, always positive definite) is used instead;
* products ``T x`` as ``C x`` plus the two corners where ``T`` and Strang's circulant
  differ (transforms of length ``N`` only; the circulant embedding of :mod:`.fft` with
  T. Chan's preconditioner);
* with 8 or more columns, the column with the widest preconditioned spectrum is solved
  first and its Ritz vectors deflate the others (docs/theory.md §2.2).

``O(N log N)`` per iteration, ``O(N k)`` memory. The stopping rule is the relative
residual ``||b_k - A_k x_k|| / ||b_k|| <= tol`` for every column, checked on the *true*
residual at the end (restarts repair recurrence drift); the achieved residual and the
iterations are reported. The forward error is at most ``kappa(A_k) * tol``.
Not converging within ``maxiter`` raises :class:`~gpdtheory.errors.ConvergenceError`.

Equivalent dense computation: ``numpy.linalg.solve(s T + h I, b)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..validation import as_columns, as_real_array, check_positive_int, check_positive_scalar
from .rows_pcg import pcg_rows

__all__ = ["PCGResult", "pcg_solve"]


@dataclass(frozen=True)
class PCGResult:
    """Output of :func:`pcg_solve`.

    Attributes
    ----------
    x : (N,) or (N, k) ndarray
    residual : float
        Largest true relative residual over the columns.
    iterations : int
    preconditioner : str
        ``"strang"`` or ``"chan"``.
    """

    x: np.ndarray
    residual: float
    iterations: int
    preconditioner: str


def _per_column(value: Any, name: str, k: int) -> np.ndarray:
    """``value`` as ``(k,)`` float64: a scalar, or one entry per column of ``b``."""
    arr = as_real_array(value, name, allow_bool=False)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != k):
        raise InvalidArgumentError(name, value, f"has shape {arr.shape}, b has {k} column(s)",
                                   f"pass a scalar or one value per column (shape ({k},))")
    return np.broadcast_to(arr, (k,)).astype(np.float64)


def pcg_solve(r: Any, b: Any, tol: float = 1e-10, maxiter: int | None = None,
              scale: Any = 1.0, shift: Any = 0.0) -> PCGResult:
    """Solve ``(scale * toeplitz(r) + shift * I) x = b`` by circulant-preconditioned CG.

    Parameters
    ----------
    r : (N,) array_like
        First column of a symmetric positive definite Toeplitz matrix.
    b : (N,) or (N, k) array_like
    tol : float
        Relative residual to reach in every column (``>= 1e-15``).
    maxiter : int, optional
        Default ``max(100, 10 * sqrt(N))``.
    scale, shift : float or (k,) array_like
        Per-column ``s_k > 0`` and ``h_k >= 0``.

    ``N = 0`` or ``k = 0`` give an empty solution, as :func:`.systems.solve` does.

    Returns
    -------
    PCGResult

    Raises
    ------
    ConvergenceError
        When some column's residual is still above ``tol`` after ``maxiter`` iterations.

    Examples
    --------
    >>> import scipy.linalg
    >>> r = np.exp(-np.arange(200) / 5.0); b = np.ones(200)
    >>> res = pcg_solve(r, b, tol=1e-12)
    >>> bool(np.allclose(scipy.linalg.toeplitz(r) @ res.x, b)), res.residual <= 1e-12
    (True, True)
    """
    r = as_real_array(r, "r", ndim=1, allow_empty=True)
    n = r.shape[0]
    b = as_columns(b, n, allow_empty=True)
    tol = check_positive_scalar(tol, "tol")
    if tol < 1e-15:
        raise InvalidArgumentError("tol", tol, "is below float64 round-off",
                                   "pass tol >= 1e-15")
    maxiter = max(100, int(10 * np.sqrt(n))) if maxiter is None else check_positive_int(maxiter,
                                                                                        "maxiter")
    k = 1 if b.ndim == 1 else b.shape[1]
    B = b.reshape(n, k)
    s = _per_column(scale, "scale", k)
    h = _per_column(shift, "shift", k)
    if np.any(s <= 0):
        raise InvalidArgumentError("scale", scale, "must be > 0 in every column",
                                   "pass positive scales")
    if np.any(h < 0):
        raise InvalidArgumentError("shift", shift, "must be >= 0 in every column",
                                   "pass nonnegative shifts")
    if k == 0 or n == 0:  # as solve: an empty system has the empty solution
        return PCGResult(np.zeros(b.shape), 0.0, 0, "strang")
    # the iteration itself is pcg_rows's: columns become contiguous rows
    res = pcg_rows(r, np.ascontiguousarray(B.T), s, h, tol=tol, maxiter=maxiter)
    if not np.all(np.isfinite(res.x)):
        raise InvalidArgumentError("b", f"array of shape {b.shape}, max |b| = "
                                   f"{float(np.max(np.abs(b))):.3g}",
                                   "is so large that the solution overflows float64",
                                   "rescale b (the solution of c b is c times that of b)")
    return PCGResult(res.x.T.reshape(b.shape), res.residual, res.iterations, res.preconditioner)
