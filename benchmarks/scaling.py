"""Scaling sweep of every entry point beside the transform floor, one run, one machine.

For each operation and N = 2^a .. 2^b: the wall time, the *transform floor* (the time of
the fewest real FFTs of the embedding length ``M = embedding_length(N) ~ 2N`` that the
problem needs, measured in the same run just before the operation) and their ratio, the
doubling ratio ``t(2N) / t(N)`` (near-linear: about 2.1), the work counted by
:mod:`gpdtheory.toeplitz.work` and the agreement with an independent route. Floors:

* ``min_eig`` / ``max_eig``: 3 (the symbol and one product ``T x``: no method can avoid
  touching ``T`` once); exact ``condition_number``: 6; ``bounds``: 2;
* ``score`` (d rows): ``4 d + 1`` (the symbol, then per row one preconditioned solve: a
  circulant inverse and one product, two transforms each);
* ``sample`` (one draw, d features): ``d + 1``;
* ``logdet`` and ``is_positive_definite``: 1 (the symbol). ``logdet`` runs the superfast
  Schur algorithm (``O(N log^2 N)``); ``is_positive_definite`` answers from the certified
  symbol bracket when it is conclusive (else superfast Schur, else Durbin).

Independent routes: the Durbin-certified ``method="lanczos"`` (``O(N^2)``, up to 2^16) and,
beyond, the certified ``O(N log N)`` bracket of :func:`gpdtheory.toeplitz.eigenvalue_bounds`
(the value must lie inside it); ARPACK on the FFT product for ``max_eig`` (well separated).
``logdet``: Durbin's ``O(N^2)`` recursion up to ``quadratic_max``; at every N the last
prediction error ``e_{N-1} = 1 / (T^{-1})_{00}`` (= ``det T_N / det T_{N-1}``, the product of
every ``1 - k_j^2`` the route computed) against a circulant-preconditioned CG solve of
``T x = e_0``.

Timing: an operation's time, like its floor, is the best of ``REPEATS`` (5) runs at every N.
The cheapest operations take a few milliseconds at 2^16-2^19, where a best of three still
varied by up to 1.9x between runs on the VM of benchmarks/RESULTS.md
(``is_positive_definite`` at 2^18: 4.2 and 7.8 ms). The same count at every N keeps the
doubling ratio fair: a best of three at N against a
single run at 2N (whose fresh memory alone can cost a second on the VM of
benchmarks/RESULTS.md) would charge the doubling with the difference between a best and a
typical run. Each run of a first call starts from a new ``GPSpec``, made outside the timed
region; a second call runs on the spec of the first call's first run.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import scipy.fft
import scipy.sparse.linalg

import gpdtheory as gp
import gpdtheory.toeplitz as tz
from gpdtheory.toeplitz.lengths import embedding_length
from gpdtheory.toeplitz.realfft import irfft, rfft
from gpdtheory.toeplitz.work import counting

KERNEL = ("Polynomial(2, 1.5)", gp.Polynomial(2.0, 1.5))
T_SCORE = 0.5


#: Runs of an operation (and of its floor) at every N.
REPEATS = 5


def floor_time(N: int, count: int, repeats: int = REPEATS) -> float:
    """Best-of-``repeats`` time of ``count`` real FFTs of length ``embedding_length(N)``
    (rfft/irfft pairs into buffers, as the routes use them; the engine's transforms,
    ``gpdtheory.toeplitz.realfft``, the fastest of those benchmarks/transforms.py times)."""
    m = embedding_length(N)
    x = np.random.default_rng(0).standard_normal(m)
    y = np.empty(m // 2 + 1, dtype=np.complex128)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(count):
            if i % 2 == 0:
                rfft(x, out=y)
            else:
                irfft(y, m, out=x, overwrite=True)
        best = min(best, time.perf_counter() - t0)
    return best


def _timed(f, setup=None):
    """``(value, best time, counted work of the first run)`` of ``f(setup())`` (``f()``
    without ``setup``) over ``REPEATS`` runs."""
    best, value, work = np.inf, None, None
    for i in range(REPEATS):
        arg = () if setup is None else (setup(i),)
        with counting() as c:
            t0 = time.perf_counter()
            out = f(*arg)
            t = time.perf_counter() - t0
        if i == 0:
            value, work = out, c
        best = min(best, t)
    return value, best, work


def _logdet_agreement(value: float, r: np.ndarray, N: int, quadratic_max: int) -> str:
    """The last prediction error against CG at every N; Durbin's logdet, timed in the same
    run (the O(N^2) peer), up to ``2^quadratic_max``."""
    from gpdtheory.toeplitz.schur import reflection_coefficients

    last = r[0] * np.exp(reflection_coefficients(r).log_last_beta)
    x0 = tz.pcg_solve(r, np.eye(1, N)[0], tol=1e-13).x[0]
    note = f"e_(N-1) vs CG {abs(last * x0 - 1):.0e}"
    if N <= 2**quadratic_max:
        t0 = time.perf_counter()
        ref = tz.durbin(r).logdet
        t_ref = time.perf_counter() - t0
        note = f"Durbin route {abs(value - ref) / abs(ref):.0e} in {t_ref:.3g} s; " + note
    return note


def _agreement(name: str, value, r: np.ndarray, N: int) -> str:
    if name in ("min_eig", "max_eig") and N <= 2**16:
        ref = (tz.min_eig if name == "min_eig" else tz.max_eig)(r, method="lanczos")
        return f"Durbin route {abs(value - ref) / abs(ref):.0e}"
    if name in ("min_eig", "max_eig"):
        b = tz.eigenvalue_bounds(r)
        lo, hi = ((b.lmin_lower, b.lmin_upper) if name == "min_eig"
                  else (b.lmax_lower, b.lmax_upper))
        note = f"in bracket, width {(hi - lo) / abs(value):.0e}" if lo <= value <= hi else \
            "OUTSIDE certified bracket"
        if name == "max_eig" and N <= 2**18:
            op = tz.ToeplitzOperator(r).as_linear_operator()
            ref = scipy.sparse.linalg.eigsh(op, k=1, which="LA", tol=1e-14,
                                            return_eigenvectors=False)[0]
            note += f"; ARPACK {abs(value - ref) / abs(ref):.0e}"
        return note
    return "-"


def _operations(kernel, spec, X: np.ndarray, S: np.ndarray, d: int, e: int) -> list:
    """``(name, floor transforms, callable, setup or None)`` for every entry point at
    ``N = 2^e`` (``setup(i)`` makes the callable's argument for run ``i``, untimed)."""
    N, r = 2**e, spec.r

    def new_spec(i: int) -> gp.GPSpec:  # the first run uses spec: its 2nd call comes next
        return spec if i == 0 else gp.GPSpec(kernel, N, S)

    return [
        ("score, 1st call", 4 * d + 1, lambda sp: gp.score(sp, X, T_SCORE), new_spec),
        ("score, 2nd call", 4 * d + 1, lambda: gp.score(spec, X, T_SCORE), None),
        ("min_eig", 3, lambda: tz.min_eig(r), None),
        ("max_eig", 3, lambda: tz.max_eig(r), None),
        ("condition_number exact", 6,
         lambda: gp.condition_number(gp.GPSpec(kernel, N, S), T_SCORE).kappa, None),
        ("condition_number bounds", 2,
         lambda: gp.condition_number(gp.GPSpec(kernel, N, S), T_SCORE,
                                     eigenvalues="bounds").kappa, None),
        ("sample", d + 1, lambda: spec.sample(1, seed=0), None),
        ("is_positive_definite", 1, lambda: tz.is_positive_definite(r), None),
        ("logdet", 1, lambda: tz.logdet(r), None),
    ]


def sweep(exponents: list[int], d: int = 4, quadratic_max: int = 16
          ) -> tuple[list[str], dict, dict]:
    """The sweep's Markdown rows, and the times and transform floors by operation and N."""
    name, kernel = KERNEL
    S = np.eye(d) + 0.3 * np.diag(np.ones(d - 1), 1) + 0.3 * np.diag(np.ones(d - 1), -1)
    rows = [f"Kernel {name}, d = {d}, t = {T_SCORE}.", "",
            "| operation | N | time (s) | floor (s) | time / floor | doubling ratio "
            "| transforms | agreement |", "|---|---|---|---|---|---|---|---|"]
    data: dict[str, dict[int, float]] = {}
    floors: dict[str, dict[int, float]] = {}
    # warm-up: Numba caches, FFT plans
    w = gp.GPSpec(kernel, 4096, S)
    gp.score(w, np.ones((4096, d)), T_SCORE), tz.min_eig(w.r), w.sample(1, seed=0)
    for e in exponents:
        N = 2**e
        spec = gp.GPSpec(kernel, N, S)
        r = spec.r
        X = np.random.default_rng(e).standard_normal((N, d))
        ops = _operations(kernel, spec, X, S, d, e)
        for op, nfloor, f, setup in ops:
            fl = floor_time(N, nfloor)
            value, t, work = _timed(f, setup)
            data.setdefault(op, {})[N] = t
            floors.setdefault(op, {})[N] = fl
            prev = data[op].get(N // 2)
            ratio = "-" if prev is None else f"{t / prev:.2f}"
            agree = (_agreement(op, value, r, N) if op in ("min_eig", "max_eig") else
                     _logdet_agreement(value, r, N, quadratic_max) if op == "logdet" else "-")
            rows.append(f"| {op} | 2^{e} | {t:.3g} | {fl:.3g} | {t / fl:.1f} | {ratio} | "
                        f"{work['transform']} | {agree} |")
            print(rows[-1], flush=True)
    return rows, data, floors


def figure(data: dict, base: Path) -> str:
    """Log-log figure of every operation's time with N log N guides (PNG and PDF)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    allN: set[int] = set()
    for i, (op, pts) in enumerate(data.items()):
        N = np.array(sorted(pts), dtype=float)
        allN.update(pts)
        ax.loglog(N, [pts[n] for n in sorted(pts)], "o-", color=f"C{i % 10}", label=op)
    N = np.array(sorted(allN), dtype=float)
    nlogn = N * np.log2(N)
    for c in (1e-7, 1e-8, 1e-9):
        ax.loglog(N, c * nlogn, "k:", lw=0.7)
    ax.text(N[-1], 1e-7 * nlogn[-1], " N log N", fontsize=7, va="center")
    ax.set_xlabel("N (frames)")
    ax.set_ylabel("time (s)")
    ax.set_title(f"every entry point vs N ({KERNEL[0]}); dotted: N log N guides")
    ax.legend(fontsize=7)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(base.with_suffix("." + ext), dpi=120)
    plt.close(fig)
    return f"{base.name}.png / .pdf"
