"""Any stationary scikit-learn kernel as a gpdtheory correlation.

``rho(m) = k(0, m) / k(0, 0)``; hyperparameters that define no correlation of a
one-dimensional lag are refused up front, positive definiteness on every N is read off the
expression's structure, and the decay is certified by :mod:`gpdtheory.kernels.envelopes`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._extras import require
from ..errors import InvalidArgumentError, NotPositiveDefiniteError
from ..validation import check_nonnegative_int
from .base import CERT_HEADROOM, Kernel
from .decay import Decay
from .envelopes import Env, Uncertified, certify

__all__ = ["SklearnKernel", "from_sklearn"]


class SklearnKernel(Kernel):
    """Any stationary scikit-learn kernel, normalised: ``rho(m) = k(0, m) / k(0, 0)``.

    Use :func:`from_sklearn` to build one. Kernels built from RBF, Matérn,
    RationalQuadratic, WhiteKernel, positive constants and ExpSineSquared by sums, products
    and powers are positive definite on every N by construction (``always_positive_definite``,
    the same verdict as the equal :class:`PoweredExponential`); any other kernel is checked
    per N.

    Notes
    -----
    Decay certificates: the package certifies the decay of Matérn (every ``nu``), RBF,
    RationalQuadratic, ConstantKernel, WhiteKernel and their sums, products and powers
    (``Exponentiation``):
    ``tail_bound(J)`` is then a rigorous bound on ``sum_{m>J} |rho(m)|`` (see the envelope
    classes of :mod:`gpdtheory.kernels.envelopes` for each derivation), ``summable`` is True
    when that sum is finite, and ``decay`` describes it (``source="certified"``). Matérn-1/2 is
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
            self._env: Env | None = certify(kernel)
            self.uncertified_reason = ""
        except Uncertified as exc:
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

    def check_valid(self, N: int, dt: float = 1.0, *, r: Any = None) -> None:
        try:
            super().check_valid(N, dt, r=r)
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
