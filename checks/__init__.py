"""The claim table of gpdtheory: every bound of docs/theory.md as a named, runnable check.

The claim modules (:data:`CLAIM_MODULES`, in table order) and the plugins' claims are
loaded on first use: the first read of :data:`gpdtheory_checks.table.CLAIMS` or the first use of a
name of this package (``gpdtheory_checks.run``, ``gpdtheory_checks.CLAIMS``, ...), or
:func:`load_claims`. So
``gpdtheory --help``, ``--version`` and ``--list`` start without importing torch, sympy or
Numba-compiled code. Run the claims with :func:`gpdtheory_checks.runner.run` or ``gpdtheory check``.
"""

from __future__ import annotations

import importlib
from typing import Any

from .table import CLAIMS

#: The modules that register claims, in table order (section order of docs/theory.md,
#: roughly): asymptotics (§2), construct (§5), core (§§2-3), distribution (§6), gd (§3,
#: Theorem S), models (§8), paper, paper_attention and paper_architectures (§9), scenario
#: (runs only with a user's scenario), training and training_slope (§§7-8), truncation
#: (§§3-4), video (moving-ball video).
CLAIM_MODULES = ("asymptotics", "construct", "core", "distribution", "gd", "models", "paper",
                 "paper_attention", "paper_architectures", "scenario", "training",
                 "training_slope", "truncation", "video")

#: Public names and the module of this package each comes from.
_HOME = {"CheckConfig": "table", "Measurement": "table", "Row": "table", "claim": "table",
         "format_table": "table", "run": "runner", "select": "runner",
         "write_json": "runner"}

__all__ = ["CLAIMS", "CheckConfig", "Measurement", "Row", "claim", "format_table", "run", "select",
           "write_json", "load_claims", "CLAIM_MODULES"]


def load_claims() -> None:
    """Import every claim module (registering its claims), then the plugins' claims.

    Idempotent. Plugins (entry-point group ``gpdtheory.claims``) load after ours.
    """
    for name in CLAIM_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    from .plugins import load_plugins

    load_plugins()


CLAIMS.set_loader(load_claims, order=[f"{__name__}.{m}" for m in CLAIM_MODULES])


def __getattr__(name: str) -> Any:
    if name in _HOME:
        CLAIMS.load()
        value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
