"""Fresh memory faulted in ahead of its use, on a thread of its own (:class:`Toucher`).

The first write to a page of a new array costs a page fault; on the virtual machine of
benchmarks/RESULTS.md this runs at 1-2.5 ms per MB, so the ``(K, N)`` arrays of the rows
PCG (``K N = 2^24`` doubles: 128 MB each) cost tenths of a second apiece the first time they
are written. Where a phase leaves a core idle (the single-row reference pass of
:mod:`.rows_pcg`), a second thread can take those faults beforehand.

Two ways to fault a page in:

* :func:`populate`: ``madvise(MADV_POPULATE_WRITE)`` (Linux 5.14 and later) maps the pages
  writable **without changing their contents**, so it is safe on memory that another
  thread is writing at the same time;
* writing zeros, where that advice is not available: only for arrays that are zero already
  and that nobody else reads or writes until :meth:`Toucher.finish`.

Either way the contents seen by the computation are the same: the thread changes
timing, never values.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading

import numpy as np

__all__ = ["populate", "Toucher"]

_MADV_POPULATE_WRITE = 23
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
#: None until the first call says whether the running kernel has the advice.
_SUPPORTED: bool | None = None if sys.platform.startswith("linux") else False
_MADVISE = None


def _madvise():
    global _MADVISE
    if _MADVISE is None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.madvise
        fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        fn.restype = ctypes.c_int
        _MADVISE = fn
    return _MADVISE


def populate(a: np.ndarray) -> bool:
    """Fault in, for writing, every page that holds part of the contiguous array ``a``,
    leaving its contents as they are (``madvise(MADV_POPULATE_WRITE)``).

    Returns False, having done nothing, where the system has no such advice (not Linux, or
    a kernel before 5.14) or ``a`` is not contiguous; True otherwise. The call releases the
    GIL (ctypes), so it runs beside the computation.
    """
    global _SUPPORTED
    if _SUPPORTED is False or not a.flags.c_contiguous:
        return False
    if a.nbytes == 0:
        return True
    address = a.ctypes.data
    start = address - address % _PAGE
    end = address + a.nbytes
    try:
        status = _madvise()(start, end - start, _MADV_POPULATE_WRITE)
    except (OSError, AttributeError):  # no C library to call
        status = -1
    if status != 0:
        _SUPPORTED = False  # EINVAL: the kernel does not know the advice
        return False
    _SUPPORTED = True
    return True


class Toucher:
    """Faults in arrays on a thread of its own, a row at a time, until :meth:`finish`.

    Parameters
    ----------
    shared : list of ndarray
        Arrays that the caller may write while the thread runs: populated only
        (:func:`populate`), skipped where that is not available.
    private : list of ndarray
        Arrays that are zero and that nobody reads or writes until :meth:`finish`:
        populated, or where that is not available, written with zeros.

    The thread takes ``shared`` first (they are written soonest), then ``private``; every
    row is optional: :meth:`finish` stops the thread after the row in hand, and the pages
    not reached are faulted in by their first write, as without the thread.
    """

    def __init__(self, shared: list[np.ndarray], private: list[np.ndarray]):
        self._stop = threading.Event()

        def rows(a: np.ndarray):
            return a if a.ndim > 1 else a[None, :]

        def touch() -> None:
            for arrays, may_write in ((shared, False), (private, True)):
                for a in arrays:
                    for row in rows(a):
                        if self._stop.is_set():
                            return
                        if not populate(row):
                            if not may_write:
                                break
                            row.fill(0.0)

        self._thread = threading.Thread(target=touch, name="gpd-touch", daemon=True)
        self._thread.start()

    def finish(self) -> None:
        """Stop the thread after the row in hand, and wait for it."""
        self._stop.set()
        self._thread.join()
