"""A correlation with a nugget: independent white noise added to the process."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..validation import check_positive_scalar
from .base import CERT_HEADROOM, Kernel

__all__ = ["Jittered", "with_jitter"]


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

    def check_valid(self, N: int, dt: float = 1.0, *, r: Any = None) -> None:
        if self.base.always_positive_definite:
            return
        super().check_valid(N, dt, r=r)


def with_jitter(kernel: Kernel, jitter: float) -> Kernel:
    """``kernel`` with a nugget of ``jitter`` (:class:`Jittered`); ``jitter = 0`` returns it."""
    if isinstance(jitter, (int, float)) and not isinstance(jitter, bool) and jitter == 0:
        return kernel
    return Jittered(kernel, jitter)
