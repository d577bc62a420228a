"""Linear score estimators ``s_hat(y, t) = -A_t vec(y)`` and their spectral fast path.

docs/theory.md §§3 and 6. For Gaussian data every estimator linear in ``y`` turns
the reverse process into a linear Gaussian system, so its output distribution is
computable exactly (:mod:`gpdtheory.distribution.lyapunov`).

Structure
---------
Many estimators of interest are diagonal in a fixed orthogonal basis
``Q = W ⊗ U`` (``W`` an ``N x N`` and ``U`` a ``d x d`` orthogonal matrix), with only
the eigenvalues depending on t: ``A_t = Q diag(vec a_t) Q^T``, ``a_t`` of shape
``(N, d)``. Then the Lyapunov ODE and the sampler recursions are diagonal too.

- exact score ``C_t^{-1}``: ``W = V`` (eigenvectors of ``Gamma``), ``U`` those of ``Sigma``,
  ``a = 1/(alpha^2 g lam^T + sigma^2)``;
- exact truncated score ``C_bar_t^{-1}``: ``W`` = eigenvectors of ``Gamma_bar``;
- L steps of GD from 0 (:func:`gpdtheory.gd.gd_matrix`): same ``W``,
  ``a = (1 - (1 - eta c)^L)/c`` with ``c`` the eigenvalues of ``C_bar_t``.

These three are :class:`gpdtheory.linear.LinearScore` objects wrapped for the Lyapunov and
sampler machinery. Any other ``t -> A_t`` is accepted as a dense estimator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..linear import LinearScore
from ..schedule import check_scalar_diffusion_time
from ..spec import GPSpec, check_spec
from ..validation import as_real_array, check_positive_int

__all__ = [
    "LinearEstimator",
    "exact_score_estimator",
    "truncated_score_estimator",
    "gd_estimator",
    "dense_estimator",
    "check_estimator",
    "check_zero_mean_spec",
    "ORTHOGONALITY_TOL",
]

#: Tolerated ``max |W^T W - I|`` of a spectral basis (round-off of an eigendecomposition).
ORTHOGONALITY_TOL = 1e-8


def _orthogonal(W: Any, name: str, n: int) -> np.ndarray:
    W = as_real_array(W, name, ndim=2, shape=(n, n))
    dev = float(np.max(np.abs(W.T @ W - np.eye(n))))
    if not dev <= ORTHOGONALITY_TOL:
        raise InvalidArgumentError(name, f"array of shape {W.shape}",
                                   f"is not orthogonal (max |W^T W - I| = {dev:.2e})",
                                   "pass the eigenvectors of a symmetric matrix (np.linalg.eigh)")
    return W


class LinearEstimator:
    """A score estimator linear in ``y``: ``s_hat(y, t) = -A_t vec(y)`` (row-major vec).

    Parameters
    ----------
    N, d : int
        Frames and features; ``A_t`` is ``(Nd, Nd)``.
    matrix_fn : callable ``t -> (Nd, Nd)``, optional
        Dense ``A_t`` (required when no spectral form is given).
    temporal_basis : (N, N) ndarray, optional
    spatial_basis : (d, d) ndarray, optional
        Orthogonal ``W`` and ``U`` with ``A_t = (W ⊗ U) diag(vec a_t) (W ⊗ U)^T``.
    eigenvalue_fn : callable ``t -> (N, d)``, optional
        The eigenvalues ``a_t`` in that basis.
    name : str
    model_eigenvalues : (N, d) array_like, optional
        When ``A_t`` is the exact score of a Gaussian model ``N(0, Q diag(vec m) Q^T)``,
        ``Q = W ⊗ U``, i.e. ``a_t = 1/(e^{-t} m + 1 - e^{-t})``: the eigenvalues ``m >= 0``.
        Set by :func:`exact_score_estimator` and :func:`truncated_score_estimator` (when
        ``Gamma_bar`` is PSD); enables the closed forms of
        :func:`gpdtheory.distribution.closed_form_girsanov`.

    Notes
    -----
    Use the constructors :func:`exact_score_estimator`, :func:`truncated_score_estimator`,
    :func:`gd_estimator` or :func:`dense_estimator`.
    """

    def __init__(
        self,
        N: int,
        d: int,
        matrix_fn: Callable[[float], Any] | None = None,
        *,
        temporal_basis: Any = None,
        spatial_basis: Any = None,
        eigenvalue_fn: Callable[[float], Any] | None = None,
        name: str = "linear",
        model_eigenvalues: Any = None,
    ):
        self.N = check_positive_int(N, "N")
        self.d = check_positive_int(d, "d")
        self.name = name
        spectral = (temporal_basis, spatial_basis, eigenvalue_fn)
        if any(x is not None for x in spectral) and not all(x is not None for x in spectral):
            raise InvalidArgumentError(
                "temporal_basis/spatial_basis/eigenvalue_fn",
                name,
                "a spectral form needs all three",
                "pass all three or none",
            )
        if matrix_fn is None and eigenvalue_fn is None:
            raise InvalidArgumentError(
                "matrix_fn", None, "no form of A_t was given", "pass matrix_fn or a spectral form"
            )
        self._matrix_fn = matrix_fn
        self._eig_fn = eigenvalue_fn
        if eigenvalue_fn is not None:
            self.W = _orthogonal(temporal_basis, "temporal_basis", self.N)
            self.U = _orthogonal(spatial_basis, "spatial_basis", self.d)
        else:
            self.W = self.U = None
        self.model_eigenvalues = None
        if model_eigenvalues is not None:
            m = as_real_array(model_eigenvalues, "model_eigenvalues", ndim=2,
                              shape=(self.N, self.d))
            if eigenvalue_fn is None or not np.all(m >= 0.0):
                raise InvalidArgumentError("model_eigenvalues", name,
                                           "needs a spectral form and eigenvalues >= 0",
                                           "pass the (N, d) PSD model eigenvalues in W ⊗ U")
            self.model_eigenvalues = m.copy()

    def __repr__(self) -> str:
        kind = "spectral" if self.is_spectral else "dense"
        return f"LinearEstimator({self.name!r}, N={self.N}, d={self.d}, {kind})"

    @property
    def n(self) -> int:
        """``N d``, the dimension of ``vec(y)``."""
        return self.N * self.d

    @property
    def is_spectral(self) -> bool:
        """True when ``A_t`` is diagonal in a fixed basis ``W ⊗ U``."""
        return self._eig_fn is not None

    @property
    def basis(self) -> np.ndarray:
        """``(Nd, Nd)`` orthogonal ``Q = W ⊗ U`` (spectral estimators only)."""
        if not self.is_spectral:
            raise InvalidArgumentError(
                "estimator", self, "has no fixed eigenbasis", "use .matrix(t)"
            )
        return np.kron(self.W, self.U)

    def eigenvalues(self, t: float) -> np.ndarray:
        """``(N, d)`` eigenvalues ``a_t`` of ``A_t`` in the basis ``W ⊗ U``."""
        if not self.is_spectral:
            raise InvalidArgumentError(
                "estimator", self, "has no fixed eigenbasis", "use .matrix(t)"
            )
        a = as_real_array(self._eig_fn(check_scalar_diffusion_time(t)), "eigenvalue_fn", ndim=2)
        if a.shape != (self.N, self.d):
            raise InvalidArgumentError("eigenvalue_fn", f"output of shape {a.shape}",
                                       f"is not ({self.N}, {self.d})",
                                       "return one eigenvalue per (frame mode, feature mode)")
        return a

    def matrix(self, t: float) -> np.ndarray:
        """Dense ``(Nd, Nd)`` ``A_t``."""
        t = check_scalar_diffusion_time(t)
        if self._matrix_fn is not None:
            A = as_real_array(self._matrix_fn(t), "A_t", ndim=2, shape=(self.n, self.n))
            return A
        Q = self.basis
        return (Q * self.eigenvalues(t).ravel()) @ Q.T

    def score(self, Y: Any, t: float) -> np.ndarray:
        """``-A_t vec(y)`` for a batch ``Y`` of shape ``(..., N, d)`` (numpy).

        Usable directly as the ``score_fn`` of :mod:`gpdtheory.sampling`.
        """
        Y = as_real_array(Y, "Y", min_ndim=2, shape=(self.N, self.d))
        if self.is_spectral:
            Z = self.W.T @ (Y @ self.U)  # (..., N, d) in W⊗U basis
            return -(self.W @ (Z * self.eigenvalues(t))) @ self.U.T
        flat = Y.reshape(Y.shape[:-2] + (self.n,))
        return -(flat @ self.matrix(t).T).reshape(Y.shape)


def check_estimator(est: Any) -> LinearEstimator:
    """``est`` if it is a :class:`LinearEstimator`, else a documented error."""
    if not isinstance(est, LinearEstimator):
        raise InvalidArgumentError(
            "est",
            est,
            "is not a LinearEstimator",
            "build one with gpdtheory.distribution.gd_estimator(...) etc.",
        )
    return est


def check_zero_mean_spec(spec: Any) -> GPSpec:
    """``spec`` if it is a mean-zero :class:`~gpdtheory.GPSpec`, else a documented error."""
    check_spec(spec)
    if spec.mean is not None:
        raise InvalidArgumentError(
            "spec",
            spec,
            "has a mean: the distribution routines assume mean 0",
            "center the data (subtract the mean) and pass a zero-mean spec",
        )
    return spec


def _wrap(score: LinearScore, model_eigenvalues: Any = None) -> LinearEstimator:
    """The :class:`LinearEstimator` with ``score``'s basis and eigenvalues."""
    return LinearEstimator(score.N, score.d, temporal_basis=score.V, spatial_basis=score.U,
                           eigenvalue_fn=score.eigenvalues, name=score.name,
                           model_eigenvalues=model_eigenvalues)


