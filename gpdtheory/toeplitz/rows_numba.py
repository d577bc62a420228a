"""Compiled per-row functions of the rows-as-systems CG (:mod:`.rows_pcg`).

Fused updates of the rows ``rows[i]`` of full ``(K, N)`` arrays, the circulant spectrum
division and the two Strang corners: at N = 2^20 every ``(K, N)`` pass moves 128 MB, and
NumPy's separate passes and temporaries cost about a quarter of an iteration. Each kernel's
docstring states the update it performs; equivalent NumPy one-liners are in its body's
comments or the callers' notes.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .threads import launch

__all__ = ["_affine_rows", "_cg_step", "_direction_row", "_directions", "_dot",
           "_divide_spectrum", "_lower_corner", "_upper_corner", "_row_norms", "_row_dots"]


# Fused row updates on the systems' rows ``rows[i]`` of the full arrays: at N = 2^20 every
# (K, N) pass moves 128 MB, and NumPy's separate passes and temporaries cost about a quarter
# of an iteration.
@nb.njit(parallel=True, cache=True)
def _affine_rows(Y, X, s, h, out):  # pragma: no cover - compiled
    """``out_i = s_i Y[i, :N] + h_i X[i]``."""
    k, n = X.shape
    for i in nb.prange(k):
        for j in range(n):
            out[i, j] = s[i] * Y[i, j] + h[i] * X[i, j]
    return out


@nb.njit(nogil=True, cache=True)
def _dot(a, b):  # pragma: no cover - compiled
    """``a . b`` by four running sums in a fixed order (so a row's value depends on that row
    alone: ``numpy.einsum("ij,ij->i")``'s depends on the other rows of the block in the last
    bits, and a system's iterations would depend on its block companions)."""
    n = a.shape[0]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    m = n - n % 4
    for j in range(0, m, 4):
        s0 += a[j] * b[j]
        s1 += a[j + 1] * b[j + 1]
        s2 += a[j + 2] * b[j + 2]
        s3 += a[j + 3] * b[j + 3]
    for j in range(m, n):
        s0 += a[j] * b[j]
    return (s0 + s1) + (s2 + s3)


@nb.njit(parallel=True, cache=True)
def _row_dots(A, B):  # pragma: no cover - compiled
    """``A[i] . B[i]`` for each row by :func:`_dot` (the same bits as one row at a time)."""
    k = A.shape[0]
    out = np.zeros(k)
    for i in nb.prange(k):
        out[i] = _dot(A[i], B[i])
    return out


@nb.njit(parallel=True, cache=True)
def _cg_step(X, R, P, AP, a, rows):  # pragma: no cover - compiled
    """``X[r] += a_i P[r]``, ``R[r] -= a_i AP[r]`` in place for ``r = rows[i]``; return the
    rows' ``||R[r]||^2``."""
    k = rows.shape[0]
    n = R.shape[1]
    rr = np.zeros(k)
    for i in nb.prange(k):
        r = rows[i]
        acc = 0.0
        for j in range(n):
            X[r, j] += a[i] * P[r, j]
            v = R[r, j] - a[i] * AP[r, j]
            R[r, j] = v
            acc += v * v
        rr[i] = acc
    return rr


@nb.njit(nogil=True, cache=True)
def _direction_row(z, az, b, p, ap, first):  # pragma: no cover - compiled
    """``p = z + b p``, ``ap = az + b ap`` in place (``p = z``, ``ap = az`` when ``first``,
    whatever they held); return ``p . ap`` (one running sum)."""
    acc = 0.0
    for j in range(p.shape[0]):
        u = z[j]
        v = az[j]
        if not first:
            u += b * p[j]
            v += b * ap[j]
        p[j] = u
        ap[j] = v
        acc += u * v
    return acc


@nb.njit(parallel=True, cache=True)
def _directions(Z, AZ, beta, P, AP, rows, first):  # pragma: no cover - compiled
    """:func:`_direction_row` on ``P[r]``, ``AP[r]`` with ``Z_i``, ``AZ_i``, ``beta_i`` for
    ``r = rows[i]``; return the rows' ``P[r] . AP[r]``."""
    k = rows.shape[0]
    pap = np.zeros(k)
    for i in nb.prange(k):
        r = rows[i]
        pap[i] = _direction_row(Z[i], AZ[i], beta[i], P[r], AP[r], first)
    return pap


# Per-row functions, run by the transform threads (nogil) between a row's transforms.
@nb.njit(nogil=True, cache=True)
def _divide_spectrum(F, lam, s, h, inverse):  # pragma: no cover - compiled
    """``F /= s lam + h`` (``M^{-1}``) with ``inverse``, else ``F *= s lam + h`` (``M``)."""
    for j in range(F.shape[0]):
        d = s * lam[j] + h
        if inverse:
            F[j] = F[j] / d
        else:
            F[j] = F[j] * d


@nb.njit(nogil=True, cache=True)
def _lower_corner(out, R, Y, s, p, L):  # pragma: no cover - compiled
    """``out[L:] = R[L:]`` plus ``s Y[:L]`` at ``p..N-1``: the lower corner of ``E z``
    (:class:`_StrangCorners`); ``out[:L]`` is left to :func:`_upper_corner`."""
    for j in range(L, p):
        out[j] = R[j]
    for j in range(L):
        out[p + j] = R[p + j] + s * Y[j]


@nb.njit(nogil=True, cache=True)
def _upper_corner(out, R, Y, s, L):  # pragma: no cover - compiled
    """``out[:L] = R[:L] + s Y[L-1::-1]``: the upper corner, the mirror of the lower."""
    for j in range(L):
        out[j] = R[j] + s * Y[L - 1 - j]


def _row_norms(X: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row without the ``(K, N)`` temporary of ``np.linalg.norm``, by
    :func:`_row_dots` (a row's norm does not depend on the other rows)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    return np.sqrt(launch(_row_dots, X, X))
