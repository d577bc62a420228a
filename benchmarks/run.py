"""The benchmark suite, one command: ``python benchmarks/run.py [--quick] [--goals]``.

Sections (each timing beside its peer, measured in the same run):

1. engine: ``gpdtheory.toeplitz.solve`` vs ``scipy.linalg.solve_toeplitz`` (one and 16
   right-hand sides);
2. exact score, cold (``GPSpec`` built and the first ``score`` call, nothing cached) and
   warm (second call), N = 2^10 ... 2^20, d = 4, the three decay families; peers:
   ``scipy.linalg.solve_toeplitz`` on the d rotated systems (N <= 2^14) and a dense
   ``numpy.linalg.solve`` of ``C_t`` (N d <= 2048); figure ``benchmarks/score_vs_n.png``
   (log-log, with N log N and N^2 guide lines);
3. ``condition_number``: exact (``toeplitz.extreme_eigenvalues``, O(N log N)
   sine-Davidson beyond N = 384) and ``eigenvalues="bounds"`` (certified O(N log N)
   brackets) vs a dense ``eigvalsh`` (N <= 2^10);
4. ``min_eig``/``max_eig`` (default: O(N log N) sine-Davidson) beside the O(N^2)
   Durbin-certified route (``method="lanczos"``) and ``eigvalsh`` (N <= 2048), with the
   relative differences, at N = 2^11, 2^12, 2^14 (and 2^16 with ``--goals``).

5. scaling (:mod:`scaling`, with ``--goals`` or ``--only scaling``): every entry point
   (score first and second call, ``min_eig``, ``max_eig``, ``condition_number`` exact and
   bounds, ``sample``, ``is_positive_definite``, ``logdet``) at N = 2^16 ...
   2^``--scaling-max`` beside its transform floor (the fewest real FFTs of length ``~2N``
   the problem needs, timed in the same run), with doubling ratios, counted transforms,
   agreement with an independent route, and the figure ``benchmarks/scaling_vs_n.png``
   / ``.pdf`` (log-log, N log N guides).

6. transforms (:mod:`transforms`): one real FFT pair of length 2^14 ... 2^23 by the
   engine (ducc0) beside ``numpy.fft`` and ``scipy.fft``, first call and best; and two
   rows in flight on two threads (as the score runs them), the complex half in one piece
   and in four steps, at 2^19 ... 2^23.

``--goals`` adds the scaling sweep and the goal table (:mod:`goals`, about ten minutes):
``min_eig``, exact ``condition_number`` (time and peak memory) and the first ``score``
(d = 16) at N = 2^20 and 2^22 for the three families, each beside its transform floor and
an independent route, and every entry point's largest doubling ratio, each against the
issue's threshold. ``--only SECTION`` runs one section (engine, score, condition, eig,
goals, scaling, transforms; ``goals`` includes the sweep).
``--quick`` (about 30 s) stops the sweep at 2^15 and repeats less. Results and the
machine (``lscpu`` model, cores, load average before and after) are printed as
Markdown and appended to ``benchmarks/RESULTS.md``
(``--no-append`` skips that and the figure). Timings are wall-clock
``time.perf_counter``; cold timings
are single runs by nature (a new spec each time), warm ones the best of a few.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg

import gpdtheory as gp
import gpdtheory.toeplitz as tz

sys.path.insert(0, str(Path(__file__).resolve().parent))
import goals  # noqa: E402  (benchmarks/goals.py, beside this file)
import scaling  # noqa: E402  (benchmarks/scaling.py, beside this file)
import transforms  # noqa: E402

HERE = Path(__file__).resolve().parent
FAMILIES = {
    "PoweredExponential(2, 1)": gp.PoweredExponential(2.0, 1.0),
    "Polynomial(2, 1.5)": gp.Polynomial(2.0, 1.5),
    "Logarithmic(2, 1)": gp.Logarithmic(2.0, 1.0),
}
T_SCORE = 0.5


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:  # no lscpu on this system
        model = "unknown (lscpu not found)"
    return {"model": model, "cores": str(os.cpu_count()), "load": load(),
            "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__}


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def best(f, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def sigma(d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    S = (Q * np.exp(rng.uniform(-1, 1, d))) @ Q.T
    return 0.5 * (S + S.T)


def fmt(x: float | None) -> str:
    return "-" if x is None else (f"{x:.4f}" if x < 10 else f"{x:.1f}")


# ------------------------------------------------------------------ 1. engine
def bench_engine(quick: bool) -> list[str]:
    rng = np.random.default_rng(0)
    N = 4096 if quick else 10_000
    reps = 3 if quick else 5
    rows = ["| operation | ours (s) | scipy.linalg.solve_toeplitz (s) | speed-up | residual |",
            "|---|---|---|---|---|"]
    b = rng.standard_normal(N)
    B = rng.standard_normal((N, 16))
    for label, kernel in [("PoweredExponential(5, 1)", gp.PoweredExponential(5.0, 1.0)),
                          ("Polynomial(2, 1.5)", gp.Polynomial(2.0, 1.5))]:
        r = kernel.autocovariance(N)
        tz.solve(r, b), tz.solve(r, B)  # compile / warm up
        t_ours = best(lambda r=r: tz.solve(r, b), reps)
        t_peer = best(lambda r=r: scipy.linalg.solve_toeplitz(r, b), reps)
        res = float(np.linalg.norm(tz.matvec(r, tz.solve(r, b).x) - b) / np.linalg.norm(b))
        rows.append(f"| solve, N={N}, {label} | {t_ours:.4f} | {t_peer:.4f} | "
                    f"{t_peer / t_ours:.1f}x | {res:.1e} |")
        t_ours = best(lambda r=r: tz.solve(r, B), max(2, reps - 2)) / 16
        t_peer = best(lambda r=r: scipy.linalg.solve_toeplitz(r, B), 1 if quick else 2) / 16
        res = float(np.linalg.norm(tz.matvec(r, tz.solve(r, B).x) - B) / np.linalg.norm(B))
        rows.append(f"| 16 RHS, per RHS, N={N}, {label} | {t_ours:.4f} | {t_peer:.4f} | "
                    f"{t_peer / t_ours:.1f}x | {res:.1e} |")
    return rows


# ------------------------------------------------------------------ 2. score sweep
def score_peer_scipy(spec: gp.GPSpec, X: np.ndarray, t: float) -> np.ndarray:
    """The d rotated Toeplitz systems solved by scipy (the peer of the Toeplitz route)."""
    lam, U = np.linalg.eigh(spec.Sigma)
    a2, s2 = np.exp(-t), -np.expm1(-t)
    Z = X @ U
    W = np.empty_like(Z)
    for k in range(spec.d):
        c = a2 * lam[k] * spec.r
        c[0] += s2
        W[:, k] = scipy.linalg.solve_toeplitz(c, Z[:, k])
    return -W @ U.T


def score_peer_dense(spec: gp.GPSpec, X: np.ndarray, t: float) -> np.ndarray:
    C = gp.marginal_covariance(spec, t)
    return -np.linalg.solve(C, X.ravel()).reshape(X.shape)


def bench_score(exponents: list[int], d: int, reps: int) -> tuple[list[str], dict]:
    rows = ["| family | N | cold: GPSpec + 1st score (s) | warm: 2nd score (s) | cold/warm "
            "| scipy solve_toeplitz x d (s) | dense numpy (s) | rel. diff to peer |",
            "|---|---|---|---|---|---|---|---|"]
    data: dict = {}
    S = sigma(d)
    # imports, Numba cache loads and FFT plans outside the timed region (both routes)
    for n in (64, 2**12):
        gp.score(gp.GPSpec(gp.Polynomial(2.0, 1.5), n, S), np.ones((n, d)), T_SCORE)
    for name, kernel in FAMILIES.items():
        data[name] = {"N": [], "cold": [], "warm": []}
        for e in exponents:
            N = 2**e
            X = np.random.default_rng(e).standard_normal((N, d))
            t0 = time.perf_counter()
            spec = gp.GPSpec(kernel, N, S)
            s = gp.score(spec, X, T_SCORE)
            cold = time.perf_counter() - t0
            warm = best(lambda spec=spec, X=X: gp.score(spec, X, T_SCORE), reps)
            peer_s = peer_d = None
            diff = None
            if N <= 2**14:
                t0 = time.perf_counter()
                ref = score_peer_scipy(spec, X, T_SCORE)
                peer_s = time.perf_counter() - t0
                diff = float(np.linalg.norm(s - ref) / np.linalg.norm(ref))
            if N * d <= 2048:
                t0 = time.perf_counter()
                ref = score_peer_dense(spec, X, T_SCORE)
                peer_d = time.perf_counter() - t0
                diff = float(np.linalg.norm(s - ref) / np.linalg.norm(ref))
            rows.append(f"| {name} | 2^{e} | {fmt(cold)} | {fmt(warm)} | {cold / warm:.2f} | "
                        f"{fmt(peer_s)} | {fmt(peer_d)} | "
                        f"{'-' if diff is None else f'{diff:.1e}'} |")
            print(rows[-1], flush=True)
            data[name]["N"].append(N)
            data[name]["cold"].append(cold)
            data[name]["warm"].append(warm)
            data[name].setdefault("scipy", []).append(peer_s)
    return rows, data


def figure(data: dict, d: int, path: Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return "(matplotlib missing: no figure)"
    fig, ax = plt.subplots(figsize=(7, 5))
    colors = ["C0", "C1", "C2"]
    allN = []
    for (name, v), c in zip(data.items(), colors, strict=False):
        N = np.array(v["N"], dtype=float)
        allN.extend(N)
        ax.loglog(N, v["cold"], "o-", color=c, label=f"{name}, cold (1st call)")
        ax.loglog(N, v["warm"], "s--", color=c, alpha=0.7, label=f"{name}, warm (2nd call)")
        sp = [(n, x) for n, x in zip(N, v["scipy"], strict=True) if x is not None]
        if sp:
            ax.loglog(*zip(*sp, strict=True), "x:", color=c, alpha=0.6,
                      label=f"{name}, scipy solve_toeplitz x d")
    N = np.array(sorted(set(allN)))
    ref_t = float(np.median([v["warm"][-1] for v in data.values()]))
    nlogn = N * np.log2(N)
    ax.loglog(N, ref_t * nlogn / nlogn[-1], "k-", lw=0.8, label="~ N log N")
    ax.loglog(N, ref_t * (N / N[-1]) ** 2, "k:", lw=0.8, label="~ N^2")
    ax.set_xlabel("N (frames)")
    ax.set_ylabel("time (s)")
    ax.set_title(f"exact score, d = {d}, t = {T_SCORE}: first vs second call")
    ax.set_ylim(bottom=1e-4)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path.relative_to(HERE.parent))


# ------------------------------------------------------------------ 3. condition number
def bench_condition(exponents: list[int], families: dict | None = None,
                    header: bool = True) -> list[str]:
    rows = ["| family | N | exact, cold (s) | bounds, cold (s) | dense eigvalsh (s) "
            "| kappa exact | kappa upper bound |", "|---|---|---|---|---|---|---|"]
    rows = rows if header else []
    S = sigma(4)
    for name, kernel in (families or FAMILIES).items():
        for e in exponents:
            N = 2**e
            t0 = time.perf_counter()
            c_exact = gp.condition_number(gp.GPSpec(kernel, N, S), T_SCORE)
            t_exact = time.perf_counter() - t0
            t0 = time.perf_counter()
            c_b = gp.condition_number(gp.GPSpec(kernel, N, S), T_SCORE, eigenvalues="bounds")
            t_b = time.perf_counter() - t0
            t_d = None
            if N <= 2**10:
                t0 = time.perf_counter()
                np.linalg.eigvalsh(scipy.linalg.toeplitz(kernel.autocovariance(N)))
                t_d = time.perf_counter() - t0
            rows.append(f"| {name} | 2^{e} | {fmt(t_exact)} | {fmt(t_b)} | {fmt(t_d)} | "
                        f"{c_exact.kappa:.6g} | {c_b.kappa:.6g} |")
            print(rows[-1], flush=True)
    return rows


# ------------------------------------------------------------------ 4. min_eig
def bench_min_eig(cases: list[tuple[str, gp.Kernel, int]]) -> list[str]:
    rows = ["| kernel | N | min_eig (s) | max_eig (s) | Durbin-certified min+max (s) "
            "| eigvalsh (s) | lmin | lmax | rel. diff to certified | rel. diff to eigvalsh |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    tz.min_eig(gp.PoweredExponential(2.0, 1.0).autocovariance(64))  # compile
    tz.min_eig(gp.PoweredExponential(2.0, 1.0).autocovariance(512), method="lanczos")
    for name, kernel, N in cases:
        r = kernel.autocovariance(N)
        t0 = time.perf_counter()
        lo = tz.min_eig(r)
        t_lo = time.perf_counter() - t0
        t0 = time.perf_counter()
        hi = tz.max_eig(r)
        t_hi = time.perf_counter() - t0
        t0 = time.perf_counter()
        c_lo, c_hi = tz.min_eig(r, method="lanczos"), tz.max_eig(r, method="lanczos")
        t_c = time.perf_counter() - t0
        agree_c = max(abs(lo - c_lo) / abs(c_lo), abs(hi - c_hi) / abs(c_hi))
        t_d = agree = None
        if N <= 2048:
            t0 = time.perf_counter()
            ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
            t_d = time.perf_counter() - t0
            agree = max(abs(lo - ev[0]) / abs(ev[0]), abs(hi - ev[-1]) / abs(ev[-1]))
        rows.append(f"| {name} | 2^{int(np.log2(N))} | {fmt(t_lo)} | {fmt(t_hi)} | {fmt(t_c)} "
                    f"| {fmt(t_d)} | {lo:.12g} | {hi:.12g} | {agree_c:.1e} | "
                    f"{'-' if agree is None else f'{agree:.1e}'} |")
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="about 30 s: N <= 2^16, fewer repeats")
    p.add_argument("--goals", action="store_true",
                   help="add the goal runs (2^20 x 16 first score, min_eig at 2^16; minutes)")
    p.add_argument("--no-append", action="store_true", help="do not append to RESULTS.md")
    p.add_argument("--scaling-max", type=int, default=22,
                   help="largest exponent of the scaling sweep (--goals or --only scaling)")
    p.add_argument("--only", action="append", default=None,
                   choices=["engine", "score", "condition", "eig", "goals", "scaling",
                            "transforms"],
                   help="run only this section (repeatable); 'goals' implies --goals")
    args = p.parse_args(argv)
    only = set(args.only or ["engine", "score", "condition", "eig", "goals", "scaling",
                             "transforms"])
    if args.only and "goals" in only:
        args.goals = True
    if args.goals:  # the doubling-ratio goals read the scaling sweep
        only.add("scaling")
    start = time.perf_counter()
    mach = machine()
    print(f"machine: {mach}", flush=True)
    out = [f"## Run {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC: "
           f"`python benchmarks/run.py{' --quick' if args.quick else ''}"
           f"{' --goals' if args.goals else ''}"
           f"{''.join(' --only ' + x for x in (args.only or []))}`", "",
           f"Machine: {mach['model']}, {mach['cores']} logical cores, load average "
           f"{mach['load']} (1/5/15 min) at start; Python {mach['python']}, numpy "
           f"{mach['numpy']}, scipy {mach['scipy']}.", ""]
    if "engine" in only:
        out += ["### Toeplitz engine", ""] + bench_engine(args.quick) + [""]
        print("\n".join(out[-8:]), flush=True)
    if "score" in only:
        exps = list(range(9, 17, 2)) if args.quick else [9] + list(range(10, 21, 2))
        d = 4
        rows, data = bench_score(exps, d, 2 if args.quick else 3)
        fig = ("(not written: --no-append)" if args.no_append
               else figure(data, d, HERE / "score_vs_n.png"))
        out += [f"### Exact score, d = {d}, t = {T_SCORE}: cold (new spec, first call) and "
                "warm", "", *rows, "", f"Figure: `{fig}`.", ""]
    if "condition" in only:
        cexp = [10, 13] if args.quick else [10, 12, 14]
        out += ["### condition_number, t = 0.5, d = 4 (each column a new spec)", "",
                *bench_condition(cexp), ""]
    if "eig" in only:
        sizes = [2**11, 2**12] if args.quick else [2**11, 2**12, 2**14]
        if args.goals:
            sizes.append(2**16)
        cases = [(name, kernel, n) for n in sizes
                 for name, kernel in (("Polynomial(2, 0.8)", gp.Polynomial(2.0, 0.8)),
                                      ("Logarithmic(2, 1)", gp.Logarithmic(2.0, 1.0)))]
        out += ["### min_eig / max_eig: sine-Davidson (default) beside the Durbin-certified "
                "route and eigvalsh", "", *bench_min_eig(cases), ""]
    if "transforms" in only:
        out += ["### One real FFT pair: the engine's (ducc0) beside numpy.fft and scipy.fft",
                "", *transforms.transform_rows(range(14, 20) if args.quick else range(14, 24)),
                "", "### Two rows in flight on two threads: the complex half in one piece or "
                "in four steps", "",
                *transforms.concurrent_rows(range(19, 21) if args.quick else range(19, 24)),
                ""]
    data = floors = None
    if (args.goals or args.only) and "scaling" in only:
        rows, data, floors = scaling.sweep(list(range(16, args.scaling_max + 1)))
        fig = ("(not written: --no-append)" if args.no_append
               else scaling.figure(data, HERE / "scaling_vs_n"))
        out += ["### Scaling of every entry point beside the transform floor", "", *rows, "",
                f"Figure: `benchmarks/{fig}`.", ""]
    if args.goals and "goals" in only:
        out += ["### Goals at N = 2^20 and 2^22, beside the transform floor", "",
                *goals.goal_table(data, floors), ""]
    total = time.perf_counter() - start
    out += [f"Total {total:.0f} s; load average at the end {load()}.", ""]
    text = "\n".join(out)
    print(text)
    if not args.no_append:
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
