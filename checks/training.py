"""Claims on training and sample complexity (docs/theory.md §§3, 6, 7 and 8).

``trained.kernel``           share R of C_t^{-1}'s off-lag temporal structure (lag profile of
                             the nearest-Kronecker temporal factor) recovered by the trained map
                             at t=0.5, minus the best null baseline's (time-ignoring score,
                             untrained model, shuffled frames): >= KERNEL_MARGIN; a finding row
                             on the attention kernel against rho; per-lag kernel rows (info).
``trained.score``            relative L2(p_t) score error of the trained matching model at t=0.5:
                             below the best null baseline's by >= SCORE_MARGIN, and <= 0.2
                             (default), <= 0.05 (--full); the note gives its ratio to the
                             constructed network.
``trained.layers``           layer k of the trained looped model against GD iterate k (same J, L)
                             on held-out samples: the final layer within the derived level
                             ``SCORE_BOUND + e_GD(L)`` of GD's last iterate; a finding row: closer
                             to it than the best null (time-ignoring, zero, untrained) by
                             >= LAYERS_MARGIN; the y slot's distance to the exact score falling at
                             every block, by >= CONTRACTION_MARGIN more than the untrained loop's.
``trained.kl``               exact KL of the sampler driven by the trained linear network
                             (Lyapunov route) <= its Girsanov bound (trace-identity route), and
                             <= KL_RATIO x the best null's exact KL (time-ignoring, untrained).
``sample_complexity.slope``  score error of the TRAINED matching model against n: 95% CI of
                             the slope excludes 0 and overlaps [-0.75, -0.25]; its largest-n
                             error below the best null's (time-ignoring, untrained; slope 0) by
                             >= SCORE_MARGIN; the plug-in (Kronecker/Toeplitz) estimator's
                             slope in [-0.75, -0.25] on its own rows. One informational row per
                             n and estimator (mean and standard error over the seeds).

Every trained.* claim runs over the three decay families (powered exponential,
polynomial, logarithmic); each family's model is trained once per process (cached) and
reused by the four claims. Training (all rows record it in their case): the looped
position-only matching model (the construction's block class, J = N - 1 so J + 2 heads,
random init from ``seed``), the DSM loss averaged over the noise in closed form (the model
is linear in X), L-BFGS on a fixed log-spaced grid of 4 times in [0.1, 4], n = 4096
samples (``spec.sample(n, seed=seed + 1)``), 10% held out, one torch thread (results do
not depend on the machine's thread count). ``Sigma`` is the fixed matrix ``SIGMA``.

Why L = 4, and training to convergence: the trained model's score error at a few hundred
iterations is limited by optimisation, not by the sample (training on the population
covariance gives the same error as on n = 4096 samples), because the loss sits on a plateau
near 0.2 relative error (the error of a score that ignores temporal correlation) for 100-400
iterations or more. A shallower model makes each iteration cheaper. The former fixed 600
iterations left some seeds on that plateau (``--seed 2``, polynomial: error 0.105 against the
time-ignoring score's 0.121; ``--seed 1``, logarithmic: 0.128), which the baselines of
trained.kernel and trained.score exposed. Convergence rule: L-BFGS runs until
the held-out loss has not improved for ``patience`` = 4 evaluations (200 iterations), capped
at ``MAX_LBFGS`` = 3000 (--full: 6000); every row records the iterations run, the best
iteration and the held-out loss (``steps_run``, ``best_step``, ``heldout_loss``). Measured:
those two seeds reach 0.052 and 0.070 by 2000 iterations; at ``--seed 0`` the polynomial
model stops at 371.
"""

from __future__ import annotations

import functools
import math

import numpy as np

try:
    import torch
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from gpdtheory._extras import require

    require("torch", "torch")
    raise

import gpdtheory as gp
from gpdtheory.train import torch_threads

from . import baselines
from .cases import training_device
from .table import CheckConfig, Measurement, claim

#: Trained matching model's relative score error at t = 0.5 (default / --full).
SCORE_BOUND, SCORE_BOUND_FULL = 0.2, 0.05
#: trained.kernel: least margin of the trained map's recovery R of C_t^{-1}'s off-lag temporal
#: structure over the best null baseline (R in [.., 1]; the time-ignoring score has R = 0):
#: beyond any null, at least a fifth of the structure (the constructed network with the same
#: J and L recovers 0.50-0.74).
KERNEL_MARGIN = 0.2
#: trained.score: least margin of the best null baseline's relative score error over the
#: model's: 5% of the score's norm, a quarter of the default absolute bound SCORE_BOUND
#: (which the time-ignoring score nearly meets on its own: 0.244 / 0.121 / 0.416).
SCORE_MARGIN = 0.05
#: trained.layers: least margin of the best null baseline's distance to GD's L-th iterate
#: (time-ignoring score, untrained model, zero output) over the trained loop's, on the
#: scale of the exact score: 5%, the same scale as SCORE_MARGIN.
LAYERS_MARGIN = 0.05
#: trained.layers: least margin of the untrained loop's worst per-block contraction of the
#: distance to the score over the trained loop's (a ratio in [0, 1]; the untrained loop
#: contracts by 1-2% per block, GD by 10-40%).
CONTRACTION_MARGIN = 0.05
#: trained.kl: largest ratio of the trained sampler's exact KL to the best null baseline's
#: (time-ignoring score, untrained model): the model must at least halve it.
KL_RATIO = 0.5
#: Frame permutations of the shuffled-positions baseline (its score: the 95% best of them).
SHUFFLES = 20
#: The paper's rate n^{-1/2}, with a tolerance of 1/4 on either side.
SLOPE_RANGE = (-0.75, -0.25)
T_EVAL = 0.5
#: Training range of diffusion times; trained.kl runs the sampler over exactly this range.
T_MIN, T_MAX = 0.1, 4.0
SIGMA = np.array([[1.0, 0.3], [0.3, 0.6]])
#: Cap on the L-BFGS iterations of the trained.* models (default / --full): training stops
#: earlier when the held-out loss has not improved for 4 evaluations (the convergence rule).
MAX_LBFGS, MAX_LBFGS_FULL = 3000, 6000
#: Held-out sequences for trained.layers (a fresh draw, not the training samples).
HELDOUT = 4096


