"""Many shifted Toeplitz systems by circulant-preconditioned CG, right-hand sides as rows.

Solves ``(s_k T + h_k I) x_k = b_k``, ``k = 0..K-1``, with ``T = toeplitz(r)``
symmetric positive definite, ``s_k > 0``, ``h_k >= 0`` (the ``d`` systems of the exact
score, docs/theory.md §2.2). Same mathematics and stopping rule as :func:`.pcg_solve`
(Strang's circulant preconditioner, T. Chan's when Strang's makes a system indefinite;
true relative residual ``<= tol`` in every system, checked at the end), laid out for
large ``N``:

* right-hand sides are contiguous **rows** ``(K, N)``; the transforms are NumPy's real
  FFTs of one row at a time, the rows shared among threads (:func:`_parallel`), into
  buffers allocated once per call (:class:`_Workspace`);
* only **real** FFTs: the preconditioner uses the real eigenvalues of a symmetric
  circulant of length ``N`` (``rfft``), half the work of complex transforms;
* with Strang's preconditioner every transform has length ``~N``: the new direction's
  product is the preconditioned residual plus the two corners where ``T`` and the
  circulant differ (:class:`_StrangCorners`), and the final true residual is
  ``M x + s E x`` (no circulant embedding of length ``2N``);
* converged systems leave the iteration (an active set), so the slowest system alone
  pays for its extra iterations;
* **recycling across the systems** (:class:`_Harvest`, :class:`_Deflation`): the ``K``
  systems share ``T`` and differ only in ``h_k / s_k``, so the outlying eigenvectors of the
  preconditioned matrix are nearly common to all of them. One reference system is solved
  first; the Ritz vectors of its Lanczos process (read off the CG coefficients, no extra
  products) for the eigenvalues farthest from 1 span a space ``W`` that deflated CG (Saad,
  Yeung, Erhel & Guyomarc'h 2000) removes from every other system. For slowly decaying
  correlations this halves the iterations (docs/theory.md §2.2, benchmarks/RESULTS.md).

``O(N log N)`` per iteration and system. Memory: ``4 K N`` doubles of state, block
temporaries of ``2 BLOCK_ROWS N``, and ``2 RECYCLE_MAX_VECTORS N`` for the deflation space.
Equivalent dense computation: ``numpy.linalg.solve(s_k T + h_k I, b_k)``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial

import numba as nb
import numpy as np
import scipy.fft
import scipy.linalg
from scipy.linalg.blas import dgemm

from ..errors import ConvergenceError, NotPositiveDefiniteError
from .fft import embedding_length
from .threads import launch as _launch
from .threads import parallel as _parallel
from .threads import threads as _threads

__all__ = ["RowsPCGResult", "pcg_rows"]

_WORKERS = -1

#: Recycling needs at least this many systems: the reference, solved alone, pays off only
#: when many systems share its deflation space, and its Lanczos vectors are kept in the
#: other systems' direction rows (``K - 1`` of them, at most ``HARVEST_MAX``).
RECYCLE_MIN_ROWS = 8
#: A reference converging in fewer iterations has no outliers worth deflating.
RECYCLE_MIN_ITERATIONS = 6
#: At most this many Lanczos vectors of the reference are kept (``z_j`` and ``A z_j``, in the
#: other systems' ``P`` and ``AP`` rows).
HARVEST_MAX = 24
#: Deflate the Ritz values ``theta`` with ``|log theta| > RECYCLE_MIN_DEVIATION``, at most
#: ``RECYCLE_MAX_VECTORS`` of them (measured, logarithmic kernel at N = 2^17, 14 plain
#: iterations: 6 / 8 / 10-15 vectors give 9 / 8 / 7; more add GEMM work and gain nothing).
RECYCLE_MIN_DEVIATION = 0.01
RECYCLE_MAX_VECTORS = 12
#: Systems per block of the iteration (the score's d = 16 systems in one block).
BLOCK_ROWS = 16
#: Right-hand sides whose norm lies outside ``[_NORM_LO, _NORM_HI]`` are solved scaled by a
#: power of two: the iteration squares entries (norms, ``r . z``), which underflow below
#: ~1e-154 and overflow above ~1e154. Inside the range no row is touched, so ordinary input
#: runs exactly as before; the margin leaves room for residuals 1e-16 times smaller.
_NORM_LO = 2.0 ** -200
_NORM_HI = 2.0 ** 200


@dataclass(frozen=True)
class RowsPCGResult:
    """Output of :func:`pcg_rows`: ``x`` ``(K, N)``, worst true relative residual,
    iterations of the slowest system, the preconditioner's name, the number of recycled
    (deflation) vectors and each system's iterations ``(K,)``."""

    x: np.ndarray
    residual: float
    iterations: int
    preconditioner: str
    deflated: int = 0
    row_iterations: np.ndarray | None = None


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


