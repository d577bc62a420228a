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

The exact decision on the numbers lives in :func:`gpdtheory.symbol.certify_symbol` (below
the kernels, which use it for a zero extension); this module adds the rounding model of a
kernel's float evaluation.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..errors import InvalidArgumentError
from ..kernels import Kernel
from ..symbol import GRID_BITS, MAX_CERT_J, AllNCertificate, certify_symbol, chebyshev_to_monomial
from ..validation import as_real_array, check_nonnegative_int

__all__ = ["AllNCertificate", "certify_all_n", "chebyshev_to_monomial", "KERNEL_REL_ERROR",
           "GRID_BITS", "MAX_CERT_J"]

#: Assumed relative accuracy of a float kernel evaluation, per unit of ``1 + |ln rho|``
#: (``2^-50``: eight ulp of headroom over correctly rounded exp, pow and log1p).
KERNEL_REL_ERROR = Fraction(1, 2**50)


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
        r = kernel_or_r.autocovariance(J + 1, dt)     # validates dt, and J dt in range
        rel = KERNEL_REL_ERROR if rel_error is None else Fraction(rel_error)
    else:
        r = as_real_array(kernel_or_r, "kernel_or_r", ndim=1)
        if r.size <= J:
            raise InvalidArgumentError("kernel_or_r", r,
                                       f"has {r.size} lags, J = {J} needs {J + 1}",
                                       "pass more lags or a smaller J")
        r = r[:J + 1]
        rel = Fraction(0) if rel_error is None else Fraction(rel_error)
    return certify_symbol(r, J, rel)
