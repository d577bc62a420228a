"""Optional dependencies: import one or raise :class:`~gpdtheory.errors.MissingExtraError`.

The core (numpy, scipy, numba, sympy) is always installed; everything else comes with an
extra (pyproject.toml): ``torch`` (torch, safetensors, tqdm), ``sklearn`` (scikit-learn),
``gpytorch`` (GPyTorch's kernels, :mod:`gpdtheory.kernel_adapters_gpytorch`),
``report`` (matplotlib, tqdm), ``testing`` (hypothesis), ``dask`` (dask, distributed),
``diffusers``, and ``all``. A module that needs one starts with, e.g.::

    torch = require("torch", "torch")

so that a missing package is an error naming the extra, never a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from .errors import MissingExtraError

__all__ = ["require", "progress_bar"]


def require(module: str, extra: str, needed_by: str | None = None) -> ModuleType:
    """Import ``module`` and return it; if it is not installed raise
    :class:`MissingExtraError` naming ``pip install 'gpdtheory[extra]'``.

    ``needed_by`` defaults to the calling module's name.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        missing = getattr(exc, "name", None)
        # Only a missing ``module`` (or its top package) is the user's missing extra; an
        # ImportError raised from inside an installed package is a real bug: re-raise it.
        if missing is not None and missing not in (module, top) and not module.startswith(
                missing + "."):
            raise
        if needed_by is None:
            needed_by = sys._getframe(1).f_globals.get("__name__", "gpdtheory")
        raise MissingExtraError(top, extra, needed_by) from exc


class _NoBar:
    """What :func:`progress_bar` returns when no bar is shown: tqdm's interface, doing nothing."""

    def __init__(self, iterable=None):
        self._iterable = iterable

    def __iter__(self):
        return iter(self._iterable if self._iterable is not None else ())

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None

    def set_postfix_str(self, *args, **kwargs) -> None:
        return None

    def close(self) -> None:
        return None


def progress_bar(iterable=None, *, show: bool, **kwargs):
    """A ``tqdm`` bar when ``show`` (tqdm comes with the ``report`` and ``torch`` extras; a
    missing one is :class:`MissingExtraError`), else a do-nothing stand-in: hiding the bar
    never needs tqdm."""
    if not show:
        return _NoBar(iterable)
    tqdm = require("tqdm.auto", "report", "a progress bar").tqdm
    return tqdm(iterable, **kwargs)
