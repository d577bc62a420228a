"""Attention by lag of any model against ``rho_bar`` and the constructed kernel.

docs/theory.md §§3, 5, 8.

**One normalisation everywhere** (:mod:`gpdtheory.profiles`): a lag profile ``p(0..J)`` is
compared after dividing it by its value at lag 0 (``p / p[0]``;
:func:`~gpdtheory.profiles.normalise_profile`). The scale-sensitive error is the relative
L2 error of the normalised profiles, ``||p / p[0] - q / q[0]|| / ||q / q[0]||``
(:func:`~gpdtheory.profiles.profile_error`), reported beside Pearson's correlation
(:func:`~gpdtheory.profiles.correlation`), which is blind to scale and offset. The same
normalisation is used by ``video.attention`` (checks/video.py).

Profiles compared:

- **attention by lag** (:func:`attention_by_lag`): attention matrices recorded by
  :func:`gpdtheory.capture.capture_attention` on noised samples ``alpha_t X_0 + sigma_t
  eps`` at a few times, averaged over samples, times, heads, layers and query positions:
  ``a[m] = mean{A[i, j] : |i - j| = m}`` (both directions);
- ``rho_bar`` (the truncated correlation, docs/theory.md §3.2);
- the **constructed kernel** (docs/theory.md §5.3): block ``k`` of the construction adds
  ``K y`` with ``K[i, j] = -eta (Gamma_bar[i, j] Sigma - 1{i=j} I)``; its lag profile is
  ``-kernel_by_lag`` (the trace over features of ``K`` averaged along diagonals) with the
  identity head removed (its ``-eta`` at lag 0 is added back: ``c[m] = eta rho_bar(m)
  tr(Sigma) / d``). It is read from the built network (:func:`gpdtheory.construct.build`),
  not from the formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._torch import torch
from ..construct import build
from ..profiles import (
    MIN_SPREAD,
    NORMALISATION,
    baseline_scores,
    beats,
    correlation,
    lag_profile,
    normalise_profile,
    profile_error,
    profile_spread,
)
from ..spec import GPSpec, check_spec
from ..truncation import truncated_autocovariance
from ..validation import check_positive_int
from .kernel import kernel_by_lag
from .recording import DEFAULT_TIMES, module_maps
from .summary import Summarised

__all__ = ["ProfileComparison", "AttentionComparison", "attention_by_lag", "constructed_profile",
           "compare_attention"]


@dataclass(frozen=True, repr=False)
class ProfileComparison(Summarised):
    """A lag profile against a reference, both normalised to 1 at lag 0.

    Attributes
    ----------
    reference : str
        ``"rho_bar"`` or ``"constructed kernel"``.
    profile, ref : (J + 1,) ndarray
        The normalised profiles.
    correlation : float
        Pearson correlation (scale-blind).
    relative_error : float
        :func:`profile_error` (scale-sensitive).
    """

    reference: str
    profile: np.ndarray
    ref: np.ndarray
    correlation: float
    relative_error: float

    def __str__(self) -> str:
        return (f"ProfileComparison vs {self.reference} over {self.profile.size} lags: corr "
                f"{self.correlation:.3f}, normalised profile error {self.relative_error:.3f}")

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"quantity": f"Pearson corr(attention by lag, {self.reference})",
                 "value": self.correlation},
                {"quantity": f"rel. L2 error of normalised profiles vs {self.reference}",
                 "value": self.relative_error, "normalisation": NORMALISATION}]


def _compare(p, ref, name: str) -> ProfileComparison:
    return ProfileComparison(name, normalise_profile(p), normalise_profile(ref),
                             correlation(p, ref), profile_error(p, ref))


@dataclass(frozen=True, repr=False)
class AttentionComparison(Summarised):
    """Attention by lag of a model against ``rho_bar`` and against the constructed kernel.

    Attributes
    ----------
    attention : (J + 1,) ndarray
        Raw attention by lag (:func:`attention_by_lag`).
    rho_bar, constructed : (J + 1,) ndarray
        The references (raw).
    vs_rho, vs_constructed : ProfileComparison
    heads : (heads, J + 1) ndarray
        Per-head profiles (averaged over layers when their head counts agree).
    head_corr : (heads,) ndarray
        Pearson correlation of each head's profile with ``rho_bar``.
    maps : (N, N) ndarray
        The mean attention matrix (for :func:`gpdtheory.figures.plot_attention`).
    modules : list of str
    """

    attention: np.ndarray
    rho_bar: np.ndarray
    constructed: np.ndarray
    vs_rho: ProfileComparison
    vs_constructed: ProfileComparison
    heads: np.ndarray
    head_corr: np.ndarray
    maps: np.ndarray
    modules: list[str] = field(default_factory=list)
    #: Null baselines' Pearson correlation with ``rho_bar`` (the statistic of ``vs_rho``):
    #: ``identity`` (lag 0 only), ``uniform`` (constant: NaN), ``shuffled`` (the mean map
    #: with frames permuted, 95th percentile over 20 permutations).
    baselines: dict[str, float] = field(default_factory=dict)
    #: ``(max - min) / max |.|`` of the attention profile.
    spread: float = math.nan

    @property
    def too_flat(self) -> bool:
        """The profile spreads less than :data:`gpdtheory.profiles.MIN_SPREAD`: its
        correlation carries no lag information (an untrained network's often does not)."""
        return not self.spread >= MIN_SPREAD

    @property
    def beats_baselines(self) -> bool:
        """``vs_rho.correlation`` above every baseline's, on a profile that is not too flat."""
        return beats(self.vs_rho.correlation, self.baselines) and not self.too_flat

    def __str__(self) -> str:
        base = ", ".join(f"{k} {v:.3f}" for k, v in self.baselines.items())
        warn = (f"; WARNING: profile too flat to judge (spread {self.spread:.0%} < "
                f"{MIN_SPREAD:.0%})" if self.too_flat else "")
        return (f"AttentionComparison: corr with rho_bar {self.vs_rho.correlation:.3f} "
                f"(baselines: {base}; beats them: {self.beats_baselines}), normalised "
                f"profile error {self.vs_rho.relative_error:.3f}{warn}")

    def to_rows(self) -> list[dict[str, Any]]:
        rows = self.vs_rho.to_rows() + self.vs_constructed.to_rows()
        rows += [{"quantity": "Pearson corr(baseline profile, rho_bar)", "baseline": k,
                  "value": v} for k, v in self.baselines.items()]
        rows += [{"quantity": "Pearson corr(head profile, rho_bar)", "head": h, "value": float(c)}
                 for h, c in enumerate(self.head_corr)]
        return rows


def attention_by_lag(model, spec: GPSpec, *, modules=None, data=None, times=DEFAULT_TIMES,
                     n: int = 128, seed=0) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Attention of ``model`` by lag over frames, averaged over its attention modules.

    Parameters are those of :func:`~gpdtheory.compare.attention_by_module`.

    Returns
    -------
    profile : (N,) ndarray
        :func:`~gpdtheory.profiles.lag_profile` (``mean{A[i, j] : |i - j| = m}``) of the
        attention averaged over samples, times, heads and layers.
    heads : (H, N) ndarray
        Per-head profiles (heads of equal-count layers averaged over layers).
    modules : list of str
    mean_map : (N, N) ndarray
    """
    by_module = module_maps(model, spec, modules, data, times, n, seed)
    mats = list(by_module.values())  # each (H, N, N)
    mean_map = torch.cat(mats).mean(0).numpy()
    profile = lag_profile(mean_map)
    counts = {m.shape[0] for m in mats}
    if len(counts) == 1:
        heads = np.stack([lag_profile(h) for h in torch.stack(mats).mean(0).numpy()])
    else:
        heads = np.stack([lag_profile(h) for m in mats for h in m.numpy()])
    return profile, heads, list(by_module), mean_map


def constructed_profile(spec: GPSpec, J: int | None = None, *, truncation: str = "hard"
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The constructed kernel's lag profile and ``rho_bar``, both ``(N,)``.

    Builds the network (``L = 1``), reads ``-kernel_by_lag`` and removes the identity
    head at lag 0 (adds ``eta`` back), so the profile is ``eta rho_bar(m) tr(Sigma) / d``.
    """
    spec = check_spec(spec)
    J = spec.N - 1 if J is None else min(check_positive_int(J, "J"), spec.N - 1)
    net = build(spec, J=J, L=1, truncation=truncation)
    c = -kernel_by_lag(net)
    c[0] += float(net.construction.eta)
    return c, truncated_autocovariance(spec.r, J, truncation)


def compare_attention(model, spec: GPSpec, *, J: int | None = None, modules=None, data=None,
                      times=DEFAULT_TIMES, n: int = 128, seed=0) -> AttentionComparison:
    """Attention by lag of ``model`` against ``rho_bar`` and the constructed kernel.

    All three profiles are normalised to 1 at lag 0 (:data:`NORMALISATION`); each
    comparison reports Pearson's correlation and :func:`profile_error`.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> from gpdtheory.models import SoftmaxDiT
    >>> spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=6, Sigma=np.eye(2))
    >>> cmp = compare_attention(SoftmaxDiT(6, 2, width=16, depth=1, heads=2), spec, n=8)
    >>> cmp.attention.shape, len(cmp.to_rows())
    ((6,), 9)
    """
    spec = check_spec(spec)
    prof, heads, names, mean_map = attention_by_lag(model, spec, modules=modules, data=data,
                                                    times=times, n=n, seed=seed)
    c, r_bar = constructed_profile(spec, J)
    head_corr = np.array([correlation(h, r_bar) for h in heads])
    m = len(prof)
    rng = np.random.default_rng(0)
    M = np.asarray(mean_map, dtype=np.float64)
    shuffled = []
    if M.ndim == 2 and M.shape[0] == M.shape[1] and M.shape[0] >= m:
        for _ in range(20):
            P = rng.permutation(M.shape[0])
            shuffled.append(lag_profile(M[np.ix_(P, P)])[:m])
    return AttentionComparison(prof, r_bar, c, _compare(prof, r_bar, "rho_bar"),
                               _compare(prof, c, "constructed kernel"), heads, head_corr,
                               mean_map, names, baseline_scores(r_bar, m, shuffled),
                               profile_spread(prof))
