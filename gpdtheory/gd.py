"""The score as the last iterate of gradient descent on the truncated objective.

docs/theory.md §3. With ``Gamma_bar`` the truncated temporal correlation and
``C_bar_t = alpha^2 (Gamma_bar ⊗ Sigma) + sigma^2 I``, gradient descent on
``F(Y) = 1/2 <Y, C_bar_t Y> - <X, Y>`` from ``Y_0 = 0`` reads

    Y_{k+1} = Y_k - eta (alpha^2 Gamma_bar Y_k Sigma + sigma^2 Y_k - X),

with the t-independent step ``eta = 1/Lambda``, ``Lambda = max(1, lmax(Gamma_bar) lmax(Sigma))``.
The estimate of the score is ``-Y_L``. Everything is float64 and numpy/scipy only; the
dense ``(Nd, Nd)`` routines (:func:`gd_matrix`, :func:`l2_error`) are for small N.
The bounds of Lemma GD, Lemma TR and Theorem S come with every constant explicit
(:func:`theorem_s_bound`), and :func:`sizes_needed` turns them into ``J`` and ``L``.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.linalg

from .diffusion import _prepare
from .errors import AssumptionViolated, DivergenceWarning, InvalidArgumentError
from .spec import GPSpec
from .truncation import Method, truncated_autocovariance
from .validation import (
    as_real_array,
    check_nonnegative_int,
    check_scalar_diffusion_time,
    check_spd,
)

__all__ = [
    "step_size",
    "gamma_bar_extremes",
    "check_definite",
    "OnIndefinite",
    "truncated_r",
    "gd_iterates",
    "truncated_score",
    "gd_matrix",
    "l2_error",
    "TheoremSConstants",
    "theorem_s_bound",
    "lemma_gd_bound",
    "lemma_tr_bound",
    "SizesNeeded",
    "sizes_needed",
]

#: Dense ``eigvalsh`` of ``Gamma_bar`` up to this N; banded Cholesky bisection beyond.
DENSE_EIG_MAX_N = 2048
#: Bandwidths up to this use the explicit band sum; wider bands use the FFT Toeplitz product.
BAND_LOOP_MAX_J = 48
#: Largest ``N d`` for which the dense ``(Nd, Nd)`` routines accept a problem.
DENSE_MAX_ND = 4096
#: ``lmin(Gamma_bar) >= -INDEFINITE_RTOL N lmax(Gamma_bar)`` is read as round-off of a PSD
#: matrix by the t-independent test (:func:`check_definite` with ``t=None``): the eigenvalue
#: routines are accurate to about ``N eps lmax``, and GD at such a ``mu_bar_t`` would grow
#: by at most ``1 + 1e-13`` per step, and only for ``t`` below ``~1e-13``.
INDEFINITE_RTOL = 16 * np.finfo(np.float64).eps

OnIndefinite = Literal["raise", "warn"]


def _spec(spec: Any) -> GPSpec:
    if not isinstance(spec, GPSpec):
        raise InvalidArgumentError("spec", spec, "is not a GPSpec",
                                   "build one with gpdtheory.GPSpec(...)")
    if not spec.is_toeplitz:
        raise InvalidArgumentError("spec", spec, "has non-equispaced times: truncation by lag "
                                   "needs a Toeplitz Gamma", "use equispaced frames (dt)")
    return spec


def truncated_r(spec: GPSpec, J: int, truncation: Method = "hard") -> np.ndarray:
    """``(N,)`` first column of ``Gamma_bar`` for ``spec`` (see :mod:`gpdtheory.truncation`)."""
    return truncated_autocovariance(_spec(spec).r, J, method=truncation)


def gamma_bar_extremes(r_bar: Any) -> tuple[float, float]:
    """``(lmin, lmax)`` of ``toeplitz(r_bar)``: dense for ``N <= 2048``, banded bisection beyond."""
    r_bar = as_real_array(r_bar, "r_bar", ndim=1)
    return _extremes_cached(r_bar.tobytes())


@functools.lru_cache(maxsize=16)
def _extremes_cached(key: bytes) -> tuple[float, float]:
    # keyed on the bytes of r_bar: GD, its step size, the definiteness test and the
    # construction ask for the same Gamma_bar several times per call
    r_bar = np.frombuffer(key, dtype=np.float64)
    if r_bar.size <= DENSE_EIG_MAX_N:
        g = np.linalg.eigvalsh(scipy.linalg.toeplitz(r_bar))
        return float(g[0]), float(g[-1])
    from .toeplitz.banded import banded_extreme_eigenvalue

    return (banded_extreme_eigenvalue(r_bar.copy(), which="min"),
            banded_extreme_eigenvalue(r_bar.copy(), which="max"))


def _indefinite_evidence(spec: GPSpec, J: int, truncation: str, gmin_b: float) -> str:
    """The per-N verdict (``lmin(Gamma_bar)``) and, for a hard truncation, the all-N one."""
    text = f"lmin(Gamma_bar) = {gmin_b:.3e} at N = {spec.N} (per-N verdict: not PSD)"
    if truncation == "hard" and 0 < J < spec.N - 1:
        from .truncation import symbol_minimum

        fmin, _ = symbol_minimum(spec.r, J)
        verdict = "not PSD for large N" if fmin < 0 else "PSD for every N"
        text += (f"; all-N verdict: min_w f_J(w) = {fmin:.3e}, {verdict} (exact certificate: "
                 f"gpdtheory.psd.certify_all_n(spec.r, {J}))")
    return text


def check_definite(spec: GPSpec, J: int, truncation: Method = "hard", t: Any = None,
                   on_indefinite: OnIndefinite = "raise", r_bar: Any = None,
                   where: str = "gradient descent", _opt_in: bool = True) -> tuple[float, float]:
    """Refuse (or warn about) a truncated objective on which gradient descent diverges.

    Parameters
    ----------
    spec : GPSpec
    J : int
    truncation : {"hard", "taper", "shift"}
    t : float or array_like, optional
        Diffusion time(s): the test is ``mu_bar_t = lmin(C_bar_t) > 0`` at each. ``None``
        (a t-independent object such as the constructed network): the test is
        ``lmin(Gamma_bar) >= 0`` (up to ``INDEFINITE_RTOL N lmax``), since
        ``mu_bar_t <= 0`` for every ``t <= log1p(-lmin(Gamma_bar) lmax(Sigma))``.
    on_indefinite : {"raise", "warn"}
        ``"raise"`` (default): :class:`~gpdtheory.errors.AssumptionViolated`. ``"warn"``:
        a :class:`~gpdtheory.errors.DivergenceWarning`, for callers who study divergence.
    r_bar : (N,) array_like, optional
        ``Gamma_bar``'s first column when already computed.
    where : str
        The caller, for the message.

    Returns
    -------
    (lmin, lmax) : (float, float)
        Extreme eigenvalues of ``Gamma_bar`` (:func:`gamma_bar_extremes`).
    """
    if on_indefinite not in ("raise", "warn"):
        raise InvalidArgumentError("on_indefinite", on_indefinite, "is not 'raise' or 'warn'",
                                   "pass 'raise' (default) or 'warn' to study divergence")
    if r_bar is None:
        r_bar = truncated_r(spec, J, truncation)
    gmin_b, gmax_b = gamma_bar_extremes(r_bar)
    lam = spec.sigma_eigh[0]
    smin, smax = float(lam[0]), float(lam[-1])
    if t is None:
        bad = gmin_b < -INDEFINITE_RTOL * spec.N * max(abs(gmax_b), 1e-300)
        if not bad:
            return gmin_b, gmax_b
        t_star = math.log1p(-gmin_b * smax)
        where_t = f"mu_bar_t <= 0 for every t <= {t_star:.3g}"
    else:
        tt = np.asarray(t, dtype=np.float64)
        a2, s2 = np.exp(-tt), -np.expm1(-tt)
        mu_bar = s2 + a2 * min(gmin_b * smin, gmin_b * smax)
        if not np.any(mu_bar <= 0.0):
            return gmin_b, gmax_b
        i = int(np.argmin(mu_bar))
        where_t = (f"mu_bar_t = {float(np.ravel(mu_bar)[i]):.3e} <= 0 at "
                   f"t = {float(np.ravel(tt)[i]):g}")
    detail = (f"{where} diverges: {where_t}; {_indefinite_evidence(spec, J, truncation, gmin_b)}"
              f"; J = {J}, truncation = {truncation!r}")
    fix = ("use truncation='taper' or 'shift' (PSD for every N), or a larger J"
           + ("" if t is None else ", or a larger t")
           + ("; pass on_indefinite='warn' to study the divergence" if _opt_in else ""))
    if on_indefinite == "raise":
        raise AssumptionViolated("mu_bar_t > 0", detail, fix)
    warnings.warn(DivergenceWarning(f"assumption 'mu_bar_t > 0' is violated: {detail}. "
                                    f"The iterates grow without bound. Fix: {fix}."),
                  stacklevel=3)
    return gmin_b, gmax_b


def step_size(r_bar: Any, Sigma: Any) -> tuple[float, float]:
    """The t-independent step ``eta = 1/Lambda``, ``Lambda = max(1, lmax(Gamma_bar) lmax(Sigma))``.

    Parameters
    ----------
    r_bar : (N,) array_like
        First column of ``Gamma_bar``.
    Sigma : (d, d) array_like
        Spatial covariance (SPD).

    Returns
    -------
    (eta, Lambda) : (float, float)

    Notes
    -----
    ``Lambda >= lmax(C_bar_t)`` for every t because ``alpha_t^2 + sigma_t^2 = 1``
    (docs/theory.md §3), so one step size serves every diffusion time.

    Examples
    --------
    >>> step_size([1.0, 0.5, 0.0], np.eye(2))[1] == 1 + 2 * 0.5 * np.cos(np.pi / 4)
    np.True_
    """
    S = check_spd(Sigma, "Sigma")
    lmax_g = gamma_bar_extremes(r_bar)[1]
    Lambda = max(1.0, lmax_g * float(np.linalg.eigvalsh(S)[-1]))
    return 1.0 / Lambda, Lambda


def _toeplitz_apply(r_bar: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``toeplitz(r_bar) @ Y`` along axis -2 of ``Y`` (..., N, d): band sum or FFT."""
    nz = np.flatnonzero(r_bar)
    J = int(nz[-1]) if nz.size else 0
    if J <= BAND_LOOP_MAX_J:
        out = r_bar[0] * Y
        for m in range(1, J + 1):
            if r_bar[m] != 0.0:
                out[..., m:, :] += r_bar[m] * Y[..., :-m, :]
                out[..., :-m, :] += r_bar[m] * Y[..., m:, :]
        return out
    N = Y.shape[-2]
    flat = np.moveaxis(Y, -2, 0).reshape(N, -1)
    prod = scipy.linalg.matmul_toeplitz(r_bar, flat, check_finite=False)
    return np.moveaxis(prod.reshape((N,) + Y.shape[:-2] + Y.shape[-1:]), 0, -2)


