"""The score estimators linear in ``X``: one :class:`LinearScore` per row of the table in
:mod:`gpdtheory.linear`, and their ``L2(p_t)`` errors (docs/theory.md §§2-3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from ..errors import InvalidArgumentError
from ..schedule import check_scalar_diffusion_time
from ..spec import GPSpec, check_spec
from ..truncation import Method
from ..validation import as_real_array, check_nonnegative_int
from .spectrum import marginal_eigenvalues
from .truncated import (
    check_definite,
    gd_spectral_factor,
    step_size,
    truncated_r,
)

__all__ = ["LinearScore", "DENSE_L2_MAX_ND"]

#: Largest ``N d`` for which :meth:`LinearScore.l2_error` takes the dense ``O((Nd)^3)``
#: route (an estimator whose spatial basis is not ``Sigma``'s).
DENSE_L2_MAX_ND = 4096


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
