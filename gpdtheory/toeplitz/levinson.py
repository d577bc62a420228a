"""Symmetric Levinson recursion: ``toeplitz(r) x = b`` in ``4 N^2`` flops, with PD flag and logdet.

Algorithm: Golub & Van Loan, *Matrix Computations* (4th ed.), Alg. 4.7.2 (symmetric
Levinson), on the normalised matrix ``T / r_0``. Step ``k`` extends the Yule–Walker
solution ``y`` (Durbin) and the solution ``x`` of the leading ``k x k`` system by one
entry; the prediction-error variances ``beta_k = prod_j (1 - alpha_j^2)`` come for free, so

* ``T`` is positive definite iff every ``beta_k > 0`` (the recursion stops at the first
  ``beta_k <= 0`` and reports ``k``: no garbage is returned silently);
* ``log det T = N log r_0 + sum_k log beta_k = N log r_0 + sum_j (N - j) log(1 - k_j^2)``,
  summed from the reflection coefficients (:func:`.reflection.logdet_from_reflection`:
  no drift of the running product, compensated sum; ``~ eps |log det|``).
* When the recursion breaks down, or its smallest ``beta_k`` is below
  :data:`.reflection.RECHECK_BETA`, positive definiteness is re-decided by the one
  verdict function :func:`.reflection.durbin_core` (see :mod:`.reflection`).

Implementation notes
--------------------
* The updates ``x_j += mu y_{k-1-j}`` and ``y_j += alpha y_{k-1-j}`` write into a second
  buffer (swapped each step): an in-place update would read what it overwrites, which
  stops LLVM from vectorising (an in-place pairwise loop measured 2.7x slower). The two
  dot products of step ``k+1`` are accumulated in the same pass, against a reversed
  copy of ``r`` so that they run forward: one pass over memory per step.
* Reversed indices are unsigned (``uint64``): with signed indices Numba keeps the
  negative-index wraparound branch, which blocks SIMD. They are provably in range
  (``0 <= j < k``, so ``0 <= k-1-j``).
* ``fastmath={'reassoc', 'contract'}`` lets LLVM vectorise the reductions; never
  ``fastmath=True``, whose ``nnan`` flag may delete the ``beta > 0`` test.
* Underflow is flushed to zero by hand (:data:`TINY`): for fast-decaying ``r`` (e.g.
  ``exp(-m/5)``) the Yule–Walker vector ``y`` has entries that decay geometrically into
  the subnormal range, and on Intel cores every subnormal operand costs a microcode
  assist (the N = 1e4 solve measured 0.50 s instead of 0.03 s). ``r``, ``y`` and ``x``
  are scale-free here (``r / r_0``, ``b / max|b|``), so zeroing entries below ``1e-150``
  perturbs the result by far less than one rounding error. The comparison is written
  ``0 if |v| < TINY else v`` so that a NaN is kept, not flushed.

Stability
---------
On symmetric positive definite input Levinson is *weakly stable* (Cybenko 1980; Bunch
1985): the forward error is about ``kappa(T) * eps``, like a backward-stable dense
solver's, although the residual is not always ``O(eps)``. On indefinite input with
singular leading minors it breaks down: those matrices are reported, never solved.
The Gaussian matrix ``0.9**(k**2)`` (scipy's documented hard case for Levinson) is
positive definite but ill-conditioned (``kappa = 7.2e9`` at N = 200): the symmetric
recursion still agrees with the dense solve to 6e-9 relative (``<= kappa eps``) with
residual 4e-12; as N grows the Gaussian kernel's ``kappa`` passes ``1/eps`` and no
float64 method keeps a correct digit (``tests/toeplitz/test_solve.py`` keeps the case).

Equivalent dense computation: ``numpy.linalg.solve(scipy.linalg.toeplitz(r), b)`` and
``numpy.linalg.slogdet``; same result as ``scipy.linalg.solve_toeplitz(r, b)`` (which
runs the non-symmetric 8 N^2 recursion and has no PD flag or logdet).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from . import threads as _threads  # noqa: F401  (sets the threading layer first)
from .reflection import RECHECK_BETA, TINY, durbin_core, gs_apply_numba, logdet_from_reflection

__all__ = ["levinson_numba", "levinson_batch_numba", "TINY"]

_FASTMATH = {"reassoc", "contract"}
_u64 = nb.uint64


@nb.njit(nb.types.Tuple((nb.float64[::1], nb.float64, nb.int64))(nb.float64[::1], nb.float64[::1]),
         cache=True, fastmath=_FASTMATH)
def levinson_numba(r, b):  # pragma: no cover - compiled
    """Solve ``toeplitz(r) x = b`` (symmetric Levinson, GVL Alg. 4.7.2).

    Parameters
    ----------
    r : (N,) float64 array
        First column; ``r[0]`` is the diagonal.
    b : (N,) float64 array

    Returns
    -------
    x : (N,) float64 array
        The solution (meaningless when ``first_failure >= 0``).
    logdet : float
        ``log det toeplitz(r)`` (partial sum when ``first_failure >= 0``).
    first_failure : int
        ``-1`` when ``toeplitz(r)`` is positive definite, else the first ``k`` with a
        non-positive leading-minor ratio ``beta_k`` (the leading ``(k+1) x (k+1)``
        block is not positive definite).

    Notes
    -----
    Callable from user ``@njit`` code. ``4 N^2`` flops, ``O(N)`` memory.
    """
    n = r.shape[0]
    x = np.zeros(n)
    if n == 0:
        return x, 0.0, -1
    r0 = r[0]
    if not r0 > 0.0:
        return x, 0.0, 0
    # scale-free right-hand side: x is solved for b / bs, then scaled back
    bs = 0.0
    for m in range(n):
        bs = max(bs, abs(b[m]))
    if not bs > 0.0 or not np.isfinite(bs):
        bs = 1.0
    if n == 1:
        x[0] = b[0] / r0
        return x, np.log(r0), -1
    x[0] = b[0] / bs
    tr = np.empty(n)  # reversed, normalised: tr[m] = r[n-1-m] / r0, so dots run forward
    for m in range(n):
        v = r[n - 1 - m] / r0
        tr[m] = 0.0 if abs(v) < TINY else v
    ks = np.zeros(n - 1)  # reflection coefficients, for the log-determinant
    x2 = np.zeros(n)
    y = np.zeros(n)
    y2 = np.zeros(n)
    alpha = -tr[n - 2]
    ks[0] = alpha
    y[0] = alpha
    beta = 1.0
    min_beta = 1.0
    fail = -1
    sx = tr[n - 2] * x[0]
    sy = tr[n - 2] * y[0]
    for k in range(1, n):
        beta = (1.0 - alpha * alpha) * beta
        if not beta > 0.0:
            fail = k
            break
        min_beta = min(min_beta, beta)
        mu = (b[k] / bs - sx) / beta
        if k < n - 1:
            alpha = (-tr[n - 2 - k] - sy) / beta
            ks[k] = alpha
            uk1 = _u64(k - 1)
            off = _u64(n - 2 - k)
            tx = 0.0
            ty = 0.0
            for jj in range(k):
                j = _u64(jj)
                yq = y[uk1 - j]
                xn = x[j] + mu * yq
                yn = y[j] + alpha * yq
                xn = 0.0 if abs(xn) < TINY else xn
                yn = 0.0 if abs(yn) < TINY else yn
                x2[j] = xn
                y2[j] = yn
                # dot products of step k+1: sum_j r_{k+1-j} (new x_j, new y_j)
                tj = tr[off + j]
                tx += tj * xn
                ty += tj * yn
            x2[k] = mu
            y2[k] = alpha
            sx = tx + tr[n - 2] * mu
            sy = ty + tr[n - 2] * alpha
            x, x2 = x2, x
            y, y2 = y2, y
        else:
            for jj in range(k):
                j = _u64(jj)
                x2[j] = x[j] + mu * y[_u64(k - 1) - j]
            x2[k] = mu
            x = x2
    if fail >= 0 or min_beta < RECHECK_BETA:
        # near-singular: THE verdict is durbin_core's (see .reflection)
        yv, kv, betav, first = durbin_core(r, False)
        if first >= 0:
            return x, logdet_from_reflection(r0, kv, n, first - 1 if first > 0 else 0), first
        ks = kv
        if fail >= 0:
            bn = np.empty(n)
            for m in range(n):
                bn[m] = b[m] / bs
            x = gs_apply_numba(yv, betav[n - 1], bn)
    scale = bs / r0
    for m in range(n):
        x[m] *= scale
    return x, logdet_from_reflection(r0, ks, n, n - 1), -1


@nb.njit(nb.types.Tuple((nb.float64[:, ::1], nb.float64[::1], nb.int64[::1]))(
    nb.float64[:, ::1], nb.float64[:, ::1]), cache=True, fastmath=_FASTMATH, parallel=True)
def levinson_batch_numba(R, B):  # pragma: no cover - compiled
    """Solve ``toeplitz(R[i]) X[i] = B[i]`` for every row ``i``, in parallel over rows.

    From Python threads, call it as ``threads.launch(levinson_batch_numba, R, B)``: the
    fork-safe threading layer may be ``workqueue``, which two concurrent launches abort
    (see :mod:`.threads`).

    Parameters
    ----------
    R : (p, N) float64 array
        First columns; ``p == 1`` (one matrix, many right-hand sides) or ``p == m``.
    B : (m, N) float64 array
        Right-hand sides, one per row (the transpose of the usual ``(N, m)``).

    Returns
    -------
    X : (m, N) float64 array
    logdet : (m,) float64 array
    first_failure : (m,) int64 array
        ``-1`` where positive definite (see :func:`levinson_numba`).
    """
    m, n = B.shape
    p = R.shape[0]
    X = np.empty((m, n))
    logdet = np.empty(m)
    fail = np.empty(m, dtype=np.int64)
    for ii in nb.prange(m):
        i = np.int64(ii)  # prange indices are unsigned: keep the arithmetic in int64
        row = i if p == m else np.int64(0)
        x, ld, f = levinson_numba(R[row], B[i])
        X[i] = x
        logdet[i] = ld
        fail[i] = f
    return X, logdet, fail
