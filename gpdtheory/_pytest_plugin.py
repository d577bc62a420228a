"""The ``pytest11`` entry point ``gpdtheory`` (pyproject.toml): the ``ci`` and ``thorough``
hypothesis profiles (documented in :mod:`gpdtheory.testing.pytest_plugin`).

Without the ``testing`` extra (hypothesis) every hook does nothing: installing gpdtheory
without it must never break a project's pytest. Loading it imports hypothesis's settings
only; the ``st.from_type`` strategies are registered at session start, after hypothesis's
own plugin has loaded.
"""

from __future__ import annotations

import os

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # no hypothesis: no profiles to offer
    HealthCheck = settings = None

__all__ = ["PROFILES", "register_profiles"]

#: The profiles' settings, by name (empty without hypothesis).
PROFILES: dict[str, dict] = {}
if settings is not None:
    _COMMON = {"deadline": None, "print_blob": True,
               "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
    PROFILES = {"ci": {"max_examples": 25, "derandomize": True, **_COMMON},
                "thorough": {"max_examples": 2000, **_COMMON}}


def register_profiles() -> None:
    """Register the ``ci`` and ``thorough`` profiles with hypothesis (idempotent)."""
    for name, kw in PROFILES.items():
        settings.register_profile(name, **kw)


register_profiles()  # at import: before hypothesis's plugin reads --hypothesis-profile


def pytest_configure(config) -> None:
    """Load ``GPDTHEORY_HYPOTHESIS_PROFILE`` unless ``--hypothesis-profile`` was given."""
    if settings is None:
        return
    try:
        chosen = config.getoption("hypothesis_profile")
    except ValueError:  # hypothesis's plugin not active
        chosen = None
    env = os.environ.get("GPDTHEORY_HYPOTHESIS_PROFILE")
    if chosen is None and env:
        settings.load_profile(env)


def pytest_sessionstart(session) -> None:
    """Register the ``st.from_type`` strategies (imports them only now, not at startup)."""
    if settings is None:
        return
    from .testing import strategies

    strategies.register_types()
