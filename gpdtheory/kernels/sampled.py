"""A correlation given by its values: measured or user-supplied ``rho[0..M-1]``.

What the kernel says beyond the data is a choice (``beyond``): refuse, zero extension (a
truncation at ``J = M - 1``, certified PSD on every N in exact arithmetic by
:func:`gpdtheory.symbol.certify_symbol`) or a declared :class:`~gpdtheory.kernels.Decay`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..symbol import MAX_CERT_J, AllNCertificate, certify_symbol
from ..validation import as_real_array, check_nonnegative_int
from .base import Kernel
from .decay import Decay

__all__ = ["SampledKernel"]


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
                                :func:`gpdtheory.symbol.certify_symbol` (:meth:`zero_extension`),
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
        if beyond == "tail":
            if not isinstance(decay, Decay):
                raise InvalidArgumentError("decay", decay, "is required with beyond='tail'",
                                           "pass e.g. decay=gp.kernels.Decay.exponential(0.3)")
            decay.check_against(r)
        elif decay is not None:
            raise InvalidArgumentError("decay", decay, f"has no use with beyond={beyond!r}",
                                       "pass beyond='tail' to declare the decay beyond the data")
        self.values = r.copy()
        self.values.setflags(write=False)
        self.beyond, self.decay = beyond, decay
        self.max_lag = math.inf if beyond == "zero" else float(r.size - 1)
        # finitely many nonzero lags, or a declared tail (decay is set iff beyond == "tail")
        self.summable = decay.summable if decay is not None else True
        self._zero_cert: AllNCertificate | None = None

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
            assert self.decay is not None  # __init__ requires a decay with beyond="tail"
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

    def zero_extension(self) -> AllNCertificate:
        """The exact all-N PSD certificate of the zero extension (``beyond="zero"`` only).

        Returns
        -------
        gpdtheory.symbol.AllNCertificate
            ``verdict == "psd"``: ``Gamma_N`` of the zero-extended sequence is PSD for every
            N; ``"not_psd"``: indefinite for every large N (witness frequency inside).
        """
        if self.beyond != "zero":
            raise InvalidArgumentError("beyond", self.beyond, "has no zero extension to certify",
                                       "build the kernel with beyond='zero'")
        if self._zero_cert is None:
            J = self.values.size - 1
            if J > MAX_CERT_J:
                raise InvalidArgumentError("rho", f"{self.values.size} lags",
                                           f"exceed the certificate's MAX_CERT_J + 1 = "
                                           f"{MAX_CERT_J + 1}", "rely on the per-N checks "
                                           "(check_valid) or pass fewer lags")
            self._zero_cert = certify_symbol(self.values, J)
        return self._zero_cert

    @property
    def always_positive_definite(self) -> bool:  # type: ignore[override]
        """True only for a zero extension certified PSD on every N (``f_J > 0``)."""
        if self.beyond != "zero" or self.values.size - 1 > 256:
            return False
        cert = self.zero_extension()
        return cert.verdict == "psd" and cert.min_value > 0.0
