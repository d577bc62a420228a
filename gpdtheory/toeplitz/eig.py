"""Extreme eigenvalues of a symmetric Toeplitz matrix: ``lmin`` and ``lmax``.

**Default route, ``O(N log N)``: block Davidson in the sine basis** (``method="davidson"``,
:mod:`.davidson`). It starts from the DST-I vectors with the smallest Rayleigh quotients
(:func:`sine_rayleigh_quotients`, one FFT), expands with the tau-preconditioned residuals
and stops at round-off in a few steps (a short Lanczos run joins only when it does not);
it hands over to the ``O(N^2)`` routes below when it does not converge. What it
certifies: its value ``theta`` is a Rayleigh quotient, so ``lmin <= theta`` up to the
round-off of the FFT products (about ``eps ||T|| log N``), and some eigenvalue lies within
the Ritz residual of ``theta`` (Weyl). That this eigenvalue is the *smallest* is not
certified (a block started at the smallest ``q_k`` finds it in every family tested, and
agrees with the Durbin-certified route below to ``2e-11`` relative at ``N = 2^16``);
``method="lanczos"`` or ``"bisection"`` certify the lower side with Durbin's inertia test
in ``O(N^2)``.

**Durbin-certified routes, ``O(N^2)``.**

Why not plain Lanczos: when the symbol ``f`` is smooth, the eigenvalues of
``T = toeplitz(r)`` cluster at ``min f`` and ``max f`` with gaps ``~ 1/N^2``, so Krylov
methods on ``T`` itself (ARPACK's smallest *and* largest modes) need ``~ N`` iterations.
Here both ends are computed the same way:

1. **Bracket from the symbol.** ``T_N`` only sees ``r_0..r_{N-1}``, the Fourier
   coefficients of ``f_{N-1}(w) = r_0 + 2 sum_{m<N} r_m cos(m w)``, so
   ``min f_{N-1} <= lmin(T) <= lmax(T) <= max f_{N-1}`` (docs/theory.md §1). The
   Fejér mean ``(1/N) e_w^* T e_w`` is a Rayleigh quotient, so its grid minimum ``hi``
   is an upper bound on ``lmin``.
2. **Certify a shift with Durbin.** ``T - sigma I`` is positive definite iff all
   prediction errors of Durbin's recursion are positive (Sylvester inertia; early exit,
   ``2 N^2`` flops). ``sigma`` descends geometrically from ``hi`` (useful when the
   truncated symbol overshoots, as for non-summable ``rho``), else it is the grid
   minimum of ``f_{N-1}``, lowered until certified.
0. **Plain Lanczos first**, a few ARPACK restarts with FFT products: it converges when
   the end of the spectrum is well separated (``lmax`` of a non-summable ``rho``).
3. **Shift-invert Lanczos.** The same Durbin pass yields ``(T - sigma I)^{-1} e_0``,
   hence the Gohberg–Semencul inverse (:mod:`.gohberg_semencul`), applied with FFTs in
   ``O(N log N)``. ARPACK's *largest* mode on ``(T - sigma I)^{-1}`` converges in a few
   dozen products, because ``1/(lmin - sigma)`` is well separated from
   ``1/(l_2 - sigma)``. Then ``lmin = sigma + 1/theta``.

The absolute error is about ``eps * (lmax - sigma)``, like a dense symmetric eigensolver's
(``numpy.linalg.eigvalsh``), since the relative error of ``theta`` is about
``kappa(T - sigma I) eps``. ``lmax(T) = -lmin(-T)``.

``method="bisection"`` is the independent, slower route (Cybenko & Van Loan 1986): a
safeguarded Illinois iteration on the last prediction error ``beta_{N-1}(lambda) =
det(T_N - lambda) / det(T_{N-1} - lambda)``, whose root in ``(-inf, lmin(T_{N-1}))`` is
``lmin(T_N)``, with plain bisection on Durbin's PD test while the root is not bracketed.
It also takes over when ARPACK does not converge (a tightly clustered bottom of the
spectrum). Small matrices (``N <= DENSE_EXTREMES_MAX_N``) go to the dense ``eigvalsh``.
``method="auto"``: dense up to ``DENSE_EXTREMES_MAX_N``, the sine-Davidson route beyond,
shift-invert Lanczos when it does not converge.

:func:`extreme_eigenvalues` returns both ends, choosing among the dense solver, Cholesky
bisection on a narrow band (:func:`.banded.banded_extreme_eigenvalue`, ``O(N J^2)`` per
step) and the route above.

Equivalent dense computation: ``numpy.linalg.eigvalsh(scipy.linalg.toeplitz(r))[[0, -1]]``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import scipy.fft
import scipy.linalg
import scipy.sparse.linalg

from ..errors import ConvergenceError, InvalidArgumentError
from ..validation import as_real_array, check_positive_scalar
from .banded import banded_extreme_eigenvalue
from .davidson import davidson_extremes, davidson_min
from .fft import embedding_column, operator
from .gohberg_semencul import ToeplitzSolver, inverse_column_numba
from .realfft import rfft
from .sine import rayleigh_quotients
from .work import count

__all__ = ["min_eig", "max_eig", "extreme_eigenvalues", "symbol_bounds", "fejer_upper_bound",
           "sine_rayleigh_quotients", "DENSE_EXTREMES_MAX_N", "BANDED_WIDTH_PER_SQRT_N",
           "EigMethod"]

#: Extreme eigenvalues of a Toeplitz matrix of order ``N <= DENSE_EXTREMES_MAX_N`` come from
#: a dense ``eigvalsh`` (``min_eig``/``max_eig`` with ``method="auto"`` and
#: :func:`extreme_eigenvalues`): below it the dense solver costs less than the structured
#: routes' set-up (measured: equal cost near N = 300, the structured route 8x faster at
#: N = 1024 and 80x at N = 2048).
DENSE_EXTREMES_MAX_N = 384
#: :func:`extreme_eigenvalues` bisects with banded Cholesky when the last nonzero lag ``J``
#: of ``r`` satisfies ``J <= BANDED_WIDTH_PER_SQRT_N sqrt(N)``: about 45 factorisations of
#: ``O(N J^2)`` then cost less than the ``O(N^2)`` Durbin passes of shift-invert Lanczos.
BANDED_WIDTH_PER_SQRT_N = 0.25
#: Grid points per frame for the symbol bracket.
_GRID_FACTOR = 8

EigMethod = Literal["auto", "davidson", "lanczos", "bisection", "dense"]


def symbol_bounds(r: Any) -> tuple[float, float]:
    """``(min, max)`` of the truncated symbol ``f_{N-1}`` on a grid of ``>= 8N`` points.

    Approximate (a grid), but the true extremes of ``f_{N-1}`` bound the spectrum of
    ``toeplitz(r)``; the grid values are within ``O(1/N^2)`` relative of them.
    """
    r = as_real_array(r, "r", ndim=1)
    n = r.shape[0]
    m = int(scipy.fft.next_fast_len(_GRID_FACTOR * n, real=True))
    f = rfft(embedding_column(r, m)).real
    return float(f.min()), float(f.max())


def _scale(r: np.ndarray, fmin: float, fmax: float) -> float:
    return max(fmax - fmin, abs(fmin), abs(fmax), abs(float(r[0])), np.finfo(float).tiny)


def _certified_shift(r: np.ndarray, sigma: float, scale: float):
    """Lower ``sigma`` until ``toeplitz(r) - sigma I`` is PD; return it with its Durbin data."""
    gersh = float(r[0] - 2.0 * np.sum(np.abs(r[1:]))) - 1e-3 * scale
    step = 1e-9 * scale
    for _ in range(60):
        rs = r.copy()
        rs[0] -= sigma
        g, logdet, _last, fail = _durbin(rs)
        if fail < 0:
            return sigma, rs, g, logdet
        if sigma <= gersh:  # below Gershgorin's bound: PD in exact arithmetic
            break
        sigma = max(sigma - step, gersh)
        step *= 10.0
    raise ConvergenceError("Toeplitz eigenvalue shift certification", sigma, gersh, 60,
                           "Durbin's recursion failed even below Gershgorin's bound: the input "
                           "is too badly scaled for float64")


def _shift(r: np.ndarray, lo_symbol: float, hi: float, scale: float):
    """A certified shift close below ``lmin``: descend from the Fejér bound, else the symbol."""
    delta = 1e-7 * scale
    while hi - delta > lo_symbol:
        rs = r.copy()
        rs[0] -= hi - delta
        g, logdet, _last, fail = _durbin(rs)
        if fail < 0:
            return hi - delta, rs, g, logdet
        delta *= 10.0
    return _certified_shift(r, lo_symbol, scale)


def _durbin(rs: np.ndarray):
    """Durbin's recursion on ``rs`` (``O(N^2)``, counted as a quadratic kernel call)."""
    count("quadratic_kernel")
    return inverse_column_numba(rs)


