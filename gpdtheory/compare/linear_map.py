"""The linear map of any model against ``C_t^{-1}`` and the construction (docs/theory.md §§2, 5, 8).

A score network linearised at ``X = 0`` has a map ``A = -d s_theta / d vec X``
(:func:`gpdtheory.jacobians.jacobian`); the exact score's is ``C_t^{-1}``, the
construction's is its end-to-end map. :func:`compare_linear_map` reports both errors
beside the null scores' (:mod:`gpdtheory.compare.nulls`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..construct import build
from ..construct.inspect import end_to_end_map
from ..diffusion import marginal_covariance
from ..jacobians import jacobian, jacobian_cosine
from ..schedule import check_scalar_diffusion_time
from ..spec import GPSpec, check_spec
from ..validation import check_positive_int
from .kronecker import kronecker_correlation
from .nulls import time_ignoring_map
from .recording import score_model
from .summary import Summarised

__all__ = ["LinearMapComparison", "compare_linear_map"]


@dataclass(frozen=True, repr=False)
class LinearMapComparison(Summarised):
    """The model's effective linear map at ``X = 0`` against ``C_t^{-1}`` and the construction.

    Attributes
    ----------
    t : float
    A : (Nd, Nd) ndarray
        ``-d s_theta / d vec X`` at ``X = 0`` (``torch.func.jacrev``).
    error_exact : float
        ``||A - C_t^{-1}||_F / ||C_t^{-1}||_F``.
    error_constructed : float
        ``||A - A_constructed||_F / ||A_constructed||_F``.
    cosine_exact, kron_corr_exact : float
        Cosine with ``C_t^{-1}``; correlation of the temporal nearest-Kronecker factors.
        Both NaN for a zero map (a zero-initialised output layer): it has no direction.
    """

    t: float
    A: np.ndarray
    error_exact: float
    error_constructed: float
    cosine_exact: float
    kron_corr_exact: float
    #: Null baselines' ``error_exact`` (the same statistic): ``time-ignoring`` (the exact
    #: score of independent frames, ``I_N ⊗ (alpha_t^2 Sigma + sigma_t^2 I)^{-1}``) and
    #: ``zero`` (the zero map, error 1).
    baselines: dict[str, float] = field(default_factory=dict)

    @property
    def beats_baselines(self) -> bool:
        """``error_exact`` below every baseline's."""
        return bool(all(self.error_exact < v for v in self.baselines.values()))

    def __str__(self) -> str:
        base = ", ".join(f"{k} {v:.3f}" for k, v in self.baselines.items())
        return (f"LinearMapComparison at t={self.t:g}: rel. error vs C_t^-1 "
                f"{self.error_exact:.4f} (baselines: {base}; beats them: "
                f"{self.beats_baselines}), vs constructed {self.error_constructed:.4f}")

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"quantity": "rel. error of linear map vs C_t^-1", "t": self.t,
                 "value": self.error_exact},
                {"quantity": "rel. error of linear map vs constructed map", "t": self.t,
                 "value": self.error_constructed},
                {"quantity": "cosine(linear map, C_t^-1)", "t": self.t, "value": self.cosine_exact},
                {"quantity": "corr of temporal Kronecker factors vs C_t^-1", "t": self.t,
                 "value": self.kron_corr_exact}] + [
                {"quantity": "rel. error of baseline map vs C_t^-1", "baseline": k,
                 "t": self.t, "value": v} for k, v in self.baselines.items()]


def compare_linear_map(model, spec: GPSpec, t: float, *, J: int | None = None, L: int = 50
                       ) -> LinearMapComparison:
    """Jacobian of the score at ``X = 0`` against ``C_t^{-1}`` and the constructed ``A_t``.

    The constructed network is :func:`gpdtheory.construct.build` with ``J`` (default
    ``N - 1``) and ``L`` blocks; its map is exact (it is linear). The model's output is
    read as a score: wrap a network predicting the noise or ``x0`` with
    :func:`gpdtheory.protocol.as_score_model` first.

    Returns
    -------
    LinearMapComparison
        With the time-ignoring and zero maps' ``error_exact`` as baselines.
    """
    spec = check_spec(spec)
    sm = score_model(model, spec)
    t = check_scalar_diffusion_time(t)
    J = spec.N - 1 if J is None else min(check_positive_int(J, "J"), spec.N - 1)
    A = -jacobian(sm, np.zeros((spec.N, spec.d)), t)
    Cinv = np.linalg.inv(marginal_covariance(spec, t))
    Ac = end_to_end_map(build(spec, J=J, L=check_positive_int(L, "L")), t)
    A0 = time_ignoring_map(spec, t)
    nC = np.linalg.norm(Cinv)
    return LinearMapComparison(t, A, float(np.linalg.norm(A - Cinv) / nC),
                               float(np.linalg.norm(A - Ac) / np.linalg.norm(Ac)),
                               jacobian_cosine(A, Cinv),
                               kronecker_correlation(A, Cinv, spec.N, spec.d),
                               {"time-ignoring": float(np.linalg.norm(A0 - Cinv) / nC),
                                "zero": 1.0})
