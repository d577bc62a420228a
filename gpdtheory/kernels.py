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

import abc
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
    "Decay",
    "Jittered",
    "with_jitter",
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

    def _identity(self) -> tuple:
        """What makes two kernels equal: the class and the exact parameter values.

        ``repr`` prints parameters to six digits for reading; equality must not round, or
        ``PoweredExponential(1.0000001, 1) == PoweredExponential(1.0000002, 1)``.
        """
        return (type(self), tuple(sorted(self.params.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Kernel) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

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
        for every N (docs/theory.md §2). A kernel known only up to ``max_lag`` (measured data
        with a declared tail) is summed up to it and the tail bound covers the rest: ``rho``
        is never evaluated beyond what the kernel knows.
        """
        if not self.summable:
            return math.inf
        M = self._terms_for(SERIES_ATOL)
        if M > self.max_lag:
            M = int(self.max_lag)
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
            fix = ("use fewer frames, a different length scale, or a family that is positive "
                   "definite on every N (powered exponential with nu <= 2, polynomial, "
                   "logarithmic)")
            if self.family == "sampled":  # measured data have no length scale to change
                fix = ("use fewer frames (N <= " + str(max(j, 1)) + "), measure more lags or "
                       "re-estimate rho with a positive definite estimator (the biased sample "
                       "autocorrelation, dividing by the series length), or add a nugget "
                       "(jitter)")
            raise NotPositiveDefiniteError(
                f"Gamma of {self!r} with N={N}, dt={dt:g}", detail, fix)

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
    beyond : {"refuse", "zero", "tail"}
        What the kernel says about lags ``m >= M`` it does not cover:

        ``"refuse"`` (default)  evaluating them raises :class:`InvalidArgumentError`
                                (``N <= M`` only); tail sums are those of the data.
        ``"zero"``              ``rho(m) = 0`` for ``m >= M`` (a model choice). The zero
                                extension is a truncation at ``J = M - 1``; whether it is PSD
                                for every N is certified in exact arithmetic by
                                :func:`gpdtheory.psd.certify_all_n` (:meth:`zero_extension`),
                                and ``always_positive_definite`` is True only when certified.
        ``"tail"``              lags beyond ``M - 1`` are refused as for ``"refuse"``, but the
                                N-free bounds (``tail_bound``, ``abs_sum``) add the declared
                                ``decay`` beyond the data: they speak for the process, not
                                only for the ``M`` lags measured. ``rho`` itself is never
                                evaluated beyond the data, only the declared envelope.
    decay : Decay, optional
        Required with ``beyond="tail"``: a bound on ``|rho(m)|`` for ``m >= 1``. It is held
        against the measured lags first (:meth:`Decay.check_against`): a declaration the data
        contradict is refused, naming the first violating lag.

    Notes
    -----
    Positive definiteness is not known in advance: every use for N frames is checked
    with Durbin's recursion (``Kernel.check_valid``). Non-integer lags are refused.
    """

    family = "sampled"
    BEYOND = ("refuse", "zero", "tail")

    def __init__(self, rho: Any, beyond: str = "refuse", decay: Decay | None = None):
        r = as_real_array(rho, "rho", ndim=1)
        if abs(r[0] - 1.0) > 1e-12:
            raise InvalidArgumentError("rho", rho,
                                       f"rho[0] = {r[0]:.6g}, a correlation has rho[0] = 1",
                                       "divide the sequence by rho[0] "
                                       "(and put the variance in Sigma)")
        if np.any(np.abs(r) > 1.0 + 1e-12):
            raise InvalidArgumentError("rho", rho, "has |rho[m]| > 1, impossible for a correlation",
                                       "pass a valid autocorrelation sequence")
        if beyond not in self.BEYOND:
            raise InvalidArgumentError("beyond", beyond, "is not a choice for uncovered lags",
                                       "pass 'refuse' (default), 'zero' or 'tail' (with decay=)")
        if beyond == "tail" and not isinstance(decay, Decay):
            raise InvalidArgumentError("decay", decay, "is required with beyond='tail'",
                                       "pass e.g. decay=gp.kernels.Decay.exponential(0.3)")
        if beyond != "tail" and decay is not None:
            raise InvalidArgumentError("decay", decay, f"has no use with beyond={beyond!r}",
                                       "pass beyond='tail' to declare the decay beyond the data")
        if beyond == "tail":
            decay.check_against(r)
        self.values = r.copy()
        self.values.setflags(write=False)
        self.beyond, self.decay = beyond, decay
        self.max_lag = math.inf if beyond == "zero" else float(r.size - 1)
        # finitely many nonzero lags, or a declared tail
        self.summable = decay.summable if beyond == "tail" else True
        self._zero_cert = None

    @property
    def params(self) -> dict[str, float]:
        return {"M": float(self.values.size)}

    def __repr__(self) -> str:
        head = ", ".join(f"{v:.4g}" for v in self.values[:4])
        more = ", ..." if self.values.size > 4 else ""
        extra = "" if self.beyond == "refuse" else f", beyond={self.beyond!r}"
        return f"SampledKernel([{head}{more}], M={self.values.size}{extra})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SampledKernel) and np.array_equal(self.values, other.values)
                and self.beyond == other.beyond and self.decay is other.decay)

    def __hash__(self) -> int:
        return hash((self.values.tobytes(), self.beyond))

    def _rho(self, m: np.ndarray) -> np.ndarray:
        idx = np.rint(m)
        if np.any(np.abs(idx - m) > 1e-9):
            raise InvalidArgumentError("m", m, "a sampled kernel is known only at integer lags",
                                       "use dt = 1 (integer lags)")
        i = idx.astype(np.int64)
        if self.beyond == "zero":
            inside = i < self.values.size
            return np.where(inside, self.values[np.where(inside, i, 0)], 0.0)
        return self.values[i]

    def tail_bound(self, J: int) -> float:
        """``sum_{m>J} |rho(m)|``: the data's tail, plus the declared decay beyond ``M - 1``."""
        J = check_nonnegative_int(J, "J")
        head = float(np.sum(np.abs(self.values[J + 1:])))
        if self.beyond == "tail":
            return head + self.decay.tail_bound(max(J, self.values.size - 1))
        return head

    def symbol(self, w: Any, J: int | None = None) -> np.ndarray:
        """The symbol ``f_J`` (see :meth:`Kernel.symbol`); ``J=None`` is the full symbol of
        the data (``beyond="refuse"`` or ``"zero"``: every lag the kernel knows). With
        ``beyond="tail"`` the lags beyond the data are not known, only bounded: pass J."""
        if J is None:
            if self.beyond == "tail":
                raise InvalidArgumentError("J", None, "the symbol of a declared tail is not "
                                           "known beyond the data (only bounded by the decay)",
                                           f"pass a truncation lag J <= {self.values.size - 1}")
            J = self.values.size - 1
        return super().symbol(w, J)

    def zero_extension(self):
        """The exact all-N PSD certificate of the zero extension (``beyond="zero"`` only).

        Returns
        -------
        gpdtheory.psd.AllNCertificate
            ``verdict == "psd"``: ``Gamma_N`` of the zero-extended sequence is PSD for every
            N; ``"not_psd"``: indefinite for every large N (witness frequency inside).
        """
        if self.beyond != "zero":
            raise InvalidArgumentError("beyond", self.beyond, "has no zero extension to certify",
                                       "build the kernel with beyond='zero'")
        if self._zero_cert is None:
            from .psd import certify_all_n
            from .psd.certificate import MAX_CERT_J

            J = self.values.size - 1
            if J > MAX_CERT_J:
                raise InvalidArgumentError("rho", f"{self.values.size} lags",
                                           f"exceed the certificate's MAX_CERT_J + 1 = "
                                           f"{MAX_CERT_J + 1}", "rely on the per-N checks "
                                           "(check_valid) or pass fewer lags")
            self._zero_cert = certify_all_n(self.values, J)
        return self._zero_cert

    @property
    def always_positive_definite(self) -> bool:  # type: ignore[override]
        """True only for a zero extension certified PSD on every N (``f_J > 0``)."""
        if self.beyond != "zero" or self.values.size - 1 > 256:
            return False
        cert = self.zero_extension()
        return cert.verdict == "psd" and cert.min_value > 0.0


class SklearnKernel(Kernel):
    """Any stationary scikit-learn kernel, normalised: ``rho(m) = k(0, m) / k(0, 0)``.

    Use :func:`from_sklearn` to build one. Kernels built from RBF, Matérn,
    RationalQuadratic, WhiteKernel, positive constants and ExpSineSquared by sums, products
    and powers are positive definite on every N by construction (``always_positive_definite``,
    the same verdict as the equal :class:`PoweredExponential`); any other kernel is checked
    per N.

    Decay certificates
    ------------------
    The package certifies the decay of Matérn (every ``nu``), RBF, RationalQuadratic,
    ConstantKernel, WhiteKernel and their sums, products and powers (``Exponentiation``):
    ``tail_bound(J)`` is then a rigorous bound on ``sum_{m>J} |rho(m)|`` (see the ``_Env``
    classes of this module for each derivation), ``summable`` is True when that sum is
    finite, and ``decay`` describes it (``source="certified"``). Matérn-1/2 is
    ``PoweredExponential(ell=length_scale, nu=1)``, RBF is
    ``PoweredExponential(ell=2 length_scale**2, nu=2)``. For any other kernel pass
    ``decay=`` (:class:`Decay`, ``source="declared"``); without it the kernel counts as not
    summable and the N-free bounds of docs/theory.md §2-3 do not apply.

    A periodic part (``ExpSineSquared``) makes ``Gamma_N`` singular, or nearly, for large N:
    ``advice`` says so and a failing :meth:`check_valid` suggests a nugget (``jitter``).

    Hyperparameters that define no correlation of a one-dimensional lag (a length scale,
    ``nu``, ``alpha`` or period ``<= 0``, an anisotropic length scale, a negative noise
    level or a power ``<= 0``) are refused with :class:`InvalidArgumentError` naming them,
    e.g. ``Matern.length_scale``; ``not_summable_reason`` says why a certified kernel's lag
    sum diverges (RationalQuadratic with ``alpha <= 1/2``, a periodic or constant part).
    """

    family = "sklearn"

    def __init__(self, kernel: Any, decay: Decay | None = None):
        from ._extras import require

        SkKernel = require("sklearn.gaussian_process.kernels", "sklearn", "SklearnKernel").Kernel
        if not isinstance(kernel, SkKernel):
            raise InvalidArgumentError("kernel", kernel, "is not a scikit-learn kernel",
                                       "pass e.g. sklearn.gaussian_process.kernels.RBF(2.0)")
        if not kernel.is_stationary():
            raise InvalidArgumentError("kernel", kernel,
                                       "is not stationary (k(x, y) depends on more "
                                       "than x - y), so Gamma would not be Toeplitz",
                                       "use a stationary kernel (RBF, Matern, RationalQuadratic, "
                                       "ExpSineSquared) or pass times to GPSpec")
        if decay is not None and not isinstance(decay, Decay):
            raise InvalidArgumentError("decay", decay, "is not a Decay",
                                       "pass e.g. gp.kernels.Decay.exponential(0.5)")
        _check_sklearn_hyperparameters(kernel)
        k00 = float(kernel(np.zeros((1, 1)))[0, 0])
        if not np.isfinite(k00) or k00 <= 0.0:
            raise InvalidArgumentError("kernel", kernel,
                                       f"k(0, 0) = {k00:g} is not a positive variance",
                                       "pass a kernel with positive variance")
        self.kernel = kernel
        self._k00 = k00
        self.declared_decay = decay
        try:
            self._env: _Env | None = _certify(kernel)
            self.uncertified_reason = ""
        except _Uncertified as exc:
            self._env = None
            self.uncertified_reason = str(exc)
        if self._env is not None:
            self.summable = math.isfinite(self._env.tail(0))
        else:
            self.summable = decay is not None and decay.summable
        #: Why ``sum_m |rho(m)|`` diverges, when the package certifies that it does ("" else).
        self.not_summable_reason = (self._env.note if self._env is not None
                                    and not self.summable else "")
        # one verdict per kernel, however it is built: RBF(l) is PoweredExponential(2 l^2, 2),
        # proved positive definite on every N, and so is every expression of such parts
        self.always_positive_definite = _definiteness(kernel) == "pd"
        self.advice = ("a periodic part (ExpSineSquared) makes Gamma_N singular or nearly so "
                       "for large N: add a nugget, e.g. jitter = 1e-6"
                       if self._env is not None and self._env.singular else "")

    @property
    def params(self) -> dict[str, float]:
        """The scikit-learn hyperparameters (``length_scale``, ``nu``, ``k1__alpha``, ...)."""
        return _sklearn_params(self.kernel)

    @property
    def decay(self) -> Decay | None:
        """The certified decay (``source="certified"``), else the declared one, else None."""
        if self._env is not None:
            if not self.summable:
                return None
            return Decay.explicit(self.tail_bound, source="certified", note=self._env.note)
        return self.declared_decay

    def __repr__(self) -> str:
        return f"SklearnKernel({self.kernel!r})"

    def _identity(self) -> tuple:
        # The structure (which kernels are summed or multiplied) is in the class names of
        # the nested kernels, the values in the exact hyperparameters; a declared decay
        # changes what the kernel certifies, so it is part of the identity too.
        nested = sorted(self.kernel.get_params(deep=True).items())
        structure = tuple(type(v).__name__ for _, v in nested if hasattr(v, "get_params"))
        return (type(self), type(self.kernel).__name__, structure,
                tuple(sorted(self.params.items())), id(self.declared_decay)
                if self.declared_decay is not None else None)

    def _rho(self, m: np.ndarray) -> np.ndarray:
        flat = m.reshape(-1, 1)
        if flat.size == 0:
            return np.zeros(m.shape)
        vals = self.kernel(np.zeros((1, 1)), flat)[0] / self._k00
        # sklearn adds a WhiteKernel's nugget only when Y is None, so lag 0 is set
        # explicitly: the diagonal of Gamma carries the nugget.
        vals = np.where(flat[:, 0] == 0.0, 1.0, vals)
        return vals.reshape(m.shape)

    def tail_bound(self, J: int) -> float:
        """Certified (or declared) bound on ``sum_{m>J} |rho(m)|``; ``inf`` without one."""
        J = check_nonnegative_int(J, "J")
        if self._env is not None:
            t = self._env.tail(J)
            return t / self._k00 * (1.0 + CERT_HEADROOM) if math.isfinite(t) else math.inf
        if self.declared_decay is not None:
            return self.declared_decay.tail_bound(J)
        return math.inf

    def check_valid(self, N: int, dt: float = 1.0) -> None:
        try:
            super().check_valid(N, dt)
        except NotPositiveDefiniteError as exc:
            if not self.advice:
                raise
            raise NotPositiveDefiniteError(exc.quantity, exc.detail, self.advice) from None


def from_sklearn(kernel: Any, decay: Decay | None = None) -> SklearnKernel:
    """Wrap a stationary scikit-learn kernel as a gpdtheory correlation.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel
    decay : Decay, optional
        Declared decay for a kernel the package cannot certify (see :class:`SklearnKernel`).

    Examples
    --------
    >>> from sklearn.gaussian_process.kernels import RBF
    >>> k = from_sklearn(RBF(length_scale=2.0))
    >>> bool(np.isclose(k(1.0), np.exp(-1 / 8)))
    True
    """
    return SklearnKernel(kernel, decay)


# ------------------------------------------------------- scikit-learn decay certificates
#: Relative headroom on certified tails: covers the float evaluation of the closed forms
#: (``kve``, ``erfc``, ``gammaln``: a few ulps) and of the kernel itself.
CERT_HEADROOM = 1e-10


class _Uncertified(Exception):
    """A scikit-learn kernel whose decay the package cannot certify (message: why)."""


class _Env(abc.ABC):
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


class _MonotoneEnv(_Env):
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


class _ConstEnv(_Env):
    def __init__(self, value: float, note: str, singular: bool = False):
        self.value, self.note, self.singular = value, note, singular

    def tail(self, J: int) -> float:
        return math.inf if self.value > 0 else 0.0

    def sup(self, J: int) -> float:
        return self.value


class _SumEnv(_Env):
    def __init__(self, a: _Env, b: _Env):
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


class _ProductEnv(_Env):
    """``sum |k1 k2| <= min(sup k1 * sum |k2|, sup k2 * sum |k1|)`` over ``m > J``."""

    def __init__(self, a: _Env, b: _Env):
        self.a, self.b = a, b
        self.note = f"({a.note}) * ({b.note})"
        self.singular = a.singular or b.singular

    def tail(self, J: int) -> float:
        return min(_times(self.a.sup(J), self.b.tail(J)), _times(self.b.sup(J), self.a.tail(J)))

    def sup(self, J: int) -> float:
        return _times(self.a.sup(J), self.b.sup(J))


class _PowerEnv(_Env):
    """``|k|^p`` for ``p >= 1``: ``sum |k|^p <= (sup |k|)^{p-1} sum |k|``."""

    def __init__(self, base: _Env, p: float):
        self.base, self.p = base, p
        self.note = f"({base.note})**{p:g}"
        self.singular = base.singular

    def tail(self, J: int) -> float:
        return _times(self.base.sup(J) ** (self.p - 1.0), self.base.tail(J))

    def sup(self, J: int) -> float:
        return self.base.sup(J) ** self.p


#: Hyperparameters checked by :func:`_check_sklearn_hyperparameters`, per scikit-learn class:
#: ``(name, what it must be, example of a valid value)``.
_SKLEARN_POSITIVE = {
    "RBF": (("length_scale", "a positive length scale", "2.0"),),
    "Matern": (("length_scale", "a positive length scale", "2.0"),
               ("nu", "a positive smoothness (0.5, 1.5, 2.5, ... or inf)", "1.5")),
    "RationalQuadratic": (("length_scale", "a positive length scale", "2.0"),
                          ("alpha", "a positive scale-mixture parameter", "1.0")),
    "ExpSineSquared": (("length_scale", "a positive length scale", "2.0"),
                       ("periodicity", "a positive period", "10.0")),
}


def _check_sklearn_hyperparameters(kernel: Any, path: str = "") -> None:
    """Refuse scikit-learn hyperparameters that define no correlation on a 1-d lag.

    scikit-learn accepts ``RBF(0)``, ``Matern(length_scale=-3)``, ``Matern(nu=-1)`` and
    anisotropic length scales at construction and fails later with a bare ``ValueError``
    or ``ZeroDivisionError`` (or not at all); here each is refused up front.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel
    path : str
        Where ``kernel`` sits in the expression (``"k1."``, ``"k2.kernel."``), for messages.

    Raises
    ------
    InvalidArgumentError
        Naming the hyperparameter (e.g. ``Matern.length_scale``), its value and the fix.
    """
    from sklearn.gaussian_process import kernels as K

    name = type(kernel).__name__
    if isinstance(kernel, (K.Sum, K.Product)):
        _check_sklearn_hyperparameters(kernel.k1, path + "k1.")
        _check_sklearn_hyperparameters(kernel.k2, path + "k2.")
        return
    if isinstance(kernel, K.Exponentiation):
        p = kernel.exponent
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) \
                or not (math.isfinite(p) and p > 0):
            raise InvalidArgumentError(f"{path}Exponentiation.exponent", kernel.exponent,
                                       "is not a finite positive number (a power <= 0 of a "
                                       "correlation is not a correlation)",
                                       "pass a positive exponent, e.g. RBF(2.0) ** 2")
        _check_sklearn_hyperparameters(kernel.kernel, path + "kernel.")
        return
    for key in ("constant_value", "noise_level"):
        if isinstance(kernel, (K.ConstantKernel, K.WhiteKernel)) and hasattr(kernel, key):
            v = getattr(kernel, key)
            ok = np.ndim(v) == 0 and np.isreal(v) and np.isfinite(float(np.real(v)))
            if not ok or (key == "noise_level" and float(v) < 0):
                raise InvalidArgumentError(f"{path}{name}.{key}", v,
                                           "is not a finite " + ("nonnegative " if key ==
                                                                 "noise_level" else "")
                                           + "number", f"pass e.g. {name}(1.0)")
    for key, what, example in _SKLEARN_POSITIVE.get(
            "Matern" if isinstance(kernel, K.Matern) else name, ()):
        v = getattr(kernel, key)
        arg = f"{path}{type(kernel).__name__}.{key}"
        try:
            arr = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidArgumentError(arg, v, f"is not a number ({what} is needed)",
                                       f"pass e.g. {key}={example}") from None
        if key == "length_scale" and arr.size != 1:
            raise InvalidArgumentError(arg, v, f"is anisotropic ({arr.size} length scales, one "
                                       "per input dimension), but a time lag is one-dimensional",
                                       f"pass one number, e.g. {key}={example}")
        x = float(arr.reshape(-1)[0]) if arr.size == 1 else math.nan
        if math.isnan(x) or x <= 0 or (math.isinf(x) and key != "nu"):
            why = "is not positive" if x <= 0 else "is not finite"
            raise InvalidArgumentError(arg, v, f"{why}: {type(kernel).__name__} needs {what}",
                                       f"pass e.g. {key}={example}")


