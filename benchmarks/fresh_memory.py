"""What fresh memory costs on this machine, and why the engine's workspace is mapped.

Two measurements, printed as Markdown (``python benchmarks/fresh_memory.py``; about
a minute):

1. **First touch after a pause.** Write 256 MB into a new array, free it, wait, and
   write a new one. Memory the process freed a moment ago comes back cheaply; in a virtual
   machine whose host reclaims freed guest memory (free page reporting), memory freed a
   second or more ago costs a fault in the host as well. The table gives ms per MB for
   each pause.
2. **Long-lived buffers on a pool thread's heap.** One rows PCG solve (16 systems of
   N = 2^20, Logarithmic(2, 1), recycled, two threads) in fresh processes, alternately
   with the workspace's per-thread rows from NumPy (a pool thread's rows then come from
   that thread's glibc arena) and mapped (:func:`gpdtheory.toeplitz.threads.zeros`).
   Minor page faults by ``getrusage`` (Linux): the process's during the solve, and the
   pool thread's over its life.
"""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import sys
import time

import numpy as np

import gpdtheory as gp

MB = 1 << 20


def first_touch(pauses=(0.0, 0.5, 1.0, 2.0, 4.0), size_mb: int = 256) -> list[str]:
    rows = ["| pause before the new array (s) | first touch (ms per MB) |", "|---|---|"]
    n = size_mb * MB // 8
    a = np.empty(n)
    a[:] = 1.0
    del a
    for pause in pauses:
        time.sleep(pause)
        t0 = time.perf_counter()
        a = np.empty(n)
        a[:] = 1.0
        t = time.perf_counter() - t0
        del a
        rows.append(f"| {pause:g} | {1e3 * t / size_mb:.3f} |")
    return rows


def _solve(heap: bool) -> dict:
    """One rows PCG solve (16 systems of N = 2^20, Logarithmic(2, 1), recycled) in this
    process, with the workspace's rows from NumPy (``heap``) or mapped: seconds, minor page
    faults of the whole process, and the pool threads' share of them."""
    from gpdtheory.toeplitz import rows_pcg, threads

    if heap:
        threads.zeros = lambda shape, dtype=np.float64: np.zeros(shape, dtype)
    N, k = 1 << 20, 16
    r = gp.Logarithmic(2.0, 1.0).autocovariance(N)
    scale, shift = np.linspace(0.2, 2.0, k), np.full(k, 0.03)
    warm = gp.Logarithmic(2.0, 1.0).autocovariance(4096)
    rows_pcg.pcg_rows(warm, np.ones((k, 4096)), scale, shift)       # compile outside
    B = np.random.default_rng(0).standard_normal((k, N))
    pool: list[int] = []

    def count() -> None:
        pool.append(resource.getrusage(resource.RUSAGE_THREAD).ru_minflt)

    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    t0 = time.perf_counter()
    rows_pcg.pcg_rows(r, B, scale, shift)
    t = time.perf_counter() - t0
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    threads.parallel([count, count])                     # the pool thread's lifetime count
    return {"seconds": t, "faults": faults, "pool thread faults": max(pool)}


def pool_thread_buffers(pairs: int = 3) -> list[str]:
    """Alternating fresh processes, heap then mapped, ``pairs`` times."""
    rows = ["| workspace rows | time (s) | minor page faults during the solve | the pool "
            "thread's, over its life (warm-up included) |", "|---|---|---|---|"]
    for _ in range(pairs):
        for heap in (True, False):
            out = subprocess.run([sys.executable, __file__, "--solve",
                                  "heap" if heap else "mapped"], check=True,
                                 capture_output=True, text=True).stdout
            got = json.loads(out.strip().splitlines()[-1])
            name = "NumPy (a pool thread's rows on its heap)" if heap else \
                "mapped (threads.zeros)"
            rows.append(f"| {name} | {got['seconds']:.2f} | {got['faults']} | "
                        f"{got['pool thread faults']} |")
    return rows


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--solve":
        print(json.dumps(_solve(sys.argv[2] == "heap")))
        return
    print(f"Machine: {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, numpy {np.__version__}.\n")
    print("### First touch of a new 256 MB array after a pause\n")
    print("\n".join(first_touch()))
    print("\n### One rows PCG solve, 16 systems of N = 2^20, fresh processes\n")
    print("\n".join(pool_thread_buffers()))


if __name__ == "__main__":
    main()
