"""Work counters of the Toeplitz engine: transforms, iterations, ``O(N^2)`` kernel calls.

Tests and benchmarks count work instead of timing it (a count cannot flake on a shared
machine). The fast routes call :func:`count` with a name and an amount; a
:func:`counting` block collects every increment made while it is open, on any thread::

    with counting() as work:
        min_eig(r)
    work["transform"]      # real FFTs / DSTs of length ~N or ~2N (one per row)

Names used by the engine:

``"transform"``
    one real FFT, inverse FFT or DST-I of one row (any length ``~N`` to ``~2N``);
``"transform_length"``
    the sum of those lengths (so ``work["transform_length"] / N`` is the number of
    length-``N`` transforms' worth);
``"davidson_step"``, ``"lanczos_step"``
    steps of the sine-Davidson route and of its Krylov start;
``"quadratic_kernel"``
    calls of an ``O(N^2)`` recursion (Durbin, Levinson) from the eigenvalue routes,
    ``logdet`` and ``is_positive_definite``.

Outside a :func:`counting` block :func:`count` costs one attribute test.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["count", "count_transforms", "counting"]

_lock = threading.Lock()
_open: list[Counter] = []


def count(name: str, amount: int = 1) -> None:
    """Add ``amount`` to ``name`` in every open :func:`counting` block."""
    if not _open:
        return
    with _lock:
        for c in _open:
            c[name] += amount


def count_transforms(rows: int, length: int) -> None:
    """``rows`` transforms of ``length`` points each (see the module notes)."""
    if not _open:
        return
    count("transform", rows)
    count("transform_length", rows * length)


@contextmanager
def counting() -> Iterator[Counter]:
    """Collect the work done inside the block (nested blocks each see all of it)."""
    c: Counter = Counter()
    with _lock:
        _open.append(c)
    try:
        yield c
    finally:
        with _lock:
            _open.remove(c)
