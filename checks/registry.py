"""The claim registry: a dict that loads the claim catalogue the first time it is read.

Importing :mod:`checks` imports no claim module (each pulls in torch, sympy or Numba-compiled
code, seconds of start-up that ``gpdtheory --help``, ``--version`` and ``--list`` never
need). The first *read* of :data:`gpdtheory_checks.table.CLAIMS` (a look-up, ``in``, iteration,
``len``) runs the loader that :mod:`checks` installs, which imports every claim module and
the plugins. Registration (``CLAIMS[id] = claim`` from the ``@claim`` decorator) never
triggers it.

Order: after loading, the claims are ordered by the rank of the module that registered
them (the loader's module order, plugins last), then by registration, so the table order
does not depend on which claim module happened to be imported first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["ClaimRegistry"]


class ClaimRegistry(dict):
    """``{claim id: Claim}`` that runs its loader before the first read (module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._loader: Callable[[], None] | None = None
        self._order: Sequence[str] = ()
        self._state = "idle"  # idle -> loading -> loaded
        # Threads of one worker process (Dask runs several tasks at once) read concurrently:
        # a second thread waits for the first one's load instead of seeing a half-filled
        # table; the loading thread's own re-entrant reads pass (RLock).
        self._lock = threading.RLock()

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def set_loader(self, loader: Callable[[], None], order: Sequence[str] = ()) -> None:
        """Install ``loader`` (imports the claim modules) and the modules' table order."""
        self._loader, self._order = loader, tuple(order)

    def registered(self, claim_id: str) -> bool:
        """Whether ``claim_id`` is registered already, without loading anything."""
        return dict.__contains__(self, claim_id)

    def load(self) -> None:
        """Run the loader once (re-entrant reads while it runs see what is registered)."""
        if self._state == "loaded" or self._loader is None:
            return
        with self._lock:
            if self._state != "idle":  # loaded meanwhile, or this thread is loading
                return
            self._state = "loading"
            try:
                self._loader()
            except BaseException:
                self._state = "idle"
                raise
            self._reorder()
            self._state = "loaded"

    def _reorder(self) -> None:
        rank = {m: i for i, m in enumerate(self._order)}

        def key(item: tuple[int, tuple[str, Any]]) -> tuple[int, int]:
            module = getattr(getattr(item[1][1], "func", None), "__module__", "")
            return (rank.get(module, len(rank)), item[0])

        items = sorted(enumerate(dict.items(self)), key=key)
        dict.clear(self)
        dict.update(self, [kv for _, kv in items])

    # -- every read loads first ------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        self.load()
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        self.load()
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[str]:
        self.load()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self.load()
        return dict.__len__(self)

    def get(self, key: str, default: Any = None) -> Any:
        self.load()
        return dict.get(self, key, default)

    def keys(self):
        self.load()
        return dict.keys(self)

    def values(self):
        self.load()
        return dict.values(self)

    def items(self):
        self.load()
        return dict.items(self)

    def __repr__(self) -> str:
        self.load()
        return dict.__repr__(self)
