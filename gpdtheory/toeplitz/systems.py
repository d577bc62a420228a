"""Public entry points: ``solve``, ``is_positive_definite``, ``logdet``; which method when.

=====================  =========================================  ==================
situation              method                                     cost
=====================  =========================================  ==================
one right-hand side    symmetric Levinson (:mod:`.levinson`)      ``4 N^2``
k >= 3 right-hand      Durbin once + Gohberg–Semencul with FFTs   ``2 N^2 + k N log N``
sides, N >= 64         (:mod:`.gohberg_semencul`), one refinement
very large N           ``pcg_solve`` (:mod:`.pcg`), tolerance     ``iters * N log N``
                       controlled and reported (explicit call)
PD test, logdet        Durbin (:func:`.durbin_recursion.durbin`), early     ``<= 2 N^2``
                       exit on the first non-positive error
... N >= 4096          superfast Schur (:mod:`.schur`); Durbin     ``N log^2 N``
                       decides where it cannot
=====================  =========================================  ==================

Every direct route reports positive definiteness and ``log det`` for free, and refuses
indefinite input with :class:`~gpdtheory.errors.NotPositiveDefiniteError` rather than
return an answer (Levinson's recursion *can* run through an indefinite matrix whose
leading minors are nonzero; its result would be silently unstable).

Near-singular matrices (``kappa > 1/eps``) get one verdict on every route: positive
definite iff the scale-free Durbin recursion :func:`.reflection.durbin_core` finds every
reflection coefficient ``|k_j| < 1`` (every ``beta_j > 0``; NaN fails). ``logdet``,
``is_positive_definite``, :func:`.durbin_recursion.durbin` and Gohberg–Semencul run that function;
Levinson re-decides with it whenever it breaks down or its smallest ``beta_j`` is below
``RECHECK_BETA = 1e-8`` (see :mod:`.reflection`). ``log det`` is summed from the
reflection coefficients on every route (``~ eps |log det|``).

Edge cases, as ``scipy.linalg.solve_toeplitz``: ``N = 0`` gives an empty solution (and
``logdet = 0``, positive definite vacuously), ``b`` of shape ``(N, 0)`` an ``(N, 0)``
solution (after the positive-definiteness verdict; scipy 1.17 returns ``(0, 0)`` for
``N = 0, k > 0``, we keep the ``k`` columns). A zero (or negative, or NaN) diagonal raises
:class:`~gpdtheory.errors.NotPositiveDefiniteError`, which is a ``numpy.linalg.LinAlgError``
(scipy raises ``LinAlgError("Singular principal minor")``), so ``except LinAlgError`` works
for both.

Accuracy: forward error about ``kappa(T) eps`` (weak stability of Levinson/Durbin on
SPD input, Cybenko 1980); the residual is ``<= 1e-12`` relative when ``kappa <= 1e3``
(tested). See :mod:`.levinson` for the documented hard case ``0.9**(k**2)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..errors import InvalidArgumentError, NotPositiveDefiniteError
from ..validation import as_columns, as_real_array, check_real_scalar
from .bracket import eigenvalue_bounds
from .gohberg_semencul import ToeplitzSolver, inverse_column_numba
from .levinson import levinson_batch_numba, levinson_numba
from .schur import superfast_logdet
from .threads import launch
from .work import count

__all__ = ["SolveResult", "solve", "is_positive_definite", "logdet"]

#: ``"auto"`` switches to Gohberg–Semencul from this many right-hand sides ...
GS_MIN_RHS = 3
#: ... when N is at least this (below, Levinson is faster than the FFT set-up) ...
GS_MIN_N = 64
#: ... and the matrix is well conditioned: Levinson's error grows like ``kappa eps`` with a
#: small constant, Gohberg–Semencul's (after its refinement step) with a 2-20x larger one
#: (measured: 0.9^(k^2), N = 100, 1.3e-7 against 6.9e-9). ``"auto"`` falls back to
#: Levinson when :meth:`.ToeplitzSolver.kappa_lower_bound` exceeds this (within a factor
#: 3-10 of kappa on Gaussian correlations; below it both routes keep ~1e-11 relative).
GS_KAPPA_MAX = 1e5

SolveMethod = Literal["auto", "levinson", "gohberg-semencul"]


@dataclass(frozen=True)
class SolveResult:
    """Output of :func:`solve`.

    Attributes
    ----------
    x : (N,) or (N, k) ndarray
        The solution, shaped like ``b``.
    logdet : float
        ``log det toeplitz(r)``.
    method : str
        ``"levinson"`` or ``"gohberg-semencul"``.
    """

    x: np.ndarray
    logdet: float
    method: str


def _not_pd(n: int, k: int, fix: str = "check the correlation (gpdtheory.toeplitz.min_eig) "
            "or add a nugget to r[0]; a kernel positive definite in exact arithmetic (a "
            "Gaussian with a long length scale, say) can be singular to float64 precision, "
            "with rounded values of r that are indefinite: a nugget such as 1e-10 r[0] "
            "restores definiteness") -> NotPositiveDefiniteError:
    what = ("r[0] <= 0" if k == 0 else
            f"the leading {k + 1} x {k + 1} block has a non-positive prediction error beta_{k}")
    return NotPositiveDefiniteError(f"toeplitz(r) (N={n})", what, fix)


def solve(r: Any, b: Any, method: SolveMethod = "auto") -> SolveResult:
    """Solve ``toeplitz(r) x = b`` for a symmetric positive definite Toeplitz matrix.

    Parameters
    ----------
    r : (N,) array_like
        First column; ``r[0]`` is the diagonal.
    b : (N,) or (N, k) array_like
    method : {"auto", "levinson", "gohberg-semencul"}
        See the module table; ``"auto"`` uses Gohberg–Semencul for ``k >= 3``
        right-hand sides when ``N >= 64`` and the matrix is well conditioned
        (:data:`GS_KAPPA_MAX`), Levinson otherwise.

    Returns
    -------
    SolveResult

    Raises
    ------
    NotPositiveDefiniteError
        When ``toeplitz(r)`` is not positive definite (never a silent answer).
    InvalidArgumentError
        On NaN/inf, wrong shapes or an unknown method.

    Notes
    -----
    Same result as ``scipy.linalg.solve_toeplitz(r, b)`` and
    ``numpy.linalg.solve(scipy.linalg.toeplitz(r), b)``, with ``numpy.linalg.slogdet``'s
    log-determinant.

    Examples
    --------
    >>> import scipy.linalg
    >>> r = 0.5 ** np.arange(4); b = np.arange(4.0)
    >>> res = solve(r, b)
    >>> bool(np.allclose(res.x, scipy.linalg.solve_toeplitz(r, b)))
    True
    """
    r = as_real_array(r, "r", ndim=1, allow_empty=True)
    n = r.shape[0]
    b = as_columns(b, n, allow_empty=True)
    k = 1 if b.ndim == 1 else b.shape[1]
    if method not in ("auto", "levinson", "gohberg-semencul"):
        raise InvalidArgumentError("method", method, "is not a Toeplitz solve method",
                                   "pass 'auto', 'levinson' or 'gohberg-semencul'")
    if n == 0:  # the empty matrix: det = 1, vacuously positive definite (scipy: empty x)
        return SolveResult(np.zeros(b.shape), 0.0,
                           "levinson" if method == "auto" else method)
    auto = method == "auto"
    if auto:
        method = "gohberg-semencul" if (k >= GS_MIN_RHS and n >= GS_MIN_N) else "levinson"
    if method == "gohberg-semencul":
        S = ToeplitzSolver(r)
        if not (auto and S.kappa_lower_bound() > GS_KAPPA_MAX):
            return SolveResult(S.solve(b), S.logdet, method)
        method = "levinson"  # ill-conditioned: the more accurate route
    if b.ndim == 1:
        x, ld, fail = levinson_numba(r, b)
        if fail >= 0:
            raise _not_pd(n, int(fail))
        return SolveResult(x, float(ld), method)
    if k == 0:  # no right-hand side: the logdet still comes with the result (and the PD verdict)
        return SolveResult(np.zeros((n, 0)), logdet(r), method)
    X, lds, fails = launch(levinson_batch_numba, r[None, :], np.ascontiguousarray(b.T))
    if fails[0] >= 0:
        raise _not_pd(n, int(fails[0]))
    return SolveResult(np.ascontiguousarray(X.T), float(lds[0]), method)


#: :func:`is_positive_definite` first tries the certified symbol bracket
#: (:func:`.bracket.eigenvalue_bounds`, ``O(N log N)``) from this order on, and accepts it
#: when it proves ``lmin > 0`` with ``lmax / lmin <= SYMBOL_PD_MAX_KAPPA``.
SYMBOL_PD_MIN_N = 4096
SYMBOL_PD_MAX_KAPPA = 1e8


def is_positive_definite(r: Any, tol: float = 0.0) -> bool:
    """Whether ``toeplitz(r) - tol I`` is positive definite, i.e. ``lmin(toeplitz(r)) > tol``.

    Parameters
    ----------
    r : (N,) array_like
    tol : float
        Margin (absolute, in the units of ``r``); 0 tests plain positive definiteness.

    Returns
    -------
    bool

    Notes
    -----
    From ``N = SYMBOL_PD_MIN_N`` on, ``True`` straight from the outer ends of the certified
    symbol bracket of ``r - tol e_0`` when they prove a well-conditioned positive definite
    matrix (one real transform of length about ``2N``, docs/theory.md §1.4); else
    ``True`` when the superfast Schur route finds it positive definite beyond doubt
    (:func:`.schur.superfast_logdet`, ``O(N log^2 N)``). Otherwise Durbin's recursion on
    ``r - tol e_0`` with an early exit at the first non-positive prediction error
    (Sylvester), ``<= 2 N^2`` flops. Equivalent dense computation:
    ``numpy.linalg.eigvalsh(toeplitz(r))[0] > tol`` (up to round-off at the boundary).

    Examples
    --------
    >>> is_positive_definite([1.0, 0.5]), is_positive_definite([1.0, 1.5])
    (True, False)
    """
    r = as_real_array(r, "r", ndim=1, allow_empty=True)
    tol = check_real_scalar(tol, "tol")
    if r.size == 0:
        return True  # the empty matrix (no eigenvalue below tol)
    rs = r.copy()
    rs[0] -= tol
    if rs.size >= SYMBOL_PD_MIN_N:
        b = eigenvalue_bounds(rs, fejer=False)
        # certified lmin > 0 with a condition number Durbin resolves without doubt: the
        # recursion would say the same, so its O(N^2) pass is skipped
        if b.lmin_lower > 0.0 and b.lmax_upper <= SYMBOL_PD_MAX_KAPPA * b.lmin_lower:
            return True
    if rs.size >= SUPERFAST_MIN_N and superfast_logdet(rs) is not None:
        return True
    count("quadratic_kernel")
    return bool(inverse_column_numba(rs)[3] < 0)


#: ``logdet`` and ``is_positive_definite`` try the superfast Schur route from this order on
#: (below it Durbin's compiled recursion is faster; on the machine of benchmarks/RESULTS.md
#: Durbin / superfast take 0.08 / 0.14 ms at 1024, 1.18 / 0.96 ms at 4096, 4.9 / 2.3 ms at
#: 8192).
SUPERFAST_MIN_N = 4096


def logdet(r: Any) -> float:
    """``log det toeplitz(r)``: superfast Schur from ``N = SUPERFAST_MIN_N`` on
    (``O(N log^2 N)``), else or where it cannot decide Durbin's recursion (``2 N^2``).

    The superfast route (:func:`.schur.superfast_logdet`, docs/theory.md §4.5) answers
    only for a matrix it finds positive definite with every normalised prediction error
    above :data:`~.reflection.RECHECK_BETA`; near-singular and indefinite input is decided
    by Durbin's recursion, the verdict every route shares.

    Raises
    ------
    NotPositiveDefiniteError
        When the matrix is not positive definite.

    Examples
    --------
    >>> bool(np.isclose(logdet([2.0, 1.0]), np.log(3.0)))
    True
    """
    r = as_real_array(r, "r", ndim=1, allow_empty=True)
    if r.size == 0:
        return 0.0  # det of the empty matrix is 1
    if r.size >= SUPERFAST_MIN_N:
        fast = superfast_logdet(r)
        if fast is not None:
            return fast
    count("quadratic_kernel")
    _g, ld, _last, fail = inverse_column_numba(r)
    if fail >= 0:
        raise _not_pd(r.shape[0], int(fail))
    return float(ld)
