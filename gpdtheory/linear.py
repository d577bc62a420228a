"""The linear-Gaussian model: ``C_t``, ``C_bar_t`` and the score estimators linear in ``X``.

docs/theory.md §§2-3. With ``Gamma = V diag(g) V^T`` and ``Sigma = U diag(lam) U^T`` the
diffused covariance ``C_t = alpha_t^2 (Gamma ⊗ Sigma) + sigma_t^2 I`` (``alpha_t^2 = e^{-t}``,
``sigma_t^2 = 1 - e^{-t}``) is diagonal in ``V ⊗ U`` with eigenvalues

    c_t[i, k] = e^{-t} g_i lam_k + 1 - e^{-t}                 (:func:`marginal_eigenvalues`),

and the same holds for the truncated ``C_bar_t`` with the eigenpairs of ``Gamma_bar``. Every
estimator of the score studied here is ``s_hat(X, t) = -A_t vec X`` with
``A_t = (V ⊗ U) diag(a_t) (V ⊗ U)^T`` (row-major ``vec``), one :class:`LinearScore`:

====================  =====================  ==============================================
estimator             temporal basis         ``a_t`` per eigenvalue ``c`` of the model
====================  =====================  ==============================================
exact score           ``Gamma``'s            ``1/c``                   (``A_t = C_t^{-1}``)
truncated score       ``Gamma_bar``'s        ``1/c``               (``A_t = C_bar_t^{-1}``)
L steps of GD         ``Gamma_bar``'s        ``(1 - (1 - eta c)^L)/c``
====================  =====================  ==============================================

The GD row is ``eta sum_{k<L} (I - eta C_bar_t)^k`` on one eigenvalue
(:func:`gd_spectral_factor`), with the t-independent step ``eta = 1/Lambda`` of
:func:`step_size`. The truncated model's facts live here too: ``Gamma_bar``'s first column
(:func:`truncated_r`), its extreme eigenvalues (:func:`gamma_bar_extremes`) and the test
``mu_bar_t = lmin(C_bar_t) > 0`` that gradient descent needs (:func:`check_definite`).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.linalg

from .errors import AssumptionViolated, DivergenceWarning, InvalidArgumentError
from .schedule import alpha2_sigma2, check_diffusion_time, check_scalar_diffusion_time
from .spec import GPSpec, check_spec
from .toeplitz.eig import extreme_eigenvalues
from .truncation import Method, symbol_minimum, truncated_autocovariance
from .validation import as_real_array, check_nonnegative_int, check_spd

__all__ = [
    "LinearScore",
    "marginal_eigenvalues",
    "diffuse_eigenvalues",
    "noisy_batch",
    "noisy_batch_at",
    "check_toeplitz_spec",
    "truncated_r",
    "gamma_bar_extremes",
    "check_definite",
    "OnIndefinite",
    "INDEFINITE_RTOL",
    "step_size",
    "gd_spectral_factor",
    "DENSE_L2_MAX_ND",
]

OnIndefinite = Literal["raise", "warn"]

#: ``lmin(Gamma_bar) >= -INDEFINITE_RTOL N lmax(Gamma_bar)`` is read as round-off of a PSD
#: matrix by the t-independent test (:func:`check_definite` with ``t=None``): the eigenvalue
#: routines are accurate to about ``N eps lmax``, and GD at such a ``mu_bar_t`` would grow
#: by at most ``1 + 1e-13`` per step, and only for ``t`` below ``~1e-13``.
INDEFINITE_RTOL = 16 * np.finfo(np.float64).eps
#: Largest ``N d`` for which :meth:`LinearScore.l2_error` takes the dense ``O((Nd)^3)``
#: route (an estimator whose spatial basis is not ``Sigma``'s).
DENSE_L2_MAX_ND = 4096


# --------------------------------------------------------------------------- eigenvalues
def diffuse_eigenvalues(m: Any, t: Any) -> np.ndarray:
    """``e^{-t} m + 1 - e^{-t}``: the eigenvalues at time t of a covariance with eigenvalues m.

    The OU forward process maps a covariance ``K`` to ``alpha_t^2 K + sigma_t^2 I``, which
    keeps ``K``'s eigenvectors; ``1 - e^{-t}`` is formed as ``-expm1(-t)`` (exact near 0).
    ``m`` and ``t`` broadcast against each other.
    """
    a2, s2 = alpha2_sigma2(np.asarray(t, dtype=np.float64))
    return a2 * m + s2


def marginal_eigenvalues(g: Any, lam: Any, t: Any) -> np.ndarray:
    """``(N, d)`` eigenvalues ``e^{-t} g_i lam_k + 1 - e^{-t}`` of ``C_t`` in ``V ⊗ U``.

    Parameters
    ----------
    g : (N,) array_like
        Eigenvalues of the temporal factor (``Gamma`` or ``Gamma_bar``).
    lam : (d,) array_like
        Eigenvalues of ``Sigma``.
    t : float
        Diffusion time.

    Returns
    -------
    (N, d) ndarray
        Entry ``[i, k]`` belongs to the eigenvector ``v_i ⊗ u_k`` (row ``i d + k`` of the
        row-major ``vec``).
    """
    return diffuse_eigenvalues(np.multiply.outer(g, lam), t)


def noisy_batch_at(spec: GPSpec, X: Any, t: Any
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate noisy sequences and their times: ``(X, t, alpha_t^2, sigma_t^2)``.

    Parameters
    ----------
    spec : GPSpec
    X : (..., N, d) array_like
    t : float or (...) array_like
        Diffusion time(s) (:func:`gpdtheory.schedule.check_diffusion_time`): a scalar or
        one per sequence of the batch ``X.shape[:-2]``.

    Returns
    -------
    X : (..., N, d) ndarray of float64
    t, a2, s2 : (...) ndarray
        The times and ``alpha_t^2``, ``sigma_t^2`` (:func:`gpdtheory.schedule.alpha2_sigma2`),
        broadcast to the batch shape; ``t`` travels with them so that no message has to
        recover it from ``(a2, s2)``.
    """
    check_spec(spec)
    X = as_real_array(X, "X", min_ndim=2, shape=(spec.N, spec.d))
    t = check_diffusion_time(t)
    batch = X.shape[:-2]
    try:
        t = np.broadcast_to(t, batch)
    except ValueError as exc:
        raise InvalidArgumentError("t", f"array of shape {t.shape}",
                                   f"does not broadcast against the batch shape {batch} of X",
                                   "pass a scalar t or one t per sequence") from exc
    a2, s2 = alpha2_sigma2(t)
    return X, t, a2, s2


