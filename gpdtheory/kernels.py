"""Stationary temporal correlations ``rho(m)`` (docs/theory.md §1).

A kernel maps a lag ``m >= 0`` (in time units) to a correlation with ``rho(0) = 1``;
``Gamma[i, j] = rho(|h_i - h_j|)`` is then symmetric Toeplitz on equispaced frames.

=======================  ==================================  ===========================
family                   ``rho(m)``                          positive definite
=======================  ==================================  ===========================
``PoweredExponential``   ``exp(-|m|**nu / ell)``             every N iff ``0 < nu <= 2``
``Polynomial``           ``(1 + |m|/ell)**(-nu)``            every N (Pólya)
``Logarithmic``          ``(1 + log(1 + |m|/ell))**(-nu)``   every N (Pólya)
``SampledKernel``        a user array ``rho[0..N-1]``        checked numerically
``SklearnKernel``        ``k(0, m) / k(0, 0)``               checked numerically
=======================  ==================================  ===========================

The symbol ``f(w) = sum_m rho(m) e^{imw} = 1 + 2 sum_{m>=1} rho(m) cos(m w)`` bounds
the spectrum of every ``Gamma_N``: ``min f <= lambda(Gamma_N) <= max f``.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from scipy import special

from .errors import InvalidArgumentError, NotPositiveDefiniteError, PositiveDefinitenessWarning
from .validation import (
    as_real_array,
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
)

__all__ = [
    "Kernel",
    "PoweredExponential",
    "Polynomial",
    "Logarithmic",
    "SampledKernel",
    "SklearnKernel",
    "from_sklearn",
    "FAMILIES",
]

#: Largest exponent accepted: beyond it ``rho`` is numerically the indicator of lag 0.
NU_MAX = 64.0
#: Largest length scale accepted: beyond it ``Gamma`` is numerically all ones (singular).
ELL_MAX = 1e12
#: Absolute accuracy targeted when an infinite lag sum is cut short.
SERIES_ATOL = 1e-16


class Kernel(ABC):
    """A stationary correlation function of the lag, ``rho(0) = 1``.

    Subclasses implement :meth:`_rho` on nonnegative lags. Everything else (the
    autocovariance vector, the symbol, tail sums, validity) derives from it.
    """

    #: Short family name used in reports and claim cases.
    family: str = "kernel"
    #: True when ``Gamma_N`` is positive definite for every N (proved, not measured).
    always_positive_definite: bool = False
    #: True when ``sum_m |rho(m)| < inf`` (so the symbol and ``lmax`` stay bounded).
    summable: bool = False
    #: Largest lag the kernel can evaluate (``inf`` for closed forms).
    max_lag: float = math.inf

    @abstractmethod
    def _rho(self, m: np.ndarray) -> np.ndarray:
        """``rho`` on an array of nonnegative finite lags (no validation)."""

    @property
    @abstractmethod
    def params(self) -> dict[str, float]:
        """The kernel's parameters, for reports."""

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))

    # ---------------------------------------------------------------- evaluation
    def __call__(self, m: Any) -> np.ndarray:
        """Evaluate ``rho(|m|)`` elementwise.

        Parameters
        ----------
        m : array_like of float
            Lags in time units (any sign; ``rho`` is even).

        Returns
        -------
        ndarray of float64, same shape as ``m``
        """
        lags = np.abs(as_real_array(m, "m", allow_empty=True))
        if lags.size and float(lags.max()) > self.max_lag:
            raise InvalidArgumentError("m", float(lags.max()),
                                       "exceeds the largest lag this kernel knows "
                                       f"({self.max_lag:g})",
                                       "extend the sampled correlation or use fewer frames")
        with np.errstate(over="ignore", under="ignore"):
            out = np.asarray(self._rho(lags), dtype=np.float64)
        return out

    def autocovariance(self, N: int, dt: float = 1.0) -> np.ndarray:
        """First column of ``Gamma_N``: ``rho(m * dt)`` for ``m = 0..N-1``.

        Returns
        -------
        (N,) ndarray of float64
        """
        N = check_positive_int(N, "N")
        dt = check_positive_scalar(dt, "dt")
        if (N - 1) * dt > 1e300:  # the last lag would overflow float64
            raise InvalidArgumentError("dt", dt, f"times N - 1 = {N - 1} overflows float64",
                                       "pass a moderate frame spacing")
        return self(np.arange(N, dtype=np.float64) * dt)

    def gamma_dense(self, N: int, dt: float = 1.0) -> np.ndarray:
        """The dense ``(N, N)`` Toeplitz matrix ``Gamma`` (for oracles and small N)."""
        from scipy.linalg import toeplitz

        return toeplitz(self.autocovariance(N, dt))

    # ---------------------------------------------------------------- sums
    def tail_sum(self, J: int, N: int, dt: float = 1.0) -> float:
        """``sum_{m=J+1}^{N-1} |rho(m dt)|`` exactly (a finite sum).

        ``tau_J = 2 * tail_sum(J, N)`` bounds ``||Gamma - band_J(Gamma)||_2``
        (docs/theory.md §3, Lemma TR).
        """
        J = check_nonnegative_int(J, "J")
        r = self.autocovariance(N, dt)
        return float(np.sum(np.abs(r[J + 1:])))

    def tail_bound(self, J: int) -> float:
        """Closed-form upper bound on ``sum_{m>J} |rho(m)|`` over all N (``dt = 1``).

        ``inf`` when the family is not summable. Subclasses with a closed form override it.
        """
        check_nonnegative_int(J, "J")
        return math.inf

    #: Most terms an infinite lag series is summed to before the closed-form tail takes over.
    MAX_TERMS = 2**20

    def _terms_for(self, atol: float) -> int:
        """Smallest ``M <= MAX_TERMS`` with ``tail_bound(M) <= atol`` (else ``MAX_TERMS``)."""
        if self.tail_bound(self.MAX_TERMS) > atol:
            return self.MAX_TERMS
        lo, hi = 0, self.MAX_TERMS
        while lo + 1 < hi:  # bisect: tail_bound is decreasing in M
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if self.tail_bound(mid) <= atol else (mid, hi)
        return hi

    def abs_sum(self) -> float:
        """Upper bound on ``sum_{m>=1} |rho(m)|`` over all lags (``inf`` when not summable).

        The first ``M`` terms are summed exactly and ``tail_bound(M)`` added, so the
        value is a rigorous upper bound, tight to ``SERIES_ATOL`` when
        ``M < MAX_TERMS`` suffices (``dt = 1``). Then ``lmax(Gamma_N) <= 1 + 2 abs_sum()``
        for every N (docs/theory.md §2).
        """
        if not self.summable:
            return math.inf
        M = self._terms_for(SERIES_ATOL)
        head = float(np.sum(np.abs(self(np.arange(1, M + 1, dtype=np.float64)))))
        return head + self.tail_bound(M)

    def symbol(self, w: Any, J: int | None = None) -> np.ndarray:
        """The symbol ``f(w) = 1 + 2 sum_{m=1}^{J} rho(m) cos(m w)`` (``dt = 1``).

        Parameters
        ----------
        w : array_like
            Frequencies in radians.
        J : int, optional
            Truncation lag (gives ``f_J`` of docs/theory.md §4). ``None`` sums the
            infinite series to ``SERIES_ATOL`` (summable families only).

        Returns
        -------
        ndarray of float64, shape of ``w``
        """
        w = as_real_array(w, "w", allow_empty=True)
        if J is None:
            if not self.summable:
                raise InvalidArgumentError("J", None,
                                           f"{self!r} is not summable, "
                                           "its symbol diverges at w = 0",
                                           "pass a finite truncation lag J")
            J = self._terms_for(SERIES_ATOL)
            if self.tail_bound(J) > 1e-12:
                raise InvalidArgumentError("J", None,
                                           f"{self!r} decays too slowly to sum its symbol "
                                           "to 1e-12 in 2**20 terms", "pass a truncation lag J")
        J = check_nonnegative_int(J, "J")
        m = np.arange(1, J + 1, dtype=np.float64)
        r = self(m)
        return 1.0 + 2.0 * np.cos(np.multiply.outer(w, m)) @ r

    # ---------------------------------------------------------------- validity
    def check_valid(self, N: int, dt: float = 1.0) -> None:
        """Raise unless ``Gamma_N`` is positive definite.

        Families proved positive definite for every N return at once.

        Raises
        ------
        NotPositiveDefiniteError
            With the first failing Durbin reflection coefficient.
        """
        if self.always_positive_definite:
            return
        from .toeplitz import durbin

        res = durbin(self.autocovariance(N, dt))
        if not res.positive_definite:
            j = res.first_failure
            detail = (f"reflection coefficient k_{j} = {res.reflection[j - 1]:.6g} has |k| >= 1"
                      if j >= 1 else f"rho(0) = {res.prediction_error[0]:.6g} <= 0")
            raise NotPositiveDefiniteError(
                f"Gamma of {self!r} with N={N}, dt={dt:g}", detail,
                "use fewer frames, a different length scale, or a family that is positive "
                "definite on every N (powered exponential with nu <= 2, polynomial, logarithmic)")

    def is_positive_definite(self, N: int, dt: float = 1.0) -> bool:
        """Whether ``Gamma_N`` is positive definite (exact Durbin test for N frames)."""
        try:
            self.check_valid(N, dt)
        except NotPositiveDefiniteError:
            return False
        return True


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