def gd_iterates(spec: GPSpec, X: Any, t: Any, J: int, L: int, truncation: Method = "hard",
                return_all: bool = False, on_indefinite: OnIndefinite = "raise") -> np.ndarray:
    """Gradient descent on the truncated objective: ``Y_L``, or every iterate.

    Parameters
    ----------
    spec : GPSpec
        Equispaced spec; its mean, if any, is handled by running GD on ``X - alpha_t mu``.
    X : (..., N, d) array_like
        Noisy sequences at time t.
    t : float or (...) array_like
        Diffusion time(s) ``> 0``.
    J : int
        Truncation lag (``>= N - 1``: no truncation).
    L : int
        Number of steps ``>= 0``.
    truncation : {"hard", "taper", "shift"}
    return_all : bool
        Return the stacked iterates ``Y_0 .. Y_L``.
    on_indefinite : {"raise", "warn"}
        What to do when ``mu_bar_t <= 0`` at some ``t`` (see Raises): ``"warn"`` runs the
        diverging iteration anyway, with a :class:`~gpdtheory.errors.DivergenceWarning`.

    Returns
    -------
    (..., N, d) ndarray, or (L + 1, ..., N, d) when ``return_all``
        ``Y_L``; the score estimate is ``-Y_L``.

    Raises
    ------
    AssumptionViolated
        ``mu_bar_t = lmin(C_bar_t) <= 0`` at some ``t`` (an indefinite hard truncation at
        small t): GD would diverge geometrically. The message gives ``lmin(Gamma_bar)``
        and the all-N symbol verdict; use ``truncation='taper'`` or ``'shift'``.

    Notes
    -----
    ``Y_{k+1} = Y_k - eta (alpha^2 Gamma_bar Y_k Sigma + sigma^2 Y_k - X)``, ``Y_0 = 0``,
    ``eta = 1/Lambda`` (:func:`step_size`). ``Gamma_bar Y`` is a band sum (``O(N J d)``)
    for ``J <= 48``, an FFT Toeplitz product (``O(N log N d)``) beyond; the dense
    equivalent is ``vec Y_{k+1} = vec Y_k - eta (C_bar_t vec Y_k - vec X)`` with
    ``C_bar_t = alpha^2 np.kron(Gamma_bar, Sigma) + sigma^2 I`` (tested).

    Examples
    --------
    >>> import gpdtheory as gp
    >>> spec = gp.GPSpec(gp.PoweredExponential(0.5, 1.0), N=6, Sigma=np.eye(2))
    >>> X = spec.sample(1, seed=0)[0]
    >>> Y = gd_iterates(spec, X, 1.0, J=5, L=200)
    >>> bool(np.allclose(-Y, gp.score(spec, X, 1.0)))
    True
    """
    spec = _spec(spec)
    X, a2, s2 = _prepare(spec, X, t)
    with np.errstate(divide="ignore"):
        t = np.log1p(s2 / a2)  # the validated t (log1p(e^t - 1): exact for tiny t, inf kept)
    L = check_nonnegative_int(L, "L")
    if spec.mean is not None:
        X = X - np.sqrt(a2)[..., None, None] * spec.mean_array
    r_bar = truncated_r(spec, J, truncation)
    check_definite(spec, J, truncation, t, on_indefinite, r_bar=r_bar,
                   where="gd_iterates")
    eta, _ = step_size(r_bar, spec.Sigma)
    a2 = a2[..., None, None]
    s2 = s2[..., None, None]
    Y = np.zeros_like(X)
    out = [Y] if return_all else None
    for _ in range(L):
        grad = a2 * (_toeplitz_apply(r_bar, Y) @ spec.Sigma) + s2 * Y - X
        Y = Y - eta * grad
        if return_all:
            out.append(Y)
    return np.stack(out) if return_all else Y


