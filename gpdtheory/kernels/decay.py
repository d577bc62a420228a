"""Declared and certified bounds on the decay of ``|rho(m)|`` (docs/theory.md §§2-3).

A :class:`Decay` gives a closed-form tail ``T(J) >= sum_{m>J} |rho(m)|``, which the N-free
bounds need when a correlation is known only on finitely many lags (measured data) or
through a kernel the package cannot certify.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..validation import check_nonnegative_int, check_positive_scalar

__all__ = ["Decay"]


class Decay:
    """A bound on the decay of ``|rho(m)|``, declared by the user or certified by the package.

    Three forms, each with a closed-form tail ``T(J) >= sum_{m>J} |rho(m)|`` (``dt = 1``):

    ``exponential``
        ``|rho(m)| <= C exp(-rate m)`` for every ``m >= 1``:
        ``T(J) = C e^{-rate (J+1)} / (1 - e^{-rate})`` (a geometric series).
    ``polynomial``
        ``|rho(m)| <= C m^{-exponent}`` for every ``m >= 1``, ``exponent > 1`` for
        summability: ``T(0) = C (1 + 1/(exponent - 1))`` and, for ``J >= 1``,
        ``T(J) = C J^{1-exponent} / (exponent - 1)`` (``m^{-p}`` is decreasing, so the sum
        over ``m > J`` is at most ``int_J^inf x^{-p} dx``).
    ``tail``
        an explicit callable ``tail(J)``, trusted as given (non-increasing in J).

    A declared decay is a promise about the user's process beyond the lags the package can
    see; a *certified* one (``source="certified"``) is derived by the package (scikit-learn's
    Matérn, RBF, RationalQuadratic and their sums, products and powers; see
    :class:`SklearnKernel`). The N-free bounds of docs/theory.md §2-3 need a finite ``T(0)``.

    Parameters
    ----------
    kind : {"exponential", "polynomial", "tail"}
    rate : float
        Exponential rate, ``> 0``.
    exponent : float
        Polynomial exponent, ``> 0`` (summable iff ``> 1``).
    C : float
        Constant of the envelope, ``> 0``.
    tail : callable, optional
        ``tail(J) -> float`` for ``kind="tail"``.
    source : {"declared", "certified"}
    note : str
        How the bound was obtained (reports).

    Examples
    --------
    >>> d = Decay.exponential(0.5)
    >>> bool(abs(d.tail_bound(0) - math.exp(-0.5) / (1 - math.exp(-0.5))) < 1e-15)
    True
    """

    KINDS = ("exponential", "polynomial", "tail")

    def __init__(self, kind: str, *, rate: float = math.nan, exponent: float = math.nan,
                 C: float = 1.0, tail: Any = None, source: str = "declared", note: str = ""):
        if kind not in self.KINDS:
            raise InvalidArgumentError("decay.kind", kind, "is not a decay form",
                                       "pass one of " + ", ".join(self.KINDS))
        if source not in ("declared", "certified"):
            raise InvalidArgumentError("decay.source", source, "is unknown",
                                       "pass 'declared' or 'certified'")
        self.kind, self.source, self.note = kind, source, note
        self.C = check_positive_scalar(C, "decay.C", fix="pass the envelope constant C > 0")
        self.rate = self.exponent = math.nan
        self._tail: Callable[[int], Any] | None = None
        if kind == "exponential":
            self.rate = check_positive_scalar(rate, "decay.rate",
                                              fix="pass the exponential rate a > 0 of "
                                                  "|rho(m)| <= C exp(-a m)")
        elif kind == "polynomial":
            self.exponent = check_positive_scalar(exponent, "decay.exponent",
                                                  fix="pass p > 1 of |rho(m)| <= C m^-p")
        else:
            if not callable(tail):
                raise InvalidArgumentError("decay.tail", tail, "is not callable",
                                           "pass a function J -> bound on sum_{m>J} |rho(m)|")
            self._tail = tail

    @classmethod
    def exponential(cls, rate: float, C: float = 1.0, **kw: Any) -> Decay:
        """``|rho(m)| <= C exp(-rate m)`` for ``m >= 1``."""
        return cls("exponential", rate=rate, C=C, **kw)

    @classmethod
    def polynomial(cls, exponent: float, C: float = 1.0, **kw: Any) -> Decay:
        """``|rho(m)| <= C m^{-exponent}`` for ``m >= 1``."""
        return cls("polynomial", exponent=exponent, C=C, **kw)

    @classmethod
    def explicit(cls, tail: Any, **kw: Any) -> Decay:
        """An explicit tail bound ``tail(J) >= sum_{m>J} |rho(m)|``."""
        return cls("tail", tail=tail, **kw)

    @property
    def summable(self) -> bool:
        """Whether ``sum_m |rho(m)|`` is finite under this bound."""
        if self.kind == "polynomial":
            return self.exponent > 1.0
        return math.isfinite(self.tail_bound(0))

    def tail_bound(self, J: int) -> float:
        """``T(J) >= sum_{m>J} |rho(m)|`` (see the class docstring for each form)."""
        J = check_nonnegative_int(J, "J")
        if self.kind == "exponential":
            a = self.rate
            return float(self.C * math.exp(-a * (J + 1.0)) / -math.expm1(-a))
        if self.kind == "polynomial":
            p = self.exponent
            if p <= 1.0:
                return math.inf
            if J == 0:
                return float(self.C * (1.0 + 1.0 / (p - 1.0)))
            return float(self.C * math.exp((1.0 - p) * math.log(J)) / (p - 1.0))
        # kind == "tail" here, and __init__ stores a callable for that kind
        assert self._tail is not None
        out = float(self._tail(J))
        if math.isnan(out) or out < 0.0:
            raise InvalidArgumentError("decay.tail", out, f"returned {out} at J={J}",
                                       "return a nonnegative bound on sum_{m>J} |rho(m)|")
        return out

    def envelope(self, m: Any) -> np.ndarray:
        """The declared pointwise bound ``C exp(-rate m)`` or ``C m^-exponent`` (``m >= 1``).

        Returns
        -------
        ndarray of float64
            ``nan`` for ``kind="tail"``, which bounds sums only.
        """
        m = np.asarray(m, dtype=np.float64)
        if self.kind == "exponential":
            return self.C * np.exp(-self.rate * m)
        if self.kind == "polynomial":
            return self.C * m ** -self.exponent
        return np.full(m.shape, np.nan)

    #: Relative slack when data are held against a declaration (rounding of the data).
    CHECK_RTOL = 1e-9

    def check_against(self, rho: Any, name: str = "decay") -> None:
        """Refuse a declaration that the measured ``rho[0..M-1]`` contradict.

        ``exponential`` and ``polynomial`` promise ``|rho(m)| <= envelope(m)`` at every
        ``m >= 1``, so at the measured lags too; ``tail`` promises
        ``tail(J) >= sum_{m>J} |rho(m)|``, so at least the measured part of that sum.

        Raises
        ------
        InvalidArgumentError
            Naming ``name``, the first lag that violates the declaration and the fix.
        """
        r = np.abs(np.asarray(rho, dtype=np.float64))
        if r.size < 2:
            return
        m = np.arange(1, r.size, dtype=np.float64)
        if self.kind == "tail":
            data_tails = np.cumsum(r[:0:-1])[::-1]  # sum_{m>J} over the data, J = 0..M-2
            bound = np.array([self.tail_bound(J) for J in range(r.size - 1)])
            bad = np.flatnonzero(data_tails > bound * (1 + self.CHECK_RTOL))
            if bad.size:
                J = int(bad[0])
                raise InvalidArgumentError(name, self, f"is contradicted by the data: at J={J} "
                                           f"the measured sum_{{m>J}} |rho(m)| = "
                                           f"{data_tails[J]:.6g} exceeds tail({J}) = "
                                           f"{bound[J]:.6g}", "declare a larger tail bound")
            return
        env = self.envelope(m)
        bad = np.flatnonzero(r[1:] > env * (1 + self.CHECK_RTOL))
        if bad.size:
            i = int(bad[0])
            form = (f"{self.C:g} exp(-{self.rate:g} m)" if self.kind == "exponential"
                    else f"{self.C:g} m^-{self.exponent:g}")
            # the largest rate (or exponent) the data allow with this C, for the fix
            logs = np.log(self.C / np.maximum(r[1:], 1e-300))
            if self.kind == "exponential":
                limit = float(np.min(logs / m))
            elif logs[0] < 0:  # |rho(1)| > C: no exponent helps
                limit = -1.0
            else:
                limit = float(np.min(logs[1:] / np.log(m[1:]), initial=math.inf))
            what = "exponential rate" if self.kind == "exponential" else "exponent"
            fix = (f"declare an {what} of at most {limit:.4g} with C = {self.C:g} "
                   "(or a larger C), or check the data" if limit > 0 else
                   "declare a larger C, or check the data")
            raise InvalidArgumentError(name, self, f"is contradicted by the data: the first "
                                       f"violating lag is m={i + 1}, where |rho({i + 1})| = "
                                       f"{r[i + 1]:.6g} > {form} = {env[i]:.6g}", fix)

    def describe(self) -> str:
        """One line for reports, e.g. ``"exponential, rate 0.577 (certified)"``."""
        if self.kind == "exponential":
            text = f"exponential, rate {self.rate:.4g}"
        elif self.kind == "polynomial":
            text = f"polynomial, exponent {self.exponent:.4g}"
        else:
            text = "explicit tail bound"
        return f"{text} ({self.source}{': ' + self.note if self.note else ''})"

    def __repr__(self) -> str:
        return f"Decay({self.describe()})"

    @classmethod
    def from_dict(cls, data: dict[str, Any], key: str = "decay") -> Decay:
        """A declared decay from ``{"kind", "rate" or "exponent", "C"}`` (scenario files)."""
        if not isinstance(data, dict):
            raise InvalidArgumentError(key, data, "is not a table",
                                       'write e.g. decay = {kind = "exponential", rate = 0.5}')
        allowed = {"kind", "rate", "exponent", "C"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise InvalidArgumentError(f"{key}.{unknown[0]}", data[unknown[0]], "is not a key of a "
                                       "decay", "use only " + ", ".join(sorted(allowed)))
        kind = data.get("kind")
        if kind not in ("exponential", "polynomial"):
            raise InvalidArgumentError(f"{key}.kind", kind, "is not a declarable decay form",
                                       'pass kind = "exponential" (with rate) or "polynomial" '
                                       "(with exponent)")
        need = "rate" if kind == "exponential" else "exponent"
        if need not in data:
            raise InvalidArgumentError(f"{key}.{need}", None, f"is missing for kind = {kind!r}",
                                       f"add {need} = <positive number>")
        for k in ("rate", "exponent", "C"):
            if k in data and (isinstance(data[k], bool)
                              or not isinstance(data[k], (int, float))):
                raise InvalidArgumentError(f"{key}.{k}", data[k], "is not a number",
                                           f"write {k} = <positive number>")
        C = float(data.get("C", 1.0))
        if kind == "exponential":
            return cls(kind, rate=float(data["rate"]), C=C)
        return cls(kind, exponent=float(data["exponent"]), C=C)
