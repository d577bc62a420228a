"""The symbol of a finite correlation sequence: its minimum, and an exact sign certificate.

For ``r = (r_0, ..., r_J)`` the symbol ``f_J(w) = r_0 + 2 sum_{m=1}^{J} r_m cos(m w)`` bounds
the spectrum of every symmetric Toeplitz section: ``min f_J <= lambda(toeplitz(r_bar)_N)``
for the zero extension ``r_bar`` and every N, and the spectra fill ``[min f_J, max f_J]``
as N grows (docs/theory.md §4). This module works on the numbers alone (no kernel, no
spec), which is why it sits below both: :func:`symbol_minimum` is the float minimum and
:func:`certify_symbol` the exact-arithmetic verdict ``f_J >= 0`` used by
:mod:`gpdtheory.psd.certificate` (for kernels and data) and by a zero-extended
:class:`gpdtheory.kernels.SampledKernel`.

Exact certificate
-----------------
With ``z = cos w`` and ``cos(m w) = T_m(z)``, ``f_J >= 0`` on ``[0, pi]`` is
``p(z) = sum_m c_m T_m(z) >= 0`` on ``[-1, 1]``, settled exactly with sympy: ``p`` changes
sign only at real roots of odd multiplicity (square-free decomposition), counted in
``(-1, 1)`` by exact real-root isolation (``Poly.intervals``); without such a root the sign
of ``p`` is read at one rational non-root point, and with one a negative point is isolated.
The floats are rounded to rationals on the grid ``2^-GRID_BITS`` and every discrepancy
goes into a rational slack ``s`` (see :mod:`gpdtheory.psd.certificate` for the rounding
model of a kernel's float evaluation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import sympy as sp
from numpy.polynomial import chebyshev as C

from .errors import InvalidArgumentError
from .validation import as_real_array, check_nonnegative_int

__all__ = ["COMPANION_MAX_J", "symbol_minimum", "AllNCertificate", "certify_symbol",
           "chebyshev_to_monomial", "GRID_BITS", "MAX_CERT_J"]

#: Largest J for which the critical points of ``f_J`` come from the Chebyshev companion
#: matrix (``O(J^3)``); beyond it a grid of ``16 (J + 1)`` points is refined by Newton steps.
COMPANION_MAX_J = 400


def check_column(r: Any) -> np.ndarray:
    r = as_real_array(r, "r", ndim=1)
    if r[0] <= 0.0:
        raise InvalidArgumentError("r", r, f"r[0] = {r[0]:.6g} is not a positive variance",
                                   "pass the first column of a correlation/covariance matrix")
    return r


def symbol_minimum(r: Any, J: int | None = None) -> tuple[float, float]:
    """Minimum of ``f_J(w) = r[0] + 2 sum_{m=1}^{J} r[m] cos(m w)`` over ``w in [0, pi]``.

    Parameters
    ----------
    r : (N,) array_like
        First column of a symmetric Toeplitz matrix.
    J : int, optional
        Truncation lag (clipped to ``N - 1``); ``None`` means ``N - 1``.

    Returns
    -------
    (min_value, w_min) : (float, float)

    Notes
    -----
    With ``z = cos w``, ``f_J = sum_m c_m T_m(z)`` with ``c_0 = r[0]``, ``c_m = 2 r[m]``
    (Chebyshev form, docs/theory.md §4). The minimum over ``[-1, 1]`` is attained at
    ``z = +-1`` or at a real root of ``p'``; for ``J <= COMPANION_MAX_J`` these are the
    eigenvalues of the Chebyshev companion matrix (every root with ``|Im| < 1e-6`` is
    tried, so a nearly real double root is never missed), for larger J the minimum of a
    grid of ``16 (J + 1)`` points is polished by Newton steps on ``f'``. Every candidate
    is also checked on a grid, and each value is the exact Clenshaw evaluation, so the
    result is an upper bound on the true minimum accurate to about
    ``1e-15 sum |c_m|`` (the location error enters quadratically). The exact-arithmetic
    certificate of the sign is :func:`gpdtheory.psd.certify_all_n`.

    Examples
    --------
    >>> v, w = symbol_minimum([1.0, 0.5])   # 1 + cos w: minimum 0 at w = pi
    >>> bool(abs(v) < 1e-15 and abs(w - np.pi) < 1e-12)
    True
    """
    r = check_column(r)
    J = r.size - 1 if J is None else min(check_nonnegative_int(J, "J"), r.size - 1)
    c = np.concatenate([[r[0]], 2.0 * r[1:J + 1]])
    if J == 0:
        return float(c[0]), 0.0
    grid = np.cos(np.linspace(0.0, np.pi, 16 * (J + 1) + 1))
    cands = [np.array([-1.0, 1.0]), grid]
    dc = C.chebder(c)
    # Candidates only: drop trailing coefficients below round-off of the largest one (an
    # underflowing rho(J) like exp(-1500) would scale the companion matrix to inf). Values
    # are still evaluated with the full c below.
    big = np.abs(dc) > 1e-17 * np.max(np.abs(dc)) if np.any(dc) else np.zeros(dc.size, bool)
    dc_trim = dc[: (np.flatnonzero(big)[-1] + 1) if np.any(big) else 0]
    if J <= COMPANION_MAX_J and dc_trim.size >= 2:
        roots = C.chebroots(dc_trim)
        cands.append(np.clip(roots[np.abs(np.imag(roots)) < 1e-6].real, -1.0, 1.0))
    vals = C.chebval(np.concatenate(cands), c)
    zs = np.concatenate(cands)
    # Newton polish of the few best candidates on f'(z) = 0 (harmless when already exact)
    d2 = C.chebder(dc)
    best = zs[np.argsort(vals)[:4]]
    for _ in range(6):
        g2 = C.chebval(best, d2)
        with np.errstate(over="ignore", invalid="ignore"):  # f'' ~ 0: a step of +-inf
            step = np.where(np.abs(g2) > 0, C.chebval(best, dc) / np.where(g2 != 0, g2, 1.0),
                            0.0)
        step = np.where(np.isfinite(step), step, 0.0)  # such a candidate stays put
        best = np.clip(best - step, -1.0, 1.0)
    zs = np.concatenate([zs, best])
    vals = C.chebval(zs, c)
    k = int(np.argmin(vals))
    return float(vals[k]), float(np.arccos(np.clip(zs[k], -1.0, 1.0)))


#: The coefficients are rounded to multiples of ``2^-GRID_BITS``.
GRID_BITS = 64
#: Largest J certified (the monomial coefficients grow like ``2^J``).
MAX_CERT_J = 256

Verdict = Literal["psd", "not_psd", "inconclusive"]
_Z = sp.Symbol("z")


def chebyshev_to_monomial(c: list[Fraction]) -> list[Fraction]:
    """Monomial coefficients (lowest degree first) of ``sum_m c[m] T_m(z)``, exactly.

    Raises
    ------
    InvalidArgumentError
        ``c`` is not a non-empty sequence of exact rationals (``Fraction`` or ``int``).
    """
    if not isinstance(c, (list, tuple)) or not c or not all(
            isinstance(x, (Fraction, int)) and not isinstance(x, bool) for x in c):
        raise InvalidArgumentError("c", c, "is not a non-empty list of Fraction or int",
                                   "pass exact coefficients, e.g. [Fraction(1), Fraction(1, 2)]")
    if len(c) - 1 > 2 * MAX_CERT_J:
        raise InvalidArgumentError("c", f"{len(c)} coefficients",
                                   f"exceed degree 2 MAX_CERT_J = {2 * MAX_CERT_J}",
                                   "pass fewer coefficients (they grow like 2^J)")
    J = len(c) - 1
    out = [Fraction(0)] * (J + 1)
    out[0] += c[0]
    prev, cur = [1], [0, 1]             # T_0, T_1 as integer coefficient lists
    if J >= 1:
        out[1] += c[1]
    for m in range(2, J + 1):           # T_m = 2 z T_{m-1} - T_{m-2}
        nxt = [0] + [2 * x for x in cur]
        for i, x in enumerate(prev):
            nxt[i] -= x
        prev, cur = cur, nxt
        for i, x in enumerate(cur):
            if x:
                out[i] += c[m] * x
    return out


def _to_grid(x: float) -> Fraction:
    return Fraction(round(Fraction(x) * 2**GRID_BITS), 2**GRID_BITS)


@dataclass(frozen=True)
class AllNCertificate:
    """A proof that ``Gamma_bar_N`` is (or is not) positive semidefinite for every N.

    Attributes
    ----------
    verdict : {"psd", "not_psd", "inconclusive"}
        ``"psd"``: ``f_J >= 0`` on ``[0, pi]`` (then ``Gamma_bar_N`` is positive definite
        for every N). ``"not_psd"``: ``f_J(w*) < 0`` at the witness, so ``Gamma_bar_N``
        is indefinite for every large N. ``"inconclusive"``: ``|min f_J| <= slack``.
    J : int
    coefficients : tuple of sympy.Rational
        ``q_0..q_J``: the exact rationals standing for ``rho(0..J)``.
    slack : sympy.Rational
        Bound on ``|f_J - f_J^q|`` (0 for exact data).
    polynomial : sympy.Poly
        ``p(z) = q_0 + 2 sum q_m T_m(z)`` over QQ.
    root_intervals : tuple
        Isolating intervals of the real roots of ``p`` in ``[-1, 1]``.
    witness_z : sympy.Rational or None
        For ``"not_psd"``: a rational ``z`` with ``p(z) + slack < 0``.
    witness_value : sympy.Rational or None
        ``p(witness_z)`` exactly.
    min_value, w_min : float
        Float estimate of ``min f_J`` and its location (:func:`symbol_minimum`).
    """

    verdict: Verdict
    J: int
    coefficients: tuple
    slack: Any
    polynomial: Any = field(repr=False)
    root_intervals: tuple = field(repr=False)
    witness_z: Any
    witness_value: Any
    min_value: float
    w_min: float

    @property
    def psd_for_all_n(self) -> bool | None:
        """True / False when decisive, None when inconclusive."""
        return {"psd": True, "not_psd": False}.get(self.verdict)

    @property
    def witness_w(self) -> float | None:
        """``arccos(witness_z)`` in ``[0, pi]``."""
        return None if self.witness_z is None else float(math.acos(float(self.witness_z)))


def _probe_points():
    """Rational points of ``[-1, 1]`` tried in turn until one is not a root."""
    yield sp.Integer(0)
    k = 3
    while True:
        yield sp.Rational(1, k)
        yield sp.Rational(-1, k)
        k += 2


def _find_negative(P: sp.Poly, hint: sp.Rational) -> sp.Rational | None:
    """A rational ``z`` in ``[-1, 1]`` with ``P(z) < 0``, or None if none was found.

    Tries the float minimiser ``hint``, then both ends of the isolating intervals of the
    roots of odd multiplicity (``P`` changes sign across each), refined ever tighter.
    """
    if P.eval(hint) < 0:
        return hint
    for eps in (sp.Rational(1, 2**10), sp.Rational(1, 2**30), sp.Rational(1, 2**60)):
        for (a, b), k in P.intervals(eps=eps, inf=-1, sup=1):
            if k % 2 == 1:
                for z in (sp.Rational(a), sp.Rational(b)):
                    if P.eval(z) < 0:
                        return z
    return None


def _nonnegative(P: sp.Poly, hint: sp.Rational) -> tuple[bool, sp.Rational | None]:
    """Decide ``P >= 0`` on ``[-1, 1]`` exactly; return ``(verdict, witness of P < 0)``.

    ``P`` changes sign only at its real roots of odd multiplicity (square-free
    decomposition). If none lies in the open interval ``(-1, 1)`` (exact root isolation
    of each odd-multiplicity factor on ``[-1, 1]``, minus roots at the ends), ``P`` has one sign
    on ``[-1, 1]`` apart from its zeros, read off at any rational point that is not a root.
    """
    if P.is_zero:
        return True, None
    crossing = False
    for f, k in P.sqf_list()[1]:
        if k % 2 == 1 and f.degree() > 0:
            n = len(f.intervals(inf=-1, sup=1)) - int(f.eval(-1) == 0) - int(f.eval(1) == 0)
            crossing = crossing or n > 0
    if not crossing:
        for z in _probe_points():
            v = P.eval(z)
            if v != 0:
                return (True, None) if v > 0 else (False, z)
    z = _find_negative(P, hint)
    if z is None:  # pragma: no cover - a sign change always yields a negative endpoint
        raise RuntimeError("sign change found but no negative point isolated")
    return False, z


def certify_symbol(r: Any, J: int, rel: Fraction | int = 0) -> AllNCertificate:
    """Decide ``f_J >= 0`` on ``[0, pi]`` in exact arithmetic, for the float data ``r[0..J]``.

    Parameters
    ----------
    r : (J + 1,) array_like
        The float coefficients ``rho(0..J)``, taken as exact data when ``rel = 0``.
    J : int
        Truncation lag, ``0 <= J <= MAX_CERT_J``.
    rel : Fraction or int
        Relative accuracy of each ``r_m``, per unit of ``1 + |ln |r_m||`` (0: exact data).
        The slack of each coefficient is ``rel (1 + ceil|ln |r_m||) |r_m| + 2^-1000`` on top
        of its rounding to the grid ``2^-GRID_BITS``.

    Returns
    -------
    AllNCertificate
        ``"psd"`` when ``p - s >= 0`` on ``[-1, 1]``, ``"not_psd"`` with a rational witness
        ``z`` where ``p(z) + s < 0``, ``"inconclusive"`` otherwise (never for exact data).

    Examples
    --------
    >>> certify_symbol([1.0, 0.5], 1).verdict        # 1 + cos w >= 0, touching 0 at w = pi
    'psd'
    """
    J = check_nonnegative_int(J, "J")
    if J > MAX_CERT_J:
        raise InvalidArgumentError("J", J, f"exceeds MAX_CERT_J = {MAX_CERT_J}",
                                   "use the per-N tests or symbol_minimum for larger J")
    r = as_real_array(r, "r", ndim=1)
    if r.size != J + 1:
        raise InvalidArgumentError("r", r, f"has {r.size} lags, J = {J} needs {J + 1}",
                                   "pass r[:J + 1]")
    rel = Fraction(rel)
    # Scale-free: the grid is relative to max |r|, which r / 2^e puts in [1, 2) (exact);
    # every reported value is scaled back by 2^e. Correlations (max |r| = r_0 = 1) keep e = 0.
    peak = float(np.max(np.abs(r)))
    e = int(np.frexp(peak)[1]) - 1 if peak > 0 else 0
    unit = Fraction(2) ** e
    rs = np.ldexp(r, -e)
    q = [_to_grid(float(x)) for x in rs]
    slack = abs(Fraction(float(rs[0])) - q[0])
    for m, (x, xs) in enumerate(zip(r, rs, strict=True)):
        err = abs(Fraction(float(xs)) - q[m])
        if rel:  # the rounding model is relative to the data as given
            log_term = 1 + math.ceil(abs(math.log(abs(x)))) if x != 0.0 else 1
            err += rel * log_term * abs(Fraction(float(xs))) + Fraction(1, 2**1000)
        if m >= 1:
            slack += 2 * err
    cheb = [q[0]] + [2 * x for x in q[1:]]
    mono = chebyshev_to_monomial(cheb)
    P = sp.Poly([sp.Rational(x.numerator, x.denominator) for x in reversed(mono)], _Z, domain="QQ")
    s = sp.Rational(slack.numerator, slack.denominator)
    fmin, wmin = symbol_minimum(np.array([float(x) for x in q]), J)

    hint = sp.Rational(Fraction(math.cos(wmin)))
    witness_z = witness_value = None
    nonneg, _ = _nonnegative(P - s, hint)
    if nonneg:
        verdict: Verdict = "psd"
    else:
        upper_nonneg, z = _nonnegative(P + s, hint)
        if upper_nonneg:
            verdict = "inconclusive"
        else:
            verdict, witness_z, witness_value = "not_psd", z, P.eval(z)
    spans = tuple((sp.Rational(a), sp.Rational(b)) for (a, b), _ in
                  (P.intervals(inf=-1, sup=1) if P.degree() > 0 else []))
    if e:  # back to the units of r
        u = sp.Rational(unit.numerator, unit.denominator)
        q = [x * unit for x in q]
        s, P, fmin = s * u, P * u, float(np.ldexp(fmin, e))
        witness_value = None if witness_value is None else witness_value * u
    return AllNCertificate(verdict=verdict, J=J,
                           coefficients=tuple(sp.Rational(x.numerator, x.denominator) for x in q),
                           slack=s, polynomial=P, root_intervals=spans, witness_z=witness_z,
                           witness_value=witness_value, min_value=fmin, w_min=wmin)
