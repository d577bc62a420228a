"""Certified decay envelopes of scikit-learn kernel expressions (docs/theory.md §§2-3).

:func:`certify` maps a scikit-learn kernel (Matérn, RBF, RationalQuadratic, constants,
white noise, periodic parts, and their sums, products and powers) to an envelope whose
``tail(J)`` is a rigorous upper bound on ``sum_{m>J} |k(m)|`` at integer lags and whose
``sup(J)`` bounds ``max_{m>J} |k(m)|``; a kernel without a certificate raises
:class:`Uncertified`, with the reason. Each envelope's docstring carries its derivation.
"""

from __future__ import annotations

import abc
import math
from typing import Any

import numpy as np
from scipy import special

__all__ = ["Env", "Uncertified", "certify"]


class Uncertified(Exception):
    """A scikit-learn kernel whose decay the package cannot certify (message: why)."""


class Env(abc.ABC):
    """Certified bounds on an unnormalised scikit-learn kernel ``k`` at integer lags.

    ``tail(J) >= sum_{m>J} |k(m)|`` and ``sup(J) >= max_{m>J} |k(m)|``; ``note`` says how.
    Subclasses are module-level so that kernels holding them pickle (process pools, Dask).
    """

    note = ""
    singular = False  # periodic parts: Gamma_N singular (or nearly) for large N

    @abc.abstractmethod
    def tail(self, J: int) -> float:
        """An upper bound on ``sum_{m>J} |k(m)|``."""

    @abc.abstractmethod
    def sup(self, J: int) -> float:
        """An upper bound on ``max_{m>J} |k(m)|``."""


class _MonotoneEnv(Env):
    """A positive kernel decreasing in the lag: with ``I(x) >= int_x^inf k``,
    ``sum_{m>J} k(m) <= min(I(J), k(J+1) + I(J+1))`` (the second is tighter for fast decay).
    """

    @abc.abstractmethod
    def integral(self, x: int) -> float:
        """An upper bound on ``int_x^inf k``."""

    def tail(self, J: int) -> float:
        return min(self.integral(J), self.sup(J) + self.integral(J + 1))


class _RBFEnv(_MonotoneEnv):
    """``k = exp(-m^2 / (2 l^2))``, decreasing: ``sum_{m>J} <= int_J^inf = l sqrt(pi/2)
    erfc(J / (l sqrt 2))``."""

    def __init__(self, ell: float):
        self.ell = ell
        self.note = f"RBF(l={ell:.4g}): Gaussian decay exp(-m^2/(2 l^2))"

    def integral(self, J: int) -> float:
        return float(self.ell * math.sqrt(math.pi / 2.0)
                     * special.erfc(J / (self.ell * math.sqrt(2.0))))

    def sup(self, J: int) -> float:
        return math.exp(-((J + 1.0) ** 2) / (2.0 * self.ell**2))


