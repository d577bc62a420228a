"""Exact output covariance of the reverse process for a linear score estimator.

docs/theory.md §6. With ``s_hat(y, t) = -A_t y`` the reverse SDE
``dY = [Y/2 + s_hat(Y, T - tau)] dtau + dW``, ``Y(0) ~ N(0, P0)``, is linear, so
``Y(tau)`` is Gaussian with mean 0 and covariance solving the Lyapunov ODE

    dP/dtau = M P + P M^T + I,      M = I/2 - A_{T - tau},      P(0) = P0 (= I).

The probability-flow ODE ``dY/dtau = Y/2 + s_hat/2`` gives ``dP/dtau = M' P + P M'^T``,
``M' = I/2 - A/2``. The output is ``P`` at ``tau = T - t0``. With the exact score and
``P0 = C_T`` both carry ``C_T`` to ``C_t0`` (a check of the integrator).

Each discretised sampler of :mod:`gpdtheory.sampling` is a linear Gaussian recursion
``P <- F_k P F_k^T + q_k I`` whose output covariance is exact too
(:func:`discrete_covariance`).

Fast path: when ``A_t = Q diag(a_t) Q^T`` with a fixed ``Q = W ⊗ U`` (and ``P0`` is
diagonal in ``Q``, e.g. ``I``), ``P`` stays diagonal in ``Q`` and everything reduces to
``Nd`` scalar equations; otherwise the dense ``(Nd)^2`` system is integrated.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import scipy.sparse
from scipy.integrate import solve_ivp

from ..errors import ConvergenceError, InvalidArgumentError
from ..sampling import SAMPLERS, T_MAX, check_times
from ..validation import check_positive_scalar, check_real_scalar, check_spd
from .estimators import LinearEstimator, check_estimator

__all__ = [
    "output_covariance",
    "discrete_covariance",
    "output_covariance_spectral",
    "discrete_covariance_spectral",
    "check_tolerances",
    "Dynamics",
    "ODE_RTOL",
    "ODE_ATOL",
    "STIFFNESS_THRESHOLD",
    "STIFFNESS_PROBES",
    "MIN_RTOL",
    "DIAGONAL_RTOL",
]

Dynamics = Literal["sde", "ode"]

#: Default tolerances of ``solve_ivp`` (DOP853): the checks ask for 1e-9 agreement.
ODE_RTOL = 1e-11
ODE_ATOL = 1e-14
#: ``(log T - log t0) max |t rate|`` above which the diagonal system counts as stiff (Radau);
#: DOP853 needs about this many / 5 steps, so below it the explicit method is cheaper.
STIFFNESS_THRESHOLD = 1e3
#: Times (log-spaced) at which the stiffness is probed.
STIFFNESS_PROBES = 33
#: Smallest relative tolerance accepted (``solve_ivp`` and ``quad`` cannot honour less).
MIN_RTOL = 100 * np.finfo(np.float64).eps


def check_tolerances(rtol: Any, atol: Any = None) -> tuple[float, float | None]:
    """``rtol`` in ``[MIN_RTOL, 1]`` and a finite ``atol >= 0`` (documented errors otherwise)."""
    rtol = check_positive_scalar(rtol, "rtol", upper=1.0)
    if rtol < MIN_RTOL:
        raise InvalidArgumentError("rtol", rtol, f"is below {MIN_RTOL:.2e}, the smallest "
                                   "relative tolerance float64 integrators honour",
                                   "pass rtol >= 1e-13")
    if atol is not None:
        atol = check_real_scalar(atol, "atol")
        if atol < 0:
            raise InvalidArgumentError("atol", atol, "is negative", "pass an atol >= 0")
    return rtol, atol


#: Relative off-diagonal mass under which ``Q^T P0 Q`` counts as diagonal (fast path).
DIAGONAL_RTOL = 1e-12


def _initial(est: LinearEstimator, P0: Any) -> tuple[np.ndarray | None, np.ndarray]:
    """``(p0 in the eigenbasis or None, dense P0)``."""
    n = est.n
    if P0 is None:
        return (np.ones(n) if est.is_spectral else None), np.eye(n)
    P0 = check_spd(P0, "P0")
    if P0.shape != (n, n):
        raise InvalidArgumentError(
            "P0", P0.shape, f"must be ({n}, {n})", "pass an (Nd, Nd) covariance"
        )
    if not est.is_spectral:
        return None, P0
    Q = est.basis
    D = Q.T @ P0 @ Q
    off = D - np.diag(np.diag(D))
    if np.max(np.abs(off)) <= DIAGONAL_RTOL * np.max(np.abs(np.diag(D))):
        return np.diag(D).copy(), P0
    return None, P0


def _solve(
    rhs, y0: np.ndarray, T: float, t0: float, rtol: float, atol: float, jac=None
) -> np.ndarray:
    # integrate in u = log t (from log T down to log t0): t A_t stays bounded near t0 for the
    # exact score and its approximations, so the system is not stiff in u even though
    # ||A_t|| ~ 1/t. A diverging estimator (e.g. GD on an indefinite Gamma_bar, whose
    # eigenvalues grow like (1 + eta |c|)^L) is stiff: Radau with the exact Jacobian then.
    method = "DOP853" if jac is None else "Radau"
    # Radau's step-size controller divides by the previous step, which is 0 after a step
    # that ended on the span's end point, and caps the resulting infinite factor: a
    # harmless numpy warning. It is silenced around the integrator only; the right-hand
    # side and the Jacobian (the estimator, maybe a user's) run under the caller's settings.
    caller = np.geterr()

    def under_caller(f):
        def wrapped(u, y):
            with np.errstate(**caller):
                return f(u, y)
        return wrapped

    extra = {} if jac is None else {"jac": under_caller(jac)}
    span = (math.log(T), math.log(t0))
    with np.errstate(divide="ignore"):
        sol = solve_ivp(under_caller(rhs), span, y0, method=method, rtol=rtol, atol=atol,
                        **extra)
    if not sol.success:
        raise ConvergenceError(
            f"solve_ivp ({method}) on the Lyapunov ODE",
            float("nan"),
            rtol,
            sol.nfev,
            f"{sol.message}; check A_t is finite on [t0, T]",
        )
    return sol.y[:, -1]


def output_covariance(
    est: LinearEstimator,
    T: float,
    t0: float,
    *,
    dynamics: Dynamics = "sde",
    P0: Any = None,
    rtol: float = ODE_RTOL,
    atol: float = ODE_ATOL,
) -> np.ndarray:
    """Covariance of the continuous-time reverse process at ``t0``.

    Parameters
    ----------
    est : LinearEstimator
    T, t0 : float
        Horizon and early stopping, ``0 < t0 < T``.
    dynamics : {"sde", "ode"}
        Reverse SDE or probability-flow ODE.
    P0 : (Nd, Nd) array_like, optional
        Covariance at ``t = T``; ``I`` (the sampler's ``N(0, I)``) by default.
    rtol, atol : float
        ``solve_ivp`` tolerances.

    Returns
    -------
    (Nd, Nd) ndarray

    Raises
    ------
    ConvergenceError
        The integrator failed.

    Notes
    -----
    Solved in ``u = log t``: ``dP/du = -t (M P + P M^T + I)``. Spectral estimators: per
    eigenvalue, in ``q = log p``, ``dq/du = -t ((1 - 2 a) + e^{-q})`` (SDE) or ``-t (1 - a)``
    (ODE), so every eigenvalue of ``P`` gets relative accuracy ``rtol`` (``atol`` then
    applies to the dense path only); Radau with the diagonal Jacobian when stiff.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> from gpdtheory.distribution import exact_score_estimator
    >>> spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=3, Sigma=np.eye(1))
    >>> P = output_covariance(exact_score_estimator(spec), 6.0, 0.1,
    ...                       P0=gp.marginal_covariance(spec, 6.0))
    >>> bool(np.allclose(P, gp.marginal_covariance(spec, 0.1), atol=1e-9))
    True
    """
    return output_covariance_spectral(est, T, t0, dynamics, P0, rtol, atol)[0]


def output_covariance_spectral(est: LinearEstimator, T: float, t0: float,
                               dynamics: Dynamics = "sde", P0: Any = None,
                               rtol: float = ODE_RTOL, atol: float = ODE_ATOL):
    """:func:`output_covariance` and, on the fast path, its eigenvalues.

    Returns
    -------
    P : (Nd, Nd) ndarray
    p : (Nd,) ndarray or None
        The eigenvalues of ``P`` in ``est.basis`` when ``P`` stays diagonal there (spectral
        estimator, ``P0`` diagonal in its basis), else None.
    """
    est = check_estimator(est)
    rtol, atol = check_tolerances(rtol, atol)
    T = check_positive_scalar(T, "T", upper=T_MAX, fix=f"pass a horizon T in (0, {T_MAX:g}]: "
                              "exp(T) must stay finite")
    t0 = check_positive_scalar(t0, "t0")
    if not t0 < T:
        raise InvalidArgumentError("t0", t0, f"must be < T = {T:g}", "pass 0 < t0 < T")
    if dynamics not in ("sde", "ode"):
        raise InvalidArgumentError(
            "dynamics", dynamics, "is not 'sde' or 'ode'", "pass one of them"
        )
    sde = dynamics == "sde"
    p0, P0d = _initial(est, P0)
    n = est.n
    if p0 is not None:
        # in q = log p: relative accuracy on every eigenvalue, however small (p > 0 always:
        # p' = (1 - 2a) p + 1 keeps p positive, and the PF-ODE's p' = (1 - a) p scales it)
        def rhs_log(u: float, q: np.ndarray) -> np.ndarray:
            t = math.exp(u)
            a = est.eigenvalues(t).ravel()
            return -t * ((1.0 - 2.0 * a) + np.exp(-q)) if sde else -t * (1.0 - a)

        jac = None
        if sde:
            span = math.log(T) - math.log(t0)
            probe = np.linspace(math.log(t0), math.log(T), STIFFNESS_PROBES)
            stiffness = span * max(
                float(np.max(np.abs(math.exp(u) * (1.0 - 2.0 * est.eigenvalues(math.exp(u))))))
                for u in probe
            )
            if stiffness > STIFFNESS_THRESHOLD:  # d(rhs)/dq = t e^{-q}, diagonal
                jac = lambda u, q: scipy.sparse.diags(math.exp(u) * np.exp(-q))  # noqa: E731
        # q is O(1)..O(50): atol on q is a relative tolerance on p
        p = np.exp(_solve(rhs_log, np.log(p0), T, t0, rtol, rtol, jac=jac))
        Q = est.basis
        return (Q * p) @ Q.T, p
    eye = np.eye(n)

    def rhs_dense(u: float, y: np.ndarray) -> np.ndarray:
        t = math.exp(u)
        P = y.reshape(n, n)
        M = 0.5 * eye - (est.matrix(t) if sde else 0.5 * est.matrix(t))
        MP = M @ P
        dP = MP + MP.T + (eye if sde else 0.0)
        return -t * dP.ravel()

    P = _solve(rhs_dense, P0d.ravel().copy(), T, t0, rtol, atol).reshape(n, n)
    return 0.5 * (P + P.T), None


def _transition(method: str, h: float, a_k, a_next, one):
    """``(F, q)`` of one step.

    ``a_*`` are eigenvalue vectors (``one = 1.0``) or matrices (``one = I``).
    """
    if method == "euler_maruyama":
        return (1.0 + 0.5 * h) * one - h * a_k, h
    if method == "exponential_integrator":
        e = math.expm1(0.5 * h)
        return (1.0 + e) * one - 2.0 * e * a_k, math.expm1(h)
    Bk, Bn = 0.5 * (one - a_k), 0.5 * (one - a_next)
    return one + 0.5 * h * (
        Bk + Bn * (1.0 + h * Bk) if np.ndim(one) == 0 else Bk + Bn @ (one + h * Bk)
    ), 0.0


def discrete_covariance(
    est: LinearEstimator, times: Any, method: str, *, P0: Any = None
) -> np.ndarray:
    """Exact output covariance of a discretised sampler with a linear estimator.

    Parameters
    ----------
    est : LinearEstimator
    times : (K + 1,) array_like
        The sampler's decreasing grid (:func:`gpdtheory.sampling.time_grid`).
    method : {"euler_maruyama", "exponential_integrator", "probability_flow"}
    P0 : (Nd, Nd) array_like, optional
        Covariance at ``times[0]``; ``I`` by default.

    Returns
    -------
    (Nd, Nd) ndarray
        The covariance of the sampler's output, exactly (no Monte Carlo).

    Notes
    -----
    ``P <- F_k P F_k^T + q_k I`` with, for ``h = t_k - t_{k+1}`` and ``A_k = A_{t_k}``:
    Euler–Maruyama ``F = (1 + h/2) I - h A_k``, ``q = h``; exponential integrator
    ``F = e^{h/2} I - 2 (e^{h/2} - 1) A_k``, ``q = e^h - 1``; Heun PF-ODE
    ``F = I + h/2 (B_k + B_{k+1} (I + h B_k))``, ``B = (I - A)/2``, ``q = 0``.
    """
    return discrete_covariance_spectral(est, times, method, P0)[0]


def discrete_covariance_spectral(est: LinearEstimator, times: Any, method: str,
                                 P0: Any = None):
    """:func:`discrete_covariance` and, on the fast path, its eigenvalues ``p`` (or None).

    As :func:`output_covariance_spectral`.
    """
    est = check_estimator(est)
    times = check_times(times)
    if method not in SAMPLERS:
        raise InvalidArgumentError(
            "method", method, "is not a sampler", f"pass one of {list(SAMPLERS)}"
        )
    p0, P = _initial(est, P0)
    spectral = p0 is not None
    get = (lambda t: est.eigenvalues(t).ravel()) if spectral else est.matrix
    one = 1.0 if spectral else np.eye(est.n)
    p = p0
    a_next = get(float(times[0]))
    for k in range(times.size - 1):
        h = float(times[k] - times[k + 1])
        a_k = a_next
        a_next = get(float(times[k + 1]))  # Heun uses it in this step; every scheme in the next
        F, q = _transition(method, h, a_k, a_next, one)
        if spectral:
            p = F * F * p + q
        else:
            P = F @ P @ F.T + q * one
            P = 0.5 * (P + P.T)
    if spectral:
        Q = est.basis
        return (Q * p) @ Q.T, p
    return P, None