def _scalar_length_scale(kernel: Any) -> float:
    ls = np.atleast_1d(np.asarray(kernel.length_scale, dtype=np.float64))
    if ls.size != 1:
        raise _Uncertified(f"{type(kernel).__name__} has an anisotropic length scale")
    return float(ls[0])


def _definiteness(kernel: Any) -> str | None:
    """``"pd"`` when the scikit-learn kernel is strictly positive definite on distinct
    integer lags by construction, ``"psd"`` when only semidefinite, None when unknown.

    RBF, Matérn and RationalQuadratic (a scale mixture of RBFs) are strictly positive
    definite (Bochner: a positive spectral density), as is WhiteKernel with a positive noise
    level; a positive ConstantKernel and ExpSineSquared are semidefinite. A sum is definite
    when both parts are at least semidefinite and one is definite; a product likewise (Schur:
    definite times semidefinite with a positive diagonal is definite); an integer power of a
    definite kernel is a repeated product, and RBF^p, RQ^p are again RBF, RQ. Zero
    constants and zero noise levels count as unknown: they would break the Schur argument.
    """
    from sklearn.gaussian_process import kernels as K

    if isinstance(kernel, (K.RBF, K.RationalQuadratic)):  # Matern subclasses RBF
        return "pd"
    if isinstance(kernel, K.WhiteKernel):
        return "pd" if float(kernel.noise_level) > 0 else None
    if isinstance(kernel, K.ConstantKernel):  # semidefinite parts keep a positive diagonal
        return "psd" if float(np.asarray(kernel.constant_value)) > 0 else None
    if isinstance(kernel, K.ExpSineSquared):
        return "psd"
    if isinstance(kernel, (K.Sum, K.Product)):
        parts = (_definiteness(kernel.k1), _definiteness(kernel.k2))
        if None in parts:
            return None
        return "pd" if "pd" in parts else "psd"
    if isinstance(kernel, K.Exponentiation):
        p, base = float(kernel.exponent), kernel.kernel
        if p >= 1.0 and p.is_integer():
            return _definiteness(base)
        if p > 0.0 and isinstance(base, (K.RBF, K.RationalQuadratic)) \
                and not isinstance(base, K.Matern):
            return "pd"
    return None