# Per-row kernels, run by the transform threads (nogil) between a row's transforms.
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
    """Euclidean norm of each row without the ``(K, N)`` temporary of ``np.linalg.norm``."""
    return np.sqrt(np.einsum("ij,ij->i", X, X))


class _Workspace:
    """Buffers kept for the length of one call: blocks of rows handed out as views of a
    buffer's leading rows, and one row per transform thread.

    On the 2-core machine of benchmarks/RESULTS.md, touching memory the process has not
    touched before costs about 2.5 ms per MB (page faults in the virtual machine): at
    N = 2^20 a fresh ``(16, N)`` temporary costs more than the transforms that fill it.
    Everything the iteration writes is therefore allocated once per call.
    """

    def __init__(self):
        self._buffers: dict[tuple, np.ndarray] = {}
        self._lock = threading.Lock()

    def get(self, name: str, rows: int, cols: int, dtype: type = np.float64) -> np.ndarray:
        """``(rows, cols)``, a view valid until the next request under ``name``; zero-filled
        when made, so padding its users never write stays zero."""
        buf = self._buffers.get((name,))
        if buf is None or buf.shape[0] < rows or buf.shape[1] != cols:
            buf = np.zeros((rows, cols), dtype)
            self._buffers[(name,)] = buf
        return buf[:rows]

    def row(self, name: str, cols: int, dtype: type = np.float64) -> np.ndarray:
        """This thread's own ``(cols,)`` buffer under ``name`` (zero-filled when made)."""
        key = (name, threading.get_ident())
        buf = self._buffers.get(key)
        if buf is None or buf.shape[0] != cols:
            buf = np.zeros(cols, dtype)
            with self._lock:
                self._buffers[key] = buf
        return buf


def _symmetric_circulant_eigenvalues(c: np.ndarray) -> np.ndarray:
    """Eigenvalues (``rfft`` order) of the symmetric circulant with first column ``c``."""
    return scipy.fft.rfft(c, workers=_WORKERS).real


def _strang(r: np.ndarray) -> np.ndarray:
    n = r.shape[0]
    c = r.copy()
    h = n // 2
    if n > 1:
        c[h + 1:] = r[1:n - h][::-1]
    return c


def _chan(r: np.ndarray) -> np.ndarray:
    n = r.shape[0]
    j = np.arange(n)
    return ((n - j) * r + j * np.concatenate(([0.0], r[:0:-1]))) / n


