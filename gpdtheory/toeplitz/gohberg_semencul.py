"""Many solves with one Toeplitz matrix: Durbin once, then Gohberg–Semencul with FFTs.

Let ``g = T^{-1} e_0`` be the first column of the inverse of the symmetric positive
definite ``T = toeplitz(r)`` (Durbin's recursion, ``2 N^2`` flops, done once by
:func:`inverse_column_kernel`). The Gohberg–Semencul formula writes the inverse with
two triangular Toeplitz factors,

    T^{-1} = ( L(g) L(g)^T - L(v) L(v)^T ) / g_0,   v = [0, g_{N-1}, ..., g_1],

where ``L(u)`` is lower triangular Toeplitz with first column ``u``. Triangular
Toeplitz products are truncated convolutions, so each solve costs six real FFTs of the
fast length ``M >= 2N - 1``: ``O(N log N)`` instead of Levinson's ``4 N^2``.
``L(u)^T = J L(u) J`` with ``J`` the reversal.

Stability and refinement
------------------------
The formula inherits Durbin's weak stability: forward error about ``kappa(T) eps``
(Gohberg, Koltracht & Xiao; Cybenko). One step of iterative refinement
(``x += T^{-1}(b - T x)``, the residual by the FFT product of :mod:`.fft`) is on by
default; it brings the residual to a few ``eps`` when ``kappa eps << 1``.

Equivalent dense computation: ``numpy.linalg.solve(scipy.linalg.toeplitz(r), B)``;
same result as ``scipy.linalg.solve_toeplitz(r, B)``.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np
import scipy.fft

from ..errors import NotPositiveDefiniteError
from ..validation import as_columns, as_real_array, check_nonnegative_int
from .fft import embedding_length, operator
from .levinson import TINY

__all__ = ["inverse_column_kernel", "ToeplitzSolver", "REFINE_RTOL"]

#: Relative residual below which refinement stops: ``~ 50 eps``, the level a
#: backward-stable solve reaches; refining further only re-rounds.
REFINE_RTOL = 1e-14
#: Threads for the batched FFTs (columns are independent).
_WORKERS = -1

_FASTMATH = {"reassoc", "contract"}
_u64 = nb.uint64


@nb.njit(nb.types.Tuple((nb.float64[::1], nb.float64, nb.float64, nb.int64))(nb.float64[::1]),
         cache=True, fastmath=_FASTMATH)
def inverse_column_kernel(r):  # pragma: no cover - compiled
    """First column of ``toeplitz(r)^{-1}`` by Durbin's recursion (GVL Alg. 4.7.1).

    Returns
    -------
    g : (N,) float64 array
        ``toeplitz(r)^{-1} e_0`` (meaningless when ``first_failure >= 0``).
    logdet : float
        ``log det toeplitz(r)`` (partial when ``first_failure >= 0``).
    last_error : float
        The last prediction-error ratio ``beta_{N-1} = det T_N / (r_0 det T_{N-1})``,
        or the first non-positive one; its sign locates ``lmin(T_N)`` relative to the
        shift in :mod:`.eig` (Cybenko–Van Loan).
    first_failure : int
        ``-1`` when positive definite, else the first ``k`` with ``beta_k <= 0``.

    Notes
    -----
    Callable from user ``@njit`` code. ``2 N^2`` flops; stops at the first failure.
    """
    n = r.shape[0]
    g = np.zeros(n)
    r0 = r[0]
    if not r0 > 0.0:
        return g, 0.0, r0, 0
    logdet = n * np.log(r0)
    if n == 1:
        g[0] = 1.0 / r0
        return g, logdet, 1.0, -1
    tr = np.empty(n)  # tr[m] = r[n-1-m] / r0: the dot product runs forward
    for m in range(n):
        v = r[n - 1 - m] / r0
        tr[m] = 0.0 if abs(v) < TINY else v  # flush underflow: see levinson.TINY
    y = np.zeros(n)
    y2 = np.zeros(n)  # second buffer: an in-place update would not vectorise
    alpha = -tr[n - 2]
    y[0] = alpha
    beta = 1.0
    sy = tr[n - 2] * y[0]
    for k in range(1, n):
        beta = (1.0 - alpha * alpha) * beta
        if not beta > 0.0:
            return g, logdet, beta, k
        logdet += np.log(beta)
        if k < n - 1:
            alpha = (-tr[n - 2 - k] - sy) / beta
            uk1 = _u64(k - 1)
            off = _u64(n - 2 - k)
            ty = 0.0
            for jj in range(k):
                j = _u64(jj)
                yn = y[j] + alpha * y[uk1 - j]
                yn = 0.0 if abs(yn) < TINY else yn
                y2[j] = yn
                ty += tr[off + j] * yn
            y2[k] = alpha
            sy = ty + tr[n - 2] * alpha
            y, y2 = y2, y
    # T' [1; y] = beta e_0 for T' = T / r0, so T^{-1} e_0 = [1; y] / (beta r0)
    s = 1.0 / (beta * r0)
    g[0] = s
    for j in range(n - 1):
        g[j + 1] = y[j] * s
    return g, logdet, beta, -1


class ToeplitzSolver:
    """Factor ``toeplitz(r)`` once (Durbin), then solve in ``O(N log N)`` per right-hand side.

    Parameters
    ----------
    r : (N,) array_like
        First column of a symmetric positive definite Toeplitz matrix.
    refine : int
        Most steps of iterative refinement per solve (default 1; 0 for the bare
        formula). A step is taken only while the relative residual exceeds
        :data:`REFINE_RTOL`, so well-conditioned solves pay for one residual, not a step.

    Attributes
    ----------
    logdet : float
        ``log det T``.
    positive_definite : bool
        Always True (construction raises otherwise).

    Raises
    ------
    NotPositiveDefiniteError
        When Durbin's recursion finds a non-positive prediction error.

    Examples
    --------
    >>> import scipy.linalg
    >>> r = 0.5 ** np.arange(5); B = np.eye(5)[:, :2]
    >>> S = ToeplitzSolver(r)
    >>> bool(np.allclose(scipy.linalg.toeplitz(r) @ S.solve(B), B))
    True
    """

    def __init__(self, r: Any, refine: int = 1):
        r = as_real_array(r, "r", ndim=1)
        self.refine = check_nonnegative_int(refine, "refine")
        g, logdet, last, fail = inverse_column_kernel(r)
        self._setup(r, g, logdet, last, fail)

    @classmethod
    def from_first_column(cls, r: np.ndarray, g: np.ndarray, logdet: float,
                          refine: int = 1) -> ToeplitzSolver:
        """Build from an already computed ``g = T^{-1} e_0`` (no second Durbin pass)."""
        self = cls.__new__(cls)
        self.refine = refine
        self._setup(r, g, logdet, 1.0, -1)
        return self

    def _setup(self, r, g, logdet, last, fail):
        if fail >= 0:
            raise NotPositiveDefiniteError(
                f"toeplitz(r) (N={r.shape[0]})",
                f"prediction error beta_{fail} = {last:.3e} <= 0 in Durbin's recursion "
                f"(the leading {fail + 1} x {fail + 1} block is not positive definite)",
                "check the correlation (gpdtheory.toeplitz.min_eig) or add a nugget to r[0]")
        self.r = r
        self.n = n = r.shape[0]
        self.logdet = float(logdet)
        self.positive_definite = True
        self.first_column = g
        self._g0 = g[0]
        self._m = m = embedding_length(n)
        v = np.zeros(n)
        v[1:] = g[:0:-1]
        # fold 1/g0 into both factors as 1/sqrt(g0): no overflow of g*g when r is tiny
        root = np.sqrt(g[0])
        self._fu = scipy.fft.rfft(g / root, m)
        self._fv = scipy.fft.rfft(v / root, m)
        self._op = operator(r)

    def _apply_inverse(self, B: np.ndarray) -> np.ndarray:
        if B.ndim == 2:
            # columns as contiguous rows: FFTs along the last axis run ~1.5-2x faster than
            # strided ones along axis 0
            return self._apply_inverse_rows(np.ascontiguousarray(B.T)).T
        return self._apply_inverse_rows(B)

    def _apply_inverse_rows(self, Bt: np.ndarray) -> np.ndarray:
        """``T^{-1}`` applied along the last axis of ``Bt`` (shape ``(N,)`` or ``(k, N)``)."""
        n, m = self.n, self._m
        fu, fv = self._fu, self._fv
        w = _WORKERS
        fjb = scipy.fft.rfft(Bt[..., ::-1], m, axis=-1, workers=w)
        p = scipy.fft.irfft(fu * fjb, m, axis=-1, workers=w)[..., :n][..., ::-1]  # L(g)^T b
        q = scipy.fft.irfft(fv * fjb, m, axis=-1, workers=w)[..., :n][..., ::-1]  # L(v)^T b
        fp = scipy.fft.rfft(p, m, axis=-1, workers=w)
        fp *= fu
        fp -= fv * scipy.fft.rfft(q, m, axis=-1, workers=w)
        return scipy.fft.irfft(fp, m, axis=-1, workers=w)[..., :n]  # 1/g0 folded into fu, fv

    def solve(self, b: Any) -> np.ndarray:
        """``T^{-1} b`` for ``b`` of shape ``(N,)`` or ``(N, k)``.

        Returns
        -------
        (N,) or (N, k) ndarray of float64
        """
        b = as_columns(b, self.n)
        x = self._apply_inverse(b)
        nb_ = float(np.linalg.norm(b)) or 1.0
        for _ in range(self.refine):
            res = b - self._op.matvec(x)
            if float(np.linalg.norm(res)) <= REFINE_RTOL * nb_:
                break
            x += self._apply_inverse(res)
        return x

    def residual(self, x: np.ndarray, b: np.ndarray) -> float:
        """Relative residual ``||b - T x|| / ||b||`` (Frobenius over all columns)."""
        nb_ = float(np.linalg.norm(b))
        return float(np.linalg.norm(b - self._op.matvec(x))) / (nb_ if nb_ > 0 else 1.0)