def _certify(kernel: Any) -> _Env:
    """Certified decay bounds for a scikit-learn kernel expression, or :class:`_Uncertified`."""
    from sklearn.gaussian_process import kernels as K

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
        return _SumEnv(_certify(kernel.k1), _certify(kernel.k2))
    if isinstance(kernel, K.Product):
        return _ProductEnv(_certify(kernel.k1), _certify(kernel.k2))
    if isinstance(kernel, K.Exponentiation):
        p = float(kernel.exponent)
        base = kernel.kernel
        if p >= 1.0:
            return _PowerEnv(_certify(base), p)
        # exact reparametrisations for p < 1: RBF^p and RQ^p are again RBF and RQ
        if isinstance(base, K.RBF) and not isinstance(base, K.Matern):  # Matern subclasses RBF
            return _RBFEnv(_scalar_length_scale(base) / math.sqrt(p))
        if isinstance(base, K.RationalQuadratic):
            return _RQEnv(_scalar_length_scale(base) / math.sqrt(p), float(base.alpha) * p)
        raise _Uncertified(f"Exponentiation with exponent {p:g} < 1 of {type(base).__name__}")
    raise _Uncertified(f"no decay certificate for {type(kernel).__name__}")


def _sklearn_params(kernel: Any) -> dict[str, float]:
    """The numeric hyperparameters of a scikit-learn kernel (nested ones as ``k1__...``)."""
    out: dict[str, float] = {}
    for name, value in sorted(kernel.get_params(deep=True).items()):
        if name.endswith("_bounds") or isinstance(value, (bool, str)):
            continue
        arr = np.asarray(value) if isinstance(value, (int, float, np.ndarray, np.number)) else None
        if arr is not None and arr.size == 1 and arr.dtype.kind in "iuf":
            out[name] = float(arr.reshape(-1)[0])
    return out


