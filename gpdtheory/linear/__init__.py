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

from .score import DENSE_L2_MAX_ND, LinearScore
from .spectrum import diffuse_eigenvalues, marginal_eigenvalues, noisy_batch, noisy_batch_at
from .truncated import (
    INDEFINITE_RTOL,
    OnIndefinite,
    check_definite,
    check_toeplitz_spec,
    gamma_bar_extremes,
    gd_spectral_factor,
    step_size,
    truncated_r,
)

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
