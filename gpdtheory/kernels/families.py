"""The closed-form correlation families of the paper and their tails (docs/theory.md §1).

=======================  ==================================  ===========================
family                   ``rho(m)``                          positive definite
=======================  ==================================  ===========================
``PoweredExponential``   ``exp(-|m|**nu / ell)``             every N iff ``0 < nu <= 2``
``Polynomial``           ``(1 + |m|/ell)**(-nu)``            every N (Pólya)
``Logarithmic``          ``(1 + log(1 + |m|/ell))**(-nu)``   every N (Pólya)
=======================  ==================================  ===========================
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import special

from ..errors import PositiveDefinitenessWarning
from ..validation import check_nonnegative_int, check_positive_scalar
from .base import Kernel

__all__ = ["PoweredExponential", "Polynomial", "Logarithmic", "FAMILIES", "NU_MAX", "ELL_MAX"]

#: Largest exponent accepted: beyond it ``rho`` is numerically the indicator of lag 0.
NU_MAX = 64.0
#: Largest length scale accepted: beyond it ``Gamma`` is numerically all ones (singular).
ELL_MAX = 1e12


def _check_ell_nu(ell: Any, nu: Any) -> tuple[float, float]:
    ell = check_positive_scalar(ell, "ell", upper=ELL_MAX,
                                fix=f"pass a length scale in (0, {ELL_MAX:g}]")
    nu = check_positive_scalar(nu, "nu", upper=NU_MAX, fix=f"pass an exponent in (0, {NU_MAX:g}]")
    return ell, nu


class PoweredExponential(Kernel):
    """``rho(m) = exp(-|m|**nu / ell)``, the paper's decay family.

    Positive definite on every N iff ``0 < nu <= 2`` (``exp(-|x|^nu)`` is the
    characteristic function of a symmetric stable law); ``nu = 1`` is AR(1) /
    Kac–Murdock–Szegő with ``r = e^{-1/ell}``, ``nu = 2`` the Gaussian kernel. For
    ``nu > 2`` a :class:`PositiveDefinitenessWarning` is issued and every use for a
    given N is checked.

    Examples
    --------
    >>> k = PoweredExponential(ell=2.0, nu=1.0)
    >>> bool(np.isclose(k(1.0), np.exp(-0.5)))
    True
    """

    family = "powered_exponential"
    summable = True

    def __init__(self, ell: float, nu: float):
        self.ell, self.nu = _check_ell_nu(ell, nu)
        self.always_positive_definite = self.nu <= 2.0
        if not self.always_positive_definite:
            warnings.warn(
                f"PoweredExponential(nu={self.nu:g}) is not positive definite for every N "
                "(only 0 < nu <= 2 is); each GPSpec checks its own N",
                PositiveDefinitenessWarning, stacklevel=2)

    @property
    def params(self) -> dict[str, float]:
        return {"ell": self.ell, "nu": self.nu}

    def _rho(self, m: np.ndarray) -> np.ndarray:
        return np.exp(-(m**self.nu) / self.ell)

    def tail_bound(self, J: int) -> float:
        """``sum_{m>J} rho(m) <= (ell^{1/nu}/nu) Gamma(1/nu, J^nu/ell)``.

        Via ``sum_{m>J} rho(m) <= int_J^inf e^{-x^nu/ell} dx``.
        """
        J = check_nonnegative_int(J, "J")
        s = 1.0 / self.nu
        with np.errstate(over="ignore"):  # J**nu beyond float64: the tail is 0
            x = np.float64(J) ** self.nu / self.ell
        # Gamma(s, x) = gamma(s) * gammaincc(s, x); log form avoids overflow of gamma(s).
        upper = special.gammaincc(s, x)
        if upper == 0.0:
            return 0.0
        with np.errstate(over="ignore", invalid="ignore"):  # tiny nu: the bound is +inf
            out = float(np.exp(s * np.log(self.ell) - np.log(self.nu) + special.gammaln(s)
                               + np.log(upper)))
        # 1/nu = inf (nu subnormal) makes the exponent inf - inf: +inf is the honest bound
        return math.inf if math.isnan(out) else out


class Polynomial(Kernel):
    """``rho(m) = (1 + |m|/ell)**(-nu)``: convex and decreasing, so PD on every N (Pólya).

    Summable iff ``nu > 1``; then ``sum_{m>J} rho(m) <= ell/(nu-1) (1 + J/ell)^{1-nu}``.
    """

    family = "polynomial"
    always_positive_definite = True

    def __init__(self, ell: float, nu: float):
        self.ell, self.nu = _check_ell_nu(ell, nu)
        self.summable = self.nu > 1.0

    @property
    def params(self) -> dict[str, float]:
        return {"ell": self.ell, "nu": self.nu}

    def _rho(self, m: np.ndarray) -> np.ndarray:
        return (1.0 + m / self.ell) ** (-self.nu)

    def tail_bound(self, J: int) -> float:
        """``int_J^inf (1 + x/ell)^{-nu} dx = ell/(nu-1) (1 + J/ell)^{1-nu}``.

        ``inf`` if ``nu <= 1``.
        """
        J = check_nonnegative_int(J, "J")
        if self.nu <= 1.0:
            return math.inf
        return float(self.ell / (self.nu - 1.0) * (1.0 + J / self.ell) ** (1.0 - self.nu))


class Logarithmic(Kernel):
    """``rho(m) = (1 + log(1 + |m|/ell))**(-nu)``: Pólya, never summable.

    ``lmax(Gamma_N)`` grows without bound (like ``N / log(N)^nu``), so this is the
    family where the condition number and the truncation length must grow with N.
    """

    family = "logarithmic"
    always_positive_definite = True
    summable = False

    def __init__(self, ell: float, nu: float):
        self.ell, self.nu = _check_ell_nu(ell, nu)

    @property
    def params(self) -> dict[str, float]:
        return {"ell": self.ell, "nu": self.nu}

    def _rho(self, m: np.ndarray) -> np.ndarray:
        return (1.0 + np.log1p(m / self.ell)) ** (-self.nu)


#: The closed-form families, by name, for strategies and sweeps.
FAMILIES: dict[str, type[Kernel]] = {
    "powered_exponential": PoweredExponential,
    "polynomial": Polynomial,
    "logarithmic": Logarithmic,
}