def noisy_batch(spec: GPSpec, X: Any, t: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`noisy_batch_at` without the times: ``(X, alpha_t^2, sigma_t^2)``."""
    X, _, a2, s2 = noisy_batch_at(spec, X, t)
    return X, a2, s2


# --------------------------------------------------------------------------- the truncated model
def check_toeplitz_spec(spec: Any) -> GPSpec:
    """``spec`` if it is a :class:`~gpdtheory.GPSpec` with a Toeplitz ``Gamma``, else an error.

    Truncation by lag needs equispaced frames (``Gamma = toeplitz(r)``).
    """
    check_spec(spec)
    if not spec.is_toeplitz:
        raise InvalidArgumentError("spec", spec, "has non-equispaced times: truncation by lag "
                                   "needs a Toeplitz Gamma", "use equispaced frames (dt)")
    return spec


def truncated_r(spec: GPSpec, J: int, truncation: Method = "hard") -> np.ndarray:
    """``(N,)`` first column of ``Gamma_bar`` for ``spec`` (see :mod:`gpdtheory.truncation`)."""
    return truncated_autocovariance(check_toeplitz_spec(spec).r, J, method=truncation)


def gamma_bar_extremes(r_bar: Any) -> tuple[float, float]:
    """``(lmin, lmax)`` of ``toeplitz(r_bar)`` (:func:`gpdtheory.toeplitz.extreme_eigenvalues`).

    Cached on the bytes of ``r_bar``: gradient descent, its step size, the definiteness test
    and the construction ask for the same ``Gamma_bar`` several times per call.
    """
    r_bar = as_real_array(r_bar, "r_bar", ndim=1)
    return _extremes_cached(r_bar.tobytes())


@functools.lru_cache(maxsize=16)
def _extremes_cached(key: bytes) -> tuple[float, float]:
    return extreme_eigenvalues(np.frombuffer(key, dtype=np.float64).copy())


def _indefinite_evidence(spec: GPSpec, J: int, truncation: str, gmin_b: float) -> str:
    """The per-N verdict (``lmin(Gamma_bar)``) and, for a hard truncation, the all-N one."""
    text = f"lmin(Gamma_bar) = {gmin_b:.3e} at N = {spec.N} (per-N verdict: not PSD)"
    if truncation == "hard" and 0 < J < spec.N - 1:
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

    Notes
    -----
    ``mu_bar_t = sigma_t^2 + alpha_t^2 min(lmin(Gamma_bar) lmin(Sigma),
    lmin(Gamma_bar) lmax(Sigma))`` (docs/theory.md §3).
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
        mu_bar = diffuse_eigenvalues(min(gmin_b * smin, gmin_b * smax), tt)
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


# --------------------------------------------------------------------------- responses
@dataclass(frozen=True)
class _Inverse:
    """``a = 1/c``: the exact score of the model.

    ``scale`` divides (rather than multiplying by ``1/c``), so that ``-apply`` is bit for bit
    the division that :func:`gpdtheory.score` performs.
    """

    def __call__(self, c: np.ndarray, t: float) -> np.ndarray:
        return 1.0 / c

    def scale(self, Z: np.ndarray, c: np.ndarray, t: float) -> np.ndarray:
        return Z / c


@dataclass(frozen=True, eq=False)
class _DefiniteInverse(_Inverse):
    """``a = 1/c`` after :func:`check_definite` (the truncated model may be indefinite)."""

    spec: GPSpec
    J: int
    truncation: str
    r_bar: np.ndarray
    where: str

    def _check(self, t: float) -> None:
        check_definite(self.spec, self.J, self.truncation, t, "raise", r_bar=self.r_bar,
                       where=self.where, _opt_in=False)

    def __call__(self, c: np.ndarray, t: float) -> np.ndarray:
        self._check(t)
        return 1.0 / c

    def scale(self, Z: np.ndarray, c: np.ndarray, t: float) -> np.ndarray:
        self._check(t)
        return Z / c


@dataclass(frozen=True)
class _GDSteps:
    """``a = (1 - (1 - eta c)^L)/c`` (:func:`gd_spectral_factor`)."""

    eta: float
    L: int

    def __call__(self, c: np.ndarray, t: float) -> np.ndarray:
        return gd_spectral_factor(c, self.eta, self.L)


# --------------------------------------------------------------------------- the object
@dataclass(frozen=True, eq=False)
class LinearScore:
    """A score estimator ``s_hat(X, t) = -A_t vec X`` diagonal in ``V ⊗ U`` (docs/theory.md §3).

    ``A_t = (V ⊗ U) diag(a_t) (V ⊗ U)^T`` with ``a_t = response(c_t, t)`` and
    ``c_t = e^{-t} g lam^T + 1 - e^{-t}`` the eigenvalues of the model's ``C_t``.

    Attributes
    ----------
    V : (N, N) ndarray
        Orthonormal eigenvectors of the temporal factor (``Gamma`` or ``Gamma_bar``).
    g : (N,) ndarray
        Its eigenvalues.
    U : (d, d) ndarray
        Orthonormal eigenvectors of ``Sigma``.
    lam : (d,) ndarray
        Its eigenvalues.
    response : callable ``(c, t) -> a``
        The estimator's eigenvalues from the model's (``(N, d)`` each).
    name : str

    Notes
    -----
    Build one with :meth:`exact`, :meth:`truncated` or :meth:`gd`. Everything works on
    centred data ``X - alpha_t mu``; the callers handle a mean.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=4, Sigma=np.eye(2))
    >>> A = LinearScore.exact(spec).matrix(0.3)
    >>> bool(np.allclose(A, np.linalg.inv(gp.marginal_covariance(spec, 0.3))))
    True
    """

    V: np.ndarray
    g: np.ndarray
    U: np.ndarray
    lam: np.ndarray
    response: Callable[[np.ndarray, float], np.ndarray]
    name: str = "linear"

    # ------------------------------------------------------------------ constructors
    @classmethod
    def exact(cls, spec: GPSpec) -> LinearScore:
        """The exact score ``A_t = C_t^{-1}``: ``Gamma``'s eigenbasis, ``a = 1/c``."""
        check_spec(spec)
        g, V = spec.gamma_eigh
        lam, U = spec.sigma_eigh
        return cls(V, g, U, lam, _Inverse(), "exact score")

    @classmethod
    def truncated(cls, spec: GPSpec, J: int, truncation: Method = "hard",
                  where: str = "the truncated score") -> LinearScore:
        """The exact score of the truncated model, ``A_t = C_bar_t^{-1}``.

        ``Gamma_bar = W diag(g_bar) W^T`` (dense ``eigh``); the eigenvalues raise
        :class:`~gpdtheory.errors.AssumptionViolated` at a t with ``mu_bar_t <= 0``
        (:func:`check_definite`; ``where`` names the caller in the message).
        """
        r_bar, g, V = cls._truncated_eigh(spec, J, truncation)
        lam, U = spec.sigma_eigh
        return cls(V, g, U, lam, _DefiniteInverse(spec, J, truncation, r_bar, where),
                   f"truncated score J={J} {truncation}")

    @classmethod
    def gd(cls, spec: GPSpec, J: int, L: int, truncation: Method = "hard") -> LinearScore:
        """``L`` GD steps from 0 on the truncated objective (the constructed network).

        ``A_t = eta sum_{k<L} (I - eta C_bar_t)^k``, diagonal in ``Gamma_bar``'s eigenbasis
        (not ``Gamma``'s) with ``a = (1 - (1 - eta c)^L)/c`` on each eigenvalue ``c`` of
        ``C_bar_t``, ``eta = 1/Lambda`` (:func:`step_size`). No definiteness test: an
        indefinite ``C_bar_t`` gives the diverging iterate (callers decide with
        :func:`check_definite`).
        """
        L = check_nonnegative_int(L, "L")
        r_bar, g, V = cls._truncated_eigh(spec, J, truncation)
        lam, U = spec.sigma_eigh
        eta, _ = step_size(r_bar, spec.Sigma)
        return cls(V, g, U, lam, _GDSteps(eta, L), f"GD J={J} L={L} {truncation}")

    @staticmethod
    def _truncated_eigh(spec: GPSpec, J: int, truncation: str):
        r_bar = truncated_r(spec, check_nonnegative_int(J, "J"), truncation)
        g, V = np.linalg.eigh(scipy.linalg.toeplitz(r_bar))
        return r_bar, g, V

    # ------------------------------------------------------------------ shape
    @property
    def N(self) -> int:
        """Number of frames."""
        return self.V.shape[0]

    @property
    def d(self) -> int:
        """Number of features."""
        return self.U.shape[0]

    @property
    def basis(self) -> np.ndarray:
        """``(Nd, Nd)`` orthogonal ``Q = V ⊗ U``."""
        return np.kron(self.V, self.U)

    # ------------------------------------------------------------------ the operator
    def covariance_eigenvalues(self, t: float) -> np.ndarray:
        """``(N, d)`` eigenvalues ``c_t`` of the model's ``C_t`` (:func:`marginal_eigenvalues`)."""
        return marginal_eigenvalues(self.g, self.lam, check_scalar_diffusion_time(t))

    def eigenvalues(self, t: float) -> np.ndarray:
        """``(N, d)`` eigenvalues ``a_t`` of ``A_t`` in ``V ⊗ U``."""
        t = check_scalar_diffusion_time(t)
        return self.response(marginal_eigenvalues(self.g, self.lam, t), t)

    def matrix(self, t: float) -> np.ndarray:
        """Dense ``(Nd, Nd)`` ``A_t = Q diag(vec a_t) Q^T`` (small N)."""
        Q = self.basis
        return (Q * self.eigenvalues(t).ravel()) @ Q.T

    def apply(self, X: Any, t: float) -> np.ndarray:
        """``A_t vec X`` for ``X`` of shape ``(..., N, d)``: ``V ((V^T X U) * a_t) U^T``.

        ``O(N^2 d + N d^2)`` per sequence; the score estimate is ``-apply(X, t)``. A response
        with a ``scale(Z, c, t)`` method (the inverse ones: ``Z / c``) applies it to
        ``Z = V^T X U`` instead of the product with ``a_t``.
        """
        X = as_real_array(X, "X", min_ndim=2, shape=(self.N, self.d))
        t = check_scalar_diffusion_time(t)
        c = marginal_eigenvalues(self.g, self.lam, t)
        Z = self.V.T @ (X @ self.U)
        scale = getattr(self.response, "scale", None)
        Z = scale(Z, c, t) if scale is not None else Z * self.response(c, t)
        return (self.V @ Z) @ self.U.T

    # ------------------------------------------------------------------ errors
    def l2_error(self, t: float, truth: LinearScore) -> float:
        """Exact ``E_{p_t} ||s_hat - s*||^2 = tr(D C_t D^T)``, ``D = A_t - C_t^{-1}``.

        Parameters
        ----------
        t : float
        truth : LinearScore
            The exact score of the data model (:meth:`exact`): ``p_t = N(0, C_t)`` and
            ``s* = -C_t^{-1} vec X`` are taken from it.

        Returns
        -------
        float

        Notes
        -----
        docs/theory.md §3.5: ``s_hat - s* = -D vec X`` with ``vec X ~ N(0, C_t)``. Same basis as
        ``truth``: ``sum (a - 1/c)^2 c`` in closed form. Same spatial basis: with
        ``R = V_truth^T V``, ``sum_k sum_ij (R diag(a_k) R^T - diag(1/c_k))_ij^2 c_jk``,
        ``O(d N^3)``. Otherwise the dense route (:meth:`matrix_l2_error`, ``N d <=
        DENSE_L2_MAX_ND``).
        """
        return truth.spectral_l2_error(t, self.V, self.U, self.eigenvalues(t))

    def spectral_l2_error(self, t: float, W: Any, U: Any, a: Any) -> float:
        """``tr(D C_t D^T)`` for ``A_t = (W ⊗ U) diag(a) (W ⊗ U)^T`` against this exact score.

        ``self`` is the exact score of the data model; ``W`` ``(N, N)`` and ``U`` ``(d, d)``
        orthogonal, ``a`` ``(N, d)``. The routes of :meth:`l2_error`.
        """
        c = self.covariance_eigenvalues(t)
        if U is self.U or np.array_equal(U, self.U):
            if W is self.V or np.array_equal(W, self.V):
                e = (a - 1.0 / c) * np.sqrt(c)
                return float(np.sum(e * e))
            R = self.V.T @ W
            Dp = np.einsum("ij,jk,lj->kil", R, a, R)  # (d, N, N)
            idx = np.arange(self.N)
            Dp[:, idx, idx] -= 1.0 / c.T
            return float(np.sum(Dp * Dp * c.T[:, None, :]))
        n = self.N * self.d
        if n > DENSE_L2_MAX_ND:
            raise InvalidArgumentError("U", f"array of shape {np.shape(U)}",
                                       f"is not Sigma's eigenbasis and N d = {n} > "
                                       f"{DENSE_L2_MAX_ND}: the dense route would be too large",
                                       "build the estimator in Sigma's eigenbasis")
        Q = np.kron(W, U)
        return self.matrix_l2_error((Q * np.ravel(a)) @ Q.T, t)

    def matrix_l2_error(self, A: Any, t: float) -> float:
        """``tr(D C_t D^T)``, ``D = A - C_t^{-1}``, for a dense ``(Nd, Nd)`` ``A`` (self: truth).

        In the eigenbasis ``Q = V ⊗ U`` of ``C_t``: ``sum_ij D'_ij^2 c_j`` with
        ``D' = Q^T A Q - diag(1/c)``; no inverse of an ill-conditioned ``C_t`` is formed.
        Dense, ``O((Nd)^3)``.
        """
        t = check_scalar_diffusion_time(t)
        n = self.N * self.d
        c = self.covariance_eigenvalues(t).ravel()
        Q = self.basis
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            Dp = Q.T @ A @ Q
            Dp[np.diag_indices(n)] -= 1.0 / c
            W = Dp * np.sqrt(c)[None, :]  # D' c^{1/2}: D' ~ 1/c and c ~ 1e-300 both stay in range
            out = float(np.sum(W * W))
        if not np.isfinite(out):
            raise InvalidArgumentError("A", f"array of shape {np.shape(A)}",
                                       f"gives an L2 error that overflows float64 at t={t:g} "
                                       "(entries too large, or t so small that 1/sigma_t^2 "
                                       "overflows)", "pass entries below ~1e150 and t >= 1e-300")
        return out
