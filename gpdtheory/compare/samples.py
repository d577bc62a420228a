"""Samples generated with any model against the data (docs/theory.md §§6, 8).

The exact KL of a sampler exists only for a model linear in ``X`` (:func:`exact_kl_any`
says why in one sentence otherwise); for any model, generated samples are compared with
``Gamma ⊗ Sigma`` (covariance) and ``rho`` (the temporal decay of their nearest-Kronecker
temporal factor), beside the same estimators on exact samples (the Monte Carlo floor) and
on the samples of the time-ignoring score (a null baseline: frames drawn independently).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._torch import torch
from ..construct.block import full_time
from ..errors import InvalidArgumentError
from ..evaluate import exact_kl, is_linear
from ..profiles import NORMALISATION, lag_profile, normalise_profile, profile_error
from ..protocol import ScoreModel, model_name, param_like
from ..sampling import reverse_sample
from ..spec import GPSpec, check_spec
from ..validation import as_rng, check_positive_int
from .kronecker import nearest_kronecker
from .recording import score_model
from .summary import Summarised

__all__ = ["temporal_decay_error", "SampleErrors", "sample_errors", "exact_kl_any"]

def temporal_decay_error(samples, spec: GPSpec) -> tuple[float, np.ndarray]:
    """Relative error of the temporal decay of ``samples`` ``(n, N, d)`` against ``rho``.

    The temporal factor ``A`` of the nearest Kronecker product ``A ⊗ B`` to the samples'
    covariance (:func:`gpdtheory.compare.nearest_kronecker`) is averaged along diagonals
    (:func:`lag_profile`) and compared with ``rho(0..N-1)`` by :func:`profile_error`
    (both normalised to 1 at lag 0).

    Returns
    -------
    error : float
    profile : (N,) ndarray
        The normalised lag profile of the samples.
    """
    spec = check_spec(spec)
    Y = np.asarray(samples, dtype=np.float64)
    V = (Y - spec.mean_array).reshape(Y.shape[0], -1)
    S = V.T @ V / V.shape[0]
    A, _, _ = nearest_kronecker(S, (spec.N, spec.N), (spec.d, spec.d))
    prof = lag_profile(A)
    return profile_error(prof, spec.r), normalise_profile(prof)


@dataclass(frozen=True, repr=False)
class SampleErrors(Summarised):
    """Errors of ``n`` generated samples.

    Attributes
    ----------
    covariance_error : float
        ``||Cov_hat - Gamma ⊗ Sigma||_F / ||Gamma ⊗ Sigma||_F``.
    temporal_decay_error : float
        :func:`temporal_decay_error`.
    profile : (N,) ndarray
        The samples' normalised temporal lag profile.
    data_decay_error : float
        The same estimator on ``n`` exact samples of ``spec`` (its Monte Carlo floor).
    n : int
    """

    covariance_error: float
    temporal_decay_error: float
    profile: np.ndarray
    data_decay_error: float
    n: int
    #: Null baselines' ``temporal_decay_error`` (the same estimator on ``n`` samples):
    #: ``time-ignoring``, the samples of the time-ignoring score, i.e. frames drawn
    #: independently from ``N(mu_i, Sigma)`` (its decay profile is ``[1, 0, ..., 0]`` up to
    #: Monte Carlo error).
    baselines: dict[str, float] = field(default_factory=dict)

    @property
    def beats_baselines(self) -> bool:
        """``temporal_decay_error`` below every finite baseline's."""
        finite = [v for v in self.baselines.values() if math.isfinite(v)]
        return bool(math.isfinite(self.temporal_decay_error)
                    and all(self.temporal_decay_error < v for v in finite))

    def __str__(self) -> str:
        base = ", ".join(f"{k} {v:.4f}" for k, v in self.baselines.items())
        return (f"SampleErrors of {self.n} samples: temporal-decay error "
                f"{self.temporal_decay_error:.4f} (data floor {self.data_decay_error:.4f}; "
                f"baselines: {base}; beats them: {self.beats_baselines}), covariance error "
                f"{self.covariance_error:.4f}")

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"quantity": "covariance rel. error of samples", "n": self.n,
                 "value": self.covariance_error},
                {"quantity": "temporal-decay rel. error of samples", "n": self.n,
                 "value": self.temporal_decay_error, "normalisation": NORMALISATION,
                 "data_floor": self.data_decay_error}] + [
                {"quantity": "temporal-decay rel. error of baseline samples", "baseline": k,
                 "n": self.n, "value": v, "normalisation": NORMALISATION}
                for k, v in self.baselines.items()]