# ---------------------------------------------------------------------------- decay
class Decay:
    """A bound on the decay of ``|rho(m)|``, declared by the user or certified by the package.

    Three forms, each with a closed-form tail ``T(J) >= sum_{m>J} |rho(m)|`` (``dt = 1``):

    ``exponential``  ``|rho(m)| <= C exp(-rate m)`` for every ``m >= 1``:
                     ``T(J) = C e^{-rate (J+1)} / (1 - e^{-rate})`` (a geometric series).
    ``polynomial``   ``|rho(m)| <= C m^{-exponent}`` for every ``m >= 1``, ``exponent > 1``
                     for summability: ``T(0) = C (1 + 1/(exponent - 1))`` and, for ``J >= 1``,
                     ``T(J) = C J^{1-exponent} / (exponent - 1)`` (``m^{-p}`` is decreasing,
                     so the sum over ``m > J`` is at most ``int_J^inf x^{-p} dx``).
    ``tail``         an explicit callable ``tail(J)``, trusted as given (non-increasing in J).

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
        self._tail = None
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
        kw = {need: float(data[need]), "C": float(data.get("C", 1.0))}
        return cls(kind, **kw)


class Jittered(Kernel):
    """A kernel with a nugget: covariance ``rho(m) + jitter [m = 0]``, renormalised.

    ``rho_j(0) = 1`` and ``rho_j(m) = rho(m) / (1 + jitter)`` for ``m != 0``, i.e. the
    correlation of the process plus independent white noise of variance ``jitter``.
    ``Gamma_j = (Gamma + jitter I) / (1 + jitter)``, so ``lmin(Gamma_j) >= jitter/(1+jitter)``:
    the nugget turns a singular ``Gamma`` (a periodic kernel) into a positive definite one.
    Tail sums scale by ``1 / (1 + jitter)``. ``params`` carries ``jitter``, so every claim row
    built from this kernel reports it.
    """

    def __init__(self, base: Kernel, jitter: float):
        if not isinstance(base, Kernel):
            raise InvalidArgumentError("base", base, "is not a gpdtheory kernel",
                                       "pass e.g. gp.PoweredExponential(2.0, 1.0)")
        jitter = check_positive_scalar(jitter, "jitter", upper=1e6,
                                       fix="pass a small nugget such as 1e-6 (or none)")
        self.base, self.jitter = base, jitter
        self.family = base.family
        self.summable = base.summable
        self.always_positive_definite = base.always_positive_definite
        self.max_lag = base.max_lag

    @property
    def params(self) -> dict[str, float]:
        return {**self.base.params, "jitter": self.jitter}

    def __repr__(self) -> str:
        return f"Jittered({self.base!r}, jitter={self.jitter:g})"

    def _identity(self) -> tuple:
        return (type(self), self.base._identity(), self.jitter)

    def _rho(self, m: np.ndarray) -> np.ndarray:
        vals = np.asarray(self.base._rho(m), dtype=np.float64) / (1.0 + self.jitter)
        return np.where(m == 0.0, 1.0, vals)

    def tail_bound(self, J: int) -> float:
        """The base's tail over ``1 + jitter``, with ``CERT_HEADROOM`` for the rounding of
        the per-lag divisions (the bound of an exact finite sum is otherwise attained)."""
        return self.base.tail_bound(J) / (1.0 + self.jitter) * (1.0 + CERT_HEADROOM)

    def check_valid(self, N: int, dt: float = 1.0) -> None:
        if self.base.always_positive_definite:
            return
        super().check_valid(N, dt)


def with_jitter(kernel: Kernel, jitter: float) -> Kernel:
    """``kernel`` with a nugget of ``jitter`` (:class:`Jittered`); ``jitter = 0`` returns it."""
    if isinstance(jitter, (int, float)) and not isinstance(jitter, bool) and jitter == 0:
        return kernel
    return Jittered(kernel, jitter)


#: The closed-form families, by name, for strategies and sweeps.
FAMILIES: dict[str, type[Kernel]] = {
    "powered_exponential": PoweredExponential,
    "polynomial": Polynomial,
    "logarithmic": Logarithmic,
}