def _plain_lanczos_min(r: np.ndarray) -> float | None:
    """``lmin`` by a short plain Lanczos run on ``T`` (FFT products); None if not converged.

    Converges when ``lmin`` is well separated (e.g. ``lmax`` of a non-summable ``rho``);
    ARPACK's ``tol=0`` asks for a residual at machine precision.
    """
    n = r.shape[0]
    op = operator(r).as_linear_operator()
    v0 = np.cos(0.7 * np.arange(n)) + 1.0
    try:
        return float(scipy.sparse.linalg.eigsh(op, k=1, which="SA", v0=v0, tol=0.0,
                                               ncv=min(n - 1, 24), maxiter=_PLAIN_MAXITER,
                                               return_eigenvectors=False)[0])
    except scipy.sparse.linalg.ArpackError:  # incl. no convergence; e.g. T = 0 (zero v0 image)
        return None


#: ARPACK restarts of the cheap first attempt (``O(N log N)`` each product).
_PLAIN_MAXITER = 4


def _lanczos_min(r: np.ndarray, rtol: float) -> float:
    n = r.shape[0]
    plain = _plain_lanczos_min(r)
    if plain is not None:
        return plain
    fmin, fmax = symbol_bounds(r)
    scale = _scale(r, fmin, fmax)
    hi = fejer_upper_bound(r)
    sigma, rs, g, logdet = _shift(r, fmin - 1e-9 * scale, hi, scale)
    solver = ToeplitzSolver.from_first_column(rs, g, logdet, refine=0)
    op = scipy.sparse.linalg.LinearOperator(
        (n, n), matvec=lambda v: solver._apply_inverse(np.asarray(v, dtype=np.float64).ravel()),
        dtype=np.float64)
    v0 = np.cos(0.7 * np.arange(n)) + 1.0  # deterministic, every Fourier mode present
    try:
        theta = scipy.sparse.linalg.eigsh(op, k=1, which="LA", v0=v0, tol=0.0,
                                          ncv=min(n - 1, 24), maxiter=_LANCZOS_MAXITER,
                                          return_eigenvectors=False)[0]
    except scipy.sparse.linalg.ArpackError:  # incl. ArpackNoConvergence; e.g. T = 0 (N >= 3)
        theta = -1.0
    if theta > 0 and sigma + 1.0 / theta <= hi + 1e-12 * scale:
        return float(sigma + 1.0 / theta)
    # clustered bottom of the spectrum: the Durbin root-finder from the certified bracket
    return _bisection_min(r, rtol, bracket=(sigma, hi))


