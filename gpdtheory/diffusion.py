"""Forward Ornstein–Uhlenbeck diffusion, the exact score and its conditioning.

docs/theory.md §2. ``dX = -X/2 dt + dW`` gives ``alpha_t = exp(-t/2)``,
``sigma_t^2 = 1 - exp(-t)`` (so ``alpha_t^2 + sigma_t^2 = 1``) and the marginal

    vec X_t ~ N(alpha_t vec mu, C_t),   C_t = alpha_t^2 (Gamma ⊗ Sigma) + sigma_t^2 I.

The score ``s*(X, t) = -C_t^{-1} vec(X - alpha_t mu)`` is computed without ever
forming the ``Nd x Nd`` matrix: with ``Sigma = U diag(lam) U^T`` and
``Z = (X - alpha_t mu) U``, column ``k`` of ``W`` solves the ``N x N`` system
``(alpha_t^2 lam_k Gamma + sigma_t^2 I) w_k = z_k`` and ``s* = -W U^T``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.linalg

from .errors import AccuracyWarning, InvalidArgumentError
from .spec import DENSE_EIG_MAX_N, GPSpec
from .validation import as_real_array, check_diffusion_time, check_scalar_diffusion_time

__all__ = [
    "alpha",
    "sigma2",
    "marginal_covariance",
    "score",
    "ConditionNumber",
    "condition_number",
    "ACCURACY_RTOL",
]

#: ``score`` issues an :class:`~gpdtheory.errors.AccuracyWarning` when the relative
#: accuracy it can guarantee, ``kappa_t * eps``, is worse than this.
ACCURACY_RTOL = 1e-8

ScoreMethod = Literal["auto", "eig", "toeplitz", "dense"]


def alpha(t: Any) -> np.ndarray:
    """Signal scale ``alpha_t = exp(-t/2)`` of the OU forward process."""
    return np.exp(-0.5 * check_diffusion_time(t))


def sigma2(t: Any) -> np.ndarray:
    """Noise variance ``sigma_t^2 = 1 - exp(-t)``, computed as ``-expm1(-t)`` (exact near 0)."""
    return -np.expm1(-check_diffusion_time(t))


def marginal_covariance(spec: GPSpec, t: float) -> np.ndarray:
    """Dense ``C_t = alpha_t^2 (Gamma ⊗ Sigma) + sigma_t^2 I`` of shape ``(Nd, Nd)``.

    An oracle for tests and small problems; the fast routines never form it.
    """
    t = check_scalar_diffusion_time(t)
    a2 = np.exp(-t)
    return a2 * spec.covariance_dense() + (-np.expm1(-t)) * np.eye(spec.N * spec.d)


def _prepare(spec: GPSpec, X: Any, t: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate ``X`` (..., N, d) and ``t`` (scalar or X.shape[:-2]); return (X, a2, s2)."""
    if not isinstance(spec, GPSpec):
        raise InvalidArgumentError("spec", spec, "is not a GPSpec",
                                   "build one with gpdtheory.GPSpec(...)")
    X = as_real_array(X, "X", min_ndim=2, shape=(spec.N, spec.d))
    t = check_diffusion_time(t)
    batch = X.shape[:-2]
    try:
        t = np.broadcast_to(t, batch)
    except ValueError as exc:
        raise InvalidArgumentError("t", f"array of shape {t.shape}",
                                   f"does not broadcast against the batch shape {batch} of X",
                                   "pass a scalar t or one t per sequence") from exc
    a2 = np.exp(-t)
    s2 = -np.expm1(-t)
    return X, a2, s2


