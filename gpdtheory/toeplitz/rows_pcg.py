"""Many shifted Toeplitz systems by circulant-preconditioned CG, right-hand sides as rows.

Solves ``(s_k T + h_k I) x_k = b_k``, ``k = 0..K-1``, with ``T = toeplitz(r)``
symmetric positive definite, ``s_k > 0``, ``h_k >= 0`` (the ``d`` systems of the exact
score, docs/theory.md §2.2). Same mathematics and stopping rule as :func:`.pcg_solve`
(Strang's circulant preconditioner, T. Chan's when Strang's makes a system indefinite;
true relative residual ``<= tol`` in every system, checked at the end), laid out for
large ``N``:

* right-hand sides are contiguous **rows** ``(K, N)``: every FFT runs along the last,
  contiguous axis (``scipy.fft`` with all threads);
* only **real** FFTs: the preconditioner uses the real eigenvalues of a symmetric
  circulant of length ``N`` (``rfft``), half the work of complex transforms;
* with Strang's preconditioner each iteration transforms at length ``~N`` only: the new
  direction's product is the preconditioned residual plus the two corners where ``T``
  and the circulant differ (:class:`_StrangCorners`); the full product (circulant
  embedding of length ``M ~ 2N``) is formed only for the true residual;
* converged systems leave the iteration (an active set), so the slowest system alone
  pays for its extra iterations.

``O(N log N)`` per iteration and system, memory about ``10 K N`` doubles besides the
input. Equivalent dense computation: ``numpy.linalg.solve(s_k T + h_k I, b_k)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
import scipy.fft

from ..errors import ConvergenceError, NotPositiveDefiniteError
from .fft import embedding_length

__all__ = ["RowsPCGResult", "pcg_rows"]

_WORKERS = -1


@dataclass(frozen=True)
class RowsPCGResult:
    """Output of :func:`pcg_rows`: ``x`` ``(K, N)``, worst true relative residual,
    iterations of the slowest system and the preconditioner's name."""

    x: np.ndarray
    residual: float
    iterations: int
    preconditioner: str


# Fused row updates: at N = 2^20, d = 16 every (K, N) pass moves 128 MB, and NumPy's
# separate passes and temporaries cost about a quarter of an iteration.
@nb.njit(parallel=True, cache=True)
def _affine_rows(Y, X, s, h):  # pragma: no cover - compiled
    """``s_i Y[i, :N] + h_i X[i]`` as a new contiguous ``(K, N)`` array."""
    k, n = X.shape
    out = np.empty((k, n))
    for i in nb.prange(k):
        for j in range(n):
            out[i, j] = s[i] * Y[i, j] + h[i] * X[i, j]
    return out


@nb.njit(parallel=True, cache=True)
def _cg_step(X, R, P, AP, a):  # pragma: no cover - compiled
    """``X += a_i P``, ``R -= a_i AP`` in place; return the rows' ``||R||^2``."""
    k, n = R.shape
    rr = np.zeros(k)
    for i in nb.prange(k):
        acc = 0.0
        for j in range(n):
            X[i, j] += a[i] * P[i, j]
            v = R[i, j] - a[i] * AP[i, j]
            R[i, j] = v
            acc += v * v
        rr[i] = acc
    return rr


@nb.njit(parallel=True, cache=True)
def _directions(Z, AZ, beta, P, AP):  # pragma: no cover - compiled
    """``P = Z + beta_i P``, ``AP = AZ + beta_i AP`` in place; return the rows' ``P . AP``."""
    k, n = P.shape
    pap = np.zeros(k)
    for i in nb.prange(k):
        acc = 0.0
        for j in range(n):
            p = Z[i, j] + beta[i] * P[i, j]
            q = AZ[i, j] + beta[i] * AP[i, j]
            P[i, j] = p
            AP[i, j] = q
            acc += p * q
        pap[i] = acc
    return pap


@nb.njit(parallel=True, cache=True)
def _strang_product(R, Y, s, p, L):  # pragma: no cover - compiled
    """``A_i z_i = R_i + s_i (E z_i)`` from the two corner convolutions ``Y`` (see
    :class:`_StrangCorners`): rows ``0..k-1`` of ``Y`` carry ``E z`` at ``p..N-1``, rows
    ``k..2k-1`` its mirror image at ``0..L-1``."""
    k, n = R.shape
    out = np.empty((k, n))
    for i in nb.prange(k):
        for j in range(n):
            e = 0.0
            if j >= p:
                e = Y[i, j - p]
            elif j < L:
                e = Y[k + i, L - 1 - j]
            out[i, j] = R[i, j] + s[i] * e
    return out


