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

__all__ = ["_affine_rows", "_cg_step", "_directions", "_divide_spectrum", "_lower_corner",
           "_upper_corner", "_row_norms", "_row_dots"]


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


@nb.njit(parallel=True, cache=True)
def _row_dots(A, B):  # pragma: no cover - compiled
    """``A[i] . B[i]`` for each row, four running sums in a fixed order: a row's value does
    not depend on the other rows of the block (``numpy.einsum("ij,ij->i")``'s does, in the
    last bits), so a system's iterations are the same whichever systems it is blocked with."""
    k, n = A.shape
    out = np.zeros(k)
    for i in nb.prange(k):
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        m = n - n % 4
        for j in range(0, m, 4):
            s0 += A[i, j] * B[i, j]
            s1 += A[i, j + 1] * B[i, j + 1]
            s2 += A[i, j + 2] * B[i, j + 2]
            s3 += A[i, j + 3] * B[i, j + 3]
        for j in range(m, n):
            s0 += A[i, j] * B[i, j]
        out[i] = (s0 + s1) + (s2 + s3)
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


@nb.njit(parallel=True, cache=True)
def _directions(Z, AZ, beta, P, AP, rows, first):  # pragma: no cover - compiled
    """``P[r] = Z_i + beta_i P[r]``, ``AP[r] = AZ_i + beta_i AP[r]`` in place for
    ``r = rows[i]`` (``P[r] = Z_i`` on the ``first`` step, whatever ``P`` held); return the
    rows' ``P[r] . AP[r]``."""
    k = rows.shape[0]
    n = P.shape[1]
    pap = np.zeros(k)
    for i in nb.prange(k):
        r = rows[i]
        b = 0.0 if first else beta[i]
        acc = 0.0
        for j in range(n):
            p = Z[i, j]
            q = AZ[i, j]
            if not first:
                p += b * P[r, j]
                q += b * AP[r, j]
            P[r, j] = p
            AP[r, j] = q
            acc += p * q
        pap[i] = acc
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