def score(spec: GPSpec, X: Any, t: Any, method: ScoreMethod = "auto") -> np.ndarray:
    """Exact score ``s*(X, t) = -C_t^{-1} vec(X - alpha_t mu)`` of the diffused GP.

    Parameters
    ----------
    spec : GPSpec
    X : (..., N, d) array_like
        Noisy sequences at diffusion time ``t``.
    t : float or (...) array_like
        Diffusion time(s) ``> 0``, a scalar or one per sequence.
    method : {"auto", "eig", "toeplitz", "dense"}
        ``"eig"`` diagonalises ``Gamma`` once (``O(N^3)``, then ``O(N^2 d)`` per
        sequence); ``"toeplitz"`` solves ``d`` Toeplitz systems per sequence with the
        Toeplitz engine (``O(N^2 d)`` time, ``O(N d)`` memory, any N); ``"dense"``
        forms ``C_t`` (the oracle, ``O((Nd)^3)``). ``"auto"`` picks ``"eig"`` up to
        ``N = 2048`` and for non-Toeplitz specs, ``"toeplitz"`` beyond.
        ``"toeplitz"`` uses Levinson (direct) below ``N = 4096`` and circulant-
        preconditioned CG to relative residual ``1e-12`` beyond.

    Returns
    -------
    (..., N, d) ndarray of float64

    Notes
    -----
    Equivalent to ``-np.linalg.solve(C_t, (X - alpha_t mu).ravel())`` reshaped to
    ``(N, d)`` (docs/theory.md §2), to about ``kappa_t * 1e-16`` relative.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), N=4, Sigma=np.eye(2))
    >>> X = spec.sample(1, seed=0)[0]
    >>> C = gp.marginal_covariance(spec, 0.5)
    >>> s = gp.score(spec, X, 0.5)
    >>> bool(np.allclose(C @ s.ravel(), -X.ravel()))
    True
    """
    X, a2, s2 = _prepare(spec, X, t)
    alpha_t = np.sqrt(a2)[..., None, None]
    Y = X - alpha_t * spec.mean_array if spec.mean is not None else X
    if method == "auto":
        method = "eig" if (spec.N < TOEPLITZ_SCORE_MIN_N or not spec.is_toeplitz) else "toeplitz"
    if method not in ("eig", "toeplitz", "dense"):
        raise InvalidArgumentError("method", method, "is not a score method",
                                   "pass 'auto', 'eig', 'toeplitz' or 'dense'")
    if method == "toeplitz" and not spec.is_toeplitz:
        raise InvalidArgumentError("method", method, "needs equispaced frames (Toeplitz Gamma)",
                                   "use method='eig' or 'dense' for non-equispaced times")
    _warn_accuracy(spec, a2, s2)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported just below
        out = {"eig": _score_eig, "toeplitz": _score_toeplitz, "dense": _score_dense}[method](
            spec, Y, a2, s2)
    if not np.all(np.isfinite(out)):
        big = float(np.max(np.abs(X)))
        raise InvalidArgumentError("X", f"array of shape {X.shape}, max |X| = {big:.3g}",
                                   "is so large that the score overflows float64",
                                   "rescale X (and Sigma) to moderate magnitudes")
    return out


def _time(a2: float, s2: float) -> float:
    """Recover ``t`` from ``a2 = e^{-t}``, ``s2 = 1 - e^{-t}`` accurately at both ends."""
    return float(-np.log(a2) if a2 < 0.5 else -np.log1p(-s2))


def _warn_accuracy(spec: GPSpec, a2: np.ndarray, s2: np.ndarray) -> None:
    """Warn when ``kappa_t * eps > ACCURACY_RTOL`` (from the cached extreme eigenvalues)."""
    lmin_g, lmax_g = spec.gamma_extreme_eigenvalues
    lam = spec.sigma_eigh[0]
    with np.errstate(over="ignore", divide="ignore"):
        # lmin(C_t) >= sigma_t^2 exactly; the clip guards round-off in a singular Gamma
        kappa = (a2 * lmax_g * lam[-1] + s2) / np.maximum(a2 * lmin_g * lam[0] + s2, s2)
    worst = float(np.max(kappa))
    if worst * np.finfo(np.float64).eps > ACCURACY_RTOL:
        i = int(np.argmax(kappa))
        t_worst = _time(np.ravel(a2)[i], np.ravel(s2)[i])
        warnings.warn(AccuracyWarning(
            f"score at t={t_worst:.3g}: kappa_t = {worst:.3e}, so only about "
            f"{worst * np.finfo(np.float64).eps:.1e} relative accuracy is guaranteed. Fix: use "
            "a larger diffusion time (early stopping t0), or a better-conditioned Sigma/kernel"),
            stacklevel=3)


