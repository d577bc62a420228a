"""Claims from other packages: the ``gpdtheory.claims`` entry-point group.

A package registers claims with the same decorator as the built-in ones
(:func:`gpdtheory_checks.table.claim`) in a module it names in its ``pyproject.toml``::

    [project.entry-points."gpdtheory.claims"]
    mylab = "mylab.gpd_claims"

Importing :mod:`checks` loads every such entry point (a module is imported, which runs its
``@claim`` decorators; a callable is called with no argument), so ``gpdtheory check``
lists and runs them with the same table, JSON and report, in this process and in every
worker process. An entry point that fails to load becomes one claim ``plugin.<name>``
whose single row is an ``ERROR`` naming the exception: a broken plugin is reported, never
silently skipped, and never stops the built-in claims.
"""

from __future__ import annotations

import importlib.metadata
import types

from .table import CLAIMS, Claim

__all__ = ["GROUP", "load_plugins", "LOADED"]

#: The entry-point group other packages register claims under.
GROUP = "gpdtheory.claims"
#: ``{entry point name: "ok" | error text}`` of the entry points loaded so far.
LOADED: dict[str, str] = {}


class PluginLoadError(Exception):
    """An entry point of ``gpdtheory.claims`` could not be loaded."""


def _broken(name: str, text: str):
    def func(cfg):
        """Reports a plugin that failed to load.

        measured: nothing (the plugin did not load); bound: none; the row is an ERROR.
        """
        raise PluginLoadError(f"entry point {name!r} of group {GROUP!r} failed to load: {text}. "
                              "Fix: repair or uninstall the package that provides it")

    return func


def load_plugins() -> dict[str, str]:
    """Load every ``gpdtheory.claims`` entry point once; return :data:`LOADED`."""
    for ep in importlib.metadata.entry_points(group=GROUP):
        if ep.name in LOADED:
            continue
        try:
            obj = ep.load()
            if callable(obj) and not isinstance(obj, types.ModuleType):
                obj()
            LOADED[ep.name] = "ok"
        except Exception as exc:  # reported as an ERROR row, never swallowed
            text = f"{type(exc).__name__}: {exc}"
            LOADED[ep.name] = text
            cid = f"plugin.{ep.name}"
            if cid not in CLAIMS:
                CLAIMS[cid] = Claim(cid, "-", f"entry point {ep.value} ({GROUP})",
                                    _broken(ep.name, text))
    return LOADED