def generate(model, spec: GPSpec, n: int, *, T: float = 6.0, t0: float = 1e-2, steps: int = 60,
             seed=0) -> np.ndarray:
    """``n`` samples ``(n, N, d)`` of the reverse SDE (exponential integrator) driven by a model.

    The model's output is read as a score (its convention stated or detected).
    """
    spec = check_spec(spec)
    sm = score_model(model, spec)
    p = param_like(sm)

    @torch.no_grad()
    def fn(y, t):
        y_t = torch.as_tensor(y, dtype=p.dtype, device=p.device)
        return sm(y_t, full_time(y_t.shape[0], t, p)).double().cpu().numpy()

    return reverse_sample(fn, check_positive_int(n, "n"), spec.N, spec.d, T=T, t0=t0,
                          steps=steps, seed=seed)


def sample_errors(model, spec: GPSpec, n: int = 2000, *, T: float = 6.0, t0: float = 1e-2,
                  steps: int = 60, seed=0) -> SampleErrors:
    """Covariance and temporal-decay errors of ``n`` samples generated with ``model``.

    Parameters
    ----------
    model : nn.Module
        Through the protocol; its output is read as a score (a network predicting the
        noise or ``x0`` is wrapped with :func:`gpdtheory.protocol.as_score_model`).
    spec : GPSpec
    n : int
    T, t0, steps
        The reverse SDE from ``N(0, I)`` at ``T`` to ``t0`` in ``steps`` exponential-integrator
        steps (:func:`gpdtheory.sampling.reverse_sample`).
    seed : int or Generator

    Returns
    -------
    SampleErrors
        With the data floor (``n`` exact samples) and the time-ignoring baseline (``n``
        samples with independent frames ``N(mu_i, Sigma)``: what the time-ignoring score's
        sampler converges to) through the same estimator.
    """
    spec = check_spec(spec)
    Y = generate(model, spec, n, T=T, t0=t0, steps=steps, seed=seed)
    V = (Y - spec.mean_array).reshape(n, -1)
    C = spec.covariance_dense()
    cov = float(np.linalg.norm(V.T @ V / n - C) / np.linalg.norm(C))
    err, prof = temporal_decay_error(Y, spec)
    rng = as_rng(seed)
    floor, _ = temporal_decay_error(spec.sample(n, seed=rng), spec)
    lam, U = spec.sigma_eigh  # a square root of Sigma that a semidefinite Sigma also has
    F = U * np.sqrt(np.clip(lam, 0.0, None))
    iid = rng.standard_normal((n, spec.N, spec.d)) @ F.T + spec.mean_array
    null, _ = temporal_decay_error(iid, spec)
    return SampleErrors(cov, err, prof, floor, n, {"time-ignoring": null})


def exact_kl_any(model, spec: GPSpec, T: float, t0: float) -> float:
    """``KL(p_t0 || q_t0)`` in closed form: only for a model linear in ``X``.

    Raises
    ------
    InvalidArgumentError
        For any other model, with the one-sentence reason.
    """
    if isinstance(model, ScoreModel):
        model = model.net
    if not is_linear(model):
        raise InvalidArgumentError(
            "model", model_name(model),
            "is not linear in X, so the reverse SDE it drives does not output a Gaussian and "
            "the closed-form KL of docs/theory.md §6.2 does not exist",
            "compare generated samples with sample_errors (covariance and temporal decay)")
    return exact_kl(model, spec, T, t0)