#: ARPACK restarts before the Durbin root-finder takes over.
_LANCZOS_MAXITER = 60


def fejer_upper_bound(r: np.ndarray) -> float:
    """``min_w (1/N) e_w^* T e_w`` over a grid: a Rayleigh quotient, so ``>= lmin(T)``.

    ``(1/N) e_w^* T e_w = r_0 + 2 sum_{m<N} (1 - m/N) r_m cos(m w)``, the Fejér mean of
    the symbol.
    """
    n = r.shape[0]
    w = 1.0 - np.arange(n) / n
    m = int(scipy.fft.next_fast_len(_GRID_FACTOR * n, real=True))
    c = np.zeros(m)
    c[:n] = r * w
    if n > 1:
        c[m - n + 1:] = (r * w)[:0:-1]
    return float(min(rfft(c).real.min(), r[0]))


#: Number of Durbin evaluations of the last call of the bisection route (for benchmarks).
last_evaluations = 0


def _bisection_min(r: np.ndarray, rtol: float, bracket: tuple[float, float] | None = None) -> float:
    global last_evaluations
    n = r.shape[0]
    fmin, fmax = symbol_bounds(r)
    scale = _scale(r, fmin, fmax)
    if bracket is None:
        lo = _certified_shift(r, fmin - 1e-9 * scale, scale)[0]
        hi = fejer_upper_bound(r)
    else:
        lo, hi = bracket
    rs = r.copy()
    rs[0] -= lo
    flo = float(_durbin(rs)[2])
    prev = None            # the previous (lo, flo), for extrapolation while hi is not valid
    fhi = None             # beta_{N-1}(hi), only when T_{N-1} - hi I is PD (root bracketed)
    side = 0
    atol = 4.0 * np.finfo(float).eps * scale
    evals = 2
    for _ in range(400):
        w = hi - lo
        if w <= max(rtol * max(abs(lo), abs(hi)), atol):
            last_evaluations = evals
            return 0.5 * (lo + hi)
        lam = 0.5 * (lo + hi)
        if fhi is not None and flo > fhi:
            cand = lo + flo * w / (flo - fhi)          # regula falsi (Illinois)
        elif prev is not None and prev[1] > flo:
            cand = lo + flo * (lo - prev[0]) / (prev[1] - flo)   # secant from the left
        else:
            cand = lam
        if lo + 1e-4 * w < cand < hi - 1e-4 * w:
            lam = cand
        rs = r.copy()
        rs[0] -= lam
        _g, _ld, last, fail = _durbin(rs)
        evals += 1
        if fail < 0:           # T - lam I PD: lam < lmin
            prev = (lo, flo)
            lo, flo = lam, last
            if side == -1 and fhi is not None:
                fhi *= 0.5     # Illinois: the same end moved twice, halve the other value
            side = -1
        elif fail == n - 1:    # only the last minor fails: lmin <= lam < lmin(T_{N-1})
            hi, fhi = lam, last
            if side == 1:
                flo *= 0.5
            side = 1
        else:                  # an earlier minor fails: lam >= lmin(T_{k+1}) >= lmin
            hi, fhi = lam, None
            side = 0
    raise ConvergenceError("Durbin bisection for lmin", hi - lo, rtol * abs(hi), 400,
                           "the matrix is badly scaled")


