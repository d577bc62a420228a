"""Many shifted Toeplitz systems by circulant-preconditioned CG, right-hand sides as rows.

Solves ``(s_k T + h_k I) x_k = b_k``, ``k = 0..K-1``, with ``T = toeplitz(r)``
symmetric positive definite, ``s_k > 0``, ``h_k >= 0`` (the ``d`` systems of the exact
score, docs/theory.md §2.2). Same mathematics and stopping rule as :func:`.pcg_solve`
(Strang's circulant preconditioner, T. Chan's when Strang's makes a system indefinite;
true relative residual ``<= tol`` in every system, checked at the end), laid out for
large ``N``:

* right-hand sides are contiguous **rows** ``(K, N)``; the transforms are the engine's
  real FFTs (:mod:`.realfft`) of one row at a time, the rows shared among threads
  (:func:`_parallel`), into buffers allocated once per call (:class:`_Workspace`);
* only **real** FFTs: the preconditioner uses the real eigenvalues of a symmetric
  circulant of length ``N`` (``rfft``), half the work of complex transforms;
* every transform has length ``~N``: for even ``N`` the product with ``T`` is the
  circulant embedding of length ``2N`` split into its even bins (the spectrum of the
  preconditioned residual, already at hand) and its odd bins
  (:class:`.rows_split.SplitEmbedding`, docs/theory.md §2.2 item 5), 5 transforms per
  row and iteration with the preconditioner's two; for odd ``N`` with Strang's
  preconditioner the new direction's product is the preconditioned residual plus the two
  corners where ``T`` and the circulant differ (:class:`_StrangCorners`), 6 transforms;
* converged systems leave the iteration (an active set), so the slowest system alone
  pays for its extra iterations;
* **recycling across the systems** (:class:`_Harvest`, :class:`_Deflation`): the ``K``
  systems share ``T`` and differ only in ``h_k / s_k``, so the outlying eigenvectors of the
  preconditioned matrix are nearly common to all of them. One reference system runs
  first, alone (``REFERENCE_STEPS``); the Ritz vectors of its Lanczos
  process (read off the CG coefficients, no extra products) for the eigenvalues farthest
  from 1 span a space ``W`` that deflated CG (Saad, Yeung, Erhel & Guyomarc'h 2000) removes
  from every other system (and from the reference's remaining iterations). For slowly decaying
  correlations this halves the iterations (docs/theory.md §2.2, benchmarks/RESULTS.md).

``O(N log N)`` per iteration and system. Memory: ``4 K N`` doubles of state, a few rows
per thread (for odd ``N`` block temporaries of ``2 BLOCK_ROWS N``), and
``2 RECYCLE_MAX_VECTORS N`` for the deflation space.
Equivalent dense computation: ``numpy.linalg.solve(s_k T + h_k I, b_k)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConvergenceError
from .rows_numba import _cg_step, _row_dots, _row_norms

# _chan, _strang, _StrangCorners, _Workspace and the recycling constants: importable from here
from .rows_operators import _chan, _Operators, _strang, _StrangCorners, _Workspace  # noqa: F401
from .rows_recycle import (  # noqa: F401
    BLOCK_ROWS,
    RECYCLE_MAX_VECTORS,
    RECYCLE_MIN_DEVIATION,
    _blocks,
    _Deflation,
    _Harvest,
    _put,
    _take,
)
from .threads import launch as _launch
from .threads import zeros as _zeros

__all__ = ["RowsPCGResult", "pcg_rows"]

#: Recycling needs at least this many systems: the reference, solved alone, pays off only
#: when many systems share its deflation space, and its Lanczos vectors are kept in the
#: other systems' direction rows (``K - 1`` of them, at most ``HARVEST_MAX``).
RECYCLE_MIN_ROWS = 8
#: A reference converging in fewer iterations has no outliers worth deflating.
RECYCLE_MIN_ITERATIONS = 6
#: At most this many Lanczos vectors of the reference are kept (``z_j`` and ``A z_j``, in the
#: other systems' ``P`` and ``AP`` rows).
HARVEST_MAX = 24
#: The reference runs alone for at most this many iterations (None: until it converges);
#: a reference stopped early finishes in the deflated pass beside the others. Stopping it at
#: 10 saves steps no other system runs beside, but its fewer Lanczos vectors give a poorer
#: space: at N = 2^18, d = 16, Logarithmic(2, 1) and (8, 0.5) take 712 and 727 transforms
#: instead of 657 and 662, Polynomial(2, 0.8) 547 instead of 502 (``python
#: benchmarks/recycling_counts.py --compare reference-steps``), so the default waits.
REFERENCE_STEPS: int | None = None
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
            keep = None if harvest is None else harvest.record
            rz_new, beta, pap = ops.advance(R, P, AP, block, rz[block], step == 0, keep)
            if harvest is not None and not harvest.recording:
                harvest = None
            if harvest is not None and step > 0:
                harvest.beta.append(float(beta[0]))
            if deflation is not None:
                # p = z + beta p - W mu with mu = G^-1 W A(z + beta p): W A p_old = 0, so
                # this mu is deflated CG's G^-1 W A z, and it also removes the drift of
                # W A p_old
                Pb, APb = _take(P, block), _take(AP, block)
                deflation.subtract(Pb, APb, deflation.coefficients(APb, block), block)
                _put(P, block, Pb)
                _put(AP, block, APb)
                pap = _launch(_row_dots, Pb, APb)
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

    For even ``N`` the new direction's product ``A_k z = s_k T z + h_k z`` takes three
    transforms of length ``N`` beside the two of ``z = M_k^{-1} R``: the even bins of the
    embedding's product are the spectrum of ``z``, the odd bins come from
    :func:`.oddfft.odd_rfft` (:class:`.rows_split.SplitEmbedding`). For odd ``N`` with Strang's
    preconditioner ``M_k = s_k C + h_k I``, ``z = M_k^{-1} R`` gives ``M_k z = R`` up to
    round-off, so ``A_k z = M_k z + s_k (T - C) z = R + s_k E z``, and ``E``
    (:class:`_StrangCorners`) costs two length-``N`` transforms per row. The true residual
    is checked at the end, and a restart repairs any drift of the recurrence.

    With ``recycle`` and at least ``RECYCLE_MIN_ROWS`` systems, the system with the smallest
    ``h_k / s_k`` (the widest preconditioned spectrum) runs first, alone (until it
    converges, or for at most ``REFERENCE_STEPS`` iterations when set); when it ran
    ``RECYCLE_MIN_ITERATIONS`` or more, the others (and the reference, if not yet
    converged) run deflated CG on its outlying Ritz
    vectors (:class:`_Harvest`, :class:`_Deflation`). Any deflation space gives the same
    solution in exact arithmetic; the space only changes how fast the systems converge.
    Rows the deflated pass has not solved within twice the reference's steps alone start
    over without it.

    Scale-free in ``B``: a row whose norm is outside ``[2^-200, 2^200]`` is solved scaled
    by a power of two and its answer scaled back, so ``c B[k]`` gives ``c x_k`` for any
    representable ``c`` (an answer beyond float64 comes back as ``inf``).

    Memory: ``X``, ``R``, ``P``, ``AP`` (``4 K N`` doubles), a few rows per thread (for
    even ``N`` each row's iteration runs on one thread, :meth:`_Operators.advance`; for odd
    ``N`` block temporaries of ``2 BLOCK_ROWS N``), and with recycling the deflation space's
    ``2 RECYCLE_MAX_VECTORS N`` (the reference's Lanczos vectors live in the other
    systems' ``P`` and ``AP`` rows). Peak traced memory beyond ``B`` at N = 2^18 and 2^20,
    K = 16: 6.8 ``K N`` with recycling (Logarithmic, 11 vectors), 5.2 without
    (PoweredExponential); tests/toeplitz/test_rows_advance.py bounds it at 2^18.

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
    # the state in mapped memory (threads.zeros): its first touch costs far less there than
    # on new heap pages (benchmarks/fresh_memory.py)
    X = _zeros((k, n))
    R = np.take(B, order, axis=0, out=_zeros((k, n)))
    scaled = np.flatnonzero(exponent)
    if scaled.size:
        R[scaled] = np.ldexp(R[scaled], -exponent[scaled, None])
    P, AP = _zeros((k, n)), _zeros((k, n))
    state = (X, R, P, AP)
    spent = np.zeros(k, dtype=np.int64)
    deflated = 0
    wasted = np.zeros(k, dtype=np.int64)  # abandoned deflated iterations: not held against maxiter
    if recycling:
        last = np.array([k - 1])
        slots = min(HARVEST_MAX, k - 1)
        harvest = _Harvest(s[-1], h[-1], P[:slots], AP[:slots])
        steps = maxiter if REFERENCE_STEPS is None else min(maxiter, REFERENCE_STEPS)
        unsolved = _iterate(ops, state, last, bnorm, tol, steps, spent, harvest=harvest)
        todo = np.concatenate([todo[todo != k - 1], unsolved])
        recycled = bool(spent[-1] >= RECYCLE_MIN_ITERATIONS)
        space = _zeros((2 * RECYCLE_MAX_VECTORS, n)) if recycled else None
        U = harvest.deflation_space(space) if recycled else None
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

    def rhs(j: int) -> np.ndarray:  # system j's right-hand side, as solved
        b = B[order[j]]
        return np.ldexp(b, -exponent[j]) if exponent[j] else b

    for restart in range(5):  # the true residual; restarts repair recurrence drift
        for block in _blocks(np.arange(k)):
            ops.residuals(X, block, rhs, R)
            rel[block] = _row_norms(_take(R, block)) / bnorm[block]
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
