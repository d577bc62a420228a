"""The runs behind the paper.* claims: the sizes, the trainings of a grid (cached per process,
checkpointed under ``GPDTHEORY_CHECKPOINTS``) and where they run, and the cells of their
records (see :mod:`gpdtheory_checks.paper` for what is trained and measured).

The claims call :func:`paper_config`, :func:`grids`, :func:`records` and
:func:`training_engine` through this module at run time, so replacing one of them here (a
test's tiny grid, the mutation runner's in-process trainings) reaches every paper.* claim.
"""

from __future__ import annotations

import os

import numpy as np

from .cases import training_device

__all__ = ["SEEDS", "LEVEL", "B_STAT", "NS_FULL", "NS_FULL_ACCELERATOR", "paper_config", "grids",
           "training_engine", "records"]

SEEDS = (0, 1, 2)
LEVEL = 0.95
#: Bootstrap resamples of the slope and of the pairwise differences.
B_STAT = 2000


def paper_config(full: bool):
    from gpdtheory.experiments import PaperConfig

    if full:
        return PaperConfig(width=32, depth=2, heads=4, steps=3000, lr=1e-2, sample_steps=100,
                           bootstrap=500, eval_every=100)
    return PaperConfig()


#: Training sizes of ``--full``'s error-against-n grid; on an accelerator (``--device``
#: other than cpu) the grid continues to the paper's largest size.
NS_FULL = (100, 300, 1000, 3000, 10000)
NS_FULL_ACCELERATOR = NS_FULL + (30000, 100000)


def grids(full: bool) -> dict:
    """The (ell, nu) patterns, the n grid and the decay grid's n."""
    if full:
        ns = NS_FULL if training_device() == "cpu" else NS_FULL_ACCELERATOR
        return {"n_patterns": [(1.0, 0.5), (1.0, 1.0), (1.0, 2.0)],
                "ns": list(ns), "n_fixed": 10000, "n_verdict": 100,
                "decay": [(1.0, 0.5), (1.0, 1.0), (1.0, 2.0), (0.5, 1.0), (2.0, 1.0)]}
    return {"n_patterns": [(1.0, 1.0)], "ns": [64, 256, 1024], "n_fixed": 1024, "n_verdict": 1024,
            "decay": [(1.0, 0.5), (1.0, 1.0), (1.0, 2.0), (0.5, 1.0), (2.0, 1.0)]}


_CACHE: dict[tuple, dict] = {}


def training_engine(runs: int):
    """Where a grid's trainings run: local processes, one per core (``None`` in the
    :func:`gpdtheory.sweeps.run_sweep` protocol), when the claim runs in the main process
    on the CPU and there are at least two runs; else ``"serial"``. Each training uses one
    torch thread and its own seeds, so the records are the same either way (tested); a
    claim already inside a worker (``--workers``, Dask) or on a GPU trains in its process.
    """
    import multiprocessing

    parallel = (runs > 1 and (os.cpu_count() or 1) > 1 and training_device() == "cpu"
                and multiprocessing.parent_process() is None)
    return None if parallel else "serial"


def records(full: bool, patterns, ns, seeds=SEEDS) -> dict[tuple, dict]:
    """``{(ell, nu, n, seed): record}`` for the grid, trained once per process (and folder)."""
    from gpdtheory.experiments import RunSpec, run_grid

    cfg = paper_config(full)
    folder = os.environ.get("GPDTHEORY_CHECKPOINTS") or None
    out, todo = {}, []
    for ell, nu in patterns:
        for n in ns:
            for s in seeds:
                k = (cfg.digest(), folder, ell, nu, n, s)
                if k in _CACHE:
                    out[(ell, nu, n, s)] = _CACHE[k]
                else:
                    todo.append(RunSpec(ell, nu, n, s))
    recs = run_grid(todo, cfg, folder, device=training_device(),
                    executor=training_engine(len(todo)))
    for run, rec in zip(todo, recs, strict=True):
        _CACHE[(cfg.digest(), folder, run.ell, run.nu, run.n, run.seed)] = rec
        out[(run.ell, run.nu, run.n, run.seed)] = rec
    return out


def _pattern_case(ell: float, nu: float, cfg) -> dict:
    return {"family": "powered_exponential", "ell": ell, "nu": nu, "N": cfg.N,
            "d": len(cfg.Sigma), "Sigma": "((1, .3), (.3, .6))"}


def _convergence(rs) -> dict:
    """Where the runs of a cell stopped: optimiser steps run, how many stopped on the
    held-out plateau (the convergence rule, :class:`gpdtheory.experiments.PaperConfig`) and
    not at the cap, and the best held-out loss of each run."""
    t = [r["training"] for r in rs]
    return {"steps_run": ",".join(str(int(x["steps"])) for x in t),
            "converged": f"{sum(bool(x.get('converged')) for x in t)}/{len(t)}",
            "heldout_loss": ",".join(f"{x['best_val']:.4f}" for x in t)}


def _seeds_text(seeds) -> str:
    return ",".join(str(s) for s in seeds)


def _cell(recs: dict, ell, nu, n, q: str = "total"):
    """Seed-level errors and generated-sample replicates of one (pattern, n) cell."""
    rs = [recs[(ell, nu, n, s)] for s in SEEDS]
    return np.array([r["errors"][q] for r in rs]), [r["boot"][q] for r in rs], rs


_QUANTITY = {"total": "relative covariance error (total)",
             "temporal": "relative error of the temporal factor",
             "spatial": "relative error of the spatial factor"}
