"""PyTorch for the modules that need it: one import, and a missing ``torch`` extra named.

The network modules import ``torch`` and ``nn`` from here. When PyTorch is not installed
the import raises :class:`~gpdtheory.errors.MissingExtraError` naming
``pip install 'gpdtheory[torch]'`` and the module that asked for it, never a bare
``ModuleNotFoundError``.
"""

from __future__ import annotations

import sys

__all__ = ["torch", "nn"]


def _asking_module() -> str:
    """The innermost :mod:`gpdtheory` module (other than this one) being imported."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith("gpdtheory") and name not in (__name__, "gpdtheory._extras"):
            return name
        frame = frame.f_back
    return "gpdtheory"


try:
    import torch
    from torch import nn
except ImportError:
    from ._extras import require

    require("torch", "torch", needed_by=_asking_module())
    raise