def families(full: bool = False) -> list[gp.Kernel]:
    """One kernel per decay family (``--full``: the same; the sizes grow instead)."""
    return [gp.PoweredExponential(1.0, 1.0), gp.Polynomial(1.0, 2.5), gp.Logarithmic(1.0, 1.0)]


def _setting(full: bool) -> dict:
    if full:
        return {"N": 8, "L": 4, "n": 16384, "steps": MAX_LBFGS_FULL, "n_times": 8}
    return {"N": 8, "L": 4, "n": 4096, "steps": MAX_LBFGS, "n_times": 4}


def train_config(full: bool, seed: int, holdout: float = 0.1):
    from gpdtheory.train import TrainConfig

    s = _setting(full)
    return TrainConfig(steps=s["steps"], optimizer="lbfgs", marginalize=True, lr=1.0,
                       n_times=s["n_times"], t0=T_MIN, T=T_MAX, eval_every=50, patience=4,
                       holdout=holdout, seed=seed)


@functools.lru_cache(maxsize=8)
def trained_matching_model(full: bool, seed: int, family: int = 0):
    """``(spec, model, construct, J, L)``: the looped matching model trained once per process.

    Trained on :func:`~gpdtheory_checks.cases.training_device` (``--device``), then moved to the
    CPU:
    the trained.* claims read it as float64 linear maps against exact numpy quantities.
    """
    from gpdtheory.construct import build
    from gpdtheory.models import matching_model
    from gpdtheory.train import train

    s = _setting(full)
    spec = gp.GPSpec(families(full)[family], s["N"], SIGMA)
    J, L = s["N"] - 1, s["L"]
    with torch.random.fork_rng(), torch_threads(1):
        model = matching_model(spec, L=L, J=J, tied=True, seed=seed)
        res = train(model, spec.sample(s["n"], seed=seed + 1), train_config(full, seed),
                    device=training_device())
    model = model.cpu()
    # the convergence record, read by _case (a plain attribute: not a parameter or buffer)
    model.convergence = {"steps_run": int(res.history["eval_step"][-1]),
                         "best_step": int(res.best_step), "converged": bool(res.stopped_early),
                         "heldout_loss": round(float(res.best_val), 6)}
    return spec, model, build(spec, J, L), J, L


def map_error(spec, M: np.ndarray, t: float = T_EVAL) -> float:
    """Relative ``L2(p_t)`` error of the linear score ``s(x) = -M x``, exactly: the trace
    identity (:func:`gpdtheory.gd.l2_error`) over ``E||s*||^2``
    (:func:`gpdtheory.evaluate.score_norm2`)."""
    from gpdtheory.evaluate import score_norm2
    from gpdtheory.gd import l2_error

    return math.sqrt(max(l2_error(spec, M, t), 0.0) / score_norm2(spec, t))


def untrained_matching_model(spec, J: int, L: int, seed: int):
    """The trained.* claims' architecture at initialisation (same seed): a null baseline."""
    from gpdtheory.models import matching_model

    with torch.random.fork_rng():
        return matching_model(spec, L=L, J=J, tied=True, seed=seed)


def _permutations(cfg: CheckConfig, salt: str, N: int) -> list[np.ndarray]:
    """``SHUFFLES`` frame permutations for the shuffled-positions baseline (claim's generator)."""
    rng = cfg.rng(salt + ".shuffle")
    return [rng.permutation(N) for _ in range(SHUFFLES)]


def _models(cfg: CheckConfig):
    for i in range(len(families(cfg.full))):
        yield trained_matching_model(cfg.full, cfg.seed, i)


def _case(spec, J, L, cfg: CheckConfig, net=None, **extra) -> dict:
    """The case of a trained.* row; ``net``: the trained model, whose convergence record
    (iterations run, best iteration, held-out loss) joins the case."""
    s = _setting(cfg.full)
    return {"family": spec.kernel.family, **spec.kernel.params, "N": spec.N, "d": spec.d,
            "J": J, "L": L, "t": T_EVAL, "model": "looped", "n": s["n"], "steps": s["steps"],
            **getattr(net, "convergence", {}), "seed": cfg.seed, "data_seed": cfg.seed + 1,
            "Sigma": "SIGMA", **extra}


@claim("trained.kernel", "8", "temporal structure of the trained map at t=0.5: the share of "
       "C_t^(-1)'s off-lag temporal structure it recovers beats the best null baseline "
       "(time-ignoring score, untrained model, shuffled frames) by >= "
       f"{KERNEL_MARGIN} (three decay families); finding: the attention kernel tracks rho "
       "better than at initialisation")
