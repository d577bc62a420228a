"""pytest plugin of gpdtheory: the ``ci`` and ``thorough`` hypothesis profiles.

The hooks live in :mod:`gpdtheory._pytest_plugin`, the ``pytest11`` entry point
``gpdtheory`` (pyproject.toml), which does nothing when hypothesis is not installed (it never
breaks a project's pytest) and never imports the strategies before hypothesis's own plugin has
loaded. This module re-exports them (it needs the ``testing`` extra), so in any project with
gpdtheory installed::

    pytest --hypothesis-profile=thorough     # many random examples
    pytest --hypothesis-profile=ci           # few, derandomized: reproducible CI

or, where plugin autoloading is disabled (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``)::

    pytest -p gpdtheory.testing.pytest_plugin --hypothesis-profile=ci

which also loads hypothesis's own plugin (no ``-p hypothesis.extra.pytestplugin`` needed);
every route works under ``-W error``.

``ci``        derandomized, 25 examples: fast and reproducible.
``thorough``  2000 random examples: nightly or local deep runs.

Both use ``deadline=None`` (the first call of a Numba function compiles it) and suppress the
``too_slow`` and ``data_too_large`` health checks. Without ``--hypothesis-profile`` the
environment variable ``GPDTHEORY_HYPOTHESIS_PROFILE`` selects one; otherwise hypothesis's
own default stays active. Loading the plugin also registers the ``st.from_type``
strategies of :mod:`gpdtheory.testing.strategies` at the first test session.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from .._extras import require

    require("hypothesis", "testing")
    raise

from .._pytest_plugin import (
    PROFILES,
    pytest_addoption,
    pytest_configure,
    pytest_sessionstart,
    register_profiles,
)

__all__ = ["PROFILES", "register_profiles", "pytest_addoption", "pytest_configure",
           "pytest_sessionstart"]
