"""Band-J truncation of the temporal correlation and its error (docs/theory.md §§3-4).

Three truncations of ``Gamma = toeplitz(r)`` at lag ``J``, each returned as the first
column ``r_bar`` of the symmetric Toeplitz matrix ``Gamma_bar``:

==========  ===================================================  ==========================
method      ``r_bar[m]``                                         PSD for every N
==========  ===================================================  ==========================
``hard``    ``r[m]`` for ``m <= J``, else 0 (the paper's)        iff ``min f_J >= 0``
``taper``   ``r[m] max(0, 1 - m/(J+1))`` (Bartlett)              yes (Schur, Fejér kernel)
``shift``   hard, plus ``delta = max(0, -min f_J)`` on ``r[0]``  yes, by design
==========  ===================================================  ==========================

``f_J(w) = r[0] + 2 sum_{m=1}^{J} r[m] cos(m w)`` is the symbol of the hard truncation.
The error ``||Gamma - Gamma_bar||_2`` is bounded by ``tau_J = 2 sum_{m>J} |r[m]|`` (Lemma
TR); :func:`truncation_error` computes it exactly.
"""

from __future__ import annotations

from typing import Any, Literal, cast

import numpy as np

from .errors import InvalidArgumentError
from .symbol import COMPANION_MAX_J, symbol_minimum  # noqa: F401  (re-exported)
from .symbol import check_column as _check_r
from .toeplitz.eig import extreme_eigenvalues
from .validation import as_real_array, check_nonnegative_int, check_positive_scalar

__all__ = [
    "Method",
    "METHODS",
    "COMPANION_MAX_J",
    "truncated_autocovariance",
    "symbol_minimum",
    "tau_J",
    "error_bound",
    "truncation_error",
    "smallest_J",
]

Method = Literal["hard", "taper", "shift"]
METHODS: tuple[str, ...] = ("hard", "taper", "shift")


def _check_method(method: str) -> Method:
    if method not in METHODS:
        raise InvalidArgumentError("method", method, "is not a truncation method",
                                   "pass 'hard', 'taper' or 'shift'")
    return cast(Method, method)  # one of METHODS, the values of Method


# --------------------------------------------------------------------------- truncations
def truncated_autocovariance(r: Any, J: int, method: Method = "hard") -> np.ndarray:
    """First column of the truncated correlation ``Gamma_bar`` (docs/theory.md §§3-4).

    Parameters
    ----------
    r : (N,) array_like
        First column of ``Gamma`` (``r[0] > 0``).
    J : int
        Truncation lag ``>= 0``; ``J >= N - 1`` keeps every lag (no truncation, except
        for ``taper``, which still down-weights lags ``m`` by ``1 - m/(J+1)``).
    method : {"hard", "taper", "shift"}
        ``"hard"``: ``r[m]`` for ``m <= J``, else 0 (the paper's band truncation).
        ``"taper"``: Bartlett, ``r[m] max(0, 1 - m/(J+1))``: the Schur product of
        ``Gamma`` with the PSD Fejér-kernel Toeplitz matrix, so PSD whenever ``Gamma`` is.
        ``"shift"``: hard plus ``delta = max(0, -min_w f_J(w))`` on ``r[0]``: its symbol
        ``f_J + delta >= 0``, so PSD for every N (the all-N shift).

    Returns
    -------
    (N,) ndarray of float64

    Notes
    -----
    ``delta`` uses :func:`symbol_minimum` (Chebyshev critical points, accurate to about
    ``1e-15 sum |r_m|``), so the shifted ``Gamma_bar`` has smallest eigenvalue
    ``>= -1e-15 sum |r_m|``, i.e. PSD to round-off.

    Examples
    --------
    >>> truncated_autocovariance([1.0, 0.5, 0.25, 0.125], 1)
    array([1. , 0.5, 0. , 0. ])
    >>> truncated_autocovariance([1.0, 0.5, 0.25, 0.125], 1, "taper")
    array([1.  , 0.25, 0.  , 0.  ])
    """
    r = _check_r(r)
    J = check_nonnegative_int(J, "J")
    method = _check_method(method)
    out = r.copy()
    out[J + 1:] = 0.0
    if method == "taper":
        out *= np.maximum(0.0, 1.0 - np.arange(r.size) / (J + 1.0))
    elif method == "shift":
        fmin, _ = symbol_minimum(out, J)
        out[0] += max(0.0, -fmin)
    return out


