"""Transforms counted (not timed) by the exact score's rows PCG for two thresholds of the
recycled deflation space, ``rows_recycle.RECYCLE_MIN_DEVIATION`` = 0.01 and 0.001.

For each kernel, N and (d, t): the number of transforms, the slowest system's iterations
and the number of deflation vectors kept, with the old threshold and the new. Counts do not
depend on the machine's load. Run: ``python benchmarks/recycling_counts.py`` (about two
minutes; ``--max-exponent 20`` adds N = 2^20, several minutes more).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

import gpdtheory as gp
from gpdtheory.toeplitz import rows_pcg, rows_recycle
from gpdtheory.toeplitz.work import counting

KERNELS = {
    "Polynomial(2, 1.5)": gp.Polynomial(2.0, 1.5),
    "Polynomial(2, 0.8)": gp.Polynomial(2.0, 0.8),
    "Polynomial(8, 1.2)": gp.Polynomial(8.0, 1.2),
    "Logarithmic(2, 1)": gp.Logarithmic(2.0, 1.0),
    "Logarithmic(8, 0.5)": gp.Logarithmic(8.0, 0.5),
    "PoweredExponential(20, 1)": gp.PoweredExponential(20.0, 1.0),
    "PoweredExponential(200, 0.5)": gp.PoweredExponential(200.0, 0.5),
}
THRESHOLDS = (0.01, 0.001)


def _sigma(d: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    S = (Q * np.exp(rng.uniform(-1, 1, d))) @ Q.T
    return 0.5 * (S + S.T)


def counts(kernel: gp.Kernel, N: int, d: int, t: float, threshold: float) -> str:
    """``transforms / slowest iterations / deflation vectors`` of one first score."""
    seen: dict = {}
    solve = rows_pcg.pcg_rows

    def spy(*args, **kwargs):
        res = solve(*args, **kwargs)
        seen["res"] = res
        return res

    kept = rows_recycle.RECYCLE_MIN_DEVIATION
    rows_recycle.RECYCLE_MIN_DEVIATION, rows_pcg.pcg_rows = threshold, spy
    try:
        X = np.random.default_rng(N).standard_normal((N, d))
        with counting() as c, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the accuracy warning of an ill-conditioned C_t
            gp.score(gp.GPSpec(kernel, N, _sigma(d)), X, t)
    finally:
        rows_recycle.RECYCLE_MIN_DEVIATION, rows_pcg.pcg_rows = kept, solve
    res = seen["res"]
    return f"{c['transform']} / {res.iterations} / {res.deflated}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-exponent", type=int, default=18)
    args = p.parse_args(argv)
    print("| kernel | N | d, t | " + " | ".join(f"deviation {x}" for x in THRESHOLDS) + " |")
    print("|---|---|---|" + "---|" * len(THRESHOLDS))
    for e in range(14, args.max_exponent + 1, 2):
        for d, t in ((16, 0.5), (4, 0.1)):
            for name, kernel in KERNELS.items():
                cells = [counts(kernel, 2**e, d, t, x) for x in THRESHOLDS]
                print(f"| {name} | 2^{e} | {d}, {t} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
