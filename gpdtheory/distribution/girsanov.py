"""Distribution error of a linear estimator: exact KL, W2, TV, and the Girsanov bound.

docs/theory.md §6. ``p_t0 = N(0, C_t0)`` is the true marginal at the early-stopping
time, ``q_t0 = N(0, P)`` what the reverse process produces from ``N(0, I)``
(:mod:`.lyapunov`). Girsanov's theorem with the data-processing inequality gives

    KL(p_t0 || q_t0) <= KL(p_T || N(0, I)) + 1/2 int_{t0}^{T} E_{p_t} ||s_hat - s*||^2 dt,

and for a linear estimator every term is exact: ``KL(p_T || N(0, I))`` in closed form,
the integrand ``tr(D C_t D^T)`` (``D = A_t - C_t^{-1}``, :func:`gpdtheory.gd.l2_error`)
by adaptive quadrature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import quad

from ..errors import ConvergenceError, InvalidArgumentError, NotPositiveDefiniteError
from ..linear import LinearScore, diffuse_eigenvalues, marginal_eigenvalues
from ..sampling import time_grid
from ..schedule import alpha2_sigma2
from ..spec import GPSpec
from ..validation import check_positive_int, check_positive_scalar
from .estimators import LinearEstimator, check_estimator, check_zero_mean_spec
from .gaussian import gaussian_kl, gaussian_w2, pinsker_tv
from .lyapunov import (
    ODE_ATOL,
    ODE_RTOL,
    check_tolerances,
    discrete_covariance_spectral,
    output_covariance_spectral,
)

__all__ = [
    "score_l2_error",
    "prior_kl",
    "GirsanovBound",
    "girsanov_bound",
    "DistributionDistance",
    "distribution_error",
    "ClosedFormGirsanov",
    "closed_form_girsanov",
    "QUAD_RTOL",
    "QUAD_ATOL",
]

#: Relative accuracy asked of the quadrature of the score-error integral.
QUAD_RTOL = 1e-10
#: Absolute accuracy (nats): ``E||s_hat - s*||^2`` is a sum of O(1) terms, so values below
#: ~1e-13 are float64 round-off (e.g. GD converged to a truncation error of 1e-21); asking
#: relative accuracy of them would integrate noise.
QUAD_ATOL = 1e-13


def _check_pair(spec: Any, est: Any) -> tuple[GPSpec, LinearEstimator]:
    spec, est = check_zero_mean_spec(spec), check_estimator(est)
    if (est.N, est.d) != (spec.N, spec.d):
        raise InvalidArgumentError(
            "est",
            est,
            f"has shape (N, d) = ({est.N}, {est.d}), the spec ({spec.N}, {spec.d})",
            "build the estimator from the same spec",
        )
    return spec, est


def score_l2_error(spec: GPSpec, est: LinearEstimator, t: float) -> float:
    """Exact ``E_{p_t} ||s_hat(X_t, t) - s*(X_t, t)||^2 = tr(D C_t D^T)``, ``D = A_t - C_t^{-1}``.

    Notes
    -----
    Same value as :func:`gpdtheory.gd.l2_error` ``(spec, est.matrix(t), t)``. A spectral
    estimator takes the routes of :meth:`gpdtheory.linear.LinearScore.l2_error`: closed form
    in ``Gamma``'s basis, ``O(d N^3)`` in ``Sigma``'s spatial basis, dense otherwise.
    """
    spec, est = _check_pair(spec, est)
    truth = LinearScore.exact(spec)
    if est.is_spectral:
        return truth.spectral_l2_error(t, est.W, est.U, est.eigenvalues(t))
    return truth.matrix_l2_error(est.matrix(t), t)


def prior_kl(spec: GPSpec, T: float) -> float:
    """``KL(p_T || N(0, I)) = 1/2 sum (c - 1 - log c)`` over the eigenvalues ``c`` of ``C_T``.

    ``c - 1 = alpha_T^2 (g lam - 1)`` is formed directly, so the tiny value at large T keeps
    its relative accuracy.
    """
    spec = check_zero_mean_spec(spec)
    T = check_positive_scalar(T, "T")
    g = spec.gamma_eigh[0]
    lam = spec.sigma_eigh[0]
    cm1 = alpha2_sigma2(T)[0] * (np.multiply.outer(g, lam) - 1.0)
    return float(0.5 * np.sum(cm1 - np.log1p(cm1)))


@dataclass(frozen=True)
class GirsanovBound:
    """The Girsanov bound and its two terms.

    Attributes
    ----------
    prior : float
        ``KL(p_T || N(0, I))``.
    score_term : float
        ``1/2 int_{t0}^{T} E_{p_t} ||s_hat - s*||^2 dt``.
    bound : float
        ``prior + score_term``.
    quad_error : float
        The quadrature's error estimate for ``score_term``.
    """

    prior: float
    score_term: float
    bound: float
    quad_error: float


def girsanov_bound(
    spec: GPSpec, est: LinearEstimator, T: float, t0: float, *, rtol: float = QUAD_RTOL
) -> GirsanovBound:
    """``KL(p_T || N(0, I)) + 1/2 int_{t0}^{T} E||s_hat - s*||^2 dt``, computed exactly.

    Parameters
    ----------
    spec : GPSpec (mean zero)
    est : LinearEstimator
    T, t0 : float
        ``0 < t0 < T``.
    rtol : float
        Relative accuracy of the quadrature (with the absolute floor ``QUAD_ATOL``).

    Returns
    -------
    GirsanovBound

    Raises
    ------
    ConvergenceError
        The adaptive quadrature missed ``rtol``.

    Notes
    -----
    ``scipy.integrate.quad`` in ``u = log t``: ``int f(t) dt = int f(e^u) e^u du``; the
    integrand ``~ 1/t`` near ``t0`` becomes smooth in ``u``.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> from gpdtheory.distribution import exact_score_estimator
    >>> spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=3, Sigma=np.eye(2))
    >>> b = girsanov_bound(spec, exact_score_estimator(spec), 5.0, 0.01)
    >>> b.score_term < 1e-20 and abs(b.bound - prior_kl(spec, 5.0)) < 1e-15
    True
    """
    spec, est = _check_pair(spec, est)
    T, t0 = check_positive_scalar(T, "T"), check_positive_scalar(t0, "t0")
    if not t0 < T:
        raise InvalidArgumentError("t0", t0, f"must be < T = {T:g}", "pass 0 < t0 < T")
    rtol, _ = check_tolerances(rtol)

    def f(u: float) -> float:
        t = math.exp(u)
        return score_l2_error(spec, est, t) * t

    val, err, info, *msg = quad(
        f, math.log(t0), math.log(T), epsabs=QUAD_ATOL, epsrel=rtol, limit=400, full_output=1
    )
    if msg and err > 100.0 * max(rtol * abs(val), QUAD_ATOL):
        raise ConvergenceError(
            "scipy.integrate.quad of the score error",
            err / max(abs(val), 1e-300),
            rtol,
            int(info["neval"]),
            f"{msg[0]}".split("\n")[0],
        )
    prior = prior_kl(spec, T)
    return GirsanovBound(
        prior=prior, score_term=0.5 * val, bound=prior + 0.5 * val, quad_error=0.5 * err
    )


def _kl_spectral(
    spec: GPSpec, est: LinearEstimator, t0: float, C: np.ndarray, p: np.ndarray
) -> float:
    """``KL(N(0, C) || N(0, Q diag(p) Q^T))`` from the eigenvalues ``p`` (no dense inverse).

    ``1/2 [sum_j (Q^T C Q)_jj / p_j - n + sum log p - log det C]``, ``log det C`` from the
    Kronecker eigenvalues of ``C_t0``. Stays exact when ``p`` spans many orders of magnitude
    (a diverging estimator drives some ``p_j`` to ~1e-20, below the dense round-off floor).
    """
    if np.min(p) <= 0.0:
        raise NotPositiveDefiniteError(
            "the generated covariance",
            f"eigenvalue {np.min(p):.3e}",
            "check the estimator (its output law is degenerate)",
        )
    Q = est.basis
    quad_form = np.einsum("ij,ik,kj->j", Q, C, Q)
    c = marginal_eigenvalues(spec.gamma_eigh[0], spec.sigma_eigh[0], t0)
    kl = 0.5 * (
        float(np.sum(quad_form / p)) - p.size + float(np.sum(np.log(p))) - float(np.sum(np.log(c)))
    )
    return max(kl, 0.0)


@dataclass(frozen=True)
class DistributionDistance:
    """Exact distance of the generated Gaussian ``q_t0 = N(0, P)`` to ``p_t0 = N(0, C_t0)``.

    Attributes
    ----------
    kl : float
        ``KL(p_t0 || q_t0)`` (the direction of the Girsanov bound).
    w2 : float
        Wasserstein-2 distance.
    tv_bound : float
        Pinsker: ``min(1, sqrt(kl / 2)) >= TV``.
    covariance : (Nd, Nd) ndarray
        ``P``.
    """

    kl: float
    w2: float
    tv_bound: float
    covariance: np.ndarray


def distribution_error(
    spec: GPSpec,
    est: LinearEstimator,
    T: float,
    t0: float,
    *,
    sampler: str = "sde",
    steps: int | None = None,
    grid: str = "log",
) -> DistributionDistance:
    """Exact KL, W2 and TV bound of the generated distribution for a linear estimator.

    Parameters
    ----------
    spec : GPSpec (mean zero)
    est : LinearEstimator
    T, t0 : float
    sampler : {"sde", "ode", "euler_maruyama", "exponential_integrator", "probability_flow"}
        Continuous-time reverse SDE / PF-ODE (Lyapunov ODE), or a discretised sampler
        (exact recursion; needs ``steps``).
    steps : int, optional
    grid : {"log", "uniform"}

    Returns
    -------
    DistributionDistance
    """
    from ..diffusion import marginal_covariance

    spec, est = _check_pair(spec, est)
    if sampler in ("sde", "ode"):
        P, p = output_covariance_spectral(est, T, t0, sampler, None, ODE_RTOL, ODE_ATOL)
    else:
        if steps is None:
            raise InvalidArgumentError(
                "steps", steps, f"is needed by the sampler {sampler!r}", "pass the number of steps"
            )
        times = time_grid(T, t0, check_positive_int(steps, "steps"), grid)
        P, p = discrete_covariance_spectral(est, times, sampler, None)
    C = marginal_covariance(spec, t0)
    kl = gaussian_kl(C, P) if p is None else _kl_spectral(spec, est, t0, C, p)
    return DistributionDistance(kl=kl, w2=gaussian_w2(C, P), tv_bound=pinsker_tv(kl), covariance=P)


# --------------------------------------------------------------------------- closed forms
@dataclass(frozen=True)
class ClosedFormGirsanov:
    """Both sides of the Girsanov bound in closed form, for the exact score of a Gaussian model.

    Attributes
    ----------
    kl : float
        ``KL(p_t0 || q_t0)``, ``q_t0`` the reverse SDE's output from ``N(0, I)`` (closed-form
        Lyapunov solution).
    prior, score_term, bound : float
        ``KL(p_T || N(0, I))``, ``1/2 int_{t0}^{T} E||s_hat - s*||^2 dt`` (closed-form
        antiderivative) and their sum.
    cond : float
        Largest condition number of the covariances involved (``C_t0``, ``C_bar_t0``, ``P``,
        ``C_T``, ``C_bar_T``).
    kl_scale, bound_scale : float
        Sum of the magnitudes of the terms each side is formed from before cancellation
        (e.g. ``diag(W^T Gamma W) lam`` and ``m`` whose difference is the tail ``tau``): the
        magnitude their round-off is relative to.
    """

    kl: float
    prior: float
    score_term: float
    bound: float
    cond: float
    kl_scale: float
    bound_scale: float


def _phi(y: np.ndarray) -> np.ndarray:
    """``x - 1 - log x`` at ``x = 1 + y`` (``>= 0``), without cancellation in ``1 + y``."""
    return y - np.log1p(y)


def _chol_logdet_correlation(S: np.ndarray) -> float:
    """``log det`` of the correlation matrix of the SPD ``S`` (``<= 0``), by Cholesky."""
    s = np.sqrt(np.diag(S))
    R = S / np.outer(s, s)
    try:
        Lc = np.linalg.cholesky(R)
    except np.linalg.LinAlgError as exc:
        raise NotPositiveDefiniteError("a covariance", "Cholesky factorisation failed",
                                       "check the spec") from exc
    return float(2.0 * np.sum(np.log(np.diag(Lc))))


def closed_form_girsanov(spec: GPSpec, est: LinearEstimator, T: float, t0: float
                         ) -> ClosedFormGirsanov:
    """Exact KL and Girsanov bound when ``s_hat`` is the exact score of ``N(0, Gamma_m ⊗ Sigma)``.

    Parameters
    ----------
    spec : GPSpec (mean zero)
    est : LinearEstimator
        With ``model_eigenvalues`` (:func:`exact_score_estimator`, or
        :func:`truncated_score_estimator` with a PSD ``Gamma_bar``) and the spatial basis of
        ``Sigma``.
    T, t0 : float
        ``0 < t0 < T``.

    Returns
    -------
    ClosedFormGirsanov

    Notes
    -----
    Write ``x = e^{-t}``, ``c_bar_j(t) = 1 + x (m_j - 1)`` the model eigenvalues of
    ``C_bar_t`` in ``Q = W ⊗ U`` and ``C'_t = Q^T C_t Q`` (block diagonal over the ``d``
    spatial modes).

    *KL side.* Per mode the reverse SDE's variance solves ``dp/dtau = (1 - 2/c_bar) p + 1``,
    whose solution from ``p(T) = 1`` is ``p = c_bar(t0) + (1 - c_bar(T)) e^{t0 - T}
    c_bar(t0)^2 / c_bar(T)^2`` (``1 - c_bar(T) = e^{-T} (1 - m)`` exactly). Then
    ``KL = 1/2 sum_j phi(C'_jj / p_j) - 1/2 log det R``, ``phi(x) = x - 1 - log x`` formed
    through ``log1p`` of ``(C'_jj - p_j)/p_j`` (``C'_jj - c_bar_j`` from the dense tail
    ``Gamma - Gamma_m``) and ``R`` the correlation matrix of ``C'_t0`` (Cholesky).

    *Bound side.* With ``D = C_bar^{-1} - C^{-1}``, ``tr(D C D^T) dt = f(x) dx / x`` has the
    antiderivative ``G(x) = sum_j x tau_j / c_bar_j - sum_j log1p(x (g_j - m_j) / c_bar_j)``
    (partial fractions; ``tau_j = (Q^T (Gamma - Gamma_m) ⊗ Sigma Q)_jj``, ``g_j`` the
    eigenvalues of ``Gamma ⊗ Sigma`` paired in sorted order: only their sum enters), so the
    score term is ``(G(e^{-t0}) - G(e^{-T}))/2`` and the prior ``KL(p_T || N(0, I))`` is
    :func:`prior_kl`. No quadrature and no ODE: both sides carry only round-off.
    """
    spec, est = _check_pair(spec, est)
    T = check_positive_scalar(T, "T")
    t0 = check_positive_scalar(t0, "t0")
    if not t0 < T:
        raise InvalidArgumentError("t0", t0, f"must be < T = {T:g}", "pass 0 < t0 < T")
    m = est.model_eigenvalues
    lam, U = spec.sigma_eigh
    if m is None or not np.array_equal(est.U, U):
        raise InvalidArgumentError("est", est, "is not the exact score of a Gaussian model in "
                                   "Sigma's basis", "use exact_score_estimator or "
                                   "truncated_score_estimator with a PSD Gamma_bar")
    W = est.W
    G = spec.gamma_dense()
    WGW = W.T @ G @ W
    # tau_j = lam_k * (W^T Gamma W)_ii - m_ik: the tail's diagonal in Q (exact up to round-off)
    tau = np.multiply.outer(np.diag(WGW), lam) - m  # (N, d)

    c0, cT = diffuse_eigenvalues(m, t0), diffuse_eigenvalues(m, T)
    # round-off is relative to the terms before cancellation: tau is a difference of O(1)
    # numbers (diag of W^T Gamma W times lam, and m)
    diag_mag = np.multiply.outer(np.abs(np.diag(WGW)), np.abs(lam)) + np.abs(m)
    kl, kl_scale, p = _closed_form_kl(spec, m, lam, WGW, tau, diag_mag, c0, cT, t0, T)
    g = np.sort(np.multiply.outer(spec.gamma_eigh[0], lam).ravel())
    score_term, score_scale = _closed_form_score_term(g, m, tau, diag_mag, t0, T)
    prior = prior_kl(spec, T)
    ct0, ctT = diffuse_eigenvalues(g, t0), diffuse_eigenvalues(g, T)
    cond = max(float(ct0.max() / ct0.min()), float(c0.max() / c0.min()),
               float(p.max() / p.min()), float(ctT.max() / ctT.min()),
               float(cT.max() / cT.min()))
    return ClosedFormGirsanov(
        kl=max(kl, 0.0), prior=prior, score_term=score_term, bound=prior + score_term,
        cond=cond, kl_scale=kl_scale, bound_scale=prior + score_scale,
    )


def _closed_form_kl(spec: GPSpec, m: np.ndarray, lam: np.ndarray, WGW: np.ndarray,
                    tau: np.ndarray, diag_mag: np.ndarray, c0: np.ndarray, cT: np.ndarray,
                    t0: float, T: float):
    """The KL side of :func:`closed_form_girsanov`: ``(kl, kl_scale, p)``.

    ``p`` is the reverse SDE's variance per mode at ``t0`` (closed-form Lyapunov solution
    from ``p(T) = 1``); ``kl_scale`` is the sum of magnitudes its round-off is relative to.
    """
    a2_0, s2_0 = alpha2_sigma2(t0)
    one_minus_cT = alpha2_sigma2(T)[0] * (1.0 - m)
    dp = one_minus_cT * math.exp(t0 - T) * (c0 / cT) ** 2  # p - c_bar(t0)
    p = c0 + dp
    y = (a2_0 * tau - dp) / p  # (C'_jj - p_j) / p_j
    hadamard = 0.0
    for k in range(spec.d):
        Ck = a2_0 * lam[k] * WGW + s2_0 * np.eye(spec.N)
        hadamard -= _chol_logdet_correlation(Ck)
    phis = _phi(y)
    kl = 0.5 * (float(np.sum(phis)) + hadamard)
    # then y, then phi(y) = y - log1p(y) cancel further
    kl_scale = 0.5 * (float(np.sum((a2_0 * diag_mag + np.abs(dp)) / p))
                      + float(np.sum(np.abs(np.log1p(y)))) + abs(hadamard) + spec.N * spec.d)
    return kl, kl_scale, p


def _closed_form_score_term(g: np.ndarray, m: np.ndarray, tau: np.ndarray,
                            diag_mag: np.ndarray, t0: float, T: float) -> tuple[float, float]:
    """The score term ``(G(e^{-t0}) - G(e^{-T})) / 2`` of the Girsanov bound, and its scale.

    ``G`` is the antiderivative of ``tr(D C D^T)`` in ``x = e^{-t}`` (Notes of
    :func:`closed_form_girsanov`); ``g`` the sorted eigenvalues of ``Gamma ⊗ Sigma``.
    """
    order = np.argsort(m.ravel())
    ms, taus, mags = m.ravel()[order], tau.ravel()[order], diag_mag.ravel()[order]

    def Gx(t: float) -> tuple[float, float]:
        """``G(e^{-t})`` and the sum of the magnitudes its round-off is relative to."""
        x, s2 = alpha2_sigma2(t)
        cb = x * ms + s2
        lin = x * taus / cb
        logs = np.log1p(x * (g - ms) / cb)
        mag = x * (mags + np.abs(g) + np.abs(ms)) / cb + np.abs(logs)
        return float(np.sum(lin) - np.sum(logs)), float(np.sum(mag))

    G0, s0 = Gx(t0)
    GT, sT = Gx(T)
    return 0.5 * (G0 - GT), 0.5 * (s0 + sT)
