"""THE positive-definiteness verdict and the log-determinant, shared by every route.

How near-singular matrices are decided
--------------------------------------
``toeplitz(r)`` is positive definite iff Durbin's recursion on ``r / |r_0|`` finds every
normalised prediction error ``beta_j = prod_{i<=j} (1 - k_i^2) > 0`` (every reflection
coefficient ``|k_j| < 1``; a NaN is a failure). When ``kappa(T) > 1/eps`` two recursions
that round differently (Levinson's fused loop, Durbin's) can disagree about the sign of a
tiny ``beta_j``; so there is exactly one compiled function, :func:`durbin_core`, whose
answer is THE verdict. :func:`~.durbin_recursion.durbin`, ``logdet``, ``is_positive_definite`` and
the Gohberg–Semencul solver run it directly; Levinson runs its own recursion (it needs
the solution update fused into the same pass) and re-decides with :func:`durbin_core`
whenever it breaks down or its smallest ``beta_j`` falls below :data:`RECHECK_BETA`
(``kappa ~> 1e8``: a second ``2 N^2`` pass, only then). When Levinson broke down but
the verdict is "positive definite", the solution is taken from the verdict's own
factorisation (Gohberg–Semencul, ``O(N^2)`` here).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = ["TINY", "RECHECK_BETA", "durbin_core", "logdet_from_reflection", "gs_apply_numba"]

#: Entries of the scale-free vectors below this magnitude are set to zero: far below one
#: rounding error of the O(1) entries, and above the subnormal range even after one product
#: (see :mod:`.levinson`, "Implementation notes").
TINY = 1e-150

#: Positive definiteness is re-decided by :func:`durbin_core` when a route's smallest
#: normalised prediction error ``beta_k = e_k / r_0`` falls below this (``kappa ~> 1e8``):
#: there, two recursions that round differently could disagree about the sign of a
#: ``beta_k``; above it they cannot (their ``beta_k`` differ by ``~ N eps kappa`` relative).
RECHECK_BETA = 1e-8

_LN2_HI = 6.93147180369123816490e-01  # fdlibm's split of log(2): e * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10


@nb.njit(nb.float64(nb.float64, nb.float64[::1], nb.int64, nb.int64), cache=True)
def logdet_from_reflection(r0, k, n, m):  # pragma: no cover - compiled
    """``n log r0 + sum_{j=1}^{m} (n - j) log(1 - k_j^2)``: ``log det`` from reflections.

    ``det T = r_0^N prod_j beta_j`` with ``beta_j = prod_{i <= j} (1 - k_i^2)``, so each
    ``log(1 - k_i^2)`` enters ``N - i`` times. Summing the weighted terms (compensated,
    Neumaier; compiled without fastmath so the compensation survives) instead of
    ``log beta_j`` avoids both the ``O(N^2 eps)`` drift of the running product ``beta_j``
    and the ``O(N eps)`` growth of a plain sum: about ``eps |logdet|`` in all.
    ``log(1 - k^2)`` is ``log1p(-k^2)`` for small ``k``, ``log((1 - |k|)(1 + |k|))`` near 1.
    """
    s = 0.0
    c = 0.0
    for j in range(1, m + 1):
        kj = k[j - 1]
        kk = kj * kj
        if kk < 0.5:
            v = np.log1p(-kk)
        else:
            a = abs(kj)
            v = np.log((1.0 - a) * (1.0 + a))
        term = (n - j) * v
        t = s + term
        if abs(s) >= abs(term):
            c += (s - t) + term
        else:
            c += (term - t) + s
        s = t
    # n log r0 with r0 = f 2^e: n e log 2 split so that n e _LN2_HI is exact
    f, e = math.frexp(r0)
    return (n * e * _LN2_HI + (s + (c + n * np.log(f)))) + n * e * _LN2_LO


@nb.njit(nb.types.Tuple((nb.float64[::1], nb.float64[::1], nb.float64[::1], nb.int64))(
    nb.float64[::1], nb.boolean), cache=True, fastmath={"reassoc", "contract"})
def durbin_core(r, full):  # pragma: no cover - compiled
    """THE positive-definiteness verdict: Durbin's recursion on ``r / |r_0|``.

    Returns ``(y, k, beta, first_failure)``: the Yule–Walker vector ``y`` (N,) of the
    last completed step (``T' [1; y] = beta_{N-1} e_0`` for ``T' = toeplitz(r / r_0)``
    when positive definite), the reflection coefficients ``k`` (N-1,), the normalised
    prediction errors ``beta`` (N,) (``beta_0 = sign r_0``, ``beta_j = e_j / |r_0|``),
    and the first ``j`` with ``not beta_j > 0`` (NaN-safe; -1 when none). With
    ``full`` the recursion continues past a failure while ``beta_j != 0`` (inertia
    counts); otherwise it stops there. Every route of the engine (:func:`durbin`,
    ``logdet``, ``is_positive_definite``, Gohberg–Semencul, and Levinson when it breaks
    down or comes within :data:`RECHECK_BETA` of it) takes its verdict from this one
    compiled function, so all of them agree on near-singular matrices.
    """
    n = r.shape[0]
    y = np.zeros(n)
    k = np.zeros(max(n - 1, 0))
    beta = np.zeros(n)
    if n == 0:
        return y, k, beta, -1
    r0 = r[0]
    first = -1 if r0 > 0.0 else 0
    beta[0] = 1.0 if r0 > 0.0 else (-1.0 if r0 < 0.0 else r0)  # NaN stays NaN
    if n == 1 or (first == 0 and not full):
        return y, k, beta, first
    sc = abs(r0) if (r0 != 0.0 and np.isfinite(r0)) else 1.0
    # reversed, scale-free copy: the dot product runs forward (vectorises), and entries
    # below TINY are flushed (subnormal operands are ~100x slower; see levinson.TINY)
    tr = np.empty(n)
    for m in range(n):
        v = r[n - 1 - m] / sc
        tr[m] = 0.0 if abs(v) < TINY else v
    y2 = np.zeros(n)  # second buffer: an in-place update would not vectorise
    sy = 0.0          # sum_{i<j} y_i r_{j-1-i} / sc, accumulated during the update
    for j in range(1, n):
        b = beta[j - 1]
        if b == 0.0:
            # singular leading minor: the recursion cannot continue
            if first < 0:
                first = j
            return y, k, beta, first
        kj = -(tr[n - 1 - j] + sy) / b
        k[j - 1] = kj
        nb_ = b * (1.0 - kj * kj)
        beta[j] = nb_
        if not nb_ > 0.0 and first < 0:
            first = j
            if not full:
                return y, k, beta, first
        if j < n - 1:
            uj1 = nb.uint64(j - 1)
            off = nb.uint64(n - 1 - j)
            ty = 0.0
            for ii in range(j - 1):
                i = nb.uint64(ii)
                yn = y[i] + kj * y[uj1 - nb.uint64(1) - i]
                yn = 0.0 if abs(yn) < TINY else yn
                y2[i] = yn
                ty += tr[off + i] * yn
            y2[j - 1] = kj
            sy = ty + tr[n - 2] * kj
            y, y2 = y2, y
        else:
            for ii in range(j - 1):
                i = nb.uint64(ii)
                y2[i] = y[i] + kj * y[nb.uint64(j - 2) - i]
            y2[j - 1] = kj
            y = y2
    return y, k, beta, first




@nb.njit(nb.float64[::1](nb.float64[::1], nb.float64, nb.float64[::1]), cache=True)
def gs_apply_numba(y, last, b):  # pragma: no cover - compiled
    """``T'^{-1} b`` from :func:`durbin_core`'s ``(y, beta_{N-1})``, ``T' = toeplitz(r / r_0)``.

    Gohberg–Semencul, ``T'^{-1} = (L(g) L(g)^T - L(v) L(v)^T) / g_0`` with
    ``g = [1; y] / beta_{N-1}`` and ``v = [0, g_{N-1}, ..., g_1]``, by direct triangular
    Toeplitz products: ``2 N^2`` flops. Used only when Levinson breaks down on a matrix
    the verdict calls positive definite (``kappa > 1/eps``: no digit is guaranteed).
    """
    n = b.shape[0]
    u = np.empty(n)   # [1; y]: g = u / last, g_0 = 1 / last, so T'^{-1} = (...)/ (last)
    u[0] = 1.0
    for j in range(1, n):
        u[j] = y[j - 1]
    v = np.zeros(n)
    for j in range(1, n):
        v[j] = u[n - j]
    p = np.zeros(n)   # L(u)^T b and L(v)^T b: p_i = sum_{j >= i} u_{j-i} b_j
    q = np.zeros(n)
    for i in range(n):
        sp = 0.0
        sq = 0.0
        for j in range(i, n):
            sp += u[j - i] * b[j]
            sq += v[j - i] * b[j]
        p[i] = sp
        q[i] = sq
    x = np.zeros(n)   # L(u) p - L(v) q: x_i = sum_{j <= i} (u_{i-j} p_j - v_{i-j} q_j)
    for i in range(n):
        s = 0.0
        for j in range(i + 1):
            s += u[i - j] * p[j] - v[i - j] * q[j]
        x[i] = s / last
    return x