def sine_rayleigh_quotients(r: Any) -> np.ndarray:
    """``q_k = s_k^T toeplitz(r) s_k`` for every DST-I vector ``s_k``, in ``O(N log N)``.

    ``s_k(j) = sqrt(2/(N+1)) sin(a_k (j+1))``, ``a_k = pi (k+1)/(N+1)``, ``k = 0..N-1``.
    Since ``2 sin(a(i+1)) sin(a(j+1)) = cos(a(i-j)) - cos(a(i+j+2))``,

    ``(N+1) q_k = sum_{|m|<N} (N-|m|) r_|m| cos(a_k m) - sum_{p=2}^{2N} g_p cos(a_k p)``,

    where ``g_p = sum r_|m|`` over ``m = i - j`` with ``i + j + 2 = p``, ``0 <= i, j < N``:
    the ``m`` of the parity of ``p`` with ``|m| <= min(p - 2, 2N - p)`` (prefix sums over
    even and odd lags). Both cosine sums are one real FFT of length ``2N + 2``.

    Parameters
    ----------
    r : (N,) array_like

    Returns
    -------
    (N,) ndarray
        The diagonal of ``S T S`` (``S`` the orthonormal DST-I): the eigenvalues of the
        optimal tau-algebra approximation of ``T``, each a Rayleigh quotient of ``T``.

    Examples
    --------
    >>> import scipy.fft, scipy.linalg
    >>> r = np.array([2.0, 0.7, 0.3, 0.1]); S = scipy.fft.dst(np.eye(4), type=1, norm="ortho")
    >>> bool(np.allclose(sine_rayleigh_quotients(r), np.diag(S @ scipy.linalg.toeplitz(r) @ S)))
    True
    """
    return rayleigh_quotients(as_real_array(r, "r", ndim=1))


