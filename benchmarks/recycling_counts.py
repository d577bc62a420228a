"""Transforms counted (not timed) by the exact score's rows PCG for two settings of its
recycling: the deflation space's threshold ``rows_recycle.RECYCLE_MIN_DEVIATION`` (0.01
and 0.001, the default ``--compare deviation``), or the reference system's steps alone
``rows_pcg.REFERENCE_STEPS`` (None: until it converges, and 10; ``--compare
reference-steps``).

For each kernel, N and (d, t): the number of transforms, the slowest system's iterations,
the number of deflation vectors kept and the reference's iterations alone (the part no
other system runs beside). Counts do not depend on the machine's load. Run:
``python benchmarks/recycling_counts.py`` (about two minutes; ``--max-exponent 20`` adds
N = 2^20, several minutes more).
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
SETTINGS = {
    "deviation": (rows_recycle, "RECYCLE_MIN_DEVIATION", (0.01, 0.001)),
    "reference-steps": (rows_pcg, "REFERENCE_STEPS", (None, 10)),
}


def _sigma(d: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    S = (Q * np.exp(rng.uniform(-1, 1, d))) @ Q.T
    return 0.5 * (S + S.T)


def counts(kernel: gp.Kernel, N: int, d: int, t: float, setting: str, value) -> str:
    """``transforms / slowest iterations / deflation vectors / reference alone`` of one
    first score with ``setting`` at ``value``."""
    seen: dict = {}
    solve, alone = rows_pcg.pcg_rows, rows_pcg._iterate
    module, name, _ = SETTINGS[setting]

    def spy(*args, **kwargs):
        res = solve(*args, **kwargs)
        seen["res"] = res
        return res

    def first_pass(*args, **kwargs):  # the reference's pass alone is the one with a harvest
        if kwargs.get("harvest") is not None:
            before = int(args[6][-1])
            out = alone(*args, **kwargs)
            seen["alone"] = int(args[6][-1]) - before
            return out
        return alone(*args, **kwargs)

    kept = getattr(module, name)
    setattr(module, name, value)
    rows_pcg.pcg_rows, rows_pcg._iterate = spy, first_pass
    try:
        X = np.random.default_rng(N).standard_normal((N, d))
        with counting() as c, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the accuracy warning of an ill-conditioned C_t
            gp.score(gp.GPSpec(kernel, N, _sigma(d)), X, t)
    finally:
        setattr(module, name, kept)
        rows_pcg.pcg_rows, rows_pcg._iterate = solve, alone
    res = seen["res"]
    return f"{c['transform']} / {res.iterations} / {res.deflated} / {seen.get('alone', 0)}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-exponent", type=int, default=18)
    p.add_argument("--compare", choices=sorted(SETTINGS), default="deviation")
    args = p.parse_args(argv)
    _, name, values = SETTINGS[args.compare]
    print(f"Cells: transforms / slowest iterations / deflation vectors / reference alone, "
          f"by {name}.\n")
    print("| kernel | N | d, t | " + " | ".join(f"{name} = {x}" for x in values) + " |")
    print("|---|---|---|" + "---|" * len(values))
    for e in range(14, args.max_exponent + 1, 2):
        for d, t in ((16, 0.5), (4, 0.1)):
            for kname, kernel in KERNELS.items():
                cells = [counts(kernel, 2**e, d, t, args.compare, x) for x in values]
                print(f"| {kname} | 2^{e} | {d}, {t} | " + " | ".join(cells) + " |",
                      flush=True)


if __name__ == "__main__":
    main()
