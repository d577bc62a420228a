"""Strict test configuration: warnings are errors (pyproject), fixed seeds, hypothesis profiles.

Profiles (select with ``--hypothesis-profile`` or ``GPDTHEORY_HYPOTHESIS_PROFILE``):

``ci``        derandomized, few examples: the default, fast and reproducible.
``thorough``  many examples, random: for nightly or local deep runs.

Both use ``deadline=None``: the first call of a Numba function compiles it.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=25, derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("GPDTHEORY_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator, fresh for each test."""
    return np.random.default_rng(20250123)