def trained_kernel(cfg: CheckConfig):
    """Temporal structure of the trained map against ``C_t^{-1}``'s, judged against null baselines.

    Statistic (the same for the model and every baseline): ``R = 1 - ||p[1:]/p[0] -
    q[1:]/q[0]|| / ||q[1:]/q[0]||`` (:func:`gpdtheory_checks.baselines.offlag_recovery`), the share
    of
    the off-lag structure of ``q`` that ``p`` recovers, where ``p`` is the lag profile
    (for the model through :func:`gpdtheory_checks.baselines.judged_profile`, for the reference and
    the baselines :func:`gpdtheory.profiles.lag_profile`) of the ``N x N`` temporal factor of the
    Van Loan-Pitsianis nearest Kronecker product of a map, and ``q`` the same for
    ``C_t^{-1}``, the exact inverse of the marginal covariance (dense ``inv``). ``R = 0``
    exactly for any map whose temporal factor is diagonal (a time-ignoring score), 1 for the
    exact score.

    measured (graded row, ``quantity="R(model) - max R(baselines)"``): the trained model's
    ``R``, its map ``A_t`` read by autograd (:func:`gpdtheory_checks.baselines.judged_map`), minus
    the
    best baseline's: the time-ignoring score ``I ⊗ (alpha^2 Sigma + sigma^2 I)^{-1}``
    (closed form, ``R = 0``), the same architecture at initialisation (same seed), and the
    trained map with its frames permuted (``SHUFFLES`` = 20 permutations from the claim's
    generator; the baseline's score is the 95th percentile over them, so the row's margin
    is a one-sided 95% bound over the random permutation). Each baseline's ``R`` is an info
    row. bound: ``KERNEL_MARGIN`` = 0.2, stated here: beyond the best null, the model must
    recover at least a fifth of ``C_t^{-1}``'s off-lag structure (the constructed network
    with the same J and L recovers 0.5-0.74, in the note).

    Why not the Pearson correlation of the full temporal factors (the former statistic,
    now an info row): their diagonal dominates, so the time-ignoring score already
    correlates at 0.985 / 0.997 / 0.992 for the three families and no bound can separate a
    model from it.

    Finding row (``kind="finding"``, the paper's "learned attention resembles Gamma"):
    measured: Pearson correlation of the block-0 attention kernel by lag (lags 1..J,
    :func:`gpdtheory.compare.compare_kernel`) with ``rho_bar``, minus that of the same
    architecture at initialisation; bound 0. Not reproduced for the powered exponential and
    logarithmic families: the trained loop's kernel is broad (it is one factor of a
    degree-L polynomial in the kernel, not a GD step), while the initial kernel's decay
    happens to correlate at 0.9-0.96. Per-lag rows (info): the kernel (best scale) against
    ``rho_bar(m)``.

    Measured (margins R(model) - R(best baseline), powered exponential / polynomial /
    logarithmic, trained to convergence or the 3000-iteration cap): ``--seed 0`` 0.652 /
    0.262 / 0.249 (best baselines the shuffled frames); ``--seed 1`` 0.702 / 0.553 / 0.320;
    ``--seed 2`` 0.685 / 0.527 / 0.284. With the former fixed 600 iterations ``--seed 1``'s
    logarithmic (0.148) and ``--seed 2``'s polynomial (-0.065) rows FAILED: the models were
    still on the optimisation plateau, which the former absolute row could not see.
    """
    from gpdtheory.compare import compare_kernel, kronecker_correlation, nearest_kronecker
    from gpdtheory.evaluate import linear_map
    from gpdtheory.profiles import lag_profile

    for spec, model, _built, J, L in _models(cfg):
        N, d = spec.N, spec.d
        untrained = untrained_matching_model(spec, J, L, cfg.seed)
        Cinv = np.linalg.inv(gp.marginal_covariance(spec, T_EVAL))

        def factor(M, N=N, d=d):
            return nearest_kronecker(M, (N, N), (d, d))[0]

        # the reference and the baselines by the plain route; only the model's profile and map
        # pass through the judged functions (the injection points of gpdtheory_checks.baselines)
        q = lag_profile(factor(Cinv))

        def recovery(M, q=q):
            return baselines.offlag_recovery(lag_profile(factor(M)), q)

        A = baselines.judged_map(model, spec, T_EVAL)
        maps = {"time-ignoring": baselines.time_ignoring_map(spec, T_EVAL),
                "untrained": linear_map(untrained, T_EVAL)}
        scores = {k: recovery(M) for k, M in maps.items()}
        shuffled = [recovery(baselines.frame_permutation(A, p, d))
                    for p in _permutations(cfg, "trained.kernel", N)]
        scores["shuffled"] = float(np.quantile(shuffled, 0.95))
        r_model = baselines.offlag_recovery(baselines.judged_profile(factor(A)), q)
        best, r_best = baselines.best_baseline(scores)
        base = _case(spec, J, L, cfg, model)
        yield Measurement({**base, "quantity": "R(model) - max R(baselines)", "R_model":
                           round(r_model, 4), "best_baseline": best, "R_best": round(r_best, 4)},
                          r_model - r_best, KERNEL_MARGIN, sense=">=", kind="tolerance",
                          note=f"R = share of C_t^-1's off-lag temporal structure recovered; "
                          f"model {r_model:.3f}, constructed (same J, L) "
                          f"{recovery(linear_map(_built, T_EVAL)):.3f}")
        for name, v in scores.items():
            extra = ({"permutations": SHUFFLES, "statistic": "95th percentile"}
                     if name == "shuffled" else {})
            yield Measurement({**base, "quantity": "R (baseline)", "baseline": name, **extra},
                              v, math.nan, kind="info", note="same statistic as the model")
        pear = {"model": kronecker_correlation(A, Cinv, N, d)}
        pear.update({k: kronecker_correlation(M, Cinv, N, d) for k, M in maps.items()})
        yield Measurement({**base, "quantity": "Pearson corr of temporal Kronecker factors",
                           **{f"corr_{k}": round(v, 4) for k, v in pear.items() if k != "model"}},
                          pear["model"], math.nan, kind="info",
                          note="former statistic: the diagonal dominates, the time-ignoring "
                          "score scores about as high (see the docstring)")
        k = compare_kernel(model, spec.r)
        k0 = compare_kernel(untrained, spec.r)
        yield Measurement({**base, "quantity": "corr(kernel, rho_bar) trained - untrained",
                           "corr_trained": round(k.correlation, 4),
                           "corr_untrained": round(k0.correlation, 4)},
                          k.correlation - k0.correlation, 0.0, sense=">=", kind="finding",
                          note=f"attention kernel by lag vs rho on lags 1..{J}: trained "
                          f"{k.correlation:.3f} (rel err {k.relative_error:.3f}), at "
                          f"initialisation {k0.correlation:.3f}")
        # any bound >= ||rho_bar(1..J)|| / rho(0) could not fail (c is a least-squares fit,
        # so |c k(m) - rho_bar(m)| <= ||rho_bar(1..J)|| at every lag). Lag 0 also carries the
        # identity head and is left out, as in compare_kernel.
        rho0 = float(spec.r[0])
        for m in range(1, J + 1):
            kern, truth = float(k.scale * k.kernel[m]) + 0.0, float(spec.r[m])  # + 0.0: no -0
            yield Measurement(_case(spec, J, L, cfg, model, lag=m, kernel=kern, truth=truth,
                                    quantity="|c k(m) - rho_bar(m)| / rho(0)"),
                              abs(kern - truth) / rho0, float("nan"), kind="info",
                              note=f"c = {k.scale:.4g} fitted on lags 1..{J}")


@claim("trained.score", "7", f"trained matching model: relative L2(p_t) score error at t={T_EVAL} "
       f"<= {SCORE_BOUND} (--full: <= {SCORE_BOUND_FULL}) and below the best null baseline's "
       f"(time-ignoring score, untrained model, shuffled frames) by >= {SCORE_MARGIN}, three "
       "decay families; ratio to the constructed network")