def _score_eig(spec: GPSpec, Y: np.ndarray, a2: np.ndarray, s2: np.ndarray) -> np.ndarray:
    lam, U = spec.sigma_eigh
    g, V = spec.gamma_eigh
    Z = V.T @ (Y @ U)                                                  # (..., N, d)
    denom = a2[..., None, None] * np.multiply.outer(g, lam) + s2[..., None, None]
    return -(V @ (Z / denom)) @ U.T


def _score_dense(spec: GPSpec, Y: np.ndarray, a2: np.ndarray, s2: np.ndarray) -> np.ndarray:
    K = spec.covariance_dense()
    n = spec.N * spec.d
    out = np.empty_like(Y)
    for idx in np.ndindex(Y.shape[:-2]):
        C = a2[idx] * K + s2[idx] * np.eye(n)
        try:
            with warnings.catch_warnings():  # score() has already issued an AccuracyWarning
                warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
                x = scipy.linalg.solve(C, Y[idx].ravel(), assume_a="pos")
        except np.linalg.LinAlgError as exc:
            t = _time(a2[idx], s2[idx])
            raise InvalidArgumentError("t", t, "makes C_t numerically singular for the dense "
                                       "solve", "use a larger t or method='eig'") from exc
        out[idx] = -x.reshape(spec.N, spec.d)
    return out


#: ``method="auto"`` uses the Toeplitz engine from this N on (Toeplitz specs). Up to
#: ``DENSE_EIG_MAX_N = 2048`` the spec holds Gamma's eigendecomposition and the "eig" route
#: is as fast or faster (d = 8, one t: 1.5 ms vs 8 ms at N = 1024, 12 ms vs 16 ms at
#: N = 2048); beyond, one O(N^3) eigh costs more than many O(N^2 d) Levinson solves.
TOEPLITZ_SCORE_MIN_N = DENSE_EIG_MAX_N + 1
#: Beyond this N the d systems are solved by circulant-preconditioned CG (O(N log N) per
#: iteration) instead of Levinson (4 N^2 each).
PCG_SCORE_MIN_N = 4096
#: Relative residual of the CG route; the score's relative error is at most kappa_t times it.
PCG_SCORE_TOL = 1e-12


