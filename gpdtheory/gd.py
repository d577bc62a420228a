"""The score as the last iterate of gradient descent on the truncated objective.

docs/theory.md §3. With ``Gamma_bar`` the truncated temporal correlation and
``C_bar_t = alpha^2 (Gamma_bar ⊗ Sigma) + sigma^2 I``, gradient descent on
``F(Y) = 1/2 <Y, C_bar_t Y> - <X, Y>`` from ``Y_0 = 0`` reads

    Y_{k+1} = Y_k - eta (alpha^2 Gamma_bar Y_k Sigma + sigma^2 Y_k - X),

with the t-independent step ``eta = 1/Lambda``, ``Lambda = max(1, lmax(Gamma_bar) lmax(Sigma))``.
The estimate of the score is ``-Y_L``. Everything is float64 and numpy/scipy only; the
dense ``(Nd, Nd)`` routines (:func:`gd_matrix`, :func:`l2_error`) are for small N.
The linear algebra of ``C_bar_t`` (step size, definiteness, spectral form of the GD
estimator) is :mod:`gpdtheory.linear`; the bounds of Lemma GD, Lemma TR and Theorem S with
every constant explicit (:func:`theorem_s_bound`, :func:`sizes_needed`) are
:mod:`gpdtheory.bounds`. Both are re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from .bounds import (
    SizesNeeded,
    TheoremSConstants,
    lemma_gd_bound,
    lemma_tr_bound,
    sizes_needed,
    theorem_s_bound,
)
from .errors import InvalidArgumentError
from .linear import (
    INDEFINITE_RTOL,
    LinearScore,
    OnIndefinite,
    check_definite,
    check_toeplitz_spec,
    gamma_bar_extremes,
    gd_spectral_factor,
    noisy_batch,
    step_size,
    truncated_r,
)
from .schedule import alpha2_sigma2, check_scalar_diffusion_time
from .spec import GPSpec
from .truncation import Method
from .validation import as_real_array, check_nonnegative_int

__all__ = [
    "step_size",
    "gamma_bar_extremes",
    "check_definite",
    "OnIndefinite",
    "INDEFINITE_RTOL",
    "truncated_r",
    "gd_iterates",
    "gd_spectral_factor",
    "truncated_score",
    "gd_matrix",
    "l2_error",
    "TheoremSConstants",
    "theorem_s_bound",
    "lemma_gd_bound",
    "lemma_tr_bound",
    "SizesNeeded",
    "sizes_needed",
    "BAND_LOOP_MAX_J",
    "DENSE_MAX_ND",
]

#: Bandwidths up to this use the explicit band sum; wider bands use the FFT Toeplitz product.
BAND_LOOP_MAX_J = 48
#: Largest ``N d`` for which the dense ``(Nd, Nd)`` routines accept a problem.
DENSE_MAX_ND = 4096


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
    spec = check_toeplitz_spec(spec)
    X, a2, s2 = noisy_batch(spec, X, t)
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
    :meth:`gpdtheory.linear.LinearScore.truncated`: diagonalises
    ``Gamma_bar = V diag(g) V^T`` (dense, ``O(N^3)``) and ``Sigma = U diag(lam) U^T``, then
    divides by ``alpha^2 g lam^T + sigma^2``; equals ``-np.linalg.solve(C_bar_t, vec X)``
    (tested). GD iterates converge to it.
    """
    spec = check_toeplitz_spec(spec)
    t = check_scalar_diffusion_time(t)
    X, _, _ = noisy_batch(spec, X, t)
    alpha_t = np.sqrt(alpha2_sigma2(np.asarray(t))[0])  # as the exact score subtracts it
    Y = X - alpha_t * spec.mean_array if spec.mean is not None else X
    return -LinearScore.truncated(spec, J, truncation, where="truncated_score").apply(Y, t)


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
    :meth:`gpdtheory.linear.LinearScore.gd`, in the eigenbasis ``V ⊗ U`` of ``C_bar_t``
    (eigenvalues ``c``): the factor
    ``(1 - (1 - eta c)^L)/c`` is evaluated as ``-expm1(L log1p(-eta c))/c`` (``eta L`` at
    ``c = 0``), accurate for every ``c`` including an indefinite ``C_bar_t``.
    """
    spec = check_toeplitz_spec(spec)
    t = check_scalar_diffusion_time(t)
    L = check_nonnegative_int(L, "L")
    if spec.N * spec.d > DENSE_MAX_ND:
        raise InvalidArgumentError("spec", spec, f"N d = {spec.N * spec.d} > {DENSE_MAX_ND}: the "
                                   "dense matrix would be too large", "use gd_iterates")
    check_definite(spec, J, truncation, t, on_indefinite, where="gd_matrix")
    return LinearScore.gd(spec, J, L, truncation).matrix(t)


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
    Dense, ``O((Nd)^3)`` (:meth:`gpdtheory.linear.LinearScore.matrix_l2_error`).
    """
    spec = check_toeplitz_spec(spec)
    t = check_scalar_diffusion_time(t)
    n = spec.N * spec.d
    A = as_real_array(A, "A", ndim=2, shape=(n, n))
    return LinearScore.exact(spec).matrix_l2_error(A, t)
