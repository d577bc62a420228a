"""The forward diffusion in time: the Ornstein–Uhlenbeck schedule (docs/theory.md §2).

``dX = -X/2 dt + dW`` noises a clean sequence ``X_0`` into

    X_t = alpha_t X_0 + sigma_t eps,   alpha_t = exp(-t/2),   sigma_t^2 = 1 - exp(-t),

so ``alpha_t^2 + sigma_t^2 = 1`` and ``alpha_t^2 / sigma_t^2 = 1 / (e^t - 1)``. This module
is the one place the package writes these formulas. ``sigma_t^2`` is always formed as
``-expm1(-t)``: ``1 - exp(-t)`` cancels every digit near ``t = 0`` (at ``t = 1e-10`` it
keeps about 7 of 16), the early-stopping end of every sampler.

The coefficient functions take a Python or numpy scalar (evaluated with :mod:`math`), a
numpy array, 0-d included (numpy), or a torch tensor (torch, same device and dtype) and
return the same kind; they do not validate. numpy's ``exp`` and ``math.exp`` may differ in
the last bit, so a scalar route that must agree bit for bit with a batched one passes a
0-d array. :func:`check_diffusion_time` is the one rule for a valid
diffusion time: finite and ``0 < t <= T_MAX``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import InvalidArgumentError
from .validation import as_real_array

__all__ = [
    "T_MAX",
    "check_diffusion_time",
    "check_scalar_diffusion_time",
    "alpha",
    "sigma2",
    "alpha2_sigma2",
    "alpha_sigma",
    "noised",
]

#: Largest diffusion time: beyond it ``e^t`` overflows float64 (and ``alpha_t^2 < 1e-304``;
#: ``t = 40`` already puts ``alpha_t^2`` below float64's resolution of 1).
T_MAX = 700.0


def check_diffusion_time(t: Any, name: str = "t") -> np.ndarray:
    """Validate diffusion time(s): finite and ``0 < t <= T_MAX``.

    Returns
    -------
    ndarray of float64
        ``t`` as an array (0-d for a scalar).

    Raises
    ------
    InvalidArgumentError
        If any ``t <= 0`` (the score of the data itself may not exist, and
        ``sigma_t = 0`` makes ``C_t`` singular), ``t > T_MAX`` (``e^t`` overflows) or
        non-finite.
    """
    arr = as_real_array(t, name, allow_bool=False)
    if np.any(arr <= 0.0):
        raise InvalidArgumentError(
            name, t, "must be > 0: at t = 0 the marginal covariance has no noise floor",
            "pass a diffusion time t > 0 (early stopping t0 such as 1e-3)")
    if np.any(arr > T_MAX):
        raise InvalidArgumentError(
            name, t, f"exceeds T_MAX = {T_MAX:g}: e^t overflows float64",
            f"pass a diffusion time t <= {T_MAX:g} (alpha_t^2 < 1e-17 already at t = 40)")
    return arr


def check_scalar_diffusion_time(t: Any, name: str = "t") -> float:
    """One diffusion time: :func:`check_diffusion_time`, and a scalar (not an array)."""
    arr = check_diffusion_time(t, name)
    if arr.ndim != 0:
        raise InvalidArgumentError(name, t, "must be a scalar", "call once per diffusion time")
    return float(arr)


def alpha(t: Any) -> np.ndarray:
    """Signal scale ``alpha_t = exp(-t/2)`` of the OU forward process (validated ``t``)."""
    return np.exp(-0.5 * check_diffusion_time(t))


def sigma2(t: Any) -> np.ndarray:
    """Noise variance ``sigma_t^2 = 1 - exp(-t)``, computed as ``-expm1(-t)`` (exact near 0)."""
    return -np.expm1(-check_diffusion_time(t))


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def alpha2_sigma2(t: Any) -> tuple[Any, Any]:
    """``(alpha_t^2, sigma_t^2) = (exp(-t), -expm1(-t))``, both accurate to round-off.

    Parameters
    ----------
    t : float, ndarray or torch.Tensor
        Diffusion time(s), already validated.

    Returns
    -------
    (a2, s2)
        Of the kind of ``t``: floats for a Python number, numpy for numpy, torch for torch.
    """
    if _is_torch(t):
        return (-t).exp(), -(-t).expm1()
    if _is_number(t):
        return math.exp(-t), -math.expm1(-t)
    return np.exp(-t), -np.expm1(-t)


def alpha_sigma(t: Any) -> tuple[Any, Any]:
    """``(alpha_t, sigma_t) = (exp(-t/2), sqrt(-expm1(-t)))``, of the kind of ``t``."""
    if _is_torch(t):
        return (-t / 2).exp(), (-(-t).expm1()).sqrt()
    if _is_number(t):
        return math.exp(-t / 2), math.sqrt(-math.expm1(-t))
    return np.exp(-t / 2), np.sqrt(-np.expm1(-t))


def noised(x0: Any, t: Any, eps: Any) -> Any:
    """``X_t = alpha_t x0 + sigma_t eps``: a batch noised to time ``t`` by the forward process.

    Parameters
    ----------
    x0 : ndarray or torch.Tensor
        Clean sequences, e.g. ``(B, N, d)``.
    t : float, ndarray or torch.Tensor
        Diffusion time(s), already validated; an array must broadcast against ``x0`` (one
        time per sequence: shape ``(B, 1, 1)``).
    eps : like ``x0``
        Standard normal noise of ``x0``'s shape.

    Returns
    -------
    like ``x0``
    """
    a, s = alpha_sigma(t)
    return a * x0 + s * eps