class SampledKernel(Kernel):
    """A user-supplied correlation sequence ``rho[0..M-1]`` at integer lags.

    Parameters
    ----------
    rho : (M,) array_like
        ``rho[0]`` must be 1 (a correlation; divide a covariance by its variance).

    Notes
    -----
    Positive definiteness is not known in advance: every use for N frames is checked
    with Durbin's recursion (``Kernel.check_valid``). Non-integer lags are refused.
    """

    family = "sampled"

    def __init__(self, rho: Any):
        r = as_real_array(rho, "rho", ndim=1)
        if abs(r[0] - 1.0) > 1e-12:
            raise InvalidArgumentError("rho", rho,
                                       f"rho[0] = {r[0]:.6g}, a correlation has rho[0] = 1",
                                       "divide the sequence by rho[0] "
                                       "(and put the variance in Sigma)")
        if np.any(np.abs(r) > 1.0 + 1e-12):
            raise InvalidArgumentError("rho", rho, "has |rho[m]| > 1, impossible for a correlation",
                                       "pass a valid autocorrelation sequence")
        self.values = r.copy()
        self.values.setflags(write=False)
        self.max_lag = float(r.size - 1)
        self.summable = True  # finitely many nonzero lags

    @property
    def params(self) -> dict[str, float]:
        return {"M": float(self.values.size)}

    def __repr__(self) -> str:
        head = ", ".join(f"{v:.4g}" for v in self.values[:4])
        more = ", ..." if self.values.size > 4 else ""
        return f"SampledKernel([{head}{more}], M={self.values.size})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SampledKernel) and np.array_equal(self.values, other.values)

    def __hash__(self) -> int:
        return hash(self.values.tobytes())

    def _rho(self, m: np.ndarray) -> np.ndarray:
        idx = np.rint(m)
        if np.any(np.abs(idx - m) > 1e-9):
            raise InvalidArgumentError("m", m, "a sampled kernel is known only at integer lags",
                                       "use dt = 1 (integer lags)")
        return self.values[idx.astype(np.int64)]

    def tail_bound(self, J: int) -> float:
        J = check_nonnegative_int(J, "J")
        return float(np.sum(np.abs(self.values[J + 1:])))