def tau_J(r: Any, J: int) -> float:
    """The tail sum ``tau_J = 2 sum_{m=J+1}^{N-1} |r[m]|`` (Lemma TR's bound).

    Examples
    --------
    >>> tau_J([1.0, 0.5, 0.25, 0.125], 1)
    0.75
    """
    r = as_real_array(r, "r", ndim=1)
    J = check_nonnegative_int(J, "J")
    return float(2.0 * np.sum(np.abs(r[J + 1:])))


def error_bound(r: Any, J: int, method: Method = "hard") -> float:
    """``|d_0| + 2 sum_{m>=1} |d_m|`` with ``d = r - r_bar``: bounds ``||Gamma - Gamma_bar||_2``.

    For ``method="hard"`` this is :func:`tau_J`. It bounds the spectral norm because
    every eigenvalue of a symmetric Toeplitz matrix lies within ``sup |symbol|``
    (Gershgorin gives the same number).
    """
    r = _check_r(r)
    d = r - truncated_autocovariance(r, J, method)
    return float(abs(d[0]) + 2.0 * np.sum(np.abs(d[1:])))


def truncation_error(r: Any, J: int, method: Method = "hard") -> float:
    """Exact ``||Gamma - Gamma_bar||_2`` for the given truncation.

    Parameters
    ----------
    r : (N,) array_like
    J : int
    method : {"hard", "taper", "shift"}

    Returns
    -------
    float

    Notes
    -----
    ``Gamma - Gamma_bar`` is symmetric Toeplitz with first column ``r - r_bar``; its
    norm is ``max(|lmin|, |lmax|)`` (:func:`gpdtheory.toeplitz.extreme_eigenvalues`: dense
    for small N, the Toeplitz engine beyond). Lemma TR: the result is
    ``<= error_bound(r, J, method)``.

    Examples
    --------
    >>> r = 0.5 ** np.arange(6)
    >>> bool(truncation_error(r, 2) <= tau_J(r, 2))
    True
    """
    r = _check_r(r)
    d = r - truncated_autocovariance(r, J, method)
    if not np.any(d):
        return 0.0
    lmin, lmax = extreme_eigenvalues(d)
    return float(max(-lmin, lmax))


# --------------------------------------------------------------------------- sizes
def smallest_J(kernel_or_spec: Any, eps: float, N: int | None = None) -> int:
    """Smallest truncation lag ``J`` with ``tau_J <= eps``.

    Parameters
    ----------
    kernel_or_spec : Kernel, GPSpec or (N,) array_like
        A kernel (then ``N`` optional), a spec (its N) or a first column ``r``.
    eps : float
        Target for ``tau_J``, ``> 0``.
    N : int, optional
        Number of frames. Without it (kernel only) the N-free closed-form tail
        bound is used: ``2 * kernel.tail_bound(J) <= eps``, valid for every N.

    Returns
    -------
    int
        ``J``; with N frames at most ``N - 1`` (``tau_{N-1} = 0``).

    Raises
    ------
    InvalidArgumentError
        No N for a family that is not summable (logarithmic, polynomial ``nu <= 1``):
        its ``tau_J`` grows with N, so J must too.

    Examples
    --------
    >>> from gpdtheory import PoweredExponential
    >>> k = PoweredExponential(2.0, 1.0)
    >>> smallest_J(k, 1e-3, N=64) <= smallest_J(k, 1e-3)
    True
    """
    from .kernels import Kernel
    from .spec import GPSpec

    eps = check_positive_scalar(eps, "eps")
    if isinstance(kernel_or_spec, GPSpec):
        r = kernel_or_spec.r
    elif isinstance(kernel_or_spec, Kernel):
        if N is None:
            k = kernel_or_spec
            if not np.isfinite(k.tail_bound(0)):
                raise InvalidArgumentError("N", None, f"{k!r} is not summable: tau_J grows with N",
                                           "pass the number of frames N")
            lo, hi = -1, 1
            while 2.0 * k.tail_bound(hi) > eps:   # tail_bound decreases to 0
                lo, hi = hi, 2 * hi
            while lo + 1 < hi:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if 2.0 * k.tail_bound(mid) <= eps else (mid, hi)
            return hi
        r = kernel_or_spec.autocovariance(N)
    else:
        r = as_real_array(kernel_or_spec, "kernel_or_spec", ndim=1)
    tails = 2.0 * np.cumsum(np.abs(r[::-1]))[::-1]    # tails[j] = 2 sum_{m>=j} |r_m|
    tau = np.append(tails[1:], 0.0)                   # tau[J] = 2 sum_{m>J} |r_m|
    return int(np.argmax(tau <= eps))
