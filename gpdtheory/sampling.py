"""Reverse-time samplers for the OU diffusion: Euler–Maruyama, exponential integrator, PF-ODE.

docs/theory.md §6. With ``t = T - tau`` the reverse SDE is

    dY = [Y/2 + s(Y, T - tau)] dtau + dW,      Y(0) ~ N(0, I),

run from ``t = T`` down to the early-stopping time ``t0 > 0``; the probability-flow ODE
``dY/dtau = Y/2 + s(Y, T - tau)/2`` has the same marginals when ``s`` is the exact score
and ``Y(0) ~ p_T``.

Time grid
---------
A decreasing grid ``T = t_0 > t_1 > ... > t_K = t0`` of diffusion times
(:func:`time_grid`): ``"log"`` (geometric, the default: the score is stiff,
``||s|| ~ 1/t``, near ``t0``, so steps shrink there) or ``"uniform"``; any explicit
strictly decreasing array is accepted too. Step ``k`` has length ``h_k = t_k - t_{k+1}``.

Schemes
-------
The score is evaluated at the diffusion time ``t_k`` at the start of the step.

==========================  ==========================================================  ======
scheme                      step                                                        order
==========================  ==========================================================  ======
``euler_maruyama``          ``Y += h (Y/2 + s_k) + sqrt(h) Z``                          weak 1
``exponential_integrator``  ``Y = e^{h/2} Y + 2 (e^{h/2} - 1) s_k + sqrt(e^h - 1) Z``   weak 1
                            (exact for the OU part: exact when ``s = 0``)
``probability_flow``        Heun (explicit trapezoid) on ``dY = (Y/2 + s/2) dtau``,     2
                            deterministic given ``Y(0)``
==========================  ==========================================================  ======

Every sampler is batched over the leading axes of ``Y`` (``(B, N, d)``) and device
agnostic: ``Y`` may be a numpy array or a torch tensor (kept on its device and dtype;
noise then comes from ``torch.randn`` on that device). ``score_fn(Y, t)`` takes the
current batch and a Python float ``t`` and returns an array of the same type and shape.
This module imports no torch.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from .errors import InvalidArgumentError
from .schedule import T_MAX  # the largest horizon, the one rule for t
from .validation import as_real_array, as_rng, check_positive_int, check_positive_scalar

__all__ = [
    "time_grid",
    "check_times",
    "euler_maruyama",
    "exponential_integrator",
    "probability_flow",
    "reverse_sample",
    "SAMPLERS",
    "SAMPLER_ORDER",
]


GridKind = Literal["log", "uniform"]
ScoreFn = Callable[[Any, float], Any]

#: Documented order of each scheme (weak order for the SDE schemes, in the number of steps).
SAMPLER_ORDER = {"euler_maruyama": 1, "exponential_integrator": 1, "probability_flow": 2}

#: Runs with at least this many steps show a progress bar when ``progress=None``.
PROGRESS_MIN_STEPS = 2000


def time_grid(T: float, t0: float, steps: int, kind: GridKind = "log") -> np.ndarray:
    """Decreasing diffusion times from ``t_0 = T`` down to ``t_steps = t0``.

    Parameters
    ----------
    T : float
        Horizon (start of the reverse process), ``T > t0``.
    t0 : float
        Early-stopping time, ``> 0``.
    steps : int
        Number of steps ``K >= 1``.
    kind : {"log", "uniform"}
        ``"log"``: ``t_k = T (t0/T)^{k/K}`` (geometric); ``"uniform"``: equal steps in t.

    Returns
    -------
    (steps + 1,) ndarray of float64
        First entry exactly ``T``, last exactly ``t0``.

    Examples
    --------
    >>> time_grid(1.0, 0.01, 2)
    array([1.  , 0.1 , 0.01])
    """
    # beyond T = 700, e^T overflows float64 (and alpha_T^2 < 1e-300: T = 40 already suffices)
    T = check_positive_scalar(T, "T", upper=T_MAX, fix=f"pass a horizon 0 < T <= {T_MAX:g}")
    t0 = check_positive_scalar(t0, "t0")
    steps = check_positive_int(steps, "steps")
    if not t0 < T:
        raise InvalidArgumentError("t0", t0, f"must be < T = {T:g}", "pass 0 < t0 < T")
    if kind == "log":
        out = np.exp(np.linspace(math.log(T), math.log(t0), steps + 1))
    elif kind == "uniform":
        out = np.linspace(T, t0, steps + 1)
    else:
        raise InvalidArgumentError("kind", kind, "is not a grid kind", "pass 'log' or 'uniform'")
    out[0], out[-1] = T, t0
    return out


def check_times(times: Any) -> np.ndarray:
    """Validate an explicit time grid for the samplers.

    Parameters
    ----------
    times : array_like, 1-D
        Diffusion times, strictly decreasing and positive, at least two, the first at most
        ``T_MAX``.

    Returns
    -------
    ndarray of float64
        ``times`` as a float64 array.

    Raises
    ------
    InvalidArgumentError
        When the grid is not as above; the message names the fix (:func:`time_grid`).

    Examples
    --------
    >>> check_times([1.0, 0.5, 0.1])
    array([1. , 0.5, 0.1])
    """
    t = as_real_array(times, "times", ndim=1)
    if t.size < 2 or np.any(np.diff(t) >= 0) or t[-1] <= 0:
        raise InvalidArgumentError(
            "times",
            t,
            "must be strictly decreasing, positive, length >= 2",
            "build it with gpdtheory.sampling.time_grid(T, t0, steps)",
        )
    if t[0] > T_MAX:
        raise InvalidArgumentError("times", f"grid from {t[0]:g}",
                                   f"starts above T_MAX = {T_MAX:g}",
                                   "start the grid at T <= 700 (exp(T) must stay finite)")
    return t


def _is_torch(Y: Any) -> bool:
    return type(Y).__module__.startswith("torch")


class _Noise:
    """Standard normal draws of ``Y``'s type: numpy Generator, or torch on ``Y``'s device."""

    def __init__(self, Y: Any, seed: Any):
        self.torch = _is_torch(Y)
        if self.torch:
            torch = sys.modules["torch"]  # already imported: Y is a tensor
            self.gen = torch.Generator(device=Y.device)
            if isinstance(seed, (int, np.integer)):
                self.gen.manual_seed(int(seed))
            else:
                self.gen.seed()
            self._randn = lambda like: torch.randn(
                like.shape, generator=self.gen, device=like.device, dtype=like.dtype
            )
        else:
            rng = as_rng(seed)
            self._randn = lambda like: rng.standard_normal(like.shape)

    def __call__(self, like: Any) -> Any:
        return self._randn(like)


def _prepare(Y0: Any) -> Any:
    if _is_torch(Y0):
        if not Y0.dtype.is_floating_point:
            raise InvalidArgumentError("Y0", Y0.dtype, "is not a floating tensor", "pass float64")
        return Y0.clone()
    return as_real_array(Y0, "Y0", min_ndim=2).copy()


def _progress(iterable, total: int, progress: bool | None, desc: str):
    show = total >= PROGRESS_MIN_STEPS if progress is None else bool(progress)
    if not show:
        return iterable
    from ._extras import progress_bar

    return progress_bar(iterable, show=True, total=total, desc=desc, leave=False)


def _check_out(s: Any, Y: Any, t: float) -> Any:
    if not hasattr(s, "shape"):
        raise InvalidArgumentError("score_fn", type(s).__name__,
                                   f"returned a {type(s).__name__} at t={t:g}, not an array",
                                   "return an array shaped like Y")
    if tuple(s.shape) != tuple(Y.shape):
        raise InvalidArgumentError(
            "score_fn",
            s.shape,
            f"returned shape {tuple(s.shape)} at t={t:g} for input shape {tuple(Y.shape)}",
            "return one score per entry of Y",
        )
    finite = sys.modules["torch"].isfinite(s).all() if _is_torch(s) else np.isfinite(s).all()
    if not bool(finite):  # never integrate a NaN: it would come back as the "sample"
        raise InvalidArgumentError("score_fn", f"output at t={t:g}",
                                   "returned NaN or infinite entries",
                                   "check the model / score at small t (early stopping t0)")
    return s


def euler_maruyama(
    score_fn: ScoreFn, Y0: Any, times: Any, *, seed: Any = None, progress: bool | None = None
) -> Any:
    """Euler–Maruyama on the reverse SDE: ``Y += h (Y/2 + s(Y, t_k)) + sqrt(h) Z``.

    Parameters
    ----------
    score_fn : callable ``(Y, t) -> (..., N, d)``
    Y0 : (..., N, d) ndarray or torch tensor
        Initial batch at ``t = times[0]`` (usually ``N(0, I)`` draws).
    times : (K + 1,) array_like
        Strictly decreasing diffusion times (:func:`time_grid`).
    seed : int, numpy Generator or None
    progress : bool or None
        tqdm bar; ``None`` shows one for ``K >= PROGRESS_MIN_STEPS``.

    Returns
    -------
    (..., N, d) array of ``Y0``'s type: the samples at ``t = times[-1]``.

    Notes
    -----
    For ``s = -A_t y`` the covariance follows ``P <- F P F^T + h I``,
    ``F = (1 + h/2) I - h A_{t_k}`` (:func:`gpdtheory.distribution.discrete_covariance`).

    Examples
    --------
    >>> Y = euler_maruyama(lambda y, t: -y, np.zeros((2, 3, 1)), time_grid(1.0, 0.1, 4), seed=0)
    >>> Y.shape
    (2, 3, 1)
    """
    times = check_times(times)
    Y = _prepare(Y0)
    noise = _Noise(Y, seed)
    for k in _progress(range(times.size - 1), times.size - 1, progress, "euler_maruyama"):
        t, h = float(times[k]), float(times[k] - times[k + 1])
        s = _check_out(score_fn(Y, t), Y, t)
        Y = Y + h * (0.5 * Y + s) + math.sqrt(h) * noise(Y)
    return Y


def exponential_integrator(
    score_fn: ScoreFn, Y0: Any, times: Any, *, seed: Any = None, progress: bool | None = None
) -> Any:
    """Exponential integrator: the OU drift ``Y/2`` exactly, the score frozen at ``t_k``.

    ``Y <- e^{h/2} Y + 2 (e^{h/2} - 1) s(Y, t_k) + sqrt(e^h - 1) Z`` (the exact solution of
    ``dY = (Y/2 + s_k) dtau + dW`` over a step ``h``). Parameters and returns as
    :func:`euler_maruyama`.

    Notes
    -----
    Linear estimator: ``F = e^{h/2} I - 2 (e^{h/2} - 1) A_{t_k}``, noise ``(e^h - 1) I``.
    With ``s = 0`` the output is exactly ``N(0, (2 e^{T - t0} - 1) I)`` for every grid.
    """
    times = check_times(times)
    Y = _prepare(Y0)
    noise = _Noise(Y, seed)
    for k in _progress(range(times.size - 1), times.size - 1, progress, "exponential_integrator"):
        t, h = float(times[k]), float(times[k] - times[k + 1])
        s = _check_out(score_fn(Y, t), Y, t)
        e = math.expm1(0.5 * h)
        Y = (1.0 + e) * Y + 2.0 * e * s + math.sqrt(math.expm1(h)) * noise(Y)
    return Y


def probability_flow(
    score_fn: ScoreFn, Y0: Any, times: Any, *, seed: Any = None, progress: bool | None = None
) -> Any:
    """Heun's method on the probability-flow ODE ``dY/dtau = Y/2 + s(Y, T - tau)/2``.

    ``f_k = Y/2 + s(Y, t_k)/2``, ``Y' = Y + h f_k``, ``Y <- Y + h (f_k + f(Y', t_{k+1}))/2``.
    Deterministic; ``seed`` is accepted for a uniform signature and ignored. Two score
    evaluations per step. Parameters and returns as :func:`euler_maruyama`.

    Notes
    -----
    Linear estimator: ``F = I + h/2 (B_k + B_{k+1} (I + h B_k))``, ``B = I/2 - A/2``, and
    ``P <- F P F^T``. Second order in the step.
    """
    del seed
    times = check_times(times)
    Y = _prepare(Y0)
    for k in _progress(range(times.size - 1), times.size - 1, progress, "probability_flow"):
        t, t_next = float(times[k]), float(times[k + 1])
        h = t - t_next
        f = 0.5 * (Y + _check_out(score_fn(Y, t), Y, t))
        Yp = Y + h * f
        f2 = 0.5 * (Yp + _check_out(score_fn(Yp, t_next), Yp, t_next))
        Y = Y + (0.5 * h) * (f + f2)
    return Y


#: Samplers by name.
SAMPLERS: dict[str, Callable[..., Any]] = {
    "euler_maruyama": euler_maruyama,
    "exponential_integrator": exponential_integrator,
    "probability_flow": probability_flow,
}


def reverse_sample(
    score_fn: ScoreFn,
    n: int,
    N: int,
    d: int,
    *,
    T: float,
    t0: float,
    steps: int,
    method: str = "exponential_integrator",
    grid: GridKind = "log",
    seed: Any = None,
    Y0: Any = None,
    progress: bool | None = None,
) -> Any:
    """Draw ``n`` sequences from the reverse process started at ``N(0, I)``.

    Parameters
    ----------
    score_fn : callable ``(Y, t) -> (n, N, d)``
    n, N, d : int
        Batch size, frames, features.
    T, t0 : float
        Horizon and early-stopping time, ``0 < t0 < T``.
    steps : int
    method : {"euler_maruyama", "exponential_integrator", "probability_flow"}
    grid : {"log", "uniform"}
    seed : int, numpy Generator or None
        Seeds both ``Y0`` (when drawn here) and the sampler's noise.
    Y0 : (n, N, d) ndarray or torch tensor, optional
        Starting batch; pass a torch tensor to sample on its device.
    progress : bool or None

    Returns
    -------
    (n, N, d) array of ``Y0``'s type (numpy when ``Y0`` is None)

    Examples
    --------
    >>> Y = reverse_sample(lambda y, t: -y, 4, 3, 2, T=2.0, t0=0.01, steps=10, seed=0)
    >>> Y.shape
    (4, 3, 2)
    """
    if method not in SAMPLERS:
        raise InvalidArgumentError(
            "method", method, "is not a sampler", f"pass one of {list(SAMPLERS)}"
        )
    times = time_grid(T, t0, steps, grid)
    rng = as_rng(seed)
    n, N, d = (check_positive_int(v, name) for v, name in ((n, "n"), (N, "N"), (d, "d")))
    if Y0 is None:
        Y0 = rng.standard_normal((n, N, d))
        inner: Any = rng
    else:
        shape = tuple(Y0.shape) if _is_torch(Y0) else as_real_array(Y0, "Y0", min_ndim=2).shape
        if shape != (n, N, d):
            raise InvalidArgumentError("Y0", f"shape {shape}",
                                       f"does not match (n, N, d) = {(n, N, d)}",
                                       f"pass Y0 of shape {(n, N, d)}, or Y0=None")
        inner = seed
    return SAMPLERS[method](score_fn, Y0, times, seed=inner, progress=progress)
