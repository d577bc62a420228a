"""The real FFT itself: the engine's (ducc0, ``gpdtheory.toeplitz.realfft``) beside
``numpy.fft`` and ``scipy.fft`` (both pocketfft) in the same run, and beside the engine's
routes forced at every length: ducc0's real transform; the packed route
(``PACKED_MIN_LENGTH``: from 2^19 points the engine takes a complex transform of half the
length and one pass) with that complex transform in one piece; and the packed route with
it in four steps (``fourstep.FOUR_STEP_MIN_LENGTH``: from 2^18 complex points,
docs/theory.md §2.2 items 3 and 4).

One row per length ``2^14 ... 2^23`` (the lengths the Toeplitz routes use up to
N = 2^22): the time of one ``rfft`` + ``irfft`` pair, best of up to seven runs within
half a second, and the first pair at that length in this process (each library builds
and caches its twiddle factors on the first call at a length: users pay that once).
Every library transforms the same row; the last column is the largest difference of the
round trip from the input (all three are exact to a few ``eps``).

Run: ``python benchmarks/transforms.py`` or ``python benchmarks/run.py --only transforms``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.fft

from gpdtheory.toeplitz import fourstep, realfft

_NEVER = 1 << 62
#: The engine's routes forced: (PACKED_MIN_LENGTH, FOUR_STEP_MIN_LENGTH).
ROUTES = {"ducc0 real route": (_NEVER, _NEVER), "packed, one transform": (2, _NEVER),
          "packed, four steps": (2, 1)}


def _pair(lib: str, x: np.ndarray, F: np.ndarray, y: np.ndarray) -> None:
    n = x.shape[0]
    if lib == "gpdtheory (ducc0)":
        realfft.rfft(x, out=F)
        realfft.irfft(F, n, out=y, overwrite=True)
    elif lib in ROUTES:
        saved = realfft.PACKED_MIN_LENGTH, fourstep.FOUR_STEP_MIN_LENGTH
        realfft.PACKED_MIN_LENGTH, fourstep.FOUR_STEP_MIN_LENGTH = ROUTES[lib]
        try:
            realfft.rfft(x, out=F)
            realfft.irfft(F, n, out=y, overwrite=True)
        finally:
            realfft.PACKED_MIN_LENGTH, fourstep.FOUR_STEP_MIN_LENGTH = saved
    elif lib == "numpy.fft":
        np.fft.rfft(x, out=F)
        np.fft.irfft(F, n, out=y)
    else:
        F[:] = scipy.fft.rfft(x)
        y[:] = scipy.fft.irfft(F, n, overwrite_x=True)


LIBRARIES = ("gpdtheory (ducc0)", *ROUTES, "numpy.fft", "scipy.fft")


def transform_rows(exponents=range(14, 24), budget_s: float = 0.5) -> list[str]:
    """Markdown rows: per length, each library's first and best pair time (ms)."""
    rows = ["| length | " + " | ".join(f"{lib} first / best (ms)" for lib in LIBRARIES)
            + " | numpy / engine (best) | packed / real route (best) "
            "| four steps / one transform (best) | round trip max error |",
            "|---|" + "---|" * (len(LIBRARIES) + 4)]
    for e in exponents:
        n = 2**e
        x = np.random.default_rng(e).standard_normal(n)
        F = np.empty(n // 2 + 1, dtype=np.complex128)
        y = np.empty(n)
        cells, bests, err = [], {}, 0.0
        for lib in LIBRARIES:
            t0 = time.perf_counter()
            _pair(lib, x, F, y)
            first = time.perf_counter() - t0
            err = max(err, float(np.max(np.abs(y - x))))
            best, spent = np.inf, 0.0
            for _ in range(7):
                t0 = time.perf_counter()
                _pair(lib, x, F, y)
                t = time.perf_counter() - t0
                best, spent = min(best, t), spent + t
                if spent > budget_s:
                    break
            bests[lib] = best
            cells.append(f"{first * 1e3:.2f} / {best * 1e3:.2f}")
        ratio = bests["numpy.fft"] / bests["gpdtheory (ducc0)"]
        packed = bests["packed, one transform"] / bests["ducc0 real route"]
        four = bests["packed, four steps"] / bests["packed, one transform"]
        rows.append(f"| 2^{e} | " + " | ".join(cells) + f" | {ratio:.2f} | {packed:.2f} "
                    f"| {four:.2f} | {err:.1e} |")
        print(rows[-1], flush=True)
    return rows


def concurrent_rows(exponents=range(19, 24), pairs: int = 4, runs: int = 5) -> list[str]:
    """Markdown rows: one rfft + irfft pair per row, two rows in flight on two threads (as
    the score's row tasks run them), with the long complex half in one piece and in four
    steps: time per pair (ms), best of ``runs`` runs of ``pairs`` pairs per thread."""
    rows = ["| length | packed, one transform (ms per pair) | packed, four steps "
            "(ms per pair) | four steps / one transform |", "|---|---|---|---|"]
    with ThreadPoolExecutor(2) as pool:
        for e in exponents:
            n = 2**e
            rng = np.random.default_rng(e)
            xs = [rng.standard_normal(n) for _ in range(2)]
            bufs = [(np.empty(n // 2 + 1, dtype=np.complex128), np.empty(n)) for _ in xs]
            best = {}
            for lib in ("packed, one transform", "packed, four steps"):
                def work(i: int, xs: list = xs, bufs: list = bufs, n: int = n) -> None:
                    F, y = bufs[i]
                    for _ in range(pairs):
                        realfft.rfft(xs[i], out=F)
                        realfft.irfft(F, n, out=y, overwrite=True)

                # the route is set once for both threads (``_pair`` sets and restores it
                # around each call, which two threads would race on)
                saved = realfft.PACKED_MIN_LENGTH, fourstep.FOUR_STEP_MIN_LENGTH
                realfft.PACKED_MIN_LENGTH, fourstep.FOUR_STEP_MIN_LENGTH = ROUTES[lib]
                try:
                    list(pool.map(work, range(2)))      # first calls: plans and tables
                    t = np.inf
                    for _ in range(runs):
                        t0 = time.perf_counter()
                        list(pool.map(work, range(2)))
                        t = min(t, (time.perf_counter() - t0) / pairs)
                finally:
                    realfft.PACKED_MIN_LENGTH, fourstep.FOUR_STEP_MIN_LENGTH = saved
                best[lib] = t
            one, four = best["packed, one transform"], best["packed, four steps"]
            rows.append(f"| 2^{e} | {one * 1e3:.1f} | {four * 1e3:.1f} | {four / one:.2f} |")
            print(rows[-1], flush=True)
    return rows


if __name__ == "__main__":
    print("\n".join(transform_rows()))
    print("\n".join(concurrent_rows()))
