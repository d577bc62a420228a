"""The paper's experiments as claims (docs/theory.md §9; Fu et al., ICLR 2025, section 5).

``paper.error_vs_n``   relative covariance error of 1000 generated samples against n, per
                       decay pattern: the 95% CI of the log-log slope lies below 0.
``paper.decay_order``  at fixed n, the error by decay pattern (nu for the powered
                       exponential, and ell), with one-sided tests of the paper's ordering.
``paper.attention``    the trained softmax DiT's attention map beside Gamma: lag-profile
                       correlation with rho, as a margin over null profiles (identity,
                       untrained DiT, shuffled frames; a finding), and the normalised error.
``paper.dit_vs_unet``  DiT against U-Net (same data, parameter budget, training steps) on
                       the temporal decay of generated samples, where the correlation
                       reaches beyond the U-Net's receptive field.

Every run is one (decay pattern, n, seed) training of :class:`gpdtheory.models.SoftmaxDiT`
(time embedding of width 16, as in the paper) by :func:`gpdtheory.train.train` on
``spec.sample(n, seed=1000 + seed)``, initialised from ``seed``, evaluated on samples from the
exponential-integrator reverse sampler (``seed 2000 + seed``); see :mod:`gpdtheory.experiments`
for the metric, its nearest-Kronecker factors, the sampling floor and the bootstrap. Runs are
shared by the three claims (cached per process) and, when ``GPDTHEORY_CHECKPOINTS`` names a
folder, checkpointed there (a rerun skips finished trainings; ``results.json`` feeds
notebooks/08_paper_experiments.ipynb). ``gpdtheory check --device`` (or ``GPDTHEORY_DEVICE``)
selects the device (default cpu). On the CPU a grid's trainings run in local processes, one
per core (:func:`training_engine`); the records are those of a serial run.

Sizes. Default: N = 8, d = 2, width 16, one block, 2 heads, AdamW at a constant learning
rate 3e-2 until the held-out loss plateaus, 1000 generated samples by 40 sampler steps, 200
bootstrap resamples, seeds 0-2; error_vs_n at n = 64, 256, 1024 for (ell, nu) = (1, 1);
decay_order and attention at n = 1024 over nu = 0.5, 1, 2 and ell = 0.5, 2. ``--full``:
width 32, two blocks, 4 heads, lr 1e-2, 100 sampler steps, 500 resamples; n = 100 .. 10000
for every nu (on an accelerator, ``--device cuda``, up to the paper's 100000; not run here:
no GPU was available); the decay grid adds ell = 0.5 and 2 at nu = 1.

Convergence (every graded row is taken there): training stops when the best held-out loss
has fallen by less than 1% over the last 3 evaluations (150 steps; ``PaperConfig.plateau``,
``plateau_window``), with a cap of 1000 steps (``--full``: 3000) that a run reaching it
records as not converged. Each cell's rows carry ``steps_run``, ``converged`` (runs that
stopped on the plateau) and ``heldout_loss``. Measured at ``--seed 0`` (default): every run
stops on the plateau, after 200-300 steps (held-out losses 0.54-0.59; the DSM loss's own
floor dominates them, which is why the rule is relative). The former fixed 150 steps
stopped before it.

What the default run finds at convergence (``--seed 0``): the error falls with n at a slope
of -0.20, bootstrap 95% CI [-0.28, -0.12], which overlaps the paper's -1/2 within the
tolerance 1/4 (reproduced; at 150 steps the CI was [-0.22, -0.09], not reproduced). The
paper's "faster decay, smaller error" ordering is not reproduced along either axis (see
:func:`paper_decay_order`). The attention margin over the null profiles is reproduced in 1
of 15 (pattern, seed) cells: as training converges the lag-1 weight grows past the query
frame's own for nu = 2 (profile 1, 3.3, 0.1, ...), and for nu <= 1 the profile stays below
the identity profile's correlation with rho. On 64 frames a DiT follows a slow temporal
decay better than a U-Net of the same size (``paper.dit_vs_unet``, a finding under
``--full``; the default's single seed is info).

Divergence: a run whose loss turns non-finite raises
:class:`gpdtheory.train.TrainingDivergedError` (the step, the last finite loss, the kept
``<key>.partial.safetensors``); the claim's row is then ERROR with that message.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .cases import training_device
from .table import CheckConfig, Measurement, claim

#: Pearson correlation of the attention lag profile with rho required (as video.attention).
ATT_CORR_MIN = 0.8
#: paper.attention: least margin of the model's Pearson correlation with rho over the best
#: null profile's (identity, untrained DiT, shuffled frames): below it a gain is within the
#: seed-to-seed spread of the statistic at one pattern (0.02-0.07 at the default sizes).
ATT_MARGIN = 0.02
SEEDS = (0, 1, 2)
LEVEL = 0.95
#: paper.error_vs_n: the paper's rate n^{-1/2} (Theorem 2, docs/theory.md §7) with a
#: tolerance of 1/4 on either side, as sample_complexity.slope
#: (gpdtheory_checks.training.SLOPE_RANGE).
RATE_RANGE = (-0.75, -0.25)
#: Bootstrap resamples of the slope and of the pairwise differences.
B_STAT = 2000
#: Smallest ``mean error / floor of the generated samples`` at which a difference between
#: patterns is read as a difference between models: with ``err^2 ~ model^2 + floor^2``
#: (independent errors), a ratio of 1.5 means the model's own error is >= 1.1 floors.
RESOLUTION_MIN = 1.5


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


@claim("paper.error_vs_n", "9", "relative error of the covariance of 1000 generated samples "
       "(trained softmax DiT) falls with the training size n: 95% CI of the log-log slope "
       "< 0, per decay pattern")
def paper_error_vs_n(cfg: CheckConfig):
    """Error of the generated covariance against n (the paper's first finding).

    measured: the upper end of the 95% CI of the slope of ``log(mean over seeds of the
    total relative error)`` against ``log n`` -- the larger of two intervals: the percentile
    bootstrap (``B_STAT`` = 2000 replicates; each resamples the 3 seeds of every n with
    replacement and, for each drawn seed, one of its 200 (``--full``: 500) generated-sample
    bootstrap replicates, :func:`gpdtheory.experiments.bootstrap_slope`), and the OLS
    interval ``slope ± t(0.975, K-2) SE`` over every (n, seed) point
    (:func:`gpdtheory.sample_complexity.fit_slope`). bound: 0 (the error falls); kind
    tolerance (a sign test, not a theorem's constant).

    Finding rows (``kind="finding"``, the paper's rate, two-sided): measured: the ends of
    the percentile-bootstrap 95% CI of the slope (above); bound: ``RATE_RANGE`` =
    (-0.75, -0.25), the paper's ``n^{-1/2}`` (Theorem 2, docs/theory.md §7) with a
    tolerance of 1/4 on either side: CI lower end ``<= -0.25`` and CI upper end ``>=
    -0.75`` (together: the CI overlaps the range). Reproduced at the default sizes trained
    to the plateau (slope -0.203, CI [-0.283, -0.124]); at the former fixed 150 steps it was
    not (slope -0.160, CI [-0.195, -0.071]).

    Info rows per n and quantity (total, temporal factor, spatial factor): the seed-mean
    error with ``se`` (std over seeds / sqrt 3) and the bootstrap CI (``ci_low``,
    ``ci_high``), and the sampling floor of 1000 exact samples in the case (``floor``).

    Measured (default, ``--seed 0``, every run at the plateau): total error 0.350 / 0.205 /
    0.199 at n = 64 / 256 / 1024 (floor of 1000 exact samples 0.107), slope -0.203,
    bootstrap CI [-0.283, -0.124], OLS CI [-0.321, -0.080]: measured -0.080 against 0. The
    temporal factor falls likewise (0.293 / 0.168 / 0.158); the spatial factor sits at the
    floor (0.14 / 0.08 / 0.10). The error flattens above n = 256: with 1000 generated
    samples the metric nears its floor there (timings and the ``--full`` estimate:
    benchmarks/RESULTS.md). ``--seed`` changes the bootstrap draws only; the training seeds
    are 0, 1, 2 at every ``--seed``.
    """
    from gpdtheory.experiments import bootstrap_slope, hierarchical_bootstrap, percentile_ci
    from gpdtheory.sample_complexity import fit_slope

    pc = paper_config(cfg.full)
    g = grids(cfg.full)
    recs = records(cfg.full, g["n_patterns"], g["ns"])
    rng = np.random.default_rng([cfg.seed, 9])
    for ell, nu in g["n_patterns"]:
        base = {**_pattern_case(ell, nu, pc), "n_gen": pc.n_gen, "steps": pc.steps,
                "plateau": pc.plateau, "seeds": _seeds_text(SEEDS)}
        for q in ("total", "temporal", "spatial"):
            for n in g["ns"]:
                errs, boots, rs = _cell(recs, ell, nu, n, q)
                lo, hi = percentile_ci(hierarchical_bootstrap(boots, B_STAT, rng), LEVEL)
                yield Measurement({**base, "n": n, "quantity": _QUANTITY[q],
                                   **_convergence(rs),
                                   "se": float(np.std(errs, ddof=1) / math.sqrt(len(errs))),
                                   "ci_low": lo, "ci_high": hi,
                                   "floor": round(rs[0]["floor"], 5)},
                                  float(errs.mean()), math.nan, kind="info",
                                  note="seeds: " + ", ".join(f"{e:.4g}" for e in errs)
                                  + f"; percentile bootstrap over seeds and samples, "
                                  f"B={B_STAT}; floor of 1000 exact samples {rs[0]['floor']:.3g}")
        cells = [_cell(recs, ell, nu, n)[1] for n in g["ns"]]
        slopes = bootstrap_slope(g["ns"], cells, B_STAT, seed=[cfg.seed, 10])
        blo, bhi = percentile_ci(slopes, LEVEL)
        xs = [n for n in g["ns"] for _ in SEEDS]
        ys = [e for n in g["ns"] for e in _cell(recs, ell, nu, n)[0]]
        fit = fit_slope(xs, ys, LEVEL)
        point = float(np.polyfit(np.log(g["ns"]),
                                 np.log([_cell(recs, ell, nu, n)[0].mean() for n in g["ns"]]),
                                 1)[0])
        upper = max(bhi, fit.ci[1])
        rate = {**base, "n": f"{g['ns'][0]}..{g['ns'][-1]}", "slope": round(point, 4),
                "boot_ci": [round(blo, 4), round(bhi, 4)], "rate_range": list(RATE_RANGE),
                "ci_method": f"percentile bootstrap (B={B_STAT}), seeds and generated samples"}
        rnote = (f"slope {point:.3f}, bootstrap CI [{blo:.3f}, {bhi:.3f}]; the paper's rate "
                 f"n^(-1/2), tolerance 1/4: [{RATE_RANGE[0]}, {RATE_RANGE[1]}]")
        yield Measurement({**rate, "quantity": f"95% CI lower end of the slope (<= "
                           f"{RATE_RANGE[1]}: as steep as the paper's rate)"},
                          blo, RATE_RANGE[1], sense="<=", kind="finding", note=rnote)
        yield Measurement({**rate, "quantity": f"95% CI upper end of the slope (>= "
                           f"{RATE_RANGE[0]}: no steeper than the paper's rate)"},
                          bhi, RATE_RANGE[0], sense=">=", kind="finding", note=rnote)
        yield Measurement({**base, "n": f"{g['ns'][0]}..{g['ns'][-1]}",
                           "quantity": "95% CI upper end of the log-log slope",
                           "slope": round(point, 4), "boot_ci": [round(blo, 4), round(bhi, 4)],
                           "ols_ci": [round(fit.ci[0], 4), round(fit.ci[1], 4)],
                           "ci_method": f"max of percentile bootstrap (B={B_STAT}) and OLS t"},
                          upper, 0.0, kind="tolerance",
                          note=f"slope {point:.3f}; bootstrap CI [{blo:.3f}, {bhi:.3f}], "
                          f"OLS CI [{fit.ci[0]:.3f}, {fit.ci[1]:.3f}]")


def _decay_axes(patterns):
    """Adjacent pairs (slower, faster) along nu at ell = 1 and along ell at nu = 1."""
    nus = sorted(nu for ell, nu in patterns if ell == 1.0)
    ells = sorted(ell for ell, nu in patterns if nu == 1.0)
    pairs = [("nu", (1.0, a), (1.0, b)) for a, b in zip(nus[:-1], nus[1:], strict=True)]
    # smaller ell decays faster: the faster of a pair is the smaller ell
    pairs += [("ell", (b, 1.0), (a, 1.0)) for a, b in zip(ells[:-1], ells[1:], strict=True)]
    return pairs


def theorem2_factors(pc, ell: float, nu: float) -> dict:
    """Theorem 2's factors for one pattern (docs/theory.md §7, §3.4): ``J`` for the target
    accuracy ``EPS_J`` at ``t0`` (:func:`gpdtheory.bounds.sizes_needed`, the sizes Theorem S
    needs; the paper's ``(ell log(1/eps))^{1/nu}`` beside it), ``kappa_t0 = kappa(C_t0)``
    (:func:`gpdtheory.diffusion.condition_number`), ``kappa(Gamma)``, and the rate's
    pattern-dependent factor ``sqrt(ell^{1/nu}) kappa_t0`` (TV ≲ sqrt(ell^{1/nu}
    kappa_t0^2 N d^3 / n)): smaller predicts a smaller error."""
    from gpdtheory.bounds import sizes_needed
    from gpdtheory.diffusion import condition_number
    from gpdtheory.experiments import make_spec

    spec = make_spec(pc, ell, nu)
    w = np.linalg.eigvalsh(spec.gamma_dense())
    k0 = float(condition_number(spec, pc.t0).kappa)
    return {"J_eps": int(sizes_needed(spec, pc.t0, EPS_J).J),
            "J_formula": round(float((ell * math.log(1.0 / EPS_J)) ** (1.0 / nu)), 3),
            "kappa_t0": round(k0, 4), "kappa": round(float(w[-1] / w[0]), 4),
            "lambda_min": round(float(w[0]), 4),
            "theorem2_factor": round(math.sqrt(ell ** (1.0 / nu)) * k0, 4)}


#: Adjacent-pair axes graded as the paper's finding, each (axis, slower, faster): along ell
#: at nu = 1, faster decay (smaller ell) also means better conditioning (kappa_t0 4.3 / 10.6 /
#: 30.6 for ell = 0.5 / 1 / 2); along nu at ell = 1 the theory's factors disagree.
VERDICT_PAIRS = (("ell", (2.0, 1.0), (0.5, 1.0)), ("nu", (1.0, 0.5), (1.0, 2.0)))
#: Target accuracy of Theorem 2's J factor in the pattern rows.
EPS_J = 0.01


@claim("paper.decay_order", "9", "the paper's finding: at fixed n, faster temporal decay "
       "gives a smaller generated covariance error -- along ell at nu=1 (ell=0.5 vs 2) and "
       "along nu at ell=1 (nu=2 vs 0.5): one-sided 95% bootstrap upper bound of "
       "err(faster) - err(slower) < 0 (findings), where the errors resolve the models "
       "(mean error >= 1.5 floors of the generated samples, checked); Theorem 2's factors "
       "(J, kappa_t0) per pattern beside them")
def paper_decay_order(cfg: CheckConfig):
    """The error at fixed n by decay pattern (the paper's second finding), as the paper states it.

    Rows per pattern (info): measured: the seed-mean total error at ``n_fixed`` with ``se``
    and the percentile-bootstrap CI (seeds and generated samples, ``B_STAT`` replicates);
    in the case Theorem 2's factors (:func:`theorem2_factors`: ``J_eps`` for accuracy
    ``EPS_J`` at ``t0``, ``kappa_t0``, ``kappa(Gamma)``, ``theorem2_factor =
    sqrt(ell^{1/nu}) kappa_t0``, the rate's pattern-dependent factor) and the sampling
    floors of 1000 generated and of ``n`` training samples.

    Pair rows (info): for each adjacent pair (slower, faster) ``mean err(faster) - mean
    err(slower)`` with its one-sided 95% bootstrap upper bound and the exact one-sided
    permutation p-value on the seed-level errors (3 + 3 seeds, smallest p 0.05).

    Finding rows (``kind="finding"``, ``quantity="err(faster) - err(slower), one-sided 95%
    upper bound"``), one per axis of ``VERDICT_PAIRS``: measured: the 95th percentile of
    the bootstrap replicates of ``mean err(faster) - mean err(slower)`` at ``n_verdict``
    (seeds and generated samples resampled, :func:`gpdtheory.experiments.bootstrap_difference`).
    bound: 0, sense ``<=`` (the paper: faster decay, smaller error); the bound is the
    statement's, not a measurement. Along ell at nu = 1 (ell = 2 vs 0.5) faster decay also
    means better conditioning, so every factor of Theorem 2 predicts the paper's order.
    Along nu at ell = 1 (nu = 0.5 vs 2) they disagree: ``J ~ (ell log(1/eps))^{1/nu}``
    favours nu = 2, while ``kappa(Gamma)`` = 4.57 / 4.19 / 5.10 and ``kappa_t0`` = 11.6 /
    10.6 / 12.7 make nu = 2 the hardest case (Theorem 2's factor ``sqrt(ell^{1/nu})
    kappa_t0`` orders the nu axis 1 < 0.5 < 2): there the paper's ordering is measured and is
    not reproduced, as Theorem 2's factor predicts.

    Where the verdict is taken. The metric cannot fall below the sampling floor of 1000
    generated samples (``sqrt((1 + tr(C)^2 / ||C||_F^2) / 1000)``): with independent errors
    ``err^2 ~ model^2 + floor^2``, and patterns at the floor are ordered by their floors,
    not their models. The verdicts are taken at ``n_verdict``, fixed in advance as the
    default's only n (1024) and ``--full``'s smallest (100), and a tolerance row checks the
    resolved regime there: measured ``min`` over the verdict patterns of mean error /
    floor, bound ``RESOLUTION_MIN`` = 1.5 (model error >= 1.1 floors), sense ``>=``. The
    same ratio at ``n_fixed`` is an info row when ``n_fixed != n_verdict``.

    Measured (``--seed 0``, default, n = 1024, trained to the plateau): errors 0.175 / 0.199
    / 0.211 for nu = 0.5 / 1 / 2 (upper bound of err(nu=2) - err(nu=0.5) +0.067: not
    reproduced) and 0.242 / 0.199 / 0.167 for ell = 0.5 / 1 / 2 at nu = 1 (upper bound of
    err(ell=0.5) - err(ell=2) +0.115: not reproduced, although kappa_t0 is 4.3 against 30.6
    and J 4 against 7); resolution 1.70. (At the former fixed 150 steps: +0.187 and +0.120.)
    The relative metric divides by ``||Gamma ⊗ Sigma||_F``, which falls with faster
    decay, and its sampling floors grow with it. ``--full`` (1000 steps): at n = 100 errors
    0.217 / 0.284 / 0.332 along nu; at
    n = 10^4 the errors are within 0.01 of their floors (the metric no longer resolves the
    models; regenerating 10000 samples gives 0.058 / 0.062 / 0.065 along nu and 0.062 /
    0.062 / 0.049 along ell = 0.5 / 1 / 2).
    """
    from gpdtheory.experiments import (
        bootstrap_difference,
        hierarchical_bootstrap,
        percentile_ci,
        permutation_pvalue,
    )

    pc = paper_config(cfg.full)
    g = grids(cfg.full)
    n = g["n_fixed"]
    recs = records(cfg.full, g["decay"], [n])
    rng = np.random.default_rng([cfg.seed, 11])
    q = "relative covariance error (total)"
    for ell, nu in g["decay"]:
        errs, boots, rs = _cell(recs, ell, nu, n)
        lo, hi = percentile_ci(hierarchical_bootstrap(boots, B_STAT, rng), LEVEL)
        yield Measurement({**_pattern_case(ell, nu, pc), "n": n, "quantity": q,
                           **_convergence(rs),
                           "seeds": _seeds_text(SEEDS), "se": float(np.std(errs, ddof=1)
                                                                   / math.sqrt(len(errs))),
                           "ci_low": lo, "ci_high": hi, **theorem2_factors(pc, ell, nu),
                           "floor": round(rs[0]["floor"], 5),
                           "data_floor": round(rs[0]["data_floor"], 5)},
                          float(errs.mean()), math.nan, kind="info",
                          note="seeds: " + ", ".join(f"{e:.4g}" for e in errs))
    for axis, slow, fast in _decay_axes(g["decay"]):
        ef, bf, _ = _cell(recs, *fast, n)
        es, bs, _ = _cell(recs, *slow, n)
        diff = bootstrap_difference(bf, bs, B_STAT, seed=[cfg.seed, 12, int(100 * fast[0]),
                                                           int(100 * fast[1])])
        upper = float(np.quantile(diff, LEVEL))
        p = permutation_pvalue(ef, es)
        yield Measurement({"family": "powered_exponential", "axis": axis,
                           "slower": f"ell={slow[0]:g} nu={slow[1]:g}",
                           "faster": f"ell={fast[0]:g} nu={fast[1]:g}", "n": str(n),
                           "seeds": _seeds_text(SEEDS),
                           "quantity": "mean err(faster) - mean err(slower)",
                           "upper95": round(upper, 5), "perm_p": round(p, 4)},
                          float(ef.mean() - es.mean()), math.nan, kind="info",
                          note=f"paper: < 0. One-sided 95% bootstrap upper bound {upper:.4f} "
                          f"({'holds' if upper < 0 else 'not shown'}); permutation p = {p:.3f}")
    pairs = [(a, s, f) for a, s, f in VERDICT_PAIRS if s in g["decay"] and f in g["decay"]]
    pats = [p for _, s, f in pairs for p in (s, f)]
    nv = g["n_verdict"]
    vrecs = recs if nv == n else records(cfg.full, pats, [nv])
    cells = {pat: _cell(vrecs, *pat, nv) for pat in pats}
    if nv != n:
        for (ell, nu), (errs, _, rs) in cells.items():
            yield Measurement({**_pattern_case(ell, nu, pc), "n": nv, "quantity": q,
                               "seeds": _seeds_text(SEEDS),
                               "floor": round(rs[0]["floor"], 5),
                               "data_floor": round(rs[0]["data_floor"], 5)},
                              float(errs.mean()), math.nan, kind="info",
                              note="seeds: " + ", ".join(f"{e:.4g}" for e in errs))
    for at, cs in ((n, {p: _cell(recs, *p, n) for p in pats}), (nv, cells)):
        ratios = {p: float(c[0].mean() / c[2][0]["floor"]) for p, c in cs.items()}
        worst = min(ratios.values())
        yield Measurement({"family": "powered_exponential", "n": str(at),
                           "seeds": _seeds_text(SEEDS),
                           "quantity": "min over the verdict patterns of mean error / floor "
                           "of the generated samples",
                           "patterns": [f"ell={p[0]:g} nu={p[1]:g}" for p in ratios],
                           "ratios": [round(v, 4) for v in ratios.values()]},
                          worst, RESOLUTION_MIN if at == nv else math.nan, sense=">=",
                          kind="tolerance" if at == nv else "info",
                          note=("the verdict's n: the errors resolve the models"
                                if at == nv else "errors near the floor of the generated "
                                "samples: the metric cannot order the models here"
                                if worst < RESOLUTION_MIN else "resolved"))
        if nv == n:
            break
    for axis, slow, fast in pairs:
        (ef, bf, _), (es, bs, _) = cells[fast], cells[slow]
        diff = bootstrap_difference(bf, bs, B_STAT, seed=[cfg.seed, 13, int(100 * fast[0]),
                                                           int(100 * fast[1])])
        upper = float(np.quantile(diff, LEVEL))
        p = permutation_pvalue(ef, es)
        fs, ff = theorem2_factors(pc, *slow), theorem2_factors(pc, *fast)
        name = {"ell": "ell", "nu": "nu"}[axis]
        sv, fv = (slow[0], fast[0]) if axis == "ell" else (slow[1], fast[1])
        yield Measurement({"family": "powered_exponential", "axis": axis,
                           "slower": f"ell={slow[0]:g} nu={slow[1]:g}",
                           "faster": f"ell={fast[0]:g} nu={fast[1]:g}", "n": str(nv),
                           "seeds": _seeds_text(SEEDS),
                           "quantity": "err(faster) - err(slower), one-sided 95% upper bound",
                           "difference": round(float(ef.mean() - es.mean()), 5),
                           "perm_p": round(p, 4), "kappa_t0": [fs["kappa_t0"], ff["kappa_t0"]],
                           "J_eps": [fs["J_eps"], ff["J_eps"]],
                           "theorem2_factor": [fs["theorem2_factor"], ff["theorem2_factor"]],
                           "ci_method": f"percentile bootstrap, B={B_STAT}, seeds and "
                           "generated samples"},
                          upper, 0.0, sense="<=", kind="finding",
                          note=f"{name}={fv:g} vs {name}={sv:g}: difference "
                          f"{ef.mean() - es.mean():.4f}; permutation p (faster < slower) = "
                          f"{p:.3f}; Theorem 2's factor {ff['theorem2_factor']:.3g} vs "
                          f"{fs['theorem2_factor']:.3g}")


def untrained_attention(pc, ell: float, nu: float, seed: int) -> np.ndarray:
    """The attention map of the paper's DiT at initialisation (same seed, same probe samples
    as the trained run's record): the untrained-network baseline of ``paper.attention``."""
    from gpdtheory.experiments import RunSpec, _build, attention_map, make_spec
    from gpdtheory.train import torch_threads

    run = RunSpec(ell, nu, 0, seed)
    with torch_threads(1):
        model = _build(pc, seed, "cpu")
        return attention_map(model, make_spec(pc, ell, nu), pc.attention_times, pc.attention_n,
                             seed=run.gen_seed)


def attention_baselines(A: np.ndarray, rho: np.ndarray, untrained: np.ndarray, perms) -> dict:
    """Pearson correlation with ``rho`` of each null profile (same statistic as the model):
    identity (lag 0 only), uniform (constant: NaN, no information), the untrained network's
    map, and the model's own map with frames permuted (95th percentile over ``perms``)."""
    from gpdtheory.profiles import correlation, lag_profile

    from . import baselines as bl

    n = len(rho)
    shuffled = [correlation(lag_profile(bl.frame_permutation(A, p)), rho) for p in perms]
    shuffled = [v for v in shuffled if math.isfinite(v)]
    return {"identity": correlation(bl.identity_profile(n), rho),
            "uniform": math.nan,  # a constant profile: Pearson undefined, carries no lag
            "untrained": correlation(lag_profile(untrained), rho),
            "shuffled": float(np.quantile(shuffled, 0.95)) if shuffled else math.nan}


@claim("paper.attention", "9", "trained softmax DiT, the paper's finding: the lag profile of "
       "its attention map correlates with rho(0..N-1) better than every null profile "
       "(identity, uniform, the untrained DiT, shuffled frames) by >= "
       f"{ATT_MARGIN}, per decay pattern and seed (finding); correlation and normalised "
       "profile error beside it (info)")
def paper_attention(cfg: CheckConfig):
    """Attention maps of the trained DiT against Gamma (the paper's third finding).

    Statistic: the Pearson correlation of a lag profile (mean over ``|i - j| = m``,
    :func:`gpdtheory.profiles.lag_profile`) with ``rho(0..N-1)`` (the kernel's, not
    estimated). The model's profile: the DiT's softmax attention on 256 fresh sequences
    noised at t = 0.1, 0.5, 2 (:func:`gpdtheory.experiments.attention_map`: averaged over the
    batch, blocks, heads and times), reduced by :func:`gpdtheory_checks.baselines.judged_profile`.

    Finding rows (``kind="finding"``, ``quantity="corr(model) - max corr(baselines)"``):
    measured: the model's correlation minus the best null baseline's
    (:func:`attention_baselines`): attention on the query frame only (``[1, 0, ...]``:
    0.949 / 0.934 / 0.934 for nu = 0.5 / 1 / 2 -- Pearson over lags 0..N-1 is dominated by
    the lag-0 spike), uniform attention (constant: undefined, skipped), the same DiT at
    initialisation (same seed, same probe samples), and the trained map with frames
    permuted (20 permutations; the 95th percentile, a one-sided 95% bound over the random
    permutation); NaN (not reproduced) when the model's profile spreads less than 25%.
    bound: ``ATT_MARGIN`` = 0.02, sense ``>=``: a gain smaller than that is within the
    seed-to-seed spread of the statistic at a fixed pattern (0.02-0.07). Each baseline's
    correlation is an info row; the former absolute row (correlation >= 0.8, which the
    identity profile passes) is an info row.

    Info rows also give the scale-sensitive relative L2 error of the profile normalised to
    1 at lag 0 (:func:`gpdtheory.profiles.profile_error`), and the seed-mean map beside
    ``Gamma`` (``attention_map``, ``gamma``) for the figure. No bound on the normalised
    error: softmax rows sum to 1 and a query always keeps weight on distant keys.

    Measured (default, ``--seed 0``): Pearson 0.893 / 0.858 / 0.890 (nu = 0.5), 0.954 /
    0.939 / 0.948 (nu = 1), 0.979 / 0.912 / 0.959 (nu = 2) at seeds 0 / 1 / 2: at nu = 0.5
    every seed, and at nu = 2 seed 1, sit below the identity profile -- the paper's finding
    is not reproduced there.
    """
    from gpdtheory.profiles import correlation, lag_profile, profile_error

    from . import baselines
    from .video import MIN_SPREAD, profile_spread

    pc = paper_config(cfg.full)
    g = grids(cfg.full)
    n = g["n_fixed"]
    recs = records(cfg.full, g["decay"], [n])
    rng = cfg.rng("paper.attention.shuffle")
    for ell, nu in g["decay"]:
        maps = []
        for s in SEEDS:
            r = recs[(ell, nu, n, s)]
            A = np.array(r["attention"])
            rho = np.array(r["rho"])
            prof = baselines.judged_profile(A)
            spread = profile_spread(prof)
            corr = correlation(prof, rho)
            maps.append(A)
            perms = [rng.permutation(len(rho)) for _ in range(20)]
            scores = attention_baselines(A, rho, untrained_attention(pc, ell, nu, s), perms)
            best, c_best = baselines.best_baseline(scores)
            case = {**_pattern_case(ell, nu, pc), "n": n, "seed": s, **_convergence([r]),
                    "spread": round(spread, 4)}
            yield Measurement({**case, "quantity": "corr(model) - max corr(baselines)",
                               "corr_model": round(corr, 4), "best_baseline": best,
                               "corr_best": round(c_best, 4)},
                              (corr if spread >= MIN_SPREAD else math.nan) - c_best, ATT_MARGIN,
                              sense=">=", kind="finding",
                              note=("" if spread >= MIN_SPREAD else
                                    f"profile too flat to judge (spread {spread:.3f} < "
                                    f"{MIN_SPREAD}): measured undefined; ")
                              + "profile/profile[0] = "
                              + ", ".join(f"{v / prof[0]:.3f}" for v in prof))
            yield Measurement({**case, "quantity": "Pearson corr(attention lag profile, rho)"},
                              corr, math.nan, kind="info",
                              note=f"former absolute row (bound {ATT_CORR_MIN}): the identity "
                              f"profile scores {scores['identity']:.3f}")
            for name, v in scores.items():
                yield Measurement({**case, "quantity": "Pearson corr (baseline)",
                                   "baseline": name}, v if math.isfinite(v) else 0.0, math.nan,
                                  kind="info", note="same statistic as the model" + (
                                      "; undefined (constant profile), shown as 0"
                                      if not math.isfinite(v) else ""))
            yield Measurement({**case, "quantity": "normalised profile rel. L2 error"},
                              profile_error(prof, rho), math.nan, kind="info",
                              note="profiles normalised to 1 at lag 0")
        M = np.mean(maps, axis=0)
        yield Measurement({**_pattern_case(ell, nu, pc), "n": n, "seeds": _seeds_text(SEEDS),
                           "quantity": "seed-mean attention map (figure)",
                           "attention_map": np.round(M, 4).tolist(),
                           "gamma": np.round(np.array([[rho[abs(i - j)] for j in range(len(rho))]
                                                       for i in range(len(rho))]), 4).tolist()},
                          float(correlation(lag_profile(M), rho)), math.nan,
                          kind="info", note="Pearson corr of the seed-mean map's lag profile")


def dvu_cases(full: bool):
    """``(name, ArchConfig, seeds, verdict)`` of ``paper.dit_vs_unet``."""
    from gpdtheory.experiments import ArchConfig

    if not full:
        yield "long", ArchConfig(steps=300, n_gen=1000, bootstrap=100), (0,), True
        return
    yield "long", ArchConfig(steps=2000), (0, 1, 2, 3, 4), True
    # the control: 16 frames, where the U-Net's receptive field covers the lags that matter
    yield "short", ArchConfig(family="powered_exponential", ell=6.0, nu=1.0, N=16,
                              steps=2000), (0, 1, 2), False


@claim("paper.dit_vs_unet", "9", "same GP data, parameter budget (within 20%) and training "
       "steps: on 64 frames with slowly decaying rho (polynomial, rho(63) = 0.24), the "
       "temporal-decay error of the softmax DiT's generated samples is lower than the 1-D "
       "U-Net's (one-sided 95% bootstrap lower bound of err(U-Net) - err(DiT) > 0; a "
       "finding, graded with several training seeds: --full's 5; the default's single seed "
       "is info); --full also a 16-frame control without a verdict")
def paper_dit_vs_unet(cfg: CheckConfig):
    """DiT against U-Net on the temporal decay of generated samples (the paper's 4th finding).

    Per seed (info rows, :func:`gpdtheory.experiments.run_architectures`): a
    :class:`gpdtheory.models.SoftmaxDiT` (width 16, one block, 2 heads, sine-cosine-initialised
    positions) and a :class:`gpdtheory.models.UNet1d` (width 11; parameter counts within 20%,
    both in the case) train on the same ``n = 2048`` sequences with the same
    :class:`gpdtheory.train.TrainConfig` (steps, batch 64, learning rate, seed), then each
    generates ``n_gen`` sequences with the same sampler noise (exponential integrator, 40
    steps, T = 6, t0 = 0.01). measured of these rows: the DiT's temporal-decay error -- the
    nearest Kronecker product ``A ⊗ B`` to the samples' covariance, ``A`` averaged along
    diagonals and normalised to 1 at lag 0, relative L2 error against ``rho / rho[0]``
    (:func:`gpdtheory.compare_models.temporal_decay_error`); the U-Net's (``unet_error``),
    both lag profiles and ``rho`` are in the case (the figure), with each model's 95%
    bootstrap interval over its generated samples and the estimator's floor on exact samples.

    Verdict row (``quantity="err(U-Net) - err(DiT), one-sided 95% lower bound"``): measured:
    the 5th percentile of the paired bootstrap replicates of ``mean over seeds of (err(U-Net)
    - err(DiT))`` (:func:`gpdtheory.experiments.paired_bootstrap_difference`: seeds resampled,
    and within each drawn seed one generated-sample replicate of each model). bound: 0,
    sense ``>=``, kind finding (the paper's statement, one-sided). The exact one-sided
    sign-flip p-value over the seeds' paired differences is in the case (``signflip_p``;
    smallest attainable 0.031 with ``--full``'s 5 seeds), with both models' held-out losses
    (``heldout_dit``, ``heldout_unet``). The default run trains one seed (about 8 s): its
    interval covers the generated samples only and its sign-flip p is 0.5, so its row is
    info (no verdict); the seed-to-seed test is ``--full``'s. ``--seed`` changes the
    bootstrap draws only.

    Why the DiT wins here (the mechanism): ``rho(m) = (1 + m/4)^{-1/2}`` is Pólya-type, and
    Gamma carries a large near-constant component (``rho(63) = 0.24``); the score
    ``-C_t^{-1} x`` then depends on averages of ``x`` over all 64 frames. The U-Net's
    convolutions (kernel 3 around one down-sampling) see about +-8 frames, so its score
    cannot read those averages, and its samples decorrelate by lag ~16 (profile 0.06-0.13 at
    lag 16 against rho's 0.45, ~0 at lag 32 against 0.33). Attention reads every frame,
    and the sine-cosine position embeddings give it the lag from the first step.

    The held-out denoising loss does not separate the two: at 2000 steps it agreed to about
    0.3% at every seed (0.3545 / 0.3830 / 0.3781 / 0.3980 / 0.3717 for the DiT against
    0.3543 / 0.3845 / 0.3781 / 0.3993 / 0.3722), because the long-lag part of the score is a
    small part of the loss; the samples' temporal decay is where the architectures differ.

    Where it does not hold (``--full``'s control, info rows, no verdict): on 16 frames with
    ``rho(m) = exp(-m/6)`` the receptive field covers the lags where ``rho`` is large and
    neither order is stable. Measured (``--full``, 2000 steps): DiT 0.144 / 0.097 / 0.104
    against U-Net 0.124 / 0.148 / 0.128 at seeds 0 / 1 / 2, lower bound -0.021 (not shown);
    on another data draw the U-Net was lower at 2000 steps (DiT 0.123 / 0.214 / 0.189 against
    0.081 / 0.048 / 0.046) and higher at 600 steps (0.11-0.18 / 0.21 / 0.20 against the DiT's
    0.060 / 0.070 / 0.151). On 64 frames with ``rho(m) = exp(-m/16)`` (600 steps) the two
    were close: DiT 0.36 / 0.33 against U-Net 0.38 / 0.36 at seeds 0 / 1 (the U-Net's profile
    again falls to ~0 by lag 32, but ``rho`` is only 0.13 there, and the DiT's profile rises
    at the largest lags). So the finding is specific to correlation that reaches beyond the
    U-Net's receptive field.

    Measured, polynomial regime (2 shared cores). Default (``--seed 0``, 300 steps, 1000
    generated samples, seed 0): DiT 0.333 against U-Net 0.649, lower bound 0.252, 10-18 s
    (with the U-Net's held-out loss even lower than the DiT's: 0.364 against 0.408).
    ``--full`` (2000 steps, 2000 samples, seeds 0-4; 435 s with the control): DiT 0.187 /
    0.083 / 0.209 / 0.136 / 0.120 against U-Net 0.658 / 0.681 / 0.691 / 0.698 / 0.693
    (floors 0.02-0.03), lower bound 0.493, sign-flip p 0.031 (the smallest attainable).
    Development runs on another data draw: 300 steps 0.215 / 0.441 / 0.273 against 0.642 /
    0.668 / 0.640 at seeds 0 / 1 / 2; 600 steps 0.245 / 0.175 / 0.488 against 0.688 / 0.656
    / 0.689. The DiT's remaining error comes from the largest lags, where its profile
    overshoots ``rho`` (0.4-0.6 at lag 63 against 0.24).

    Mutants (docs/theory.md §12): the default run's single-seed comparison is information
    only (a sign-flip test on one seed cannot reach significance), so no mutant of the
    catalogue can change a verdict of the default run; the graded findings exist under
    ``--full`` only, and the kill matrix runs the default configuration.
    """
    from gpdtheory.experiments import (
        paired_bootstrap_difference,
        percentile_ci,
        run_architectures_grid,
        signflip_pvalue,
    )

    folder = os.environ.get("GPDTHEORY_CHECKPOINTS") or None
    for name, ac, seeds, verdict in dvu_cases(cfg.full):
        recs = run_architectures_grid(ac, seeds, folder, device=training_device(),
                                      executor=training_engine(len(seeds)))
        base = {"regime": name, "family": ac.family, "ell": ac.ell, "nu": ac.nu, "N": ac.N,
                "d": len(ac.Sigma), "n": ac.n, "steps": ac.steps, "n_gen": ac.n_gen}
        for r in recs:
            ci = {m: [round(v, 4) for v in percentile_ci(r["boot"][m], LEVEL)]
                  for m in ("dit", "unet")}
            yield Measurement(
                {**base, "quantity": "temporal-decay rel. error of generated samples (DiT; "
                 "U-Net in unet_error)", "seed": r["seed"], "params_dit": r["params"]["dit"],
                 "params_unet": r["params"]["unet"],
                 "unet_error": round(r["errors"]["unet"], 6), "dit_ci": ci["dit"],
                 "unet_ci": ci["unet"], "floor": round(r["floor"], 5),
                 "normalisation": "value 1 at lag 0",
                 "profile_dit": [round(v, 4) for v in r["profile"]["dit"]],
                 "profile_unet": [round(v, 4) for v in r["profile"]["unet"]],
                 "rho": [round(v, 4) for v in r["rho"]]},
                r["errors"]["dit"], math.nan, kind="info",
                note=(f"U-Net {r['errors']['unet']:.3f}; covariance error DiT "
                      f"{r['covariance_error']['dit']:.3f}, U-Net "
                      f"{r['covariance_error']['unet']:.3f}; floor of {ac.n_gen} exact samples "
                      f"{r['floor']:.3f}; held-out loss DiT "
                      f"{r['training']['dit']['best_val']:.4f}, U-Net "
                      f"{r['training']['unet']['best_val']:.4f}; train "
                      f"{r['training']['dit']['seconds']:.1f} s + "
                      f"{r['training']['unet']['seconds']:.1f} s"))
        e_d = np.array([r["errors"]["dit"] for r in recs])
        e_u = np.array([r["errors"]["unet"] for r in recs])
        diff = paired_bootstrap_difference([r["boot"]["unet"] for r in recs],
                                           [r["boot"]["dit"] for r in recs], B_STAT,
                                           seed=[cfg.seed, 14, ac.N])
        lower = float(np.quantile(diff, 1.0 - LEVEL))
        p = signflip_pvalue(e_u - e_d)
        case = {**base, "quantity": "err(U-Net) - err(DiT), one-sided 95% lower bound",
                "seeds": _seeds_text(seeds), "difference": round(float((e_u - e_d).mean()), 5),
                "signflip_p": round(p, 4),
                "ci_method": f"paired percentile bootstrap, B={B_STAT}, seeds and generated "
                "samples"}
        note = (f"mean err DiT {e_d.mean():.3f}, U-Net {e_u.mean():.3f}; sign-flip p "
                f"(U-Net > DiT) = {p:.3f}; the paper predicts > 0")
        case |= {"heldout_dit": [round(r["training"]["dit"]["best_val"], 5) for r in recs],
                 "heldout_unet": [round(r["training"]["unet"]["best_val"], 5) for r in recs]}
        if verdict and len(seeds) < 2:
            yield Measurement(case, lower, math.nan, kind="info",
                              note=note + f"; one training seed: its interval covers the "
                              f"generated samples only (sign-flip p {p:.2f}), no verdict -- "
                              "--full trains 5 seeds")
        elif verdict:
            yield Measurement(case, lower, 0.0, sense=">=", kind="finding", note=note)
        else:
            yield Measurement(case, lower, math.nan, kind="info",
                              note=note + "; control regime: the U-Net's receptive field "
                              "covers the correlation, no verdict")
