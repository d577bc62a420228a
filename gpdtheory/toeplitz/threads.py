"""Threads of the engine: Numba's threading layer, a process-wide pool for row tasks, and
per-thread buffers (:class:`Workspace`).

Threading layer
---------------
Importing this module (every compiled parallel kernel of the engine imports it first) sets
``numba.config.THREADING_LAYER = "forksafe"`` unless the user chose a layer (the
``NUMBA_THREADING_LAYER`` environment variable, or ``numba.config.THREADING_LAYER`` set
before gpdtheory is imported). Numba picks, in that order, TBB, a non-GNU OpenMP, or its
own ``workqueue``. The default would load GNU OpenMP where TBB is missing, and GNU OpenMP
does not survive ``fork``: a forked child (``multiprocessing``'s default start method on
Linux, ``ProcessPoolExecutor``) that runs a parallel kernel after the parent did is
killed ("fork() called from a process already using GNU OpenMP"), and the pool breaks.
The setting must precede the first parallel launch in the process; a layer already
launched stays.

``workqueue`` is not thread-safe: two Python threads launching parallel Numba functions at once
abort the process. The engine's parallel functions are therefore launched under
:data:`LAUNCH_LOCK` (:func:`launch`); each launch uses every Numba thread, so serialising
them costs nothing in throughput. Results do not depend on the layer: every parallel loop
gives each row to one thread.

Row tasks
---------
The transforms (ducc0's, :mod:`.realfft`) and ``nogil`` Numba functions release the GIL,
so tasks that each transform one row run in parallel on threads. One row per call is
deliberate (see :func:`parallel`);
no result depends on which thread ran a task, so results are bitwise independent of the
thread count. A forked child makes its own pool and locks (``os.register_at_fork``):
threads do not survive ``fork``, and a lock held by a parent thread at the fork would be
held forever in the child.
"""

from __future__ import annotations

import mmap
import os
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numba as nb
import numpy as np

__all__ = ["parallel", "threads", "launch", "LAUNCH_LOCK", "Workspace", "zeros"]

# numba's stubs do not declare its runtime settings (numba.config is filled in at import)
if ("NUMBA_THREADING_LAYER" not in os.environ
        and nb.config.THREADING_LAYER == "default"):  # type: ignore[attr-defined]
    nb.config.THREADING_LAYER = "forksafe"  # type: ignore[attr-defined]

_POOL: tuple[int, ThreadPoolExecutor] | None = None
_POOL_PREFIX = "gpd-fft"
_POOL_LOCK = threading.Lock()
#: Held while one of the engine's ``parallel=True`` functions runs (see the module notes).
LAUNCH_LOCK = threading.RLock()


def _after_fork_in_child() -> None:
    global _POOL, _POOL_LOCK, LAUNCH_LOCK
    _POOL = None
    _POOL_LOCK = threading.Lock()
    LAUNCH_LOCK = threading.RLock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def launch(kernel, *args):
    """``kernel(*args)`` for a ``parallel=True`` kernel, one launch at a time per process."""
    with LAUNCH_LOCK:
        return kernel(*args)


def threads() -> int:
    """Numba's thread count: it follows ``NUMBA_NUM_THREADS`` and ``numba.set_num_threads``,
    so one setting bounds every thread of the iteration."""
    return max(int(nb.get_num_threads()), 1)


