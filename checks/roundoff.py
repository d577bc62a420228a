"""The round-off rule of the claim table, one for every claim (docs/theory.md §11).

A bound that theory says is *attained* (an empty truncation tail, ``Gamma_bar`` a multiple
of ``I``, gradient descent on a ``1 x 1`` system, Theorem S with a tail below the unit
round-off) cannot be checked as ``measured <= bound`` in floating point: both sides are
rounded, and which one comes out larger depends on the machine (summation order in BLAS,
fused multiply-adds, thread count). Such a row holds when

    measured <= bound + allowance,    allowance = C0 * n * u * K * scale,

with ``u = 2**-53`` the unit round-off, ``n`` the dimension of the computation (``N d``),
``K`` the condition number of the computation that produced the measured side (``kappa_t``
for a solve with ``C_t``, ``L`` for ``L`` repeated steps, 1 for a sum of non-negative
terms), ``scale`` the magnitude of the quantities compared, and ``C0 = 4``: one rounding in
each side, one in the norm and one in the subtraction. The allowance is the first-order
forward-error bound of those computations (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., §3.1 and §7.1), not a fitted tolerance.

A row that is not attained gets no allowance: its margin is the theorem's, and it is
checked exactly.
"""

from __future__ import annotations

import math

__all__ = ["UNIT_ROUNDOFF", "C0", "allowance", "gd_floor"]

#: The unit round-off of IEEE float64, ``2**-53``.
UNIT_ROUNDOFF = 2.0**-53
#: Roundings counted per attained comparison: measured side, bound side, norm, subtraction.
C0 = 4.0


def allowance(n: int, cond: float, scale: float) -> float:
    """Round-off allowance ``C0 * n * u * cond * scale`` of an attained bound.

    Parameters
    ----------
    n : int
        Dimension of the computation (``N d``), at least 1.
    cond : float
        Condition number of the computation that produced the measured side, at least 1.
    scale : float
        Magnitude of the compared quantities (usually ``max(|measured|, |bound|)``).

    Returns
    -------
    float
        The allowance, finite and non-negative.

    Examples
    --------
    >>> allowance(1, 1.0, 1.0) == 4 * 2.0**-53
    True
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"allowance: n must be an int >= 1, got {n!r}")
    if not (math.isfinite(cond) and cond >= 1.0):
        raise ValueError(f"allowance: cond must be finite and >= 1, got {cond!r}")
    if not (math.isfinite(scale) and scale >= 0.0):
        raise ValueError(f"allowance: scale must be finite and >= 0, got {scale!r}")
    return C0 * n * UNIT_ROUNDOFF * cond * scale


def gd_floor(terms: int, magnitude: float, steps: float) -> float:
    """Forward-error bound of float64 gradient descent, relative to ``||Y_bar*||_F``.

    One GD step ``Y <- Y - eta (alpha^2 Gamma_bar Y Sigma + sigma^2 Y - X)`` forms each entry
    as a sum of at most ``terms`` products (``2J + 1`` band terms, ``d`` terms of ``Sigma``
    and 3 more), so its rounding ``delta_k`` obeys ``||delta_k||_F <= gamma_terms
    magnitude max(||Y_k||, ||X|| eta)`` with ``gamma_m = m u / (1 - m u)`` (Higham §3.1,
    §3.5), ``magnitude = eta alpha^2 || |Gamma_bar| ||_2 || |Sigma| ||_2 + 3``, and
    ``||Y_k|| <= 2 ||Y_bar*||``, ``eta ||X|| <= ||Y_bar*||``. The errors are carried by the
    contraction ``I - eta C_bar`` of norm ``q = 1 - mu_bar/Lambda``, so after ``k`` steps
    they sum to at most ``sum_j q^j max_k ||delta_k|| <= min(k, Lambda/mu_bar) max ||delta||``
    (``steps``). The bound is ``C0 terms u magnitude 2 steps``, ``C0 = 4`` covering
    ``gamma_m <= 1.01 m u`` and the final norm and subtraction (docs/theory.md §11).

    Examples
    --------
    >>> gd_floor(1, 1.0, 1.0) == 8 * 2.0**-53
    True
    """
    if not (isinstance(terms, int) and terms >= 1):
        raise ValueError(f"gd_floor: terms must be an int >= 1, got {terms!r}")
    if not (math.isfinite(magnitude) and magnitude >= 0.0 and math.isfinite(steps)
            and steps >= 0.0):
        raise ValueError(f"gd_floor: magnitude and steps must be finite and >= 0, got "
                         f"{magnitude!r}, {steps!r}")
    return C0 * terms * UNIT_ROUNDOFF * magnitude * 2.0 * steps
