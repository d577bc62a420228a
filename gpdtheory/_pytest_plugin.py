"""The ``pytest11`` entry point ``gpdtheory`` (pyproject.toml): the ``ci`` and ``thorough``
hypothesis profiles (documented in :mod:`gpdtheory.testing.pytest_plugin`).

Without the ``testing`` extra (hypothesis) every hook does nothing: installing gpdtheory
without it must never break a project's pytest. Loading it imports hypothesis's settings
only; the ``st.from_type`` strategies are registered at session start, after hypothesis's
own plugin has loaded.

With plugin autoloading off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`` or
``--disable-plugin-autoload``), ``-p gpdtheory.testing.pytest_plugin`` alone gives
``--hypothesis-profile``: :func:`pytest_addoption` registers hypothesis's own plugin
(``_hypothesis_pytestplugin``) under its entry-point name ``hypothesispytest`` when nothing
has registered it yet, so with autoloading on the entry point then finds it loaded and
nothing is registered twice.
"""

from __future__ import annotations

import os

try:
    from hypothesis import HealthCheck, settings
    from hypothesis.errors import InvalidArgument
except ImportError:  # no hypothesis: no profiles to offer
    HealthCheck = settings = None
    InvalidArgument = Exception

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


#: The name hypothesis's pytest plugin has as a ``pytest11`` entry point.
HYPOTHESIS_PLUGIN = "hypothesispytest"
#: hypothesis's stub module for loading its plugin by hand (``-p``).
HYPOTHESIS_STUB = "hypothesis.extra.pytestplugin"


def pytest_addoption(parser, pluginmanager) -> None:
    """Register hypothesis's pytest plugin unless a plugin provides it already (module
    docstring).

    Called when this plugin is registered (``pytest_addoption`` is replayed for every plugin
    registered later), so the plugin registered here gets its options added at once. The
    stub name ``hypothesis.extra.pytestplugin`` is then blocked, so that an older command
    line that also passes ``-p hypothesis.extra.pytestplugin`` adds no option twice.
    """
    if settings is None:
        return
    try:
        import _hypothesis_pytestplugin as plugin
    except ImportError:  # an older hypothesis layout: its own entry point must load it
        return
    hook = getattr(plugin, "pytest_addoption", None)
    if any(getattr(p, "pytest_addoption", None) is hook for p in pluginmanager.get_plugins()):
        return  # loaded already: by its entry point, or by -p hypothesis.extra.pytestplugin
    if pluginmanager.is_blocked(HYPOTHESIS_PLUGIN):  # -p no:hypothesispytest
        return
    pluginmanager.register(plugin, HYPOTHESIS_PLUGIN)
    pluginmanager.set_blocked(HYPOTHESIS_STUB)


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
        try:
            settings.load_profile(env)
        except InvalidArgument:
            # hypothesis's own error would surface as an INTERNALERROR traceback
            import pytest

            raise pytest.UsageError(
                f"GPDTHEORY_HYPOTHESIS_PROFILE={env!r}: no hypothesis profile of that name is "
                f"registered. Fix: set it to one of gpdtheory's profiles "
                f"({', '.join(repr(name) for name in PROFILES)}), or register yours with "
                "hypothesis.settings.register_profile before pytest starts (a plugin)") from None


def pytest_sessionstart(session) -> None:
    """Register the ``st.from_type`` strategies (imports them only now, not at startup)."""
    if settings is None:
        return
    from .testing import strategies

    strategies.register_types()