class SklearnKernel(Kernel):
    """Any stationary scikit-learn kernel, normalised: ``rho(m) = k(0, m) / k(0, 0)``.

    Use :func:`from_sklearn` to build one. Positive definiteness is checked per N.
    """

    family = "sklearn"

    def __init__(self, kernel: Any):
        try:
            from sklearn.gaussian_process.kernels import Kernel as SkKernel
        except ImportError as exc:  # pragma: no cover - sklearn is a dependency
            raise InvalidArgumentError("kernel", kernel, "scikit-learn is not installed",
                                       "pip install scikit-learn") from exc
        if not isinstance(kernel, SkKernel):
            raise InvalidArgumentError("kernel", kernel, "is not a scikit-learn kernel",
                                       "pass e.g. sklearn.gaussian_process.kernels.RBF(2.0)")
        if not kernel.is_stationary():
            raise InvalidArgumentError("kernel", kernel,
                                       "is not stationary (k(x, y) depends on more "
                                       "than x - y), so Gamma would not be Toeplitz",
                                       "use a stationary kernel (RBF, Matern, RationalQuadratic, "
                                       "ExpSineSquared) or pass times to GPSpec")
        k00 = float(kernel(np.zeros((1, 1)))[0, 0])
        if not np.isfinite(k00) or k00 <= 0.0:
            raise InvalidArgumentError("kernel", kernel,
                                       f"k(0, 0) = {k00:g} is not a positive variance",
                                       "pass a kernel with positive variance")
        self.kernel = kernel
        self._k00 = k00

    @property
    def params(self) -> dict[str, float]:
        return {}

    def __repr__(self) -> str:
        return f"SklearnKernel({self.kernel!r})"

    def _rho(self, m: np.ndarray) -> np.ndarray:
        flat = m.reshape(-1, 1)
        if flat.size == 0:
            return np.zeros(m.shape)
        vals = self.kernel(np.zeros((1, 1)), flat)[0] / self._k00
        # sklearn adds a WhiteKernel's nugget only when Y is None, so lag 0 is set
        # explicitly: the diagonal of Gamma carries the nugget.
        vals = np.where(flat[:, 0] == 0.0, 1.0, vals)
        return vals.reshape(m.shape)


def from_sklearn(kernel: Any) -> SklearnKernel:
    """Wrap a stationary scikit-learn kernel as a gpdtheory correlation.

    Examples
    --------
    >>> from sklearn.gaussian_process.kernels import RBF
    >>> k = from_sklearn(RBF(length_scale=2.0))
    >>> bool(np.isclose(k(1.0), np.exp(-1 / 8)))
    True
    """
    return SklearnKernel(kernel)


#: The closed-form families, by name, for strategies and sweeps.
FAMILIES: dict[str, type[Kernel]] = {
    "powered_exponential": PoweredExponential,
    "polynomial": Polynomial,
    "logarithmic": Logarithmic,
}