def gd_spectral_factor(c: np.ndarray, eta: float, L: int) -> np.ndarray:
    """``(1 - (1 - eta c)^L) / c`` elementwise (``eta L`` at ``c = 0``): L GD steps from zero.

    Evaluated as ``-expm1(L log1p(-eta c))/c``, accurate for small ``eta c`` and for an
    indefinite ``C_bar_t`` (``c < 0``). Where ``eta c >= 1`` (the largest eigenvalue equals
    ``Lambda`` up to rounding, e.g. at ``t -> 0``) ``log1p`` is ``-inf`` or undefined and
    ``1 - eta c`` is at most a rounding error, so the power is taken directly there
    (``0^0 = 1``: ``L = 0`` gives the zero matrix).
    """
    c = np.asarray(c, dtype=np.float64)
    x = eta * c
    fac = np.empty_like(c)
    zero = c == 0.0
    direct = ~zero & (x >= 1.0)
    spectral = ~zero & ~direct
    fac[zero] = eta * L
    fac[spectral] = -np.expm1(L * np.log1p(-x[spectral])) / c[spectral]
    fac[direct] = (1.0 - (1.0 - x[direct]) ** L) / c[direct]
    return fac


def _cbar_eig(spec: GPSpec, t: float, J: int, truncation: Method):
    """Eigen-decomposition of ``C_bar_t``: eigenvalues ``(N, d)`` and the factors ``V, U``."""
    r_bar = truncated_r(spec, J, truncation)
    g, V = np.linalg.eigh(scipy.linalg.toeplitz(r_bar))
    lam, U = spec.sigma_eigh
    a2, s2 = np.exp(-t), -np.expm1(-t)
    return a2 * np.multiply.outer(g, lam) + s2, V, U, r_bar


