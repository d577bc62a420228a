"""Recycling across the shifted systems of :mod:`.rows_pcg`: the reference system's
Lanczos vectors (:class:`_Harvest`) and deflated CG's projection (:class:`_Deflation`).

The ``K`` systems ``(s_k T + h_k I) x_k = b_k`` share ``T`` and differ only in
``h_k / s_k``, so the outlying eigenvectors of the preconditioned matrix are nearly common
to all of them; the Ritz vectors of the reference system's CG run for the Ritz values
farthest from 1 span a space ``W`` that deflated CG (Saad, Yeung, Erhel & Guyomarc'h 2000)
removes from every other system (docs/theory.md §2.2).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from scipy.linalg.blas import dgemm

from .threads import threads as _threads

__all__ = ["_Harvest", "_Deflation", "_blocks", "_take", "_put", "RECYCLE_MIN_DEVIATION",
           "RECYCLE_MAX_VECTORS", "BLOCK_ROWS"]

#: Deflate the Ritz values ``theta`` with ``|log theta| > RECYCLE_MIN_DEVIATION``, at most
#: ``RECYCLE_MAX_VECTORS`` of them (measured, logarithmic kernel at N = 2^17, 14 plain
#: iterations: 6 / 8 / 10-15 vectors give 9 / 8 / 7; more add GEMM work and gain nothing).
#: A deviation of 0.001 instead of 0.01 keeps one more vector where the reference has one
#: just outside the cluster: Polynomial(2, 1.5)'s deflated systems take 4 iterations instead
#: of 5 at N = 2^20, d = 16 (590 -> 512 transforms, the goal rows of benchmarks/RESULTS.md).
#: benchmarks/recycling_counts.py counts 7 kernels at 2^14-2^18, d = 16 and 4: 6 of 42
#: cases need fewer transforms (by 2-8%), 35 the same, one 6 more (0.8%, Logarithmic(8, 0.5)
#: at 2^14: one system one iteration).
RECYCLE_MIN_DEVIATION = 0.001
RECYCLE_MAX_VECTORS = 12
#: Systems per block of the iteration (the score's d = 16 systems in one block).
BLOCK_ROWS = 16


class _Harvest:
    """The reference system's Lanczos vectors, read off its CG run.

    PCG's preconditioned residuals ``z_j`` are ``M``-orthogonal, so ``v_j = (-1)^j z_j /
    sqrt(r_j . z_j)`` is an ``M``-orthonormal basis of the Krylov space of ``M^{-1} A`` in
    which ``V^T A V`` is the Lanczos tridiagonal with diagonal ``1/a_j + b_{j-1}/a_{j-1}``
    and off-diagonal ``sqrt(b_j)/a_j`` (docs/theory.md §2.2). ``T v_j`` comes
    free from the direction's product ``A z_j = s T z_j + h z_j`` already formed.

    ``Z`` and ``AZ`` are rows the caller lends (the other systems' direction rows, unused
    until the deflated pass): no memory of its own.
    """

    def __init__(self, s: float, h: float, Z: np.ndarray, AZ: np.ndarray):
        self.s, self.h, self.Z, self.AZ = s, h, Z, AZ
        self.scale = np.empty(Z.shape[0])
        self.alpha: list[float] = []
        self.beta: list[float] = []
        self.j = 0
        self.recording = True

    def record(self, z: np.ndarray, az: np.ndarray, rz: float) -> bool:
        """Keep ``z_j``, ``A z_j`` and ``v_j``'s scale; False (and :attr:`recording` False)
        once full or when ``r_j . z_j <= 0``: the vectors after it are not recorded."""
        if self.j >= self.Z.shape[0] or not rz > 0:
            self.recording = False
            return False
        self.Z[self.j] = z
        self.AZ[self.j] = az
        self.scale[self.j] = (-1.0) ** self.j / np.sqrt(rz)
        self.j += 1
        return True

    def deflation_space(self, out: np.ndarray | None = None) -> np.ndarray | None:
        """``U = [W; T W]`` ``(2q, N)`` (the leading rows of ``out`` when given): orthonormal
        rows ``W`` spanning the Ritz vectors with ``|log theta|`` largest; None when no Ritz
        value lies outside the cluster around 1."""
        j = min(self.j, len(self.alpha))
        if j < 2:
            return None
        a = np.asarray(self.alpha[:j])
        b = np.asarray(self.beta[:j - 1])
        diag = 1.0 / a
        diag[1:] += b / a[:-1]
        theta, Y = scipy.linalg.eigh_tridiagonal(diag, np.sqrt(b) / a[:-1])
        if not np.all(theta > 0):
            return None
        spread = np.abs(np.log(theta))
        pick = np.argsort(-spread)[:RECYCLE_MAX_VECTORS]
        pick = pick[spread[pick] > RECYCLE_MIN_DEVIATION]
        if pick.size == 0:
            return None
        # Ritz vectors W = C Z with C = Y^T diag(scale); Lanczos vectors lose orthogonality
        # as CG converges (ghost copies of Ritz vectors), so the span is orthonormalised
        # from its Gram matrix, dropping directions whose Gram eigenvalue is below 1e-6 of
        # the largest: they would amplify the round-off of T W by more than 1e3.
        Zs = self.Z[:j]
        C = Y[:, pick].T * self.scale[:j]                               # (q, j)
        g, Q = np.linalg.eigh(C @ (Zs @ Zs.T) @ C.T)
        keep = g > 1e-6 * g.max()
        if not np.any(keep):
            return None
        C = (Q[:, keep].T / np.sqrt(g[keep])[:, None]) @ C
        q = C.shape[0]
        U = np.empty((2 * q, Zs.shape[1])) if out is None else out[:2 * q]
        np.matmul(C, Zs, out=U[:q])
        # T z = (A z - h z) / s for the reference system
        np.matmul(C / self.s, self.AZ[:j], out=U[q:])
        U[q:] -= (self.h / self.s) * U[:q]
        return U


class _Deflation:
    """Deflated CG's projection for rows ``k`` (Saad, Yeung, Erhel & Guyomarc'h 2000):
    ``A W_k = s_k T W + h_k W`` and ``G_k = W A_k W^T = s_k W T W^T + h_k W W^T``; the
    direction ``z - W^T G_k^{-1} W A_k z`` is ``A_k``-orthogonal to ``W``.
    ``U = [W; T W]``."""

    def __init__(self, U: np.ndarray, s: np.ndarray, h: np.ndarray):
        q = U.shape[0] // 2
        self.q, self.s, self.h, self.U = q, s, h, U
        W, TW = U[:q], U[q:]
        WTW = W @ TW.T
        WW = W @ W.T
        G = s[:, None, None] * (0.5 * (WTW + WTW.T)) + h[:, None, None] * (0.5 * (WW + WW.T))
        self.Ginv = np.linalg.inv(G)

    def coefficients(self, V: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``mu_k = G_k^{-1} W v_k`` as ``(K, q)`` (``v = A z`` for a direction)."""
        return np.einsum("kij,kj->ki", self.Ginv[rows], V @ self.U[:self.q].T)

    def _add(self, V: np.ndarray, mu: np.ndarray, rows: np.ndarray, sign: float,
             product: bool) -> None:
        """``V += sign W^T mu`` or, with ``product``, ``V += sign (A W)^T mu`` in place."""
        if not product:
            dgemm(sign, self.U[:self.q].T, mu.T, beta=1.0, c=V.T, overwrite_c=True)
            return
        coef = np.hstack([self.h[rows, None] * mu, self.s[rows, None] * mu])
        dgemm(sign, self.U.T, coef.T, beta=1.0, c=V.T, overwrite_c=True)

    def subtract(self, Z: np.ndarray, AZ: np.ndarray, mu: np.ndarray, rows: np.ndarray) -> None:
        """``Z -= W^T mu`` and ``AZ -= (A W)^T mu`` in place (BLAS, no temporaries)."""
        self._add(Z, mu, rows, -1.0, False)
        self._add(AZ, mu, rows, -1.0, True)

    def start(self, X: np.ndarray, R: np.ndarray, rows: np.ndarray) -> None:
        """Move ``X[rows]`` to ``X + W^T G^{-1} W R`` and update ``R[rows]``, so the residuals
        are orthogonal to ``W`` (in place, a block of rows at a time)."""
        for block in _blocks(rows):
            Xb, Rb = _take(X, block), _take(R, block)
            mu = self.coefficients(Rb, block)
            self._add(Xb, mu, block, 1.0, False)
            self._add(Rb, mu, block, -1.0, True)
            _put(X, block, Xb)
            _put(R, block, Rb)


def _blocks(rows: np.ndarray) -> list[np.ndarray]:
    """``rows`` in blocks of ``BLOCK_ROWS`` systems (at least 2 per thread): the
    iteration's temporaries are block-sized, and each block reads the deflation space once."""
    size = max(BLOCK_ROWS, 2 * _threads())
    return [rows[i:i + size] for i in range(0, rows.size, size)]


def _take(A: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``A[rows]``: a view when the rows are consecutive, else a copy (see :func:`_put`)."""
    if rows.size and rows[-1] - rows[0] + 1 == rows.size:
        return A[rows[0]:rows[-1] + 1]
    return A[rows]


def _put(A: np.ndarray, rows: np.ndarray, block: np.ndarray) -> None:
    """Write back a block from :func:`_take` (nothing to do for a view)."""
    if not np.shares_memory(A, block):
        A[rows] = block