class _MaternEnv(_MonotoneEnv):
    """Matérn ``k(r) = A (c r)^nu K_nu(c r)``, ``A = 2^{1-nu}/Gamma(nu)``, ``c = sqrt(2 nu)/l``.

    ``x^nu K_nu(x)`` is positive and decreasing (its derivative is ``-x^nu K_{nu-1}(x)``),
    so ``sum_{m>J} k(m) <= int_J^inf k(x) dx``. With ``d/dx[x^{nu+1} K_{nu+1}(x)] =
    -x^{nu+1} K_nu(x)``, for ``z = c J > 0``::

        int_J^inf k = (A/c) int_z^inf y^nu K_nu(y) dy <= (A/c) z^{-1} int_z^inf y^{nu+1}
        K_nu(y) dy = (A/c) z^nu K_{nu+1}(z),

    and ``int_0^inf k = sqrt(pi) Gamma(nu + 1/2) / (c Gamma(nu))`` exactly. Asymptotically
    ``K_{nu+1}(z) ~ sqrt(pi/(2z)) e^{-z}``: exponential decay at the rate ``c``.
    """

    def __init__(self, ell: float, nu: float):
        self.ell, self.nu = ell, nu
        self.c = math.sqrt(2.0 * nu) / ell
        self.logA = (1.0 - nu) * math.log(2.0) - special.gammaln(nu)
        self.full = math.exp(0.5 * math.log(math.pi) + special.gammaln(nu + 0.5)
                             - special.gammaln(nu) - math.log(self.c))
        self.note = (f"Matern(l={ell:.4g}, nu={nu:.4g}): exponential decay, rate "
                     f"sqrt(2 nu)/l = {self.c:.4g}; sum_{{m>J}} <= (A/c) z^nu K_(nu+1)(z), z = c J")

    def _log_xk(self, z: float, order: float) -> float:
        """``log(z^nu K_order(z))`` via the scaled ``kve`` (no overflow)."""
        with np.errstate(all="ignore"):
            return float(self.nu * np.log(z) + np.log(special.kve(order, z)) - z)

    def integral(self, J: int) -> float:
        if J == 0:
            return self.full
        z = self.c * J
        val = math.exp(min(700.0, self.logA - math.log(self.c) + self._log_xk(z, self.nu + 1.0)))
        return min(self.full, val) if math.isfinite(val) else self.full

    def sup(self, J: int) -> float:
        z = self.c * (J + 1.0)
        val = math.exp(min(0.0, self.logA + self._log_xk(z, self.nu)))
        return val if math.isfinite(val) else 1.0


class _RQEnv(_MonotoneEnv):
    """RationalQuadratic ``k = (1 + m^2/s^2)^{-alpha}``, ``s^2 = 2 alpha l^2``: decreasing,
    polynomial decay of exponent ``2 alpha`` (summable iff ``alpha > 1/2``).

    ``sum_{m>J} k(m) <= int_J^inf k <= min(s sqrt(pi) Gamma(alpha - 1/2) / (2 Gamma(alpha)),
    s^{2 alpha} J^{1 - 2 alpha} / (2 alpha - 1))`` (the second from ``k <= (x/s)^{-2 alpha}``).
    """

    def __init__(self, ell: float, alpha: float):
        self.ell, self.alpha = ell, alpha
        self.s = math.sqrt(2.0 * alpha) * ell
        self.note = (f"RationalQuadratic(l={ell:.4g}, alpha={alpha:.4g}): polynomial decay, "
                     f"exponent 2 alpha = {2 * alpha:.4g}")
        if alpha <= 0.5:
            self.note = (f"RationalQuadratic(l={ell:.4g}, alpha={alpha:.4g}) decays like "
                         f"m^-2alpha = m^-{2 * alpha:.4g}, not summable for alpha <= 1/2")
        if alpha > 0.5:
            self.full = math.exp(math.log(self.s) + 0.5 * math.log(math.pi)
                                 + special.gammaln(alpha - 0.5) - special.gammaln(alpha)
                                 - math.log(2.0))
        else:
            self.full = math.inf

    def integral(self, J: int) -> float:
        a = self.alpha
        if a <= 0.5:
            return math.inf
        if J == 0:
            return self.full
        power = math.exp(2 * a * math.log(self.s) + (1 - 2 * a) * math.log(J)
                         - math.log(2 * a - 1))
        return min(self.full, power)

    def sup(self, J: int) -> float:
        return (1.0 + (J + 1.0) ** 2 / self.s**2) ** (-self.alpha)


class _ConstEnv(Env):
    def __init__(self, value: float, note: str, singular: bool = False):
        self.value, self.note, self.singular = value, note, singular

    def tail(self, J: int) -> float:
        return math.inf if self.value > 0 else 0.0

    def sup(self, J: int) -> float:
        return self.value


class _SumEnv(Env):
    def __init__(self, a: Env, b: Env):
        self.a, self.b = a, b
        self.note = f"({a.note}) + ({b.note})"
        self.singular = a.singular and b.singular

    def tail(self, J: int) -> float:
        return self.a.tail(J) + self.b.tail(J)

    def sup(self, J: int) -> float:
        return self.a.sup(J) + self.b.sup(J)