def trained_score(cfg: CheckConfig):
    """Relative ``L2(p_t)`` score error of the trained matching model, against null baselines.

    Statistic: ``e(A) = sqrt(tr(D C_t D^T) / tr(C_t^{-1}))``, ``D = A - C_t^{-1}``
    (:func:`gpdtheory.gd.l2_error`, exact trace identity), for a linear score map ``A``.

    Margin row (``quantity="min e(baselines) - e(model)"``): measured: the best (smallest)
    baseline error minus the model's, the model's ``A_t`` read by autograd
    (:func:`gpdtheory_checks.baselines.judged_map`); baselines: the time-ignoring score
    ``I ⊗ (alpha^2 Sigma + sigma^2 I)^{-1}`` (closed form: 0.244 / 0.121 / 0.416 for the three
    families), the same architecture at initialisation (same seed), the trained map with its
    frames permuted (``SHUFFLES`` = 20 permutations; the baseline's score is their 5th
    percentile, a one-sided 95% bound over the random permutation). Each is an info row.
    bound: ``SCORE_MARGIN`` = 0.05, sense ``>=``: the model must sit at least 5% of the
    score's norm closer than any null (a quarter of the default absolute bound 0.2, which a
    time-ignoring score nearly meets on its own).

    Absolute row (``quantity="score L2 relative error"``): measured: ``e(A_t)`` of the model;
    bound: ``SCORE_BOUND`` = 0.2 (0.05 under ``--full``). The note compares the constructed
    network with the same J and L.

    Measured (margins, powered exponential / polynomial / logarithmic, trained to
    convergence or the cap): ``--seed 0`` 0.203 / 0.059 / 0.143 (model errors 0.033 / 0.048
    / 0.060); ``--seed 1`` 0.177 / 0.064 / 0.104; ``--seed 2`` 0.175 / 0.066 / 0.134. With
    the former fixed 600 iterations ``--seed 1``'s logarithmic row (0.047, error 0.128) and
    ``--seed 2``'s polynomial row (0.016: error 0.105 against the time-ignoring score's
    0.121) FAILED while passing the absolute bound 0.2.
    """
    from gpdtheory.evaluate import linear_map

    bound = SCORE_BOUND_FULL if cfg.full else SCORE_BOUND
    for spec, model, _built, J, L in _models(cfg):
        err = functools.partial(map_error, spec)

        A = baselines.judged_map(model, spec, T_EVAL)
        e = err(A)
        ref = err(linear_map(_built, T_EVAL))
        untrained = untrained_matching_model(spec, J, L, cfg.seed)
        scores = {"time-ignoring": err(baselines.time_ignoring_map(spec, T_EVAL)),
                  "untrained": err(linear_map(untrained, T_EVAL))}
        shuffled = [err(baselines.frame_permutation(A, p, spec.d))
                    for p in _permutations(cfg, "trained.score", spec.N)]
        scores["shuffled"] = float(np.quantile(shuffled, 0.05))
        best, e_best = baselines.best_baseline(scores, higher_is_better=False)
        base = _case(spec, J, L, cfg, model)
        yield Measurement({**base, "quantity": "min e(baselines) - e(model)",
                           "e_model": round(e, 5), "best_baseline": best,
                           "e_best": round(e_best, 5)},
                          e_best - e, SCORE_MARGIN, sense=">=", kind="tolerance",
                          note=f"model {e:.4f} against {best} {e_best:.4f} "
                          f"(ratio {e / e_best:.3g})")
        yield Measurement({**base, "quantity": "score L2 relative error"}, e, bound,
                          note=f"constructed (same J, L): {ref:.4g}; "
                          f"trained/constructed = {e / ref:.3g}")
        for name, v in scores.items():
            extra = ({"permutations": SHUFFLES, "statistic": "5th percentile"}
                     if name == "shuffled" else {})
            yield Measurement({**base, "quantity": "score L2 relative error (baseline)",
                               "baseline": name, **extra}, v, math.nan, kind="info",
                              note="same statistic as the model")


def hidden_states(model, X: np.ndarray, t: float) -> np.ndarray:
    """Content slots ``[x, y]`` after every block: ``(L + 1, B, N, 2 d)`` ndarray."""
    from gpdtheory.construct.block import full_time

    p = next(model.parameters())
    with torch.no_grad():
        H, temb = model.embed(torch.as_tensor(X, dtype=p.dtype), full_time(X.shape[0], t, p))
        out = [H[..., : 2 * model.d]]
        for k in range(model.L):
            H = model.block(k)(H, temb)
            out.append(H[..., : 2 * model.d])
    return torch.stack(out).double().numpy()


