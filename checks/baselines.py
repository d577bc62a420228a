"""Null baselines of the trained and statistical claims, and the statistics they are judged by.

A trained model's statistic is only evidence when it beats what a model with no temporal
learning gets with the same statistic. The baselines, each computed in closed
form or from the already-trained model (nothing is retrained):

- ``time-ignoring``: the score of a model that treats frames as independent,
  ``A = I_N ⊗ (alpha_t^2 Sigma + sigma_t^2 I)^{-1}`` (:func:`time_ignoring_map`);
- ``identity``: attention on the query frame only, the lag profile ``[1, 0, ..., 0]``;
- ``uniform``: attention spread evenly over frames, a constant profile;
- ``untrained``: the same architecture at initialisation (same seed);
- ``shuffled``: the model's own map with the frames permuted (a fixed permutation drawn
  from the claim's generator): its temporal structure at the wrong positions.

**Injection points.** Every graded statistic flows through one of two module-level
functions, which a test (or the lead's mutant catalogue) may replace with
``monkeypatch.setattr(gpdtheory_checks.baselines, name, fake)``: the claims call them through this
module (``baselines.judged_map(...)``), never through a copied binding.

- :func:`judged_map`: the linear score map ``A_t`` of a trained model that the
  ``trained.*`` claims judge;
- :func:`judged_profile`: the attention lag profile that ``paper.attention``,
  ``video.attention`` and ``trained.kernel`` judge.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["judged_map", "judged_profile", "time_ignoring_map", "frame_permutation",
           "identity_profile", "uniform_profile", "offlag_recovery", "best_baseline"]


def judged_map(model, spec, t: float) -> np.ndarray:
    """The ``(N d, N d)`` linear score map ``A_t`` of ``model`` (``s_hat(x) = -A_t x``) that the
    ``trained.*`` claims judge: :func:`gpdtheory.evaluate.linear_map` (autograd; exact, the
    matching model is linear in ``X``). ``spec`` is unused here (a replacement may need it)."""
    from gpdtheory.evaluate import linear_map

    return linear_map(model, t)


def judged_profile(source, video=None, max_lag: int | None = None) -> np.ndarray:
    """The attention lag profile judged by ``paper.attention``, ``video.attention`` and
    ``trained.kernel``.

    ``source`` is an ``(N, N)`` attention map (or temporal Kronecker factor), reduced by
    :func:`gpdtheory.profiles.lag_profile` (mean over ``|i - j| = m``); with ``video``, a
    trained :class:`gpdtheory.video.VideoModel`, read by
    :func:`gpdtheory.video.attention_lag_profile`. ``max_lag``: lags ``0..max_lag`` only.
    """
    if video is not None:
        from gpdtheory.video import attention_lag_profile

        prof = attention_lag_profile(source, video)
    else:
        from gpdtheory.profiles import lag_profile

        prof = lag_profile(np.asarray(source, dtype=np.float64))
    return prof if max_lag is None else prof[: max_lag + 1]


def time_ignoring_map(spec, t: float) -> np.ndarray:
    """``I_N ⊗ (alpha_t^2 Sigma + sigma_t^2 I_d)^{-1}``: the exact score of the model that treats
    the frames as independent (each frame's marginal covariance, no temporal correlation)."""
    a2, s2 = math.exp(-t), -math.expm1(-t)
    Sigma = np.asarray(spec.Sigma, dtype=np.float64)
    return np.kron(np.eye(spec.N), np.linalg.inv(a2 * Sigma + s2 * np.eye(spec.d)))


def frame_permutation(M: np.ndarray, perm, d: int = 1) -> np.ndarray:
    """``(P ⊗ I_d) M (P ⊗ I_d)^T``: the map (or ``d = 1``: the attention map) with its frames
    reordered by ``perm``."""
    P = np.kron(np.eye(len(perm))[np.asarray(perm)], np.eye(d))
    return P @ np.asarray(M, dtype=np.float64) @ P.T


def identity_profile(n_lags: int) -> np.ndarray:
    """Attention on the query frame only: ``[1, 0, ..., 0]``."""
    p = np.zeros(n_lags)
    p[0] = 1.0
    return p


def uniform_profile(n_lags: int) -> np.ndarray:
    """Attention spread evenly over the frames: a constant profile."""
    return np.ones(n_lags)


def offlag_recovery(profile, reference) -> float:
    """``1 - ||p[1:]/p[0] - q[1:]/q[0]|| / ||q[1:]/q[0]||``: the share of the reference's
    off-lag structure (lags ``>= 1``, on the scale where lag 0 is 1) that ``profile`` recovers.

    1 for a profile proportional to the reference, exactly 0 for the identity profile (and
    so for a time-ignoring map, whose temporal factor is diagonal), negative for a profile
    further from the reference than no off-lag weight at all. NaN when ``p[0] == 0``.
    """
    p, q = np.asarray(profile, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    if p[0] == 0.0 or q[0] == 0.0:
        return math.nan
    a, b = p[1:] / p[0], q[1:] / q[0]
    nb = float(np.linalg.norm(b))
    return 1.0 - float(np.linalg.norm(a - b)) / nb if nb > 0 else math.nan


def best_baseline(scores: dict[str, float], higher_is_better: bool = True) -> tuple[str, float]:
    """The best baseline's name and score; NaN scores (undefined statistics, e.g. the Pearson
    correlation of a constant profile) carry no information and are skipped."""
    finite = {k: v for k, v in scores.items() if math.isfinite(v)}
    if not finite:
        return "none", -math.inf if higher_is_better else math.inf
    pick = max if higher_is_better else min
    name = pick(finite, key=finite.__getitem__)
    return name, finite[name]
