"""The first score of the goal rows (d = 16, t = 0.5, N = 2^20) under the engine's default
and under alternatives, each in a fresh process, the settings interleaved rep by rep so that
the machine's drift hits them alike.

Settings:

* ``default``: the engine as shipped (split embedding for even N, four steps from
  ``fourstep.FOUR_STEP_MIN_LENGTH`` = 2^20 complex points);
* ``corners``: the product with ``T`` by Strang's corners (6 transforms per row and
  iteration instead of 5: ``rows_operators.SplitEmbedding`` switched off);
* ``four steps from 2^19``: the four steps offered from 2^19 complex points (real rows of
  2^20, the preconditioner's length at N = 2^20);
* ``state on the heap``: the rows PCG's state ``X, R, P, AP`` and deflation space in
  NumPy's memory instead of :func:`gpdtheory.toeplitz.threads.zeros`' mapped buffers (the
  score's right-hand sides stay mapped);
* ``lone row on one thread``: a single row's transforms never split among threads
  (:func:`gpdtheory.toeplitz.realfft._splits_exactly` false), so the recycling
  reference's iterations run on one thread;
* ``warm-up at N``: the engine as shipped, but the child's warm-up score is at N instead of
  N / 2 (another spec of the same kernel), so the timed score runs on memory the process
  freed a moment ago. Its difference to ``default`` is what touching fresh memory costs the
  first score on a machine whose host takes freed memory back
  (``benchmarks/fresh_memory.py``).

Each child warms the compiled code on a first score at N / 2, then times one first score
on a new spec, as ``benchmarks/goals.py`` does. Run: ``python
benchmarks/paired_first_score.py`` (about four minutes for three settings; ``--reps``,
``--exponent``, ``--settings``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
SETTINGS = ("default", "corners", "four steps from 2^19", "state on the heap",
            "lone row on one thread", "warm-up at N")
KERNELS = ("PoweredExponential(2, 1)", "Polynomial(2, 1.5)", "Logarithmic(2, 1)")


def _child(setting: str, kernel: str, exponent: int) -> None:  # pragma: no cover - child
    sys.path.insert(0, str(HERE))
    import goals
    import numpy as np

    import gpdtheory as gp
    from gpdtheory.toeplitz import fourstep, realfft, rows_operators, rows_pcg

    if setting == "state on the heap":
        rows_pcg._zeros = np.zeros  # type: ignore[assignment]
    elif setting == "lone row on one thread":
        realfft._splits_exactly = lambda length: False  # type: ignore[assignment]
    elif setting == "corners":
        rows_operators.SplitEmbedding = lambda r, work: None  # type: ignore[assignment]
    elif setting == "four steps from 2^19":
        fourstep.FOUR_STEP_MIN_LENGTH = 1 << 19
    warnings.simplefilter("ignore", gp.AccuracyWarning)
    d, N = goals.FIRST_SCORE_D, 2**exponent
    S = goals._sigma(d)
    X = np.random.default_rng(exponent).standard_normal((N, d))
    family = goals.FAMILIES[kernel]
    warm = N if setting == "warm-up at N" else N // 2
    gp.score(gp.GPSpec(family, warm, S), X[:warm], goals.T_SCORE)     # compile, warm
    t0 = time.perf_counter()
    gp.score(gp.GPSpec(family, N, S), X, goals.T_SCORE)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--exponent", type=int, default=20)
    p.add_argument("--settings", nargs="+", choices=SETTINGS,
                   default=["default", "corners", "four steps from 2^19"])
    p.add_argument("--child", nargs=2, metavar=("SETTING", "KERNEL"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args.child[0], args.child[1], args.exponent)
        return
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.reps):
        for kernel in KERNELS:
            for setting in args.settings:
                run = subprocess.run([sys.executable, __file__, "--exponent", str(args.exponent),
                                      "--child", setting, kernel],
                                     capture_output=True, text=True, check=True)
                seconds = json.loads(run.stdout.strip().splitlines()[-1])["seconds"]
                times.setdefault((setting, kernel), []).append(seconds)
                print(f"{setting} {kernel}: {seconds:.2f} s", file=sys.stderr, flush=True)
    print(f"First score at N = 2^{args.exponent}, d = 16, t = 0.5; one fresh process per "
          f"entry, settings interleaved ({args.reps} reps).\n")
    print("| kernel | " + " | ".join(f"{s} (s)" for s in args.settings) + " |")
    print("|---|" + "---|" * len(args.settings))
    for kernel in KERNELS:
        cells = []
        for setting in args.settings:
            t = times[(setting, kernel)]
            cells.append(" / ".join(f"{x:.2f}" for x in t) + f" (range {min(t):.2f}-{max(t):.2f})")
        print(f"| {kernel} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