def truncated_score(spec: GPSpec, X: Any, t: Any, J: int,
                    truncation: Method = "hard") -> np.ndarray:
    """The score of the truncated model, ``-C_bar_t^{-1} vec(X - alpha_t mu)`` (= ``-Y_bar*``).

    Parameters
    ----------
    spec : GPSpec
    X : (..., N, d) array_like
    t : float
    J : int
    truncation : {"hard", "taper", "shift"}

    Returns
    -------
    (..., N, d) ndarray

    Raises
    ------
    AssumptionViolated
        ``mu_bar_t = lmin(C_bar_t) <= 0``: the truncated objective has no minimiser.

    Notes
    -----
    Diagonalises ``Gamma_bar = V diag(g) V^T`` (dense, ``O(N^3)``) and
    ``Sigma = U diag(lam) U^T``, then divides by ``alpha^2 g lam^T + sigma^2``; equals
    ``-np.linalg.solve(C_bar_t, vec X)`` (tested). GD iterates converge to it.
    """
    spec = _spec(spec)
    t = check_scalar_diffusion_time(t)
    X, _, _ = _prepare(spec, X, t)
    a2 = np.exp(-t)
    c, V, U, _ = _cbar_eig(spec, t, J, truncation)
    if c.min() <= 0.0:
        raise AssumptionViolated("mu_bar_t > 0",
                                 f"lmin(C_bar_t) = {c.min():.3e} at t = {t:g}, J = {J}",
                                 "use truncation='taper' or 'shift', or a larger J")
    Y = X - np.sqrt(a2) * spec.mean_array if spec.mean is not None else X
    return -(V @ ((V.T @ (Y @ U)) / c)) @ U.T