def _row_norms(X: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row without the ``(K, N)`` temporary of ``np.linalg.norm``."""
    return np.sqrt(np.einsum("ij,ij->i", X, X))


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
    the upper corner is the same convolution of the reversed vector, reversed. Both fit
    one real FFT of length ``>= 2L - 1 ~ N`` instead of the ``2N`` of the full product.
    """

    def __init__(self, r: np.ndarray):
        n = r.shape[0]
        self.p = n // 2 + 1
        self.L = max(n - self.p, 0)
        self.m = int(scipy.fft.next_fast_len(max(2 * self.L - 1, 1), real=True))
        g = r[self.p:] - r[n - self.p:0:-1] if self.L else np.zeros(0)
        self.fg = scipy.fft.rfft(g, self.m, workers=_WORKERS)

    def convolutions(self, Z: np.ndarray) -> np.ndarray:
        """``(2k, >= L)``: the lower-corner convolution of each row, then of each reversed row."""
        k, L = Z.shape[0], self.L
        H = np.empty((2 * k, L))
        H[:k] = Z[:, :L]
        H[k:] = Z[:, :Z.shape[1] - L - 1:-1]
        F = scipy.fft.rfft(H, self.m, axis=-1, workers=_WORKERS)
        del H
        F *= self.fg
        return scipy.fft.irfft(F, self.m, axis=-1, workers=_WORKERS, overwrite_x=True)


def pcg_rows(r: np.ndarray, B: np.ndarray, scale: np.ndarray, shift: np.ndarray,
             tol: float = 1e-12, maxiter: int | None = None) -> RowsPCGResult:
    """Solve ``(scale_k toeplitz(r) + shift_k I) x_k = B[k]`` for every row ``k``.

    With Strang's preconditioner ``M_k = s_k C + h_k I`` the new direction's product needs
    no full Toeplitz product: ``z = M_k^{-1} R`` gives ``M_k z = R`` up to round-off, so

        A_k z = M_k z + s_k (T - C) z = R + s_k E z,

    and ``E`` (:class:`_StrangCorners`) costs two length-``N`` transforms per row against
    two of length ``2N`` for ``T z`` (about 1.5x fewer bytes moved per iteration at
    N = 2^20, where the transforms are memory-bound). Round-off in ``M_k z = R`` enters the
    recurrence the way the round-off of a computed product does; the true residual is
    checked at the end, and a restart repairs any drift. T. Chan's preconditioner has no
    such structure and uses the full product.

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
        Default ``max(100, 10 sqrt(N))``.

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
    m = embedding_length(n)
    c = np.zeros(m)
    c[:n] = r
    if n > 1:
        c[m - n + 1:] = r[:0:-1]
    fc = scipy.fft.rfft(c, workers=_WORKERS).real
    del c
    prec = "strang"
    lam = _symmetric_circulant_eigenvalues(_strang(r))
    if not np.all(s * lam.min() + h > 0):
        prec = "chan"
        lam = _symmetric_circulant_eigenvalues(_chan(r))
        if not (np.all(s * lam.min() + h > 0) and np.all(s * lam.max() + h > 0)):
            raise NotPositiveDefiniteError(f"toeplitz(r) (N={n})",
                                           "T. Chan's circulant has a non-positive eigenvalue",
                                           "check the correlation with gpdtheory.toeplitz.min_eig")

    def A(X, rows):
        F = scipy.fft.rfft(X, m, axis=-1, workers=_WORKERS)
        F *= fc
        Y = scipy.fft.irfft(F, m, axis=-1, workers=_WORKERS, overwrite_x=True)
        del F
        return _affine_rows(Y, X, s[rows], h[rows])

    corners = _StrangCorners(r) if prec == "strang" else None

    def A_direction(R, Z, rows):
        """``A_k z`` for ``z = M_k^{-1} R``."""
        if corners is None:
            return A(Z, rows)
        return _strang_product(R, corners.convolutions(Z), s[rows], corners.p, corners.L)

    # the preconditioner's eigenvalues per system, formed once (K (N/2 + 1) doubles)
    denom = np.multiply.outer(s, lam)
    denom += h[:, None]
    denom_rows = {"rows": np.arange(k), "d": denom}

    def M(R, rows):
        if denom_rows["rows"].shape != rows.shape or np.any(denom_rows["rows"] != rows):
            denom_rows["rows"], denom_rows["d"] = rows, denom[rows]
        F = scipy.fft.rfft(R, axis=-1, workers=_WORKERS)
        F /= denom_rows["d"]
        return scipy.fft.irfft(F, n, axis=-1, workers=_WORKERS, overwrite_x=True)

    bnorm = _row_norms(B)
    bnorm[bnorm == 0] = 1.0
    X = np.zeros_like(B)
    it = 0
    worst = np.inf
    everything = np.arange(k)
    for restart in range(4):
        R = B.copy() if restart == 0 else B - A(X, everything)
        rel = _row_norms(R) / bnorm
        active = np.flatnonzero(rel > tol)
        if active.size == 0:
            worst = float(rel.max())
            break
        R = R[active]
        Xa = X[active]
        P = np.zeros_like(R)
        AP = np.zeros_like(R)
        rz = np.ones(active.size)
        first = True
        while it < maxiter and active.size:
            it += 1
            Z = M(R, active)
            rz_new = np.einsum("ij,ij->i", R, Z)
            AZ = A_direction(R, Z, active)
            beta = np.zeros(active.size) if first else \
                np.where(rz > 0, rz_new / np.where(rz > 0, rz, 1.0), 0.0)
            first = False
            pap = _directions(Z, AZ, beta, P, AP)
            del Z, AZ
            a = np.where(pap > 0, rz_new / np.where(pap > 0, pap, 1.0), 0.0)
            rel = np.sqrt(_cg_step(Xa, R, P, AP, a)) / bnorm[active]
            rz = rz_new
            done = rel <= tol
            if np.any(done):  # retire converged rows
                X[active[done]] = Xa[done]
                keep = ~done
                active, Xa, R, P, AP, rz = (active[keep], Xa[keep], R[keep], P[keep],
                                            AP[keep], rz[keep])
        if active.size:
            X[active] = Xa
        worst = float(np.max(_row_norms(B - A(X, everything)) / bnorm))
        if worst <= tol or it >= maxiter:
            break
    if not worst <= tol:
        raise ConvergenceError("circulant-preconditioned CG (Toeplitz, rows)", worst, tol, it,
                               "the matrix may be nearly singular (small shift, lmin(T) ~ 0) or "
                               "its correlation not summable; raise maxiter or tol, or use "
                               "gpdtheory.toeplitz.solve (direct, O(N^2))")
    return RowsPCGResult(X, worst, it, prec)
