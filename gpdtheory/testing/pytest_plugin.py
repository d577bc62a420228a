"""pytest plugin of gpdtheory: the ``ci`` and ``thorough`` hypothesis profiles.

Installed as the ``pytest11`` entry point ``gpdtheory`` (pyproject.toml), so in any project
with gpdtheory installed::

    pytest --hypothesis-profile=thorough     # many random examples
    pytest --hypothesis-profile=ci           # few, derandomized: reproducible CI

(or ``-p gpdtheory.testing.pytest_plugin`` where plugin autoloading is disabled).

``ci``        derandomized, 25 examples: fast and reproducible.
``thorough``  2000 random examples: nightly or local deep runs.

Both use ``deadline=None`` (the first call of a Numba kernel compiles it) and suppress the
``too_slow`` and ``data_too_large`` health checks. Without ``--hypothesis-profile`` the
environment variable ``GPDTHEORY_HYPOTHESIS_PROFILE`` selects one; otherwise hypothesis's
own default stays active. Loading the plugin also registers the ``st.from_type``
strategies of :mod:`gpdtheory.testing.strategies` at the first test session.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["PROFILES", "register_profiles"]

_COMMON = {"deadline": None, "print_blob": True,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
#: The profiles' settings, by name.
PROFILES = {"ci": {"max_examples": 25, "derandomize": True, **_COMMON},
            "thorough": {"max_examples": 2000, **_COMMON}}


def register_profiles() -> None:
    """Register the ``ci`` and ``thorough`` profiles with hypothesis (idempotent)."""
    for name, kw in PROFILES.items():
        settings.register_profile(name, **kw)


register_profiles()  # at import: before hypothesis's plugin reads --hypothesis-profile


def pytest_configure(config) -> None:
    """Load ``GPDTHEORY_HYPOTHESIS_PROFILE`` unless ``--hypothesis-profile`` was given."""
    try:
        chosen = config.getoption("hypothesis_profile")
    except ValueError:  # hypothesis's plugin not active
        chosen = None
    env = os.environ.get("GPDTHEORY_HYPOTHESIS_PROFILE")
    if chosen is None and env:
        settings.load_profile(env)


def pytest_sessionstart(session) -> None:
    """Register the ``st.from_type`` strategies (imports gpdtheory only now, not at startup)."""
    from . import strategies

    strategies.register_types()