def _validated(r: Any, method: str, rtol: Any) -> tuple[np.ndarray, float]:
    r = as_real_array(r, "r", ndim=1)
    rtol = check_positive_scalar(rtol, "rtol", fix="pass a relative tolerance such as 1e-13")
    if method not in ("auto", "davidson", "lanczos", "bisection", "dense"):
        raise InvalidArgumentError("method", method, "is not an eigenvalue method",
                                   "pass 'auto', 'davidson', 'lanczos', 'bisection' or 'dense'")
    return r, rtol


#: Sizes ``max |r|`` at which the sine-Davidson set-up, computed from ``r`` itself and then
#: scaled by a power of two, keeps every intermediate normal (its sums reach ``2 N max |r|``
#: and its smallest terms ``eps`` times that): it equals the set-up of ``r / s`` bit for bit
#: but for subnormal entries of ``r``, and the copy ``r / s`` is not made.
_SETUP_SCALES = (2.0 ** -512, 2.0 ** 512)


def _unit_scale(peak: float) -> float:
    """A power of two ``s`` (dividing by it is exact) that brings ``max |r| = peak > 0``
    into ``[0.5, 2]``: ARPACK's convergence test has an absolute floor (``eps^(2/3)``), so
    a tiny ``r`` would lose digits."""
    return 1.0 if 0.5 <= peak <= 2.0 else 2.0 ** float(np.round(np.log2(peak)))


def _min(r: np.ndarray, method: str, rtol: float) -> float:
    n = r.shape[0]
    if method == "dense" or (method == "auto" and n <= DENSE_EXTREMES_MAX_N) or n <= 2:
        return float(np.linalg.eigvalsh(scipy.linalg.toeplitz(r))[0])
    if method == "bisection":
        return _bisection_min(r, rtol)
    peak = float(np.max(np.abs(r)))
    if peak == 0.0:  # the zero matrix (ARPACK/LAPACK would fail on it)
        return 0.0
    s = _unit_scale(peak)
    if method in ("auto", "davidson"):
        inside = _SETUP_SCALES[0] <= peak <= _SETUP_SCALES[1]
        theta = davidson_min(r, scale=s) if inside else davidson_min(r / s)
        if theta is not None:
            return s * theta
    return s * _lanczos_min(r if s == 1.0 else r / s, rtol)


def min_eig(r: Any, method: EigMethod = "auto", rtol: float = 1e-13) -> float:
    """Smallest eigenvalue of the symmetric Toeplitz matrix ``toeplitz(r)``.

    Parameters
    ----------
    r : (N,) array_like
        First column (any symmetric Toeplitz matrix, definite or not).
    method : {"auto", "davidson", "lanczos", "bisection", "dense"}
        ``"auto"``: dense for ``N <= DENSE_EXTREMES_MAX_N``, else the ``O(N log N)``
        sine-Davidson route, else (when it does not converge) the Durbin-certified
        shift-invert Lanczos (module notes, which say what each route certifies).
    rtol : float
        Relative bracket width at which ``"bisection"`` stops, ``> 0`` (widths below
        ``4 eps`` of the matrix's scale are not resolved and stop the bisection there).

    Returns
    -------
    float

    Raises
    ------
    ConvergenceError
        When the iteration fails (never a silent partial answer).

    Examples
    --------
    >>> N = 100; lam = min_eig(np.r_[1.0, 0.4, np.zeros(N - 2)])   # 1 + 0.8 cos(k pi/(N+1))
    >>> bool(abs(lam - (1 + 0.8 * np.cos(N * np.pi / (N + 1)))) < 1e-13)
    True
    """
    r, rtol = _validated(r, method, rtol)
    return _min(r, method, rtol)