def _times(s: float, t: float) -> float:
    """``s * t`` with ``0 * inf = 0`` (a factor that vanishes beyond J kills the tail)."""
    return 0.0 if s == 0.0 or t == 0.0 else s * t


class _ProductEnv(Env):
    """``sum |k1 k2| <= min(sup k1 * sum |k2|, sup k2 * sum |k1|)`` over ``m > J``."""

    def __init__(self, a: Env, b: Env):
        self.a, self.b = a, b
        self.note = f"({a.note}) * ({b.note})"
        self.singular = a.singular or b.singular

    def tail(self, J: int) -> float:
        return min(_times(self.a.sup(J), self.b.tail(J)), _times(self.b.sup(J), self.a.tail(J)))

    def sup(self, J: int) -> float:
        return _times(self.a.sup(J), self.b.sup(J))


class _PowerEnv(Env):
    """``|k|^p`` for ``p >= 1``: ``sum |k|^p <= (sup |k|)^{p-1} sum |k|``."""

    def __init__(self, base: Env, p: float):
        self.base, self.p = base, p
        self.note = f"({base.note})**{p:g}"
        self.singular = base.singular

    def tail(self, J: int) -> float:
        return _times(self.base.sup(J) ** (self.p - 1.0), self.base.tail(J))

    def sup(self, J: int) -> float:
        return self.base.sup(J) ** self.p


def _scalar_length_scale(kernel: Any) -> float:
    ls = np.atleast_1d(np.asarray(kernel.length_scale, dtype=np.float64))
    if ls.size != 1:
        raise Uncertified(f"{type(kernel).__name__} has an anisotropic length scale")
    return float(ls[0])


def certify(kernel: Any) -> Env:
    """Certified decay bounds for a scikit-learn kernel expression, or :class:`Uncertified`."""
    from sklearn.gaussian_process import kernels as K  # sklearn is an optional extra

    if isinstance(kernel, K.Matern):
        ell, nu = _scalar_length_scale(kernel), float(kernel.nu)
        return _RBFEnv(ell) if math.isinf(nu) else _MaternEnv(ell, nu)
    if isinstance(kernel, K.RBF):
        return _RBFEnv(_scalar_length_scale(kernel))
    if isinstance(kernel, K.RationalQuadratic):
        return _RQEnv(_scalar_length_scale(kernel), float(kernel.alpha))
    if isinstance(kernel, K.ConstantKernel):
        c = float(np.asarray(kernel.constant_value))
        return _ConstEnv(abs(c), f"constant {c:g} (does not decay)")
    if isinstance(kernel, K.WhiteKernel):
        return _ConstEnv(0.0, "white noise (lag 0 only)")
    if isinstance(kernel, K.ExpSineSquared):
        return _ConstEnv(1.0, "ExpSineSquared: periodic, |k| returns to 1 every period "
                         "(not summable)", singular=True)
    if isinstance(kernel, K.Sum):
        return _SumEnv(certify(kernel.k1), certify(kernel.k2))
    if isinstance(kernel, K.Product):
        return _ProductEnv(certify(kernel.k1), certify(kernel.k2))
    if isinstance(kernel, K.Exponentiation):
        p = float(kernel.exponent)
        base = kernel.kernel
        if p >= 1.0:
            return _PowerEnv(certify(base), p)
        # exact reparametrisations for p < 1: RBF^p and RQ^p are again RBF and RQ
        if isinstance(base, K.RBF) and not isinstance(base, K.Matern):  # Matern subclasses RBF
            return _RBFEnv(_scalar_length_scale(base) / math.sqrt(p))
        if isinstance(base, K.RationalQuadratic):
            return _RQEnv(_scalar_length_scale(base) / math.sqrt(p), float(base.alpha) * p)
        raise Uncertified(f"Exponentiation with exponent {p:g} < 1 of {type(base).__name__}")
    raise Uncertified(f"no decay certificate for {type(kernel).__name__}")
