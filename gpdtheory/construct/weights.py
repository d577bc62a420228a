"""The constructed weights: ReLU heads that interpolate the truncated correlation exactly.

docs/theory.md §5. With ``theta = pi / N`` and ``c_m = cos(m theta)`` (strictly
decreasing on ``m = 0..N``), head ``m = 0..J`` has attention weight
``ReLU(c_{|i-j|} - c_{m+1})``. It vanishes for every lag ``k > m``, so the system

    sum_{m=0}^{J} s_m ReLU(c_k - c_{m+1}) = rho_bar(k),        k = 0..J

is upper triangular with diagonal ``c_m - c_{m+1} > 0``, and every lag ``k > J``
gets weight 0 from every head. Hence ``sum_m s_m ReLU(c_{|i-j|} - c_{m+1}) =
Gamma_bar[i, j]`` exactly, on every pair ``(i, j)``.

This module is numpy only (float64): the coefficients, the step size and the
per-head matrices. :func:`gpdtheory.construct.build` loads them into a torch model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ..errors import InvalidArgumentError
from ..spec import GPSpec, check_spec
from ..validation import as_real_array, check_nonnegative_int, check_positive_int

__all__ = ["lag_cosines", "relu_gap_matrix", "interpolation_coefficients", "ConstructedWeights",
           "construct_weights", "effective_lag"]


def lag_cosines(N: int) -> np.ndarray:
    """``c_m = cos(m pi / N)`` for ``m = 0..N``.

    Returns
    -------
    (N + 1,) ndarray of float64
        Strictly decreasing from ``c_0 = 1`` to ``c_N = -1``.
    """
    N = check_positive_int(N, "N")
    return np.cos(np.arange(N + 1) * (np.pi / N))


def relu_gap_matrix(N: int, J: int) -> np.ndarray:
    """The triangular system matrix ``A[k, m] = ReLU(c_k - c_{m+1})``, ``k, m = 0..J``.

    Parameters
    ----------
    N : int
        Frames (sets ``theta = pi / N``).
    J : int
        Truncation lag, ``0 <= J <= N - 1``.

    Returns
    -------
    (J + 1, J + 1) ndarray of float64
        Upper triangular with positive diagonal ``c_m - c_{m+1}``.

    Notes
    -----
    Differences of cosines are formed without cancellation:
    ``c_k - c_n = 2 sin((k + n) theta / 2) sin((n - k) theta / 2)``, so the smallest
    entries (``~ pi^2 (2m + 1) / (2 N^2)``) keep full relative precision.
    """
    N = check_positive_int(N, "N")
    J = check_nonnegative_int(J, "J")
    if J > N - 1:
        raise InvalidArgumentError("J", J, f"exceeds N - 1 = {N - 1}",
                                   "pass J <= N - 1 (J = N - 1 is no truncation)")
    th = np.pi / N
    k = np.arange(J + 1)[:, None]
    n = np.arange(1, J + 2)[None, :]  # n = m + 1
    gap = 2.0 * np.sin((k + n) * th / 2) * np.sin((n - k) * th / 2)
    return np.where(n > k, gap, 0.0)


def interpolation_coefficients(r_bar, J: int) -> np.ndarray:
    """Solve ``sum_m s_m ReLU(c_k - c_{m+1}) = r_bar[k]``, ``k = 0..J``.

    Parameters
    ----------
    r_bar : (N,) array_like
        First column of the truncated ``Gamma_bar`` (entries beyond lag J are ignored:
        the heads give them weight 0).
    J : int
        Truncation lag, ``0 <= J <= N - 1``.

    Returns
    -------
    (J + 1,) ndarray of float64
        The head coefficients ``s_m``; ``|s_m|`` grows like ``N^2`` (the diagonal
        ``c_m - c_{m+1}`` shrinks like ``1/N^2``).

    Notes
    -----
    Back substitution (``scipy.linalg.solve_triangular``) on :func:`relu_gap_matrix`.

    Examples
    --------
    >>> s = interpolation_coefficients([1.0, 0.5, 0.1], 2)
    >>> A = relu_gap_matrix(3, 2); bool(np.allclose(A @ s, [1.0, 0.5, 0.1]))
    True
    """
    r_bar = as_real_array(r_bar, "r_bar", ndim=1)
    J = check_nonnegative_int(J, "J")
    A = relu_gap_matrix(r_bar.size, J)
    return scipy.linalg.solve_triangular(A, r_bar[: J + 1], lower=False)


def effective_lag(N: int, J: int) -> int:
    """``min(J, N - 1)``: lags ``>= N - 1`` truncate nothing, so heads beyond are not built."""
    return min(check_nonnegative_int(J, "J"), check_positive_int(N, "N") - 1)


@dataclass(frozen=True)
class ConstructedWeights:
    """The numbers of the construction (docs/theory.md §5), before they become tensors.

    Attributes
    ----------
    N, d, J : int
        Frames, features, truncation lag (``J <= N - 1``).
    truncation : str
        ``"hard"``, ``"taper"`` or ``"shift"``.
    r_bar : (N,) ndarray
        First column of ``Gamma_bar``.
    c : (N + 1,) ndarray
        ``c_m = cos(m pi / N)``.
    s : (J + 1,) ndarray
        Head coefficients from the triangular system.
    eta, Lambda : float
        Step size ``1 / Lambda`` and ``Lambda = max(1, lmax(Gamma_bar) lmax(Sigma))``.
    Sigma : (d, d) ndarray
    """

    N: int
    d: int
    J: int
    truncation: str
    r_bar: np.ndarray
    c: np.ndarray
    s: np.ndarray
    eta: float
    Lambda: float
    Sigma: np.ndarray

    @property
    def heads(self) -> int:
        """``M = J + 2``: ``J + 1`` lag heads and one identity head."""
        return self.J + 2

    def head_weight(self, m: int, lags) -> np.ndarray:
        """Weight of lag head ``m`` at the given lags: ``ReLU(c_lag - c_{m+1})`` (float64)."""
        m = check_nonnegative_int(m, "m")
        if m > self.J:
            raise InvalidArgumentError("m", m, f"exceeds the last lag head J = {self.J}",
                                       f"pass 0 <= m <= {self.J}")
        arr = as_real_array(lags, "lags", allow_empty=True)
        if np.any(arr != np.round(arr)) or np.any(arr < 0) or np.any(arr > self.N):
            raise InvalidArgumentError("lags", f"array of shape {arr.shape}",
                                       f"holds entries that are not integer lags in [0, {self.N}]",
                                       "pass integer lags |i - j|")
        lags = arr.astype(np.int64)
        return np.maximum(self.c[lags] - self.c[m + 1], 0.0)

    def kernel(self) -> np.ndarray:
        """``sum_m s_m ReLU(c_k - c_{m+1})`` for ``k = 0..N-1`` (float64; equals ``r_bar``)."""
        k = np.arange(self.N)
        return sum(self.s[m] * self.head_weight(m, k) for m in range(self.J + 1))


def construct_weights(spec: GPSpec, J: int, truncation: str = "hard") -> ConstructedWeights:
    """Coefficients, step size and truncated correlation for the explicit transformer.

    Parameters
    ----------
    spec : GPSpec
        Equispaced (Toeplitz) spec.
    J : int
        Truncation lag. ``r_bar`` is computed with this J; heads are built up to
        ``min(J, N - 1)`` (lags beyond ``N - 1`` do not occur).
    truncation : {"hard", "taper", "shift"}
        See docs/theory.md §4 and :func:`gpdtheory.truncation.truncated_autocovariance`.

    Returns
    -------
    ConstructedWeights

    Raises
    ------
    InvalidArgumentError
        Non-Toeplitz spec, negative J, unknown truncation.
    """
    from ..gd import step_size
    from ..truncation import truncated_autocovariance

    check_spec(spec)
    if not spec.is_toeplitz:
        raise InvalidArgumentError("spec", spec, "has non-equispaced frames: Gamma is not Toeplitz",
                                   "the construction needs equispaced frames (times=None)")
    # r_bar uses the requested J (the Bartlett taper weights depend on it even when
    # J >= N - 1); heads are only needed up to lag min(J, N - 1).
    r_bar = np.asarray(truncated_autocovariance(spec.r, J, method=truncation), dtype=np.float64)
    J = effective_lag(spec.N, J)
    s = interpolation_coefficients(r_bar, J)
    eta, Lambda = step_size(r_bar, spec.Sigma)
    return ConstructedWeights(N=spec.N, d=spec.d, J=J, truncation=truncation, r_bar=r_bar,
                              c=lag_cosines(spec.N), s=s, eta=float(eta), Lambda=float(Lambda),
                              Sigma=np.array(spec.Sigma))
