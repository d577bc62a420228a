"""The comparisons of any score network, under their former module name (docs/theory.md §8).

Everything here is :mod:`gpdtheory.compare`'s (``gpdtheory.compare_models.X is
gpdtheory.compare.X``); this module only re-exports it, so that
``from gpdtheory.compare_models import compare_attention`` keeps working.
"""

from __future__ import annotations

from .compare import (
    DEFAULT_TIMES,
    NORMALISATION,
    AttentionComparison,
    HeadMatching,
    LayersComparison,
    LinearMapComparison,
    ProbeResult,
    ProfileComparison,
    SampleErrors,
    attention_by_lag,
    attention_by_module,
    compare_attention,
    compare_layers,
    compare_linear_map,
    constructed_profile,
    default_layers,
    exact_kl_any,
    lag_profile,
    match_heads_by_lag,
    normalise_profile,
    probe_iterates,
    probe_layers,
    profile_error,
    sample_errors,
    temporal_decay_error,
)

__all__ = ["normalise_profile", "profile_error", "lag_profile", "ProfileComparison",
           "AttentionComparison", "attention_by_module", "attention_by_lag",
           "compare_attention", "constructed_profile",
           "HeadMatching", "match_heads_by_lag", "ProbeResult", "probe_layers",
           "default_layers", "probe_iterates", "LayersComparison", "compare_layers",
           "LinearMapComparison", "compare_linear_map", "SampleErrors", "sample_errors",
           "temporal_decay_error", "exact_kl_any", "DEFAULT_TIMES",
           "NORMALISATION"]