def exact_score_estimator(spec: GPSpec) -> LinearEstimator:
    """The exact score ``A_t = C_t^{-1}`` in the Kronecker eigenbasis ``V ⊗ U``.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=4, Sigma=np.eye(2))
    >>> est = exact_score_estimator(spec)
    >>> bool(np.allclose(est.matrix(0.3), np.linalg.inv(gp.marginal_covariance(spec, 0.3))))
    True
    """
    score = LinearScore.exact(check_zero_mean_spec(spec))
    gl = np.multiply.outer(score.g, score.lam)
    return _wrap(score, np.maximum(gl, 0.0) if gl.min() >= -1e-12 * gl.max() else None)


def truncated_score_estimator(spec: GPSpec, J: int, truncation: str = "hard") -> LinearEstimator:
    """The exact score of the truncated model, ``A_t = C_bar_t^{-1}`` (docs/theory.md §3).

    Raises
    ------
    AssumptionViolated
        When evaluated at a t with ``mu_bar_t = lmin(C_bar_t) <= 0`` (indefinite
        ``Gamma_bar``; :func:`gpdtheory.gd.check_definite`).

    Notes
    -----
    Same matrix as ``-gpdtheory.gd.truncated_score`` applied to the unit vectors.
    """
    score = LinearScore.truncated(check_zero_mean_spec(spec), J, truncation,
                                  where="truncated_score_estimator")
    gl = np.multiply.outer(score.g, score.lam)
    # Gamma_bar PSD: the exact score of N(0, Gamma_bar ⊗ Sigma) (the Girsanov bound is
    # attained up to O(e^{-2T})); an indefinite Gamma_bar is no covariance
    return _wrap(score, gl if gl.min() >= 0.0 else None)


