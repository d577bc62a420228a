"""Views 3 and 4 of docs/theory.md §4: the diagonal-dominance frontier and the phase diagram.

Diagonal dominance ``2 sum_{m=1}^{J} |rho(m)| <= 1`` is sufficient for ``Gamma_bar_N ⪰ 0``
on every N (``f_J >= 1 - 2 sum |rho(m)| >= 0``). Over every J it reads
``2 sum_{m>=1} |rho(m)| <= 1``, the kind of condition the paper assumes (``ell <= c^nu``).
Since ``rho`` increases with ``ell`` in all three families, it holds exactly for
``ell <= ell_dd(nu)``: :func:`dominance_frontier`. For the powered exponential with
``nu = 1``, ``sum_{m>=1} e^{-m/ell} = 1/(e^{1/ell} - 1)``, so ``ell_dd = 1/ln 3``.

The exact all-N frontier for one J is the first ``ell`` at which ``min f_J`` reaches 0
(:func:`exact_frontier`); the exact frontier over every J is their minimum over J.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy import optimize

from ..errors import ConvergenceError, InvalidArgumentError
from ..kernels import FAMILIES, Kernel
from ..truncation import symbol_minimum
from ..validation import (
    as_real_array,
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
)

__all__ = ["diagonally_dominant", "dominance_frontier", "exact_frontier", "FrontierRow",
           "frontier_table", "PhaseDiagram", "phase_diagram"]

#: ``ell`` range searched for frontiers; the log grid that brackets the first crossing.
ELL_RANGE = (1e-2, 1e3)
ELL_GRID = 241
#: Relative accuracy of a frontier (``brentq`` ``rtol``).
FRONTIER_RTOL = 1e-12
#: Largest lag J in a phase diagram (the symbol's minimum costs a grid of ``16 (J + 1)``).
MAX_PHASE_J = 2**20


def _kernel(family: str, ell: float, nu: float) -> Kernel:
    if family not in FAMILIES:
        raise InvalidArgumentError("family", family, "is not a closed-form family",
                                   "pass one of " + ", ".join(FAMILIES))
    import warnings

    from ..errors import PositiveDefinitenessWarning

    with warnings.catch_warnings():  # nu > 2 is allowed here: the question is the frontier
        warnings.simplefilter("ignore", PositiveDefinitenessWarning)
        # Every closed-form family is constructed as Family(ell, nu); the base class is not.
        make = cast(Callable[[float, float], Kernel], FAMILIES[family])
        return make(ell, nu)


def _brentq(f, lo: float, hi: float, **kw) -> float:
    """``brentq`` to ``FRONTIER_RTOL``; its failure becomes a documented ConvergenceError."""
    try:
        return float(optimize.brentq(f, lo, hi, rtol=FRONTIER_RTOL, **kw))
    except (RuntimeError, ValueError) as exc:  # no convergence / NaN from the kernel
        raise ConvergenceError("brentq on the frontier", hi - lo, FRONTIER_RTOL * hi, 100,
                               f"{exc}".split("\n")[0] + ": the lag sum is not a smooth "
                               "function of ell here (nu extremely small or large)") from exc


def _lag_sum(kernel: Kernel, J: int | None) -> float:
    """``sum_{m=1}^{J} |rho(m)|`` (every lag, to 1e-16, when ``J`` is None)."""
    if J is None:
        return kernel.abs_sum()
    return float(np.sum(np.abs(kernel(np.arange(1, J + 1, dtype=np.float64)))))


def diagonally_dominant(kernel: Kernel, J: int | None = None) -> bool:
    """``2 sum_{m=1}^{J} |rho(m)| <= 1`` (every lag when ``J`` is None).

    Examples
    --------
    >>> from gpdtheory import PoweredExponential
    >>> diagonally_dominant(PoweredExponential(0.9, 1.0))     # 1/ln 3 = 0.9102
    True
    >>> diagonally_dominant(PoweredExponential(0.92, 1.0))
    False
    """
    if not isinstance(kernel, Kernel):
        raise InvalidArgumentError("kernel", kernel, "is not a gpdtheory kernel",
                                   "pass e.g. gpdtheory.PoweredExponential(ell, nu) or "
                                   "gpdtheory.SampledKernel(rho)")
    if J is not None:
        J = check_nonnegative_int(J, "J")
    return bool(2.0 * _lag_sum(kernel, J) <= 1.0)


def dominance_frontier(nu: float, J: int | None = None,
                       family: str = "powered_exponential") -> float:
    """Largest ``ell`` with ``2 sum_{m=1}^{J} rho(m) <= 1`` (every lag when ``J`` is None).

    Parameters
    ----------
    nu : float
    J : int, optional
    family : str

    Returns
    -------
    float
        ``ell_dd``; 0 when no ``ell > 0`` qualifies (a family that is not summable, with
        ``J = None``). The paper's form ``ell <= c^nu`` has ``c = ell_dd^{1/nu}``.

    Notes
    -----
    ``rho`` increases with ``ell``, so the set is ``(0, ell_dd]``; ``brentq`` on
    ``2 S(ell) - 1`` to ``FRONTIER_RTOL``. Known values (powered exponential):
    0.614 (``nu = 0.5``), ``1/ln 3 = 0.910`` (``nu = 1``), 1.273 (``nu = 2``).

    Examples
    --------
    >>> bool(abs(dominance_frontier(1.0) - 1 / np.log(3)) < 1e-10)
    True
    """
    nu = check_positive_scalar(nu, "nu")
    if J is not None:
        J = check_nonnegative_int(J, "J")
        if J == 0:
            return math.inf
    if J is None and not _kernel(family, 1.0, nu).summable:
        return 0.0
    g = lambda ell: 2.0 * _lag_sum(_kernel(family, ell, nu), J) - 1.0
    lo, hi = 1e-3, 1.0
    while g(lo) > 0:
        lo /= 10.0
        if lo < 1e-12:
            return 0.0
    while g(hi) <= 0:
        lo, hi = hi, hi * 4.0
        if hi > 1e9:
            return math.inf
    return _brentq(g, lo, hi, xtol=1e-300)


def exact_frontier(nu: float, J: int, family: str = "powered_exponential") -> float:
    """First ``ell`` at which ``min f_J`` reaches 0: the exact all-N frontier for lag J.

    Returns
    -------
    float
        ``ell_J``: ``Gamma_bar_N ⪰ 0`` for every N for every ``ell`` below it (on the
        search grid: ``ELL_GRID`` log-spaced points of ``ELL_RANGE``, then ``brentq``);
        ``inf`` when ``min f_J > 0`` on the whole range.

    Notes
    -----
    Uses the float :func:`gpdtheory.truncation.symbol_minimum`; spot-check with
    :func:`certify_all_n` on either side (the claim ``psd.frontier`` does).

    Examples
    --------
    >>> bool(abs(exact_frontier(1.0, 1) - 1 / np.log(2)) < 1e-9)   # rho(1) = 1/2
    True
    """
    nu = check_positive_scalar(nu, "nu")
    J = check_positive_int(J, "J")
    h = lambda ell: symbol_minimum(_kernel(family, ell, nu)(np.arange(J + 1.0)), J)[0]
    grid = np.geomspace(*ELL_RANGE, ELL_GRID)
    prev = grid[0]
    if h(prev) <= 0:
        return float(prev)
    for ell in grid[1:]:
        if h(ell) <= 0:
            return _brentq(h, prev, ell)
        prev = ell
    return math.inf


@dataclass(frozen=True)
class FrontierRow:
    """The frontiers for one ``nu``.

    Attributes
    ----------
    nu : float
    dominance : float
        ``ell_dd``: diagonal dominance over every J (:func:`dominance_frontier`).
    c : float
        ``ell_dd^{1/nu}``: the constant in the paper's ``ell <= c^nu``.
    exact_per_J : dict of int -> float
        ``ell_J`` for ``J = 1..J_max`` (:func:`exact_frontier`).
    exact : float
        ``min_J ell_J``: every truncation ``J <= J_max`` is PSD for every N below it.
    binding_J : int
        The J attaining the minimum.
    """

    nu: float
    dominance: float
    c: float
    exact_per_J: dict
    exact: float
    binding_J: int


def frontier_table(nus=(0.5, 1.0, 2.0), J_max: int = 16,
                   family: str = "powered_exponential") -> list[FrontierRow]:
    """Diagonal-dominance frontier next to the exact all-N frontier, per ``nu``.

    Examples
    --------
    >>> row = frontier_table((1.0,), J_max=4)[0]
    >>> round(row.dominance, 3), row.binding_J
    (0.91, 1)
    """
    J_max = check_positive_int(J_max, "J_max")
    if isinstance(nus, (str, bytes)) or not hasattr(nus, "__iter__"):
        raise InvalidArgumentError("nus", nus, "is not a sequence of exponents",
                                   "pass e.g. (0.5, 1.0, 2.0)")
    rows = []
    for nu in nus:
        nu = check_positive_scalar(nu, "nu")
        dd = dominance_frontier(nu, None, family)
        per = {J: exact_frontier(nu, J, family) for J in range(1, J_max + 1)}
        bJ = min(per, key=lambda J: per[J])
        rows.append(FrontierRow(nu=float(nu), dominance=dd, c=dd ** (1.0 / nu), exact_per_J=per,
                                exact=per[bJ], binding_J=bJ))
    return rows


@dataclass(frozen=True)
class PhaseDiagram:
    """PSD phase diagram over ``(ell, J)`` for one ``nu`` (arrays indexed ``[i_ell, i_J]``).

    Attributes
    ----------
    nu : float
    family : str
    ells : (E,) ndarray
    Js : (K,) ndarray of int
    min_symbol : (E, K) ndarray
        ``min f_J`` (float, :func:`symbol_minimum`).
    psd_all_n : (E, K) ndarray of bool
        ``min f_J >= 0``.
    dominant : (E, K) ndarray of bool
        ``2 sum_{m=1}^{J} rho(m) <= 1``.
    N : int or None
    psd_at_N : (E, K) ndarray of bool or None
        Banded-Cholesky verdict for ``Gamma_bar_N`` when ``N`` is given.
    """

    nu: float
    family: str
    ells: np.ndarray
    Js: np.ndarray
    min_symbol: np.ndarray
    psd_all_n: np.ndarray
    dominant: np.ndarray
    N: int | None
    psd_at_N: np.ndarray | None


def _check_lags(Js) -> np.ndarray:
    """``Js`` as a 1-D int64 array of lags in ``[0, MAX_PHASE_J]``."""
    if not (isinstance(Js, (list, tuple, range)) or (isinstance(Js, np.ndarray) and Js.ndim == 1)):
        raise InvalidArgumentError("Js", Js, "is not a 1-D sequence of lags",
                                   "pass e.g. [0, 1, 2, 4, 8]")
    out = np.array([check_nonnegative_int(J, "Js[i]") for J in Js], dtype=np.int64)
    if out.size and out.max() > MAX_PHASE_J:
        raise InvalidArgumentError("Js", int(out.max()), f"exceeds MAX_PHASE_J = {MAX_PHASE_J}",
                                   "pass smaller lags (the frontier question lives at small J)")
    return out


def phase_diagram(nu: float, ells, Js, family: str = "powered_exponential",
                  N: int | None = None) -> PhaseDiagram:
    """Which ``(ell, J)`` give a PSD truncation for every N, by dominance, and at one N.

    Parameters
    ----------
    nu : float
    ells : (E,) array_like of float
    Js : (K,) array_like of int
    family : str
    N : int, optional
        Also test ``Gamma_bar_N`` exactly (banded Cholesky).

    Returns
    -------
    PhaseDiagram
        Arrays only; plotting is :mod:`gpdtheory.plots`' job.
    """
    from .per_n import per_n

    nu = check_positive_scalar(nu, "nu")
    _kernel(family, 1.0, nu)  # family and nu checked even for an empty diagram
    if N is not None:
        N = check_positive_int(N, "N")
    ells = as_real_array(ells, "ells", ndim=1, allow_empty=True)
    Js = _check_lags(Js)
    shape = (ells.size, Js.size)
    mins = np.empty(shape)
    dom = np.empty(shape, dtype=bool)
    at_n = np.empty(shape, dtype=bool) if N is not None else None
    J_top = int(Js.max()) if Js.size else 0
    for i, ell in enumerate(ells):
        k = _kernel(family, float(ell), nu)
        r = k(np.arange(J_top + 1, dtype=np.float64))
        csum = np.cumsum(np.abs(r[1:]))
        for j, J in enumerate(Js):
            mins[i, j] = symbol_minimum(r, int(J))[0]
            dom[i, j] = J == 0 or 2.0 * csum[J - 1] <= 1.0
            if at_n is not None and N is not None:  # at_n exists exactly when N is given
                at_n[i, j] = per_n(k, int(J), N).positive_definite
    return PhaseDiagram(nu=float(nu), family=family, ells=ells, Js=Js, min_symbol=mins,
                        psd_all_n=mins >= 0.0, dominant=dom, N=N, psd_at_N=at_n)