def gd_matrix(spec: GPSpec, t: Any, J: int, L: int, truncation: Method = "hard",
              on_indefinite: OnIndefinite = "raise") -> np.ndarray:
    """Dense ``(Nd, Nd)`` matrix ``A_t`` of L GD steps: ``-Y_L = -A_t vec X`` (row-major vec).

    Returns
    -------
    (Nd, Nd) ndarray
        ``A = eta sum_{k<L} (I - eta C_bar_t)^k = (I - (I - eta C_bar_t)^L) C_bar_t^{-1}``,
        consistent with ``np.kron(Gamma_bar, Sigma)``.

    Raises
    ------
    AssumptionViolated
        ``mu_bar_t <= 0`` (see :func:`gd_iterates`); ``on_indefinite="warn"`` returns the
        diverging matrix with a :class:`~gpdtheory.errors.DivergenceWarning` instead.

    Notes
    -----
    Computed in the eigenbasis ``V ⊗ U`` of ``C_bar_t`` (eigenvalues ``c``): the factor
    ``(1 - (1 - eta c)^L)/c`` is evaluated as ``-expm1(L log1p(-eta c))/c`` (``eta L`` at
    ``c = 0``), accurate for every ``c`` including an indefinite ``C_bar_t``.
    """
    spec = _spec(spec)
    t = check_scalar_diffusion_time(t)
    L = check_nonnegative_int(L, "L")
    if spec.N * spec.d > DENSE_MAX_ND:
        raise InvalidArgumentError("spec", spec, f"N d = {spec.N * spec.d} > {DENSE_MAX_ND}: the "
                                   "dense matrix would be too large", "use gd_iterates")
    check_definite(spec, J, truncation, t, on_indefinite, where="gd_matrix")
    c, V, U, r_bar = _cbar_eig(spec, t, J, truncation)
    eta, _ = step_size(r_bar, spec.Sigma)
    fac = gd_spectral_factor(c.ravel(), eta, L)
    Q = np.kron(V, U)
    return (Q * fac) @ Q.T


def l2_error(spec: GPSpec, A: Any, t: Any) -> float:
    """Exact ``E_{p_t} ||s_hat - s*||^2`` for a linear estimator ``s_hat = -A vec(X - alpha_t mu)``.

    Parameters
    ----------
    spec : GPSpec
    A : (Nd, Nd) array_like
    t : float

    Returns
    -------
    float
        ``tr(D C_t D^T)``, ``D = A - C_t^{-1}``.

    Notes
    -----
    ``s_hat - s* = -D vec(X - alpha_t mu)`` and ``X - alpha_t mu ~ N(0, C_t)`` under
    ``p_t``, so the expectation is ``tr(D C_t D^T)`` exactly (docs/theory.md §3, L2
    version). With a nonzero mean the formula holds for estimators that, like ``s*``
    and the network, act on ``X - alpha_t mu``; for the mean-0 case this is ``-A vec X``.
    Dense, ``O((Nd)^3)``.
    """
    spec = _spec(spec)
    t = check_scalar_diffusion_time(t)
    n = spec.N * spec.d
    A = as_real_array(A, "A", ndim=2, shape=(n, n))
    # in the eigenbasis Q = V ⊗ U of C_t (eigenvalues c): tr(D C D^T) = sum_ij D'_ij^2 c_j,
    # D' = Q^T A Q - diag(1/c); no inverse of an ill-conditioned C_t is formed
    g, V = spec.gamma_eigh
    lam, U = spec.sigma_eigh
    c = (np.exp(-t) * np.multiply.outer(g, lam) - np.expm1(-t)).ravel()
    Q = np.kron(V, U)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        Dp = Q.T @ A @ Q
        Dp[np.diag_indices(n)] -= 1.0 / c
        W = Dp * np.sqrt(c)[None, :]  # D' c^{1/2}: D' ~ 1/c and c ~ 1e-300 both stay in range
        out = float(np.sum(W * W))
    if not np.isfinite(out):
        raise InvalidArgumentError("A", f"array of shape {A.shape}",
                                   f"gives an L2 error that overflows float64 at t={t:g} "
                                   "(entries too large, or t so small that 1/sigma_t^2 overflows)",
                                   "pass entries below ~1e150 and t >= 1e-300")
    return out