def _score_toeplitz(spec: GPSpec, Y: np.ndarray, a2: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """All ``batch x d`` systems ``(a2 lam_k Gamma + s2 I) w = z`` in one call, O(N d) memory."""
    from .toeplitz import levinson_batch_kernel, pcg_solve

    lam, U = spec.sigma_eigh
    N, d = spec.N, spec.d
    batch = Y.shape[:-2]
    Z = (Y @ U).reshape(-1, N, d)                                       # (B, N, d)
    scale = (a2.reshape(-1, 1) * lam).ravel()                           # (B*d,)
    shift = np.repeat(s2.reshape(-1), d)                                # (B*d,)
    if N < PCG_SCORE_MIN_N:
        R = np.multiply.outer(scale, spec.r)                            # (B*d, N)
        R[:, 0] += shift
        rhs = np.ascontiguousarray(Z.transpose(0, 2, 1).reshape(-1, N))  # (B*d, N)
        W, _logdet, fail = levinson_batch_kernel(R, rhs)
        if np.any(fail >= 0):
            from .errors import NotPositiveDefiniteError

            raise NotPositiveDefiniteError("C_t", "a Toeplitz block alpha^2 lam_k Gamma + "
                                           "sigma^2 I failed Levinson's PD test",
                                           "check Gamma with gpdtheory.toeplitz.min_eig")
        W = W.reshape(-1, d, N).transpose(0, 2, 1)
    else:
        rhs = Z.transpose(1, 0, 2).reshape(N, -1)                       # (N, B*d)
        W = pcg_solve(spec.r, rhs, tol=PCG_SCORE_TOL, scale=scale, shift=shift).x
        W = W.reshape(N, -1, d).transpose(1, 0, 2)
    return -(W @ U.T).reshape(*batch, N, d)


@dataclass(frozen=True)
class ConditionNumber:
    """Condition number of ``C_t`` with the bounds of docs/theory.md §2.

    Attributes
    ----------
    t : float
    kappa : float
        ``lmax(C_t) / lmin(C_t)``, exact.
    lmin_C, lmax_C : float
        ``mu_t = alpha^2 lmin(Gamma) lmin(Sigma) + sigma^2`` and its counterpart.
    lmin_gamma, lmax_gamma, lmin_sigma, lmax_sigma : float
    bound_exp : float
        ``1 + lmax(Gamma) lmax(Sigma) / (e^t - 1)``.
    bound_t : float
        ``1 + lmax(Gamma ⊗ Sigma) / t`` (weaker, since ``e^t - 1 >= t``).
    bound_symbol : float
        ``1 + (1 + 2 sum_{m>=1} |rho(m)|) lmax(Sigma) / (e^t - 1)``, N-free; ``inf``
        when the kernel is not summable (the paper's ``kappa ≲ ell^{1/nu} / t0``).
    """

    t: float
    kappa: float
    lmin_C: float
    lmax_C: float
    lmin_gamma: float
    lmax_gamma: float
    lmin_sigma: float
    lmax_sigma: float
    bound_exp: float
    bound_t: float
    bound_symbol: float


def condition_number(spec: GPSpec, t: float) -> ConditionNumber:
    """Exact condition number of ``C_t`` and its bounds.

    Parameters
    ----------
    spec : GPSpec
    t : float
        Diffusion time ``> 0``.

    Returns
    -------
    ConditionNumber

    Notes
    -----
    ``kappa_t = (alpha^2 lmax(G) lmax(S) + sigma^2) / (alpha^2 lmin(G) lmin(S) + sigma^2)
    <= 1 + lmax(G) lmax(S) / (e^t - 1) <= 1 + lmax(G ⊗ S) / t``, because
    ``alpha^2 / sigma^2 = 1 / (e^t - 1)``.
    """
    t = check_scalar_diffusion_time(t)
    a2, s2 = np.exp(-t), -np.expm1(-t)
    lmin_g, lmax_g = spec.gamma_extreme_eigenvalues
    lam = spec.sigma_eigh[0]
    lmin_s, lmax_s = float(lam[0]), float(lam[-1])
    lmax_C = a2 * lmax_g * lmax_s + s2
    # lmin(C_t) >= sigma_t^2 exactly; max() guards round-off in a numerically singular Gamma
    lmin_C = max(a2 * lmin_g * lmin_s + s2, s2)
    # t -> 0 or t > 709: the ratios below may overflow to inf, which is the right limit
    with np.errstate(over="ignore", divide="ignore"):
        em1 = np.expm1(t)
        abs_sum = spec.kernel.abs_sum() if spec.is_toeplitz else np.inf
        bound_symbol = 1.0 + (1.0 + 2.0 * abs_sum) * lmax_s / em1 if spec.dt == 1.0 else np.inf
        kappa = np.float64(lmax_C) / lmin_C
        bound_exp = 1.0 + np.float64(lmax_g) * lmax_s / em1
        bound_t = 1.0 + np.float64(lmax_g) * lmax_s / t
    return ConditionNumber(
        t=t, kappa=float(kappa), lmin_C=lmin_C, lmax_C=lmax_C,
        lmin_gamma=lmin_g, lmax_gamma=lmax_g, lmin_sigma=lmin_s, lmax_sigma=lmax_s,
        bound_exp=float(bound_exp), bound_t=float(bound_t),
        bound_symbol=float(bound_symbol),
    )