def _pool() -> ThreadPoolExecutor:
    """One pool per process (a forked child makes its own: threads do not survive fork)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():
            # the caller takes a share itself (:func:`parallel`): one pool thread fewer than
            # Numba's, so that a call's per-thread buffers exist on at most that many
            # threads even after concurrent callers (a spare idle thread would take jobs
            # in turn and make its own buffers)
            workers = nb.config.NUMBA_NUM_THREADS - 1  # type: ignore[attr-defined]
            _POOL = (os.getpid(), ThreadPoolExecutor(max(workers, 1),
                                                     thread_name_prefix=_POOL_PREFIX))
        return _POOL[1]


def parallel(tasks: list) -> None:
    """Run the independent ``tasks`` (callables) on the transform threads.

    NumPy's transforms and the ``nogil`` compiled functions release the GIL. A task transforms one
    row at a time on purpose: a multi-row transform vectorises over rows with a scratch
    buffer of 4 rows (32 MB at N = 2^20), above glibc's largest mmap threshold, so every
    such call maps and faults in fresh pages (measured: 20 000 page faults per call, none
    for single rows, at the same speed per row). No result depends on which thread ran it.
    """
    workers = min(threads(), len(tasks))
    # a task that itself asks for threads (a lone row's transform inside a row task) runs
    # its share inline: a pool thread waiting on the pool could wait forever
    if workers <= 1 or threading.current_thread().name.startswith(_POOL_PREFIX):
        for task in tasks:
            task()
        return

    def run(share: list) -> None:
        for task in share:
            task()

    # the calling thread takes the first share: one buffer set per thread that works, and
    # no idle caller
    jobs = [_pool().submit(run, tasks[w::workers]) for w in range(1, workers)]
    try:
        run(tasks[0::workers])
    finally:
        for job in jobs:
            job.result()


#: Buffers of at least this many bytes are mapped directly (:func:`zeros`).
MAPPED_MIN_BYTES = 1 << 20


def zeros(shape: int | tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """A zero-filled array; from :data:`MAPPED_MIN_BYTES` up, in its own private anonymous
    mapping instead of the heap.

    With long-lived rows on a pool thread's heap (glibc gives each thread an arena), the
    transforms that thread ran next faulted their scratch in again on every call: one
    rows PCG solve of 16 x 2^20 took 606 000-624 000 minor page faults and 4.1-5.5 s,
    against 15 900-16 900 and 3.8-3.9 s with the rows mapped (benchmarks/fresh_memory.py,
    fresh processes). The likely cause is the arena trimming its top whenever the scratch
    above the long-lived rows is freed. A mapping is outside every arena, zero-filled by the
    kernel, private (a forked child writes its own copy), and asks for transparent huge
    pages as NumPy's large allocations do.

    While :mod:`tracemalloc` traces, the buffer comes from NumPy like any other, so that
    memory measurements (tests/toeplitz/test_davidson_memory.py, benchmarks/goals.py)
    count it: ``tracemalloc`` does not see mappings.
    """
    kind = np.dtype(dtype)
    count = int(np.prod(shape))
    nbytes = count * kind.itemsize
    if (nbytes < MAPPED_MIN_BYTES or tracemalloc.is_tracing()
            or not hasattr(mmap, "MAP_PRIVATE")):      # Windows: no private anonymous maps
        return np.zeros(shape, kind)
    region = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE,
                       prot=mmap.PROT_READ | mmap.PROT_WRITE)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        region.madvise(mmap.MADV_HUGEPAGE)
    return np.frombuffer(region, dtype=kind, count=count).reshape(shape)


class Workspace:
    """Buffers kept for the length of one call: blocks of rows handed out as views of a
    buffer's leading rows, and one row per transform thread.

    The sine-Davidson route and the rows-as-systems CG keep one per call. On the 2-core
    machine of benchmarks/RESULTS.md, touching memory the host has taken back costs
    1.1-1.4 ms per MB (benchmarks/fresh_memory.py): at N = 2^20 a fresh ``(16, N)``
    temporary can cost more than the transforms that fill it. Everything the iteration
    writes is therefore allocated once per call (:func:`zeros`).
    """

    def __init__(self):
        self._buffers: dict[tuple, np.ndarray] = {}
        self._lock = threading.Lock()

    def get(self, name: str, rows: int, cols: int, dtype: type = np.float64) -> np.ndarray:
        """``(rows, cols)``, a view valid until the next request under ``name``; zero-filled
        when made, so padding its users never write stays zero."""
        buf = self._buffers.get((name,))
        if buf is None or buf.shape[0] < rows or buf.shape[1] != cols:
            buf = zeros((rows, cols), dtype)
            self._buffers[(name,)] = buf
        return buf[:rows]

    def spectrum(self, name: str, length: int) -> np.ndarray:
        """This thread's buffer under ``name`` for the spectrum of a real FFT of ``length``
        (``length // 2 + 1`` complex entries, :meth:`row`'s rules)."""
        return self.row(name, length // 2 + 1, np.complex128)

    def row(self, name: str, cols: int, dtype: type = np.float64) -> np.ndarray:
        """This thread's own ``(cols,)`` buffer under ``name``: the leading part of the
        longest one the thread asked for under that name (zero-filled when made; entries a
        caller writes stay written, so callers of several lengths clear what they need)."""
        key = (name, threading.get_ident())
        buf = self._buffers.get(key)
        if buf is None or buf.shape[0] < cols or buf.dtype != dtype:
            buf = zeros(cols, dtype)
            with self._lock:
                self._buffers[key] = buf
        return buf[:cols]