# --------------------------------------------------------------------------- the bounds
@dataclass(frozen=True)
class TheoremSConstants:
    """Every constant of Lemma GD, Lemma TR and Theorem S (docs/theory.md §3) at one ``t``.

    Attributes
    ----------
    t, J, L, truncation
        The case.
    alpha2, sigma2 : float
        ``alpha_t^2 = e^{-t}`` and ``sigma_t^2 = 1 - e^{-t}``.
    eta, Lambda : float
        Step size and ``Lambda = max(1, lmax(Gamma_bar) lmax(Sigma))``.
    lmin_gamma_bar, lmax_gamma_bar, lmin_gamma, lmin_sigma, lmax_sigma : float
    mu_bar : float
        ``lmin(C_bar_t) = sigma^2 + alpha^2 min(lmin(Gb) lmin(S), lmin(Gb) lmax(S))``.
    mu : float
        ``mu_t = lmin(C_t) = sigma^2 + alpha^2 lmin(Gamma) lmin(Sigma)``.
    rate : float
        ``1 - mu_bar/Lambda``, the contraction of one GD step.
    gd_factor : float
        ``rate^L`` (Lemma GD: ``||Y_L - Y_bar*||_F <= gd_factor ||Y_bar*||_F``).
    tau : float
        The truncation term used: ``tau_J`` (hard) or ``|d_0| + 2 sum |d_m|`` (taper,
        shift) when ``tau_kind="bound"``; the exact ``||Gamma - Gamma_bar||_2`` when ``"exact"``.
    truncation_error : float
        Exact ``||Gamma - Gamma_bar||_2``.
    tr_factor : float
        ``alpha^2 tau ||Sigma||_2 / mu_t`` (Lemma TR).
    factor : float
        ``gd_factor + tr_factor``: ``||s_hat - s*||_F <= factor ||Y_bar*||_F`` (Theorem S).
    x_factor : float
        ``factor / mu_bar``: ``||s_hat - s*||_F <= x_factor ||X||_F``.
    """

    t: float
    J: int
    L: int
    truncation: str
    alpha2: float
    sigma2: float
    eta: float
    Lambda: float
    lmin_gamma_bar: float
    lmax_gamma_bar: float
    lmin_gamma: float
    lmin_sigma: float
    lmax_sigma: float
    mu_bar: float
    mu: float
    rate: float
    gd_factor: float
    tau: float
    tau_kind: str
    truncation_error: float
    tr_factor: float
    factor: float
    x_factor: float


