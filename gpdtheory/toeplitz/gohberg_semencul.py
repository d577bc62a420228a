"""Many solves with one Toeplitz matrix: Durbin once, then Gohberg–Semencul with FFTs.

Let ``g = T^{-1} e_0`` be the first column of the inverse of the symmetric positive
definite ``T = toeplitz(r)`` (Durbin's recursion, ``2 N^2`` flops, done once by
:func:`inverse_column_numba`). The Gohberg–Semencul formula writes the inverse with
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

from ..errors import InvalidArgumentError, NotPositiveDefiniteError
from ..validation import as_columns, as_real_array, check_nonnegative_int
from .fft import embedding_length, operator
from .realfft import irfft, rfft
from .reflection import durbin_core, logdet_from_reflection

__all__ = ["inverse_column_numba", "ToeplitzSolver", "REFINE_RTOL"]

#: Relative residual below which refinement stops: ``~ 50 eps``, the level a
#: backward-stable solve reaches; refining further only re-rounds.
REFINE_RTOL = 1e-14
#: Threads for the batched FFTs (columns are independent).
_WORKERS = -1

_FASTMATH = {"reassoc", "contract"}
_u64 = nb.uint64


@nb.njit(nb.types.Tuple((nb.float64[::1], nb.float64, nb.float64, nb.int64))(nb.float64[::1]),
         cache=True, fastmath=_FASTMATH)
def inverse_column_numba(r):  # pragma: no cover - compiled
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
    Callable from user ``@njit`` code. ``2 N^2`` flops; stops at the first failure. The
    recursion and the verdict are :func:`.reflection.durbin_core`'s (scale-free). ``g``
    overflows when ``r_0 beta_{N-1}`` is below ``~1e-308``; :class:`ToeplitzSolver`
    never forms it (it works with ``toeplitz(r / r_0)``).
    """
    n = r.shape[0]
    g = np.zeros(n)
    if n == 0:
        return g, 0.0, 1.0, -1
    r0 = r[0]
    y, k, beta, first = durbin_core(r, False)
    if first == 0:
        return g, 0.0, r0, 0
    if first > 0:
        return g, logdet_from_reflection(r0, k, n, first - 1), beta[first], first
    last = beta[n - 1]
    # T' [1; y] = beta e_0 for T' = T / r0, so T^{-1} e_0 = [1; y] / (beta r0)
    s = 1.0 / (last * r0)
    g[0] = s
    for j in range(n - 1):
        g[j + 1] = y[j] * s
    return g, logdet_from_reflection(r0, k, n, n - 1), last, -1


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
        r = as_real_array(r, "r", ndim=1, allow_empty=True)
        self.refine = check_nonnegative_int(refine, "refine")
        n = r.shape[0]
        y, k, beta, fail = durbin_core(r, False)
        if fail >= 0:
            raise _not_pd(n, int(fail), float(beta[fail]) if n else 0.0)
        # the first column of toeplitz(r / r0)^{-1}: [1; y] / beta_{N-1}, scale-free
        gs = np.empty(n)
        if n:
            gs[0] = 1.0 / beta[n - 1]
            gs[1:] = y[:n - 1] / beta[n - 1]
        logdet = float(logdet_from_reflection(float(r[0]), k, n, n - 1)) if n else 0.0
        self._setup(r, gs, logdet)

    @classmethod
    def from_first_column(cls, r: np.ndarray, g: np.ndarray, logdet: float,
                          refine: int = 1) -> ToeplitzSolver:
        """Build from an already computed ``g = T^{-1} e_0`` (no second Durbin pass)."""
        self = cls.__new__(cls)
        self.refine = refine
        self._setup(r, g * r[0], logdet)
        return self

    def _setup(self, r, gs, logdet):
        self.r = r
        self.n = n = r.shape[0]
        self.logdet = float(logdet)
        self.positive_definite = True
        self._r0 = r0 = float(r[0]) if n else 1.0
        self._gs = gs           # first column of T'^{-1}, T' = T / r0
        if n == 0:
            return
        self._m = m = embedding_length(n)
        v = np.zeros(n)
        v[1:] = gs[:0:-1]
        # fold 1/g0 into both factors as 1/sqrt(g0)
        root = np.sqrt(gs[0])
        self._fu = rfft(gs / root, m)
        self._fv = rfft(v / root, m)
        self._op = operator(r / r0)  # T', for the refinement residual

    def kappa_lower_bound(self) -> float:
        """A lower bound on ``kappa_2(T)``, ``O(N log N)``: ``||T e_0|| / r_0`` times the
        larger of ``||T'^{-1} e_0||`` and ``||T'^{-1} v||`` for ``v`` the normalised first
        column of ``T'^{-1}`` (one power step), ``T' = T / r_0``."""
        if self.n == 0:
            return 1.0
        g = float(np.linalg.norm(self._gs))
        step = float(np.linalg.norm(self._apply_scaled(self._gs / g)))
        return float(np.linalg.norm(self.r / self._r0)) * max(g, step)

    @property
    def first_column(self) -> np.ndarray:
        """``T^{-1} e_0`` (overflows to inf when ``r_0 beta_{N-1} < ~1e-308``)."""
        with np.errstate(over="ignore"):
            return self._gs / self._r0

    def _apply_inverse(self, B: np.ndarray) -> np.ndarray:
        """``T^{-1} B`` (no refinement, no scaling of ``B``)."""
        return self._apply_scaled(B) / self._r0

    def _apply_scaled(self, B: np.ndarray) -> np.ndarray:
        """``T'^{-1} B`` for ``T' = T / r_0``, along axis 0 of ``B``."""
        if B.ndim == 2:
            # columns as contiguous rows: FFTs along the last axis run ~1.5-2x faster than
            # strided ones along axis 0
            return self._apply_inverse_rows(np.ascontiguousarray(B.T)).T
        return self._apply_inverse_rows(B)

    def _apply_inverse_rows(self, Bt: np.ndarray) -> np.ndarray:
        """``T'^{-1}`` applied along the last axis of ``Bt`` (shape ``(N,)`` or ``(k, N)``)."""
        n, m = self.n, self._m
        fu, fv = self._fu, self._fv
        w = _WORKERS
        fjb = rfft(Bt[..., ::-1], m, workers=w)
        p = irfft(fu * fjb, m, workers=w, overwrite=True)[..., :n][..., ::-1]  # L(g)^T b
        q = irfft(fv * fjb, m, workers=w, overwrite=True)[..., :n][..., ::-1]  # L(v)^T b
        fp = rfft(p, m, workers=w)
        fp *= fu
        fp -= fv * rfft(q, m, workers=w)
        return irfft(fp, m, workers=w, overwrite=True)[..., :n]  # 1/g0 folded into fu, fv

    def solve(self, b: Any) -> np.ndarray:
        """``T^{-1} b`` for ``b`` of shape ``(N,)`` or ``(N, k)`` (``k = 0`` allowed).

        Scale-free: ``x = (s / r_0) T'^{-1} (b / s)`` with ``T' = T / r_0`` and
        ``s = max |b|``, so no intermediate overflows or underflows at extreme but
        representable scales of ``r`` and ``b``.

        Returns
        -------
        (N,) or (N, k) ndarray of float64
        """
        b = as_columns(b, self.n, allow_empty=True)
        if b.size == 0:
            return np.zeros(b.shape)
        bs = float(np.max(np.abs(b)))
        if not bs > 0.0:
            return np.zeros(b.shape)
        bn = b / bs
        x = self._apply_scaled(bn)
        nb_ = float(np.linalg.norm(bn))
        for _ in range(self.refine):
            res = bn - self._op.matvec(x)
            if float(np.linalg.norm(res)) <= REFINE_RTOL * nb_:
                break
            x += self._apply_scaled(res)
        scale = bs / self._r0
        if np.isfinite(scale):
            return x * scale
        with np.errstate(over="ignore"):
            return (x * bs) / self._r0  # the solution itself is out of range

    def residual(self, x: np.ndarray, b: np.ndarray) -> float:
        """Relative residual ``||b - T x|| / ||b||`` (Frobenius over all columns)."""
        b = as_columns(b, self.n, allow_empty=True)
        x = as_columns(x, self.n, "x", allow_empty=True)
        if x.shape != b.shape:
            raise InvalidArgumentError("x", f"array of shape {x.shape}",
                                       f"does not match b's shape {b.shape}",
                                       "pass the solution of these right-hand sides")
        bs = float(np.max(np.abs(b))) if b.size else 0.0
        bs = bs if bs > 0.0 and np.isfinite(bs) else 1.0
        bn = b / bs
        xn = np.asarray(x, dtype=np.float64) * (self._r0 / bs)
        nb_ = float(np.linalg.norm(bn))
        return float(np.linalg.norm(bn - self._op.matvec(xn))) / (nb_ if nb_ > 0 else 1.0)


def _not_pd(n: int, k: int, last: float) -> NotPositiveDefiniteError:
    what = ("r[0] <= 0 (or NaN)" if k == 0 else
            f"prediction error beta_{k} = {last:.3e} <= 0 in Durbin's recursion (the leading "
            f"{k + 1} x {k + 1} block is not positive definite)")
    return NotPositiveDefiniteError(f"toeplitz(r) (N={n})", what,
                                    "check the correlation (gpdtheory.toeplitz.min_eig) or add "
                                    "a nugget to r[0]")
