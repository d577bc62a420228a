"""Compare trained, constructed and any other score networks by invariants (docs/theory.md §8).

Weights are not identifiable (heads permute, ``W_Q^T W_K`` and ``W_O W_V`` rescale against
each other), so every comparison here is of an invariant, and every judged comparison
returns a small frozen dataclass with null baselines (``baselines``: the same statistic
for scores or maps that learn nothing temporal), ``beats_baselines``, a one-line summary
as its ``str`` and ``repr``, and ``to_rows()`` (rows for a claim table). Models come
through the protocol (:mod:`gpdtheory.protocol`): functions that read a model's score need
its output convention stated or detected; those that read attention or hidden states only
do not.

Modules, each importing only those above it in this list:

- :mod:`~gpdtheory.compare.summary`: the shared summary ``repr``;
- :mod:`~gpdtheory.compare.kronecker`: :func:`nearest_kronecker` (Van Loan–Pitsianis),
  :func:`kronecker_correlation` of temporal factors;
- :mod:`~gpdtheory.compare.nulls`: the null scores (time-ignoring, zero);
- :mod:`~gpdtheory.compare.recording`: models through the protocol, noised inputs,
  :func:`attention_by_module`;
- :mod:`~gpdtheory.compare.kernel`: :func:`kernel_by_lag` (reader),
  :func:`compare_kernel` against ``rho_bar`` (:class:`KernelComparison`);
- :mod:`~gpdtheory.compare.attention`: :func:`attention_by_lag`,
  :func:`compare_attention` against ``rho_bar`` and the constructed kernel, one
  normalisation (value 1 at lag 0) for every profile;
- :mod:`~gpdtheory.compare.heads`: :func:`match_heads` (per-head products of two GPDiTs,
  Hungarian), :func:`match_heads_by_lag` (any model's head profiles against the
  construction's heads);
- :mod:`~gpdtheory.compare.probes`: linear probes of hidden states against GD iterates
  (:func:`probe_layers`, :func:`probe_iterates`);
- :mod:`~gpdtheory.compare.layers`: :func:`layers_vs_gd` (reader),
  :func:`compare_layers` (:class:`LayersComparison`);
- :mod:`~gpdtheory.compare.linear_map`: :func:`compare_linear_map` against ``C_t^{-1}``;
- :mod:`~gpdtheory.compare.samples`: :func:`sample_errors`, :func:`temporal_decay_error`,
  :func:`exact_kl_any`;
- :mod:`~gpdtheory.compare.training`: :func:`warm_start`, :func:`parameter_distance`.

:func:`jacobian` and :func:`jacobian_cosine` live in :mod:`gpdtheory.jacobians`;
:func:`correlation`, :func:`lag_profile`, :func:`normalise_profile` and
:func:`profile_error` in :mod:`gpdtheory.profiles` (NaN correlation on a constant input).
:mod:`gpdtheory.compare_models` re-exports the same names.
"""

from __future__ import annotations

from ..jacobians import jacobian, jacobian_cosine
from ..profiles import NORMALISATION, correlation, lag_profile, normalise_profile, profile_error
from .attention import (
    AttentionComparison,
    ProfileComparison,
    attention_by_lag,
    compare_attention,
    constructed_profile,
)
from .heads import HeadMatch, HeadMatching, match_heads, match_heads_by_lag
from .kernel import KernelComparison, compare_kernel, kernel_by_lag
from .kronecker import kronecker_correlation, nearest_kronecker
from .layers import LayersComparison, compare_layers, layers_vs_gd
from .linear_map import LinearMapComparison, compare_linear_map
from .probes import ProbeResult, default_layers, probe_iterates, probe_layers
from .recording import DEFAULT_TIMES, attention_by_module
from .samples import SampleErrors, exact_kl_any, sample_errors, temporal_decay_error
from .training import parameter_distance, warm_start

__all__ = [
    # invariants of weights and maps
    "nearest_kronecker", "kronecker_correlation", "jacobian", "jacobian_cosine",
    "kernel_by_lag", "KernelComparison", "compare_kernel",
    "HeadMatch", "match_heads", "HeadMatching", "match_heads_by_lag",
    # attention of any model
    "DEFAULT_TIMES", "NORMALISATION", "normalise_profile", "profile_error", "lag_profile",
    "correlation", "ProfileComparison", "AttentionComparison", "attention_by_module",
    "attention_by_lag", "compare_attention", "constructed_profile",
    # layers against gradient descent
    "ProbeResult", "probe_layers", "default_layers", "probe_iterates", "layers_vs_gd",
    "LayersComparison", "compare_layers",
    # maps, samples, training
    "LinearMapComparison", "compare_linear_map", "SampleErrors", "sample_errors",
    "temporal_decay_error", "exact_kl_any", "parameter_distance", "warm_start",
]