def theorem_s_bound(spec: GPSpec, t: Any, J: int, L: int, truncation: Method = "hard",
                    tau: str = "bound") -> TheoremSConstants:
    """The explicit constants of Theorem S (and Lemmas GD and TR) for one case.

    Parameters
    ----------
    spec : GPSpec
    t : float
    J, L : int
    truncation : {"hard", "taper", "shift"}
    tau : {"bound", "exact"}
        Truncation term: the tail-sum bound (``tau_J`` for hard truncation, as in
        docs/theory.md) or the exact ``||Gamma - Gamma_bar||_2`` (tighter, also valid).

    Returns
    -------
    TheoremSConstants

    Raises
    ------
    AssumptionViolated
        ``mu_bar_t <= 0`` (the hard truncation is indefinite enough that ``C_bar_t`` is
        not positive definite): Lemma GD's hypothesis fails. The message gives
        ``lmin(Gamma_bar)`` (per-N verdict) and the symbol minimum (all-N verdict).

    Notes
    -----
    ``||s_theta(X, t) - s*(X, t)||_F <= [(1 - mu_bar/Lambda)^L + alpha^2 tau ||Sigma||_2 / mu_t]
    ||Y_bar*||_F`` and ``||Y_bar*||_F <= ||X||_F / mu_bar`` (docs/theory.md §3).

    Examples
    --------
    >>> import gpdtheory as gp
    >>> spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=16, Sigma=np.eye(2))
    >>> c = theorem_s_bound(spec, 0.5, J=4, L=20)
    >>> bool(0 < c.rate < 1 and c.factor == c.gd_factor + c.tr_factor)
    True
    """
    from .truncation import error_bound, truncation_error

    spec = _spec(spec)
    t = check_scalar_diffusion_time(t)
    J = check_nonnegative_int(J, "J")
    L = check_nonnegative_int(L, "L")
    if tau not in ("bound", "exact"):
        raise InvalidArgumentError("tau", tau, "is not 'bound' or 'exact'",
                                   "pass 'bound' or 'exact'")
    a2, s2 = float(np.exp(-t)), float(-np.expm1(-t))
    r_bar = truncated_r(spec, J, truncation)
    gmin_b, gmax_b = gamma_bar_extremes(r_bar)
    gmin = spec.gamma_extreme_eigenvalues[0]
    lam = spec.sigma_eigh[0]
    smin, smax = float(lam[0]), float(lam[-1])
    Lambda = max(1.0, gmax_b * smax)
    mu_bar = s2 + a2 * min(gmin_b * smin, gmin_b * smax)
    if mu_bar <= 0.0:  # the bound does not exist: always an error (no on_indefinite here)
        check_definite(spec, J, truncation, t, "raise", r_bar=r_bar, where="gradient descent "
                       "(Lemma GD / Theorem S)", _opt_in=False)
    mu = s2 + a2 * gmin * smin
    rate = 1.0 - mu_bar / Lambda
    err = truncation_error(spec.r, J, truncation)
    tau_v = error_bound(spec.r, J, truncation) if tau == "bound" else err
    # exp(L log1p(-x)) rounds at u L |log(rate)| instead of the u L of rounding 1 - x first
    gd_factor = float(np.exp(L * np.log1p(-mu_bar / Lambda)))
    tr_factor = a2 * tau_v * smax / mu
    factor = gd_factor + tr_factor
    return TheoremSConstants(
        t=t, J=J, L=L, truncation=truncation, alpha2=a2, sigma2=s2, eta=1.0 / Lambda, Lambda=Lambda,
        lmin_gamma_bar=gmin_b, lmax_gamma_bar=gmax_b, lmin_gamma=gmin, lmin_sigma=smin,
        lmax_sigma=smax, mu_bar=mu_bar, mu=mu, rate=rate, gd_factor=gd_factor, tau=tau_v,
        tau_kind=tau, truncation_error=err, tr_factor=tr_factor, factor=factor,
        x_factor=factor / mu_bar)


def lemma_gd_bound(spec: GPSpec, t: Any, J: int, L: int, truncation: Method = "hard") -> float:
    """Lemma GD's factor ``(1 - mu_bar_t/Lambda)^L``: ``||Y_L - Y_bar*||_F <= factor ||Y_bar*||_F``.

    Raises
    ------
    AssumptionViolated
        ``mu_bar_t <= 0``.
    """
    return theorem_s_bound(spec, t, J, L, truncation).gd_factor


def lemma_tr_bound(spec: GPSpec, t: Any, J: int, truncation: Method = "hard",
                   tau: str = "bound") -> float:
    """Lemma TR's factor ``alpha^2 tau ||Sigma||_2 / mu_t``.

    ``||Y* - Y_bar*||_F <= factor ||Y_bar*||_F``.

    ``tau = tau_J`` for the hard truncation (``"bound"``), or the exact
    ``||Gamma - Gamma_bar||_2`` (``"exact"``). Raises AssumptionViolated when
    ``mu_bar_t <= 0`` (``Y_bar*`` is then not the minimiser of a convex objective).
    """
    return theorem_s_bound(spec, t, J, 0, truncation, tau=tau).tr_factor