class _StrangCorners:
    """``E = T - C`` for Strang's circulant ``C``, applied in ``O(N log N)`` with length-``N``
    transforms.

    ``C_ij = r_min(|i-j|, N-|i-j|)``, so ``E`` is the Toeplitz matrix with entries
    ``g_m = r_m - r_{N-m}`` for ``|m| = |i - j| > N/2`` and zero elsewhere: two corner
    triangles. With ``p = floor(N/2) + 1`` and ``L = N - p`` (so ``L < p``),

        (E z)[p + a] = sum_{b <= a} g_{p+b} z[a - b]        (a = 0..L-1, lower corner)

    is a causal convolution of ``g[p:]`` with ``z[:L]``, and by persymmetry (``E = J E J``)
    the upper corner is the same convolution of the reversed vector, reversed. Each is one
    real FFT of length ``m >= 2L - 1 ~ N`` instead of the ``2N`` of the full product.
    """

    def __init__(self, r: np.ndarray, work: _Workspace | None = None):
        n = r.shape[0]
        self.n = n
        self.work = _Workspace() if work is None else work
        self.p = n // 2 + 1
        self.L = max(n - self.p, 0)
        self.m = int(scipy.fft.next_fast_len(max(2 * self.L - 1, 1), real=True))
        g = r[self.p:] - r[n - self.p:0:-1] if self.L else np.zeros(0)
        self.fg = scipy.fft.rfft(g, self.m, workers=_WORKERS)

    def _convolve(self, z: np.ndarray) -> np.ndarray:
        """``g[p:] * z`` (causal; entries ``0..L-1`` used) in this thread's buffers."""
        H = self.work.row("padded", self.m)        # entries L.. are never written: stay zero
        H[:self.L] = z
        F = np.fft.rfft(H, out=self.work.row("corner spectrum", self.m // 2 + 1, np.complex128))
        F *= self.fg
        return np.fft.irfft(F, self.m, out=self.work.row("convolution", self.m))

    def tasks(self, R: np.ndarray, Z: np.ndarray, s: np.ndarray, out: np.ndarray) -> list:
        """Tasks that set ``out_i = R_i + s_i (E z_i)`` for the rows of ``Z``: the lower and
        the upper corner of a row write disjoint parts of ``out_i``, so all ``2k`` are
        independent (``out`` may not alias ``Z``)."""
        n, p, L = self.n, self.p, self.L

        def lower(i: int) -> None:
            Y = self._convolve(Z[i, :L]) if L else Z[i, :0]
            _lower_corner(out[i], R[i], Y, s[i], p, L)

        def upper(i: int) -> None:
            _upper_corner(out[i], R[i], self._convolve(Z[i, :n - L - 1:-1]), s[i], L)

        rows = range(Z.shape[0])
        return [partial(lower, i) for i in rows] + ([partial(upper, i) for i in rows] if L else [])

    def apply(self, R: np.ndarray, Z: np.ndarray, s: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out_i = R_i + s_i (E z_i)`` for the rows of ``Z``."""
        _parallel(self.tasks(R, Z, s, out))
        return out


class _Operators:
    """The products of one call on a block of systems ``rows``: ``M_k^{-1} r``, ``A_k z``
    for a preconditioned residual (Strang corners) and the exact ``A_k x``. Results are
    views of buffers, valid until the next call of the same method."""

    def __init__(self, r: np.ndarray, s: np.ndarray, h: np.ndarray):
        n = r.shape[0]
        self.r, self.n, self.s, self.h = r, n, s, h
        self.name = "strang"
        lam = _symmetric_circulant_eigenvalues(_strang(r))
        if not np.all(s * lam.min() + h > 0):
            self.name = "chan"
            lam = _symmetric_circulant_eigenvalues(_chan(r))
            if not (np.all(s * lam.min() + h > 0) and np.all(s * lam.max() + h > 0)):
                raise NotPositiveDefiniteError(
                    f"toeplitz(r) (N={n})", "T. Chan's circulant has a non-positive eigenvalue",
                    "check the correlation with gpdtheory.toeplitz.min_eig")
        self.lam = lam
        self.work = _Workspace()
        self.corners = _StrangCorners(r, self.work) if self.name == "strang" else None
        self._fc: np.ndarray | None = None

    def _circulant(self, X: np.ndarray, rows: np.ndarray, inverse: bool,
                   name: str) -> np.ndarray:
        """``M_k^{-1} x`` (``inverse``) or ``M_k x`` for the rows of ``X``."""
        out = self.work.get(name, X.shape[0], self.n)

        def task(i: int) -> None:
            F = np.fft.rfft(X[i], out=self.work.row("spectrum", self.n // 2 + 1, np.complex128))
            _divide_spectrum(F, self.lam, self.s[rows[i]], self.h[rows[i]], inverse)
            np.fft.irfft(F, self.n, out=out[i])

        _parallel([partial(task, i) for i in range(X.shape[0])])
        return out

    def precondition(self, R: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``M_k^{-1} r_k``."""
        return self._circulant(R, rows, True, "preconditioned")

    def direction(self, R: np.ndarray, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``A_k z_k`` for ``z_k`` with ``M_k z_k = r_k``: ``r_k + s_k E z_k`` (Strang)."""
        out = self.work.get("product", *Z.shape)
        if self.corners is None:
            return self._embedded(Z, rows, out)
        return self.corners.apply(R, Z, self.s[rows], out)

    def exact(self, X: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``A_k x_k``: ``M_k x + s_k E x`` with Strang's circulant (length-``N``
        transforms), else through the circulant embedding of length ``~2N``."""
        out = self.work.get("product", *X.shape)
        if self.corners is None:
            return self._embedded(X, rows, out)
        return self.corners.apply(self._circulant(X, rows, False, "preconditioned"), X,
                                  self.s[rows], out)

    def _embedded(self, X: np.ndarray, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
        m = embedding_length(self.n)
        if self._fc is None:
            c = np.zeros(m)
            c[:self.n] = self.r
            if self.n > 1:
                c[m - self.n + 1:] = self.r[:0:-1]
            self._fc = scipy.fft.rfft(c, workers=_WORKERS).real
        F = scipy.fft.rfft(X, m, axis=-1, workers=_WORKERS)
        F *= self._fc
        Y = scipy.fft.irfft(F, m, axis=-1, workers=_WORKERS, overwrite_x=True)
        return _launch(_affine_rows, Y, X, self.s[rows], self.h[rows], out)


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

    def record(self, z: np.ndarray, az: np.ndarray, rz: float) -> bool:
        """Keep ``z_j``, ``A z_j`` and ``v_j``'s scale; False once full."""
        if self.j >= self.Z.shape[0] or not rz > 0:
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


def _touch_in_background(arrays: list[np.ndarray]) -> threading.Thread:
    """Write zeros into ``arrays`` on a thread of its own (joined by the caller).

    Touching memory for the first time is expensive on some virtual machines (about 2.5 ms
    per MB on the one of benchmarks/RESULTS.md); done while the single-row reference pass
    leaves a core idle, it leaves the deflated pass's critical path. The arrays must be
    disjoint from anything the reference pass reads or writes, and already zero.
    """

    def touch() -> None:
        for a in arrays:
            a.fill(0.0)

    thread = threading.Thread(target=touch, name="gpd-touch", daemon=True)
    thread.start()
    return thread


def _iterate(ops: _Operators, state: tuple[np.ndarray, ...], rows: np.ndarray,
             bnorm: np.ndarray, tol: float, limit: int, spent: np.ndarray,
             deflation: _Deflation | None = None, harvest: _Harvest | None = None) -> np.ndarray:
    """(Deflated) PCG on the systems ``rows`` from ``X[rows]`` with residuals ``R[rows]``,
    ``state = (X, R, P, AP)`` full ``(K, N)`` arrays updated in place; at most ``limit``
    iterations. Adds each row's iterations to ``spent`` and returns the rows whose
    recursive residual is still above ``tol``. The systems are independent, so blocks of
    rows go through the iteration one after the other with block-sized temporaries."""
    X, R, P, AP = state
    if deflation is not None:
        deflation.start(X, R, rows)
    active = rows.copy()
    rz = np.ones(X.shape[0])
    for step in range(limit):
        if not active.size:
            break
        spent[active] += 1
        converged = []
        for block in _blocks(active):
            Rb = _take(R, block)
            Z = ops.precondition(Rb, block)
            rz_new = np.einsum("ij,ij->i", Rb, Z)
            AZ = ops.direction(Rb, Z, block)
            del Rb
            if harvest is not None and not harvest.record(Z[0], AZ[0], rz_new[0]):
                harvest = None
            if deflation is not None:
                deflation.subtract(Z, AZ, deflation.coefficients(AZ, block), block)
            old = rz[block]
            beta = np.where(old > 0, rz_new / np.where(old > 0, old, 1.0), 0.0)
            if harvest is not None and step > 0:
                harvest.beta.append(float(beta[0]))
            pap = _launch(_directions, Z, AZ, beta, P, AP, block, step == 0)
            a = np.where(pap > 0, rz_new / np.where(pap > 0, pap, 1.0), 0.0)
            if harvest is not None:
                harvest.alpha.append(float(a[0]))
            rel = np.sqrt(_launch(_cg_step, X, R, P, AP, a, block)) / bnorm[block]
            rz[block] = rz_new
            converged.append(block[rel <= tol])
        active = np.setdiff1d(active, np.concatenate(converged), assume_unique=True)
    return active


def pcg_rows(r: np.ndarray, B: np.ndarray, scale: np.ndarray, shift: np.ndarray,
             tol: float = 1e-12, maxiter: int | None = None,
             recycle: bool = True) -> RowsPCGResult:
    """Solve ``(scale_k toeplitz(r) + shift_k I) x_k = B[k]`` for every row ``k``.

    With Strang's preconditioner ``M_k = s_k C + h_k I`` the new direction's product needs
    no full Toeplitz product: ``z = M_k^{-1} R`` gives ``M_k z = R`` up to round-off, so

        A_k z = M_k z + s_k (T - C) z = R + s_k E z,

    and ``E`` (:class:`_StrangCorners`) costs two length-``N`` transforms per row against
    two of length ``2N`` for ``T z``. Round-off in ``M_k z = R`` enters the recurrence the
    way the round-off of a computed product does; the true residual ``b - (M x + s E x)``
    is checked at the end, and a restart repairs any drift. T. Chan's preconditioner has
    no such structure and uses the full product.

    With ``recycle`` and at least ``RECYCLE_MIN_ROWS`` systems, the system with the smallest
    ``h_k / s_k`` (the widest preconditioned spectrum) is solved first; when it needed
    ``RECYCLE_MIN_ITERATIONS`` or more, the others run deflated CG on its outlying Ritz
    vectors (:class:`_Harvest`, :class:`_Deflation`). Any deflation space gives the same
    solution in exact arithmetic; the space only changes how fast the others converge.
    Rows the deflated pass has not solved within twice the reference's iterations start
    over without it.

    Scale-free in ``B``: a row whose norm is outside ``[2^-200, 2^200]`` is solved scaled
    by a power of two and its answer scaled back, so ``c B[k]`` gives ``c x_k`` for any
    representable ``c`` (an answer beyond float64 comes back as ``inf``).

    Memory: ``X``, ``R``, ``P``, ``AP`` (``4 K N`` doubles), block temporaries of
    ``2 BLOCK_ROWS N``, a few rows per thread, and with recycling the deflation space's
    ``2 RECYCLE_MAX_VECTORS N`` (the reference's Lanczos vectors live in the other
    systems' ``P`` and ``AP`` rows). Measured peak at N = 2^20, K = 16: 9-10 ``K N``.

    Parameters
    ----------
    r : (N,) float64 ndarray
        First column of a symmetric positive definite Toeplitz matrix (validated by
        the caller).
    B : (K, N) float64 ndarray
        Right-hand sides as rows.
    scale, shift : (K,) float64 ndarray
        ``scale > 0``, ``shift >= 0``.
    tol : float
        Relative residual to reach in every row.
    maxiter : int, optional
        Per row; default ``max(100, 10 sqrt(N))``.
    recycle : bool
        Deflate the other systems with the reference system's Ritz vectors.

    Returns
    -------
    RowsPCGResult

    Raises
    ------
    NotPositiveDefiniteError
        When both circulant preconditioners make some system indefinite.
    ConvergenceError
        When some row's true residual is above ``tol`` after ``maxiter`` iterations.
    """
    n = r.shape[0]
    B = np.ascontiguousarray(B, dtype=np.float64).reshape(-1, n)
    k = B.shape[0]
    s = np.broadcast_to(np.asarray(scale, dtype=np.float64), (k,)).copy()
    h = np.broadcast_to(np.asarray(shift, dtype=np.float64), (k,)).copy()
    maxiter = max(100, int(10 * np.sqrt(n))) if maxiter is None else int(maxiter)
    bnorm = _row_norms(B)
    # Squared entries under-/overflow beyond ~1e-154 / 1e154: such rows are solved scaled by
    # a power of two (exact), so the answer for c b is c times the answer for b.
    exponent = np.zeros(k, dtype=np.int64)
    odd = np.flatnonzero(~((bnorm >= _NORM_LO) & (bnorm <= _NORM_HI)))
    if odd.size:
        peak = np.max(np.abs(B[odd]), axis=1)
        exponent[odd] = np.where(peak > 0, np.frexp(peak)[1], 0)
        bnorm[odd] = _row_norms(np.ldexp(B[odd], -exponent[odd, None]))
    todo = np.flatnonzero(bnorm > 0)
    bnorm[bnorm == 0] = 1.0
    recycling = recycle and todo.size >= RECYCLE_MIN_ROWS
    # The state's row i holds system order[i]; with recycling the reference system moves to
    # the last row, so the other systems' direction rows (unused until the deflated pass)
    # form one block that stores the reference's Lanczos vectors.
    order = np.arange(k)
    if recycling:
        ref = todo[np.argmin(h[todo] / s[todo])]
        order[[ref, k - 1]] = order[[k - 1, ref]]
    todo = np.flatnonzero(np.isin(order, todo))
    s, h, bnorm, exponent = s[order], h[order], bnorm[order], exponent[order]
    ops = _Operators(r, s, h)
    X = np.zeros((k, n))
    R = B[order]
    scaled = np.flatnonzero(exponent)
    if scaled.size:
        R[scaled] = np.ldexp(R[scaled], -exponent[scaled, None])
    P, AP = np.zeros((k, n)), np.zeros((k, n))
    state = (X, R, P, AP)
    spent = np.zeros(k, dtype=np.int64)
    deflated = 0
    wasted = np.zeros(k, dtype=np.int64)  # abandoned deflated iterations: not held against maxiter
    if recycling:
        last = np.array([k - 1])
        slots = min(HARVEST_MAX, k - 1)
        harvest = _Harvest(s[-1], h[-1], P[:slots], AP[:slots])
        # The reference (one row) leaves a core idle for part of each iteration; it faults
        # in, meanwhile, the memory the deflated pass writes (rows the reference never uses).
        first_rows = min(len(_blocks(todo)[0]), k - 1)
        space = np.zeros((2 * RECYCLE_MAX_VECTORS, n))
        toucher = _touch_in_background([space, X[:k - 1],
                                        ops.work.get("preconditioned", first_rows, n)[1:],
                                        ops.work.get("product", first_rows, n)[1:]])
        _iterate(ops, state, last, bnorm, tol, maxiter, spent, harvest=harvest)
        todo = todo[todo != k - 1]
        toucher.join()
        U = harvest.deflation_space(space) if spent[-1] >= RECYCLE_MIN_ITERATIONS else None
        del harvest, space
        if U is not None:
            deflated = U.shape[0] // 2
            todo = _iterate(ops, state, todo, bnorm, tol, min(maxiter, 2 * int(spent[-1])),
                            spent, deflation=_Deflation(U, s, h))
            del U
            X[todo] = 0.0
            R[todo] = np.ldexp(B[order[todo]], -exponent[todo, None])
            wasted[todo] = spent[todo]
    if todo.size:
        _iterate(ops, state, todo, bnorm, tol, maxiter, spent)
    rel = np.zeros(k)
    for restart in range(5):  # the true residual; restarts repair recurrence drift
        for block in _blocks(np.arange(k)):
            Rb = _take(R, block)
            Bb = _take(B, order[block])
            if scaled.size:
                Bb = np.ldexp(Bb, -exponent[block, None])
            np.subtract(Bb, ops.exact(_take(X, block), block), out=Rb)
            rel[block] = _row_norms(Rb) / bnorm[block]
        worst = float(rel.max()) if k else 0.0
        redo = np.flatnonzero(rel > tol)
        left = maxiter - int((spent - wasted)[redo].max()) if redo.size else 0
        if redo.size == 0 or restart == 4 or left <= 0:
            break
        _iterate(ops, state, redo, bnorm, tol, left, spent)
    if scaled.size:
        with np.errstate(over="ignore"):  # an answer beyond float64 is inf: callers report it
            X[scaled] = np.ldexp(X[scaled], exponent[scaled, None])
    if recycling:  # the transposition back
        X[[ref, k - 1]] = X[[k - 1, ref]]
        spent[[ref, k - 1]] = spent[[k - 1, ref]]
    if not worst <= tol:
        raise ConvergenceError("circulant-preconditioned CG (Toeplitz, rows)", worst, tol,
                               int(spent.max()),
                               "the matrix may be nearly singular (small shift, lmin(T) ~ 0) or "
                               "its correlation not summable; raise maxiter or tol, or use "
                               "gpdtheory.toeplitz.solve (direct, O(N^2))")
    return RowsPCGResult(X, worst, int(spent.max()) if k else 0, ops.name, deflated, spent)