def _noised(spec, n: int, t: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X0 = spec.sample(n, seed=rng)
    return np.exp(-t / 2) * X0 + np.sqrt(-np.expm1(-t)) * rng.standard_normal(X0.shape)


def layer_distances(model, spec, J: int, t: float, heldout_seed: int, probe_seed: int,
                    n: int = HELDOUT) -> dict:
    """Layer ``k`` of a looped linear model against GD iterate ``k``, on held-out samples.

    Returns a dict of ``(L,)`` arrays over ``k = 1..L``:

    - ``direct``: ``||y_k - Y_k||_F / ||Y_k||_F`` (the model's y slot against GD iterate k);
    - ``probe``: the same after a token-wise least-squares probe ``[x_k, y_k] -> Y_k``
      (``2d -> d``, shared by all frames, so it cannot mix frames) fitted on ``n`` other
      noised samples (``probe_seed``) and evaluated on the held-out ones;
    - ``model_to_score``, ``gd_to_score``: ``||y_k - Y*||_F / ||Y*||_F`` and
      ``||Y_k - Y*||_F / ||Y*||_F``, ``Y* = -s*`` the exact score (:func:`gpdtheory.score`);
    - ``final``: ``||y_L - Y_L||_F / ||Y*||_F`` (a float).
    """
    from gpdtheory.gd import gd_iterates

    L, d = model.L, spec.d
    Xh = _noised(spec, n, t, heldout_seed)
    Xp = _noised(spec, n, t, probe_seed)
    Hh, Hp = hidden_states(model, Xh, t), hidden_states(model, Xp, t)
    Gh = gd_iterates(spec, Xh, t, J, L, return_all=True)
    Gp = gd_iterates(spec, Xp, t, J, L, return_all=True)
    Ystar = -gp.score(spec, Xh, t)
    ns = np.linalg.norm(Ystar)
    out = {k: np.empty(L) for k in ("direct", "probe", "model_to_score", "gd_to_score")}
    for k in range(1, L + 1):
        y = Hh[k][..., d:]
        out["direct"][k - 1] = np.linalg.norm(y - Gh[k]) / np.linalg.norm(Gh[k])
        R, *_ = np.linalg.lstsq(Hp[k].reshape(-1, 2 * d), Gp[k].reshape(-1, d), rcond=None)
        fit = Hh[k].reshape(-1, 2 * d) @ R
        out["probe"][k - 1] = np.linalg.norm(fit - Gh[k].reshape(-1, d)) / np.linalg.norm(Gh[k])
        out["model_to_score"][k - 1] = np.linalg.norm(y - Ystar) / ns
        out["gd_to_score"][k - 1] = np.linalg.norm(Gh[k] - Ystar) / ns
    out["final"] = float(np.linalg.norm(Hh[L][..., d:] - Gh[L]) / ns)
    return out


def null_layer_distances(spec, J: int, L: int, t: float, heldout_seed: int) -> dict:
    """``||Y_0 - Y_L||_F / ||Y*||_F`` for the scores that learn nothing temporal, on the
    held-out samples of :func:`layer_distances` (same ``heldout_seed``, same draw).

    ``time-ignoring``: ``Y_0 = A x`` with :func:`gpdtheory_checks.baselines.time_ignoring_map`;
    ``zero``: ``Y_0 = 0`` (a network whose y slot stays empty), i.e. ``||Y_L|| / ||Y*||``.
    """
    from gpdtheory.gd import gd_iterates

    Xh = _noised(spec, HELDOUT, t, heldout_seed)
    YL = gd_iterates(spec, Xh, t, J, L)
    ns = np.linalg.norm(gp.score(spec, Xh, t))
    A = baselines.time_ignoring_map(spec, t)
    Yti = (Xh.reshape(len(Xh), -1) @ A.T).reshape(Xh.shape)
    return {"time-ignoring": float(np.linalg.norm(Yti - YL) / ns),
            "zero": float(np.linalg.norm(YL) / ns)}


def _worst_contraction(e: np.ndarray) -> float:
    """``max_k e(k+1) / e(k)``: the worst block's contraction of the distance to the score."""
    return float(np.max(e[1:] / e[:-1]))


@claim("trained.layers", "8", "layer k of the trained looped model vs GD iterate k (same J, L), "
       f"held-out samples at t={T_EVAL}: ||y_L - Y_L|| / ||Y*|| <= {SCORE_BOUND} + e_GD(L); "
       f"finding: closer to GD's last iterate than the best null baseline by >= {LAYERS_MARGIN}; "
       "the y slot's distance to the exact score falls at every block, as GD's does, by "
       f">= {CONTRACTION_MARGIN} more than the untrained loop's")
def trained_layers(cfg: CheckConfig):
    """Hidden y slot of the trained loop after block ``k`` against GD iterate ``k``.

    Per layer (info rows, ``quantity="||y_k - Y_k||_F / ||Y_k||_F"``): measured on
    ``HELDOUT`` = 4096 held-out noised sequences (``heldout_seed``), the y slot of the
    model after block ``k`` (:func:`hidden_states`) against
    :func:`gpdtheory.gd.gd_iterates` with the same ``J``, ``L`` and hard truncation. The case
    also records the token-wise linear probe's distance (fitted on 4096 other sequences,
    ``probe_seed``), and both iterates' distances to the exact score. No bound per layer:
    a loop trained only at its output need not pass through GD's iterates (it does not:
    its last layer is several times closer to the score than GD's ``L``-th iterate).

    Final layer (``quantity="||y_L - Y_L||_F / ||Y*||_F"``): measured as above, relative to
    the exact score ``Y* = -s*`` on the same samples. bound: the triangle inequality in
    ``L2(p_t)``, ``||y_L - Y_L|| <= ||y_L - Y*|| + ||Y* - Y_L||``, with the first term at most
    ``SCORE_BOUND`` (the claim of ``trained.score``) and the second ``e_GD(L)``, GD's exact
    relative ``L2(p_t)`` error (trace identity, :func:`gpdtheory.gd.l2_error` on
    :func:`gpdtheory.gd.gd_matrix`; no samples). Statistical margin: the measured ratio of
    two root-mean-squares over 4096 Gaussian sequences has relative standard deviation
    below ``2 sqrt(1/(2 * 4096))`` ~ 2.2%; the rows are far further from their bound.
    This row holds for any score within ``SCORE_BOUND``, so it cannot tell a loop that
    passes through GD's iterates from one that does not; the next row can.

    Baseline margin (finding, ``quantity="min dist(baselines) - dist(model)"``): the
    hypothesis that the trained loop's output tracks GD's ``L``-th iterate (the network
    the theory constructs), graded against scores that learn nothing temporal, with the same
    statistic on the same held-out samples: the time-ignoring score and the zero output
    (:func:`null_layer_distances`) and the same architecture at initialisation (same seed,
    :func:`untrained_matching_model`, its y slot read by :func:`hidden_states`). measured:
    the best baseline's distance minus the model's; bound: ``LAYERS_MARGIN`` = 0.05. Measured
    at ``--seed 0``: -0.005 / +0.001 / -0.13 (powered exponential / polynomial / logarithmic;
    best baseline the time-ignoring score, and for the logarithmic kernel even the zero
    output is closer to GD's iterate): not reproduced. The trained loop solves for the score
    (its error is 0.03-0.06 against GD's 0.13-0.58 at the same ``L``) by another route than
    GD's iterates; docs/theory.md §8.2 states why training at the output cannot pin them.

    Contraction rows (``quantity="max_k e(k+1)/e(k)"``): measured: the largest ratio of the y
    slot's distance to the exact score at consecutive blocks, ``e(k) = ||y_k - Y*|| / ||Y*||``
    (held-out). bound: 1, i.e. every block brings the loop closer to the score, as every GD
    step does (Lemma GD, §3.1: ``e_GD`` contracts by ``1 - eta mu_bar`` per step; GD's own
    ratios are in the note). The untrained loop meets this bound too (0.98-0.99: each block
    shrinks the y slot a little), so the graded row is the margin
    (``quantity="contraction margin over untrained"``): the untrained loop's worst ratio minus
    the trained loop's, bound ``CONTRACTION_MARGIN`` = 0.05. This is the claim that the
    trained loop acts as an iterative solver, which no theorem gives for trained weights: a
    failure is a finding.
    """
    from gpdtheory.evaluate import score_norm2
    from gpdtheory.gd import gd_matrix, l2_error

    rng = cfg.rng("trained.layers")
    for spec, model, _built, J, L in _models(cfg):
        hs, ps = (int(v) for v in rng.integers(2**31, size=2))
        untrained = untrained_matching_model(spec, J, L, cfg.seed)
        with torch_threads(1):
            dist = layer_distances(model, spec, J, T_EVAL, hs, ps)
            null = layer_distances(untrained, spec, J, T_EVAL, hs, ps)
        base = _case(spec, J, L, cfg, model, heldout_seed=hs, probe_seed=ps, heldout=HELDOUT)
        for k in range(1, L + 1):
            yield Measurement({**base, "k": k, "quantity": "||y_k - Y_k||_F / ||Y_k||_F",
                               "probe": round(float(dist["probe"][k - 1]), 5),
                               "model_to_score": round(float(dist["model_to_score"][k - 1]), 5),
                               "gd_to_score": round(float(dist["gd_to_score"][k - 1]), 5)},
                              float(dist["direct"][k - 1]), math.nan, kind="info",
                              note="direct y slot; case: token-wise probe, distances to Y*")
        e_gd = math.sqrt(l2_error(spec, gd_matrix(spec, T_EVAL, J, L), T_EVAL)
                         / score_norm2(spec, T_EVAL))
        bound = (SCORE_BOUND_FULL if cfg.full else SCORE_BOUND) + e_gd
        yield Measurement({**base, "k": L, "quantity": "||y_L - Y_L||_F / ||Y*||_F",
                           "e_gd": round(e_gd, 6)}, dist["final"], bound,
                          note=f"bound = score bound + e_GD(L) = {bound - e_gd:g} + {e_gd:.4f}; "
                          f"model's own error at layer L {dist['model_to_score'][-1]:.4f}")
        finals = {**null_layer_distances(spec, J, L, T_EVAL, hs), "untrained": null["final"]}
        best, d_best = baselines.best_baseline(finals, higher_is_better=False)
        yield Measurement({**base, "k": L, "quantity": "min dist(baselines) - dist(model)",
                           "dist_model": round(float(dist["final"]), 5), "best_baseline": best,
                           "dist_best": round(d_best, 5)},
                          d_best - float(dist["final"]), LAYERS_MARGIN, sense=">=",
                          kind="finding", note="hypothesis: the trained loop's output tracks "
                          "GD's L-th iterate better than a score that learns nothing temporal")
        for name, v in finals.items():
            yield Measurement({**base, "k": L, "quantity": "||y_L - Y_L||_F / ||Y*||_F "
                               "(baseline)", "baseline": name}, v, math.nan, kind="info",
                              note="same statistic and held-out samples as the model")
        e, g = dist["model_to_score"], dist["gd_to_score"]
        r_model, r_null = _worst_contraction(e), _worst_contraction(null["model_to_score"])
        mono = {**base, "k": f"1..{L}"}
        yield Measurement({**mono, "quantity": "max_k e(k+1)/e(k)"}, r_model, 1.0,
                          kind="tolerance", note="e(k) = " + ", ".join(f"{v:.3f}" for v in e)
                          + "; GD's: " + ", ".join(f"{v:.3f}" for v in g))
        yield Measurement({**mono, "quantity": "contraction margin over untrained",
                           "ratio_model": round(r_model, 4), "ratio_untrained": round(r_null, 4)},
                          r_null - r_model, CONTRACTION_MARGIN, sense=">=", kind="tolerance",
                          note="untrained e(k) = " + ", ".join(
                              f"{v:.3f}" for v in null["model_to_score"]))


@claim("trained.kl", "6", f"exact KL(p_t0 || q_t0) of the sampler driven by the trained linear "
       f"network (t0={T_MIN}, T={T_MAX}) <= its Girsanov bound KL(p_T || N(0,I)) "
       "+ 1/2 int E||s_hat - s*||^2 dt, and <= "
       f"{KL_RATIO} x the best null baseline's exact KL (three decay families)")
def trained_kl(cfg: CheckConfig):
    """Girsanov's bound for the trained network, each side by its own route, and its KL
    against null baselines.

    Bound rows (``quantity="KL(p_t0 || q_t0)"``): measured: the exact KL of the continuous
    reverse SDE from ``N(0, I)`` at ``T = 4`` to ``t0 = 0.1`` (the training range of t)
    driven by the trained network: its output is Gaussian with covariance from the Lyapunov
    ODE (:func:`gpdtheory.evaluate.exact_kl`, ``dP/dtau = M P + P M^T + I``), the network's
    ``A_t`` from :func:`gpdtheory.evaluate.polynomial_map` (exact: ``A_t`` is a polynomial of
    degree L in ``e^{-t}``; its interpolation check is in the note), against ``C_t0``.
    bound: ``KL(p_T || N(0, I))`` in closed form plus ``1/2 int_{t0}^{T} E||s_hat - s*||^2 dt``
    by adaptive quadrature of the exact trace identity ``tr(D C_t D^T)``
    (:func:`gpdtheory.distribution.girsanov_bound`), ``A_t`` read by autograd at every node.
    Not attained (the trained map is not the exact score of a Gaussian model), so no
    round-off allowance. The inequality holds for every score, learned or not.

    Baseline rows (``quantity="KL(model) / min KL(baselines)"``): measured: the model's exact
    KL over the smallest exact KL, by the same Lyapunov route, of the samplers driven by the
    time-ignoring score (:func:`gpdtheory_checks.baselines.time_ignoring_map` at every ODE time)
    and by
    the same architecture at initialisation (same seed; its ``A_t`` by
    :func:`gpdtheory.evaluate.polynomial_map`). bound: ``KL_RATIO`` = 0.5: the trained
    sampler must at least halve the best null's KL. Measured at ``--seed 0``: 0.0083 / 0.113
    / 0.0083 (best baseline the time-ignoring score: 0.75 / 0.17 / 2.5; untrained: about
    25). No statistical margin is needed: both sides are exact functions of the weights.
    """
    from gpdtheory import distribution as dist
    from gpdtheory.evaluate import exact_kl, linear_map, polynomial_map

    for spec, model, _built, J, L in _models(cfg):
        untrained = untrained_matching_model(spec, J, L, cfg.seed)
        with torch_threads(1):
            fn, check = polynomial_map(model, T_MIN, T_MAX)
            kl = exact_kl(model, spec, T_MAX, T_MIN, matrix_fn=fn)
            est = dist.dense_estimator(spec.N, spec.d, lambda s, m=model: linear_map(m, s),
                                       name="trained")
            gb = dist.girsanov_bound(spec, est, T_MAX, T_MIN)
            fn_null, _ = polynomial_map(untrained, T_MIN, T_MAX)
            nulls = {"time-ignoring": exact_kl(
                         model, spec, T_MAX, T_MIN,
                         matrix_fn=lambda s, spec=spec: baselines.time_ignoring_map(spec, s)),
                     "untrained": exact_kl(untrained, spec, T_MAX, T_MIN, matrix_fn=fn_null)}
        case = {k: v for k, v in _case(spec, J, L, cfg, model).items() if k != "t"}
        case |= {"t0": T_MIN, "T": T_MAX}
        yield Measurement({**case, "quantity": "KL(p_t0 || q_t0)"}, kl, gb.bound,
                          note=f"prior {gb.prior:.3g} + score term {gb.score_term:.4g}; "
                          f"interpolation check {check:.1e}")
        best, kl_best = baselines.best_baseline(nulls, higher_is_better=False)
        yield Measurement({**case, "quantity": "KL(model) / min KL(baselines)",
                           "kl_model": round(kl, 6), "best_baseline": best,
                           "kl_best": round(kl_best, 6)}, kl / kl_best, KL_RATIO,
                          kind="tolerance", note="exact KLs, the same Lyapunov route")
        for name, v in nulls.items():
            yield Measurement({**case, "quantity": "KL(p_t0 || q_t0) (baseline)",
                               "baseline": name}, v, math.nan, kind="info",
                              note="exact KL of the sampler this baseline drives")


# ------------------------------------------------------------------ sample complexity
#: Sizes of the trained-model sweep and seeds per size (default / --full).
TRAINED_NS, TRAINED_NS_FULL = (8, 16, 32, 64, 128, 256), (8, 16, 32, 64, 128, 256, 512)
TRAINED_REPLICATES, TRAINED_REPLICATES_FULL = 3, 5
SLOPE_L, SLOPE_STEPS = 4, 100


def slope_train_config(steps: int = SLOPE_STEPS):
    """The sweep's training: L-BFGS on the marginalised loss at the evaluation time only."""
    from gpdtheory.train import TrainConfig

    return TrainConfig(steps=steps, optimizer="lbfgs", marginalize=True, lr=1.0, n_times=1,
                       t0=T_EVAL, T=T_EVAL, t_sampling="fixed", eval_every=50, patience=4,
                       holdout=0.0, seed=0)


@claim("sample_complexity.slope", "7", "score error of the trained matching model ∝ n^slope: "
       f"95% CI of the slope below 0 and overlapping [{SLOPE_RANGE[0]}, {SLOPE_RANGE[1]}]; "
       f"plug-in (Kronecker/Toeplitz) estimator: slope in [{SLOPE_RANGE[0]}, {SLOPE_RANGE[1]}]")
def sample_complexity_slope(cfg: CheckConfig):
    """Slope of log score error against log n (theory: ``n^{-1/2}``, docs/theory.md §7).

    Trained rows (``estimator="trained"``): measured: for each n in ``TRAINED_NS`` (8..256)
    and 3 seeds (``np.random.SeedSequence(cfg.seed)`` spawns one per (n, replicate); each
    draws the data and the initialisation), the matching model (looped, L = 4, J = 7) is
    trained on n samples by L-BFGS (100 iterations) on the marginalised DSM loss at
    ``t = 0.5``, and its exact relative ``L2(p_t)`` error is computed
    (:func:`gpdtheory.sample_complexity.trained_error`). The slope is the OLS fit of
    ``log error`` on ``log n`` over every (n, seed) point; its 95% CI is
    ``slope ± t_{0.975, K-2} SE`` (OLS standard error, Student t with K - 2 degrees of
    freedom, K = 18 points; lack of fit, e.g. curvature from the optimisation floor, enters
    the residuals and widens it). bound: two-sided, three rows: ``CI upper < 0`` (the
    error falls), ``CI lower <= -0.25`` and ``CI upper >= -0.75`` (together: the CI
    overlaps ``[-0.75, -0.25]``, the paper's ``-1/2`` with a tolerance of 1/4 on either side).
    The grid stops at 256 because the trained error then nears the optimisation floor: the
    same model trained on the population covariance
    (:func:`gpdtheory.sample_complexity.population_samples`) is the row ``n="population"``
    (info), and the slope flattens once the error approaches it (measured: n = 32..1024
    gives -0.36). Training only at the evaluated t removes the multi-time optimisation
    plateau of ``trained.score`` (see the module docstring) from the sample complexity.

    Plug-in rows (``estimator="plug-in"``): measured: the OLS slope for the plug-in
    estimator (Toeplitz/Kronecker covariance estimate plugged into the exact score) over
    n = 64..2048, 2 seeds; bound: ``SLOPE_RANGE`` on the point estimate, both sides.

    Per-n rows (info): mean error over the seeds and its standard error ``se``
    (``std(ddof=1) / sqrt(R)``), ``quantity="score L2 relative error"``.
    """
    from gpdtheory.sample_complexity import (
        plugin_error,
        rate_test,
        sweep_n,
        trained_error,
    )

    kernels = [gp.PoweredExponential(1.0, 1.0)]
    if cfg.full:
        kernels += [gp.PoweredExponential(2.0, 1.0), gp.PoweredExponential(1.0, 2.0)]
    ns = [64, 128, 256, 512, 1024, 2048]
    q = "score L2 relative error"
    for kernel in kernels:
        spec = gp.GPSpec(kernel, 8, SIGMA)
        R = 4 if cfg.full else 2
        res = sweep_n(plugin_error, spec, ns, replicates=R, seed=cfg.seed, t=T_EVAL)
        f = res.fit
        case = {"family": kernel.family, **kernel.params, "N": 8, "d": 2, "Sigma": "SIGMA",
                "t": T_EVAL, "n": f"{ns[0]}..{ns[-1]}", "estimator": "plug-in",
                "replicates": R, "seed": cfg.seed, "quantity": "OLS slope of log error"}
        note = f"slope {f.slope:.3f}, 95% CI [{f.ci[0]:.3f}, {f.ci[1]:.3f}]"
        yield Measurement({**case, "side": "upper"}, f.slope, SLOPE_RANGE[1], note=note)
        yield Measurement({**case, "side": "lower"}, f.slope, SLOPE_RANGE[0], sense=">=", note=note)
        yield from _per_n(res, {k: v for k, v in case.items() if k != "quantity"} | {"quantity": q})

    tkernels = families(cfg.full) if cfg.full else [gp.PoweredExponential(1.0, 1.0)]
    tns = TRAINED_NS_FULL if cfg.full else TRAINED_NS
    R = TRAINED_REPLICATES_FULL if cfg.full else TRAINED_REPLICATES
    tcfg = slope_train_config()
    for kernel in tkernels:
        spec = gp.GPSpec(kernel, 8, SIGMA)
        with torch.random.fork_rng(), torch_threads(1):
            res = sweep_n(trained_error, spec, list(tns), replicates=R, seed=cfg.seed, t=T_EVAL,
                          L=SLOPE_L, cfg=tcfg, device=training_device())
            floor = [trained_error_population(spec, s) for s in range(3)]
        f = res.fit
        test = rate_test(f, SLOPE_RANGE)
        case = {"family": kernel.family, **kernel.params, "N": 8, "d": 2, "Sigma": "SIGMA",
                "t": T_EVAL, "J": 7, "L": SLOPE_L, "steps": SLOPE_STEPS,
                "n": f"{tns[0]}..{tns[-1]}", "estimator": "trained", "replicates": R,
                "seed": cfg.seed, "quantity": "OLS slope of log error", "ci_method":
                "OLS SE x t(0.975, K-2)", "slope": round(f.slope, 4),
                "ci_low": round(f.ci[0], 4), "ci_high": round(f.ci[1], 4)}
        note = (f"slope {f.slope:.3f} ± {f.stderr:.3f} (SE), 95% CI [{f.ci[0]:.3f}, "
                f"{f.ci[1]:.3f}]; distance to [{SLOPE_RANGE[0]}, {SLOPE_RANGE[1]}] "
                f"{test.distance:.3g}; population floor {np.mean(floor):.3g}")
        yield Measurement({**case, "side": "CI upper < 0"}, f.ci[1], 0.0, kind="tolerance",
                          note=note)
        yield Measurement({**case, "side": f"CI lower <= {SLOPE_RANGE[1]}"}, f.ci[0],
                          SLOPE_RANGE[1], kind="tolerance", note=note)
        yield Measurement({**case, "side": f"CI upper >= {SLOPE_RANGE[0]}"}, f.ci[1],
                          SLOPE_RANGE[0], sense=">=", kind="tolerance", note=note)
        per = {k: v for k, v in case.items()
               if k not in ("quantity", "slope", "ci_low", "ci_high", "ci_method")}
        yield from _sweep_baselines(spec, res, per)
        yield from _per_n(res, per | {"quantity": q})
        yield Measurement(per | {"quantity": q, "n": "population", "replicates": len(floor),
                                 "se": float(np.std(floor, ddof=1) / np.sqrt(len(floor)))},
                          float(np.mean(floor)), math.nan, kind="info",
                          note="trained on the population covariance (init seeds 0, 1, 2): "
                          "the optimisation floor; " + ", ".join(f"{v:.4g}" for v in floor))


def _sweep_baselines(spec, res, case: dict):
    """The sweep's largest-n error against the scores that learn nothing from the data.

    Their errors do not depend on n (slope 0, which the ``CI upper < 0`` row excludes);
    this row asks that the error the sweep reaches be below theirs by ``SCORE_MARGIN``,
    with a one-sided 95% upper bound on the model's mean error (Student t over replicates).
    """
    from scipy import stats

    from gpdtheory.evaluate import score_error
    from gpdtheory.models import matching_model

    e_ti = map_error(spec, baselines.time_ignoring_map(spec, T_EVAL))
    with torch.random.fork_rng():
        init = [float(score_error(matching_model(spec, L=SLOPE_L, tied=True, seed=s), spec,
                                  T_EVAL).relative[0]) for s in range(3)]
    nulls = {"time-ignoring": e_ti, "untrained": float(np.mean(init))}
    errs = np.asarray(res.errors[-1], dtype=np.float64)
    R = len(errs)
    upper = float(errs.mean() + stats.t.ppf(0.95, R - 1) * errs.std(ddof=1) / math.sqrt(R))
    best, e_best = baselines.best_baseline(nulls, higher_is_better=False)
    yield Measurement({**case, "n": int(res.n[-1]), "quantity": "min e(baselines) - e(n_max) "
                       "upper 95%", "e_upper": round(upper, 5), "best_baseline": best,
                       "e_best": round(e_best, 5)}, e_best - upper, SCORE_MARGIN, sense=">=",
                      kind="tolerance", note=f"mean error {errs.mean():.4g} over {R} replicates")
    for name, v in nulls.items():
        yield Measurement({**case, "n": "any", "quantity": "score L2 relative error (baseline)",
                           "baseline": name}, v, math.nan, kind="info",
                          note="independent of n" + ("; init seeds 0, 1, 2" if
                                                     name == "untrained" else ""))


def trained_error_population(spec, seed: int) -> float:
    """The sweep's model trained on the population second moment (init seed ``seed``)."""
    from gpdtheory.evaluate import score_error
    from gpdtheory.models import matching_model
    from gpdtheory.sample_complexity import population_samples
    from gpdtheory.train import train

    model = matching_model(spec, L=SLOPE_L, tied=True, seed=seed)
    train(model, population_samples(spec), slope_train_config(), device=training_device())
    return float(score_error(model, spec, T_EVAL).relative[0])


def _per_n(res, case: dict):
    """Informational rows: the sweep's mean error at each n, with its standard error ``se``.

    No bound: the theory gives the rate, not the constant; the slope rows check the rate.
    They summarise the points the slope is fitted to (the fit uses every replicate).
    """
    for n, errs in zip(res.n, res.errors, strict=True):
        reps = ", ".join(f"{e:.4g}" for e in errs)
        se = float(np.std(errs, ddof=1) / np.sqrt(len(errs))) if len(errs) > 1 else math.nan
        yield Measurement({**case, "n": int(n), "replicates": len(errs), "se": se},
                          float(np.mean(errs)), float("nan"), kind="info",
                          note=f"relative L2(p_t) error at t={T_EVAL}, mean of replicates {reps}")