@dataclass(frozen=True)
class SizesNeeded:
    """Truncation lag and depth that Theorem S prescribes for error ``eps ||X||_F``.

    Attributes
    ----------
    J : int
        Smallest J with ``mu_bar_t > 0`` and ``alpha^2 tau_J ||Sigma||_2 <= eps mu_t mu_bar_t / 2``.
    L : int
        Smallest L with ``(1 - mu_bar/Lambda)^L <= eps mu_bar / 2``.
    L_formula : int
        ``ceil((Lambda/mu_bar) log(2/(eps mu_bar)))`` (docs/theory.md's closed form, ``>= L``).
    constants : TheoremSConstants
        At ``(J, L)``; ``constants.x_factor <= eps``.
    """

    J: int
    L: int
    L_formula: int
    constants: TheoremSConstants


def sizes_needed(spec: GPSpec, t: Any, eps: float, truncation: Method = "hard") -> SizesNeeded:
    """``J`` and ``L`` per Theorem S so that ``||s_theta - s*||_F <= eps ||X||_F`` for every X.

    Parameters
    ----------
    spec : GPSpec
    t : float
    eps : float
        Target relative error ``> 0``.
    truncation : {"hard", "taper", "shift"}

    Returns
    -------
    SizesNeeded

    Raises
    ------
    AssumptionViolated
        No ``J <= N - 1`` meets the truncation half (cannot happen for ``J = N - 1``
        with the hard truncation, where ``tau = 0``).

    Notes
    -----
    Each half of the error gets ``eps/2``: the truncation half
    ``alpha^2 tau ||Sigma|| / (mu_t mu_bar_t) <= eps/2``, the GD half
    ``rate^L / mu_bar_t <= eps/2``, using ``||Y_bar*||_F <= ||X||_F / mu_bar_t``.
    """
    from .truncation import error_bound
    from .validation import check_positive_scalar

    spec = _spec(spec)
    t = check_scalar_diffusion_time(t)
    eps = check_positive_scalar(eps, "eps")
    a2, s2 = float(np.exp(-t)), float(-np.expm1(-t))
    smax = float(spec.sigma_eigh[0][-1])
    mu = s2 + a2 * spec.gamma_extreme_eigenvalues[0] * float(spec.sigma_eigh[0][0])
    chosen = None
    for J in range(spec.N):
        tau_v = error_bound(spec.r, J, truncation)
        r_bar = truncated_r(spec, J, truncation)
        mu_bar_max = s2 + a2 * r_bar[0] * smax        # lmin(Gamma_bar) <= r_bar[0]
        if a2 * tau_v * smax > 0.5 * eps * mu * mu_bar_max:
            continue                                  # cannot pass: skip the eigenvalues
        try:
            c = theorem_s_bound(spec, t, J, 0, truncation)
        except AssumptionViolated:
            continue
        if c.tr_factor / c.mu_bar <= 0.5 * eps:
            chosen = c
            break
    if chosen is None:
        raise AssumptionViolated("alpha^2 tau_J ||Sigma|| <= eps mu_t mu_bar_t / 2 for some J < N",
                                 f"no J meets it for eps = {eps:g}",
                                 "use truncation='hard' with J = N - 1, or a larger eps")
    mu_bar, rate, Lambda = chosen.mu_bar, chosen.rate, chosen.Lambda
    log_target = math.log(0.5) + math.log(eps) + math.log(mu_bar)  # 0.5 eps mu_bar may underflow
    if log_target >= 0.0:
        L = 0
    elif rate == 0.0:
        L = 1
    else:
        log_rate = math.log1p(-mu_bar / Lambda)       # = log(rate), accurate for rate near 1
        steps = log_target / log_rate if log_rate < 0.0 else math.inf
        if not math.isfinite(steps):
            raise InvalidArgumentError("eps", eps, f"needs more GD steps than a float can count "
                                       f"(mu_bar_t / Lambda = {mu_bar / Lambda:.3e})",
                                       "pass a larger eps or a larger t")
        L = max(1, math.ceil(steps - 1e-12))
        for _ in range(4):                            # guard the rounding of the log ratio
            if L * log_rate <= log_target:
                break
            L += 1
    # log(2 / (eps mu_bar)) as a difference of logs: eps * mu_bar may underflow to 0
    L_formula = Lambda / mu_bar * (math.log(2.0) - math.log(eps) - math.log(mu_bar))
    if not math.isfinite(L_formula):
        raise InvalidArgumentError("eps", eps, "needs more GD steps than a float can count",
                                   "pass a larger eps or a larger t")
    L_formula = max(0, math.ceil(L_formula))
    return SizesNeeded(J=chosen.J, L=L, L_formula=L_formula,
                       constants=theorem_s_bound(spec, t, chosen.J, L, truncation))