def max_eig(r: Any, method: EigMethod = "auto", rtol: float = 1e-13) -> float:
    """Largest eigenvalue of ``toeplitz(r)``: ``-min_eig(-r)`` (same methods and accuracy).

    Examples
    --------
    >>> N = 100; lam = max_eig(np.r_[1.0, 0.4, np.zeros(N - 2)])
    >>> bool(abs(lam - (1 + 0.8 * np.cos(np.pi / (N + 1)))) < 1e-13)
    True
    """
    r, rtol = _validated(r, method, rtol)
    return -_min(-r, method, rtol)


def extreme_eigenvalues(r: Any) -> tuple[float, float]:
    """``(lmin, lmax)`` of the symmetric Toeplitz matrix ``toeplitz(r)``, by the cheapest route.

    Parameters
    ----------
    r : (N,) array_like
        First column (definite or not).

    Returns
    -------
    (float, float)

    Notes
    -----
    ``N <= DENSE_EXTREMES_MAX_N``: ``numpy.linalg.eigvalsh(scipy.linalg.toeplitz(r))``.
    Beyond, a narrow band (last nonzero lag ``J <= BANDED_WIDTH_PER_SQRT_N sqrt(N)``, e.g.
    a hard-truncated ``Gamma_bar``) is bisected with banded Cholesky
    (:func:`.banded.banded_extreme_eigenvalue`, accurate to ``1e-13`` relative to the
    Gershgorin radius); anything else goes to :func:`min_eig` and :func:`max_eig`
    (``method="auto"``: ``O(N log N)`` sine-Davidson, about ``eps ||T|| log N`` absolute;
    the module notes say what it certifies). Equivalent dense computation:
    ``numpy.linalg.eigvalsh(scipy.linalg.toeplitz(r))[[0, -1]]``.

    Examples
    --------
    >>> lo, hi = extreme_eigenvalues([2.0, 1.0, 0.0])   # 2 + 2 cos(k pi / 4)
    >>> bool(abs(lo - (2 - 2 ** 0.5)) < 1e-14 and abs(hi - (2 + 2 ** 0.5)) < 1e-14)
    True
    """
    r = as_real_array(r, "r", ndim=1)
    n = r.shape[0]
    if n <= DENSE_EXTREMES_MAX_N:
        g = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
        return float(g[0]), float(g[-1])
    nonzero = r != 0.0  # N bytes, where flatnonzero's indices would take 8 N
    J = n - 1 - int(np.argmax(nonzero[::-1])) if nonzero.any() else 0
    del nonzero
    if J <= BANDED_WIDTH_PER_SQRT_N * np.sqrt(n):
        # + 0.0: the zero matrix gives (0.0, 0.0), not a signed zero from -(-0.0)
        return (float(banded_extreme_eigenvalue(r, J, which="min")) + 0.0,
                float(banded_extreme_eigenvalue(r, J, which="max")) + 0.0)
    peak = float(np.max(np.abs(r)))
    s = _unit_scale(peak)
    if _SETUP_SCALES[0] <= peak <= _SETUP_SCALES[1]:
        low, top = davidson_extremes(r, scale=s)  # scaled inside the set-up: no copy
    else:
        low, top = davidson_extremes(r / s)
    if low is None:
        low = _lanczos_min(r / s, 1e-13)
    if top is None:
        top = -_lanczos_min(-r / s, 1e-13)
    return s * low, s * top