def gd_estimator(spec: GPSpec, J: int, L: int, truncation: str = "hard") -> LinearEstimator:
    """``L`` gradient-descent steps from 0 on the truncated objective (the constructed network).

    Parameters
    ----------
    spec : GPSpec (mean zero)
    J : int
        Truncation lag.
    L : int
        Number of GD steps (transformer blocks), ``>= 0``.
    truncation : {"hard", "taper", "shift"}

    Returns
    -------
    LinearEstimator
        Spectral; ``matrix(t)`` equals
        :func:`gpdtheory.gd.gd_matrix` ``(spec, t, J, L, truncation)`` where ``mu_bar_t > 0``.
        No definiteness test: where the truncated ``C_bar_t`` is indefinite it is the
        diverging iterate that ``gd_matrix(..., on_indefinite="warn")`` returns, without the
        warning (test first with :func:`gpdtheory.linear.check_definite`).

    Notes
    -----
    ``A_t = eta sum_{k<L} (I - eta C_bar_t)^k``, ``eta = 1/Lambda``
    (:func:`gpdtheory.gd.step_size`); on an eigenvalue ``c`` of ``C_bar_t`` this is
    ``-expm1(L log1p(-eta c))/c`` (``eta L`` at ``c = 0``): :meth:`gpdtheory.linear.LinearScore.gd`.
    """
    return _wrap(LinearScore.gd(check_zero_mean_spec(spec), J, L, truncation))


def dense_estimator(
    N: int, d: int, matrix_fn: Callable[[float], Any], name: str = "dense"
) -> LinearEstimator:
    """Any linear estimator given by ``t -> A_t`` (``(Nd, Nd)``); no fast path."""
    if not callable(matrix_fn):
        raise InvalidArgumentError("matrix_fn", matrix_fn, "is not callable", "pass t -> A_t")
    return LinearEstimator(N, d, matrix_fn, name=name)
