"""View 2 of docs/theory.md §4: a certificate, in exact rational arithmetic, for every N.

``Gamma_bar_N`` (hard truncation at lag J) is positive semidefinite for every N iff

    f_J(w) = rho(0) + 2 sum_{m=1}^{J} rho(m) cos(m w) >= 0   on [0, pi]

(a Toeplitz matrix's spectrum lies in ``[min f, max f]`` and fills it as N grows). With
``z = cos w`` and ``cos(m w) = T_m(z)`` this is ``p(z) = sum_m c_m T_m(z) >= 0`` on
``[-1, 1]``, a polynomial question settled exactly with sympy: ``p`` changes sign only at
real roots of odd multiplicity (square-free decomposition), which are counted in
``(-1, 1)`` by exact real-root isolation (``Poly.intervals``, continued fractions / Descartes'
rule of signs); without such a root the sign of
``p`` is read at one rational non-root point, and with one a negative point is isolated
(``Poly.intervals``). No grid is involved.

Honest rounding
---------------
The data are floats. Each ``rho(m)`` is replaced by ``q_m``, a rational on the grid
``2^-64`` (so that the polynomial's coefficients stay short), and every discrepancy goes
into a rational *slack* ``s`` with ``|f_J^true(w) - f_J^q(w)| <= s`` for all w:

* rounding to the grid: ``|fl(rho_m) - q_m| <= 2^-65``, computed exactly;
* the float evaluation of a closed-form kernel: ``|fl(rho_m) - rho_m| <=
  KERNEL_REL_ERROR (1 + |ln rho_m|) rho_m + 2^-1000`` (exp/pow/log1p accurate to a few
  ulp; the ``|ln rho|`` term is the conditioning of ``exp``; checked against mpmath in
  the tests). An array ``r`` is taken as exact data (no such term).

Then ``p - s >= 0`` on ``[-1, 1]`` proves ``f_J >= 0`` (verdict ``"psd"``), a rational
``z`` with ``p(z) + s < 0`` proves ``f_J(arccos z) < 0`` (verdict ``"not_psd"``: some
finite N fails), and otherwise the minimum lies within the slack of 0 (``"inconclusive"``).
For exact data ``s = 0`` and the verdict is always decisive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import sympy as sp

from ..errors import InvalidArgumentError
from ..kernels import Kernel
from ..truncation import symbol_minimum
from ..validation import as_real_array, check_nonnegative_int, check_positive_scalar

__all__ = ["AllNCertificate", "certify_all_n", "chebyshev_to_monomial", "KERNEL_REL_ERROR",
           "GRID_BITS", "MAX_CERT_J"]

#: Assumed relative accuracy of a float kernel evaluation, per unit of ``1 + |ln rho|``
#: (``2^-50``: eight ulp of headroom over correctly rounded exp, pow and log1p).
KERNEL_REL_ERROR = Fraction(1, 2**50)
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


def certify_all_n(kernel_or_r: Any, J: int, rel_error: Any = None, dt: float = 1.0
                  ) -> AllNCertificate:
    """Certify, in exact arithmetic, whether ``f_J >= 0``: PSD of ``Gamma_bar_N`` for all N.

    Parameters
    ----------
    kernel_or_r : Kernel or (M,) array_like
        A kernel (evaluated at lags ``m dt``) or exact autocovariance data ``r[0..J]``
        (``M > J``).
    J : int
        Truncation lag, ``0 <= J <= MAX_CERT_J``.
    rel_error : Fraction or float, optional
        Relative accuracy of the float ``rho(m)``, per unit of ``1 + |ln rho(m)|``.
        Default: ``KERNEL_REL_ERROR`` for a kernel, 0 for an array (exact data).

    Returns
    -------
    AllNCertificate

    Notes
    -----
    docs/theory.md §4, view 2; see the module docstring for the rounding argument.
    Cost: one real-root isolation of a degree-J rational polynomial (milliseconds for
    ``J <= 64``).

    Examples
    --------
    >>> certify_all_n([1.0, 0.5], 1).verdict        # 1 + cos w >= 0, touching 0 at w = pi
    'psd'
    >>> c = certify_all_n([1.0, 0.5000001], 1)
    >>> c.verdict, float(c.witness_value) < 0
    ('not_psd', True)
    """
    J = check_nonnegative_int(J, "J")
    if J > MAX_CERT_J:
        raise InvalidArgumentError("J", J, f"exceeds MAX_CERT_J = {MAX_CERT_J}",
                                   "use the per-N tests or symbol_minimum for larger J")
    if rel_error is not None:
        if not isinstance(rel_error, Fraction):
            rel_error = Fraction(float(as_real_array(rel_error, "rel_error", ndim=0)))
        if rel_error < 0:
            raise InvalidArgumentError("rel_error", rel_error, "is negative",
                                       "pass a relative accuracy >= 0 (or None for the default)")
    if isinstance(kernel_or_r, Kernel):
        dt = check_positive_scalar(dt, "dt")
        r = kernel_or_r(np.arange(J + 1, dtype=np.float64) * dt)
        rel = KERNEL_REL_ERROR if rel_error is None else Fraction(rel_error)
    else:
        r = as_real_array(kernel_or_r, "kernel_or_r", ndim=1)
        if r.size <= J:
            raise InvalidArgumentError("kernel_or_r", r,
                                       f"has {r.size} lags, J = {J} needs {J + 1}",
                                       "pass more lags or a smaller J")
        r = r[:J + 1]
        rel = Fraction(0) if rel_error is None else Fraction(rel_error)
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
