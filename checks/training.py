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

The trained.* claims are defined here; ``sample_complexity.slope`` in
:mod:`gpdtheory_checks.training_slope`, the models and data they share in
:mod:`gpdtheory_checks.trained_setup`, the layer distances in
:mod:`gpdtheory_checks.looped_layers`; every name is importable from here too.

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

try:  # the missing extra named before gpdtheory.train reaches for it
    import torch  # noqa: F401
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from gpdtheory._extras import require

    require("torch", "torch")
    raise

import gpdtheory as gp
from gpdtheory.train import torch_threads

from . import baselines
from .looped_layers import (  # noqa: F401  (re-exported: the old home of these names)
    _noised,
    _worst_contraction,
    hidden_states,
    layer_distances,
    null_layer_distances,
)
from .table import CheckConfig, Measurement, claim
from .trained_setup import (  # noqa: F401  (re-exported: the old home of these names)
    HELDOUT,
    MAX_LBFGS,
    MAX_LBFGS_FULL,
    SCORE_BOUND,
    SCORE_BOUND_FULL,
    SCORE_MARGIN,
    SHUFFLES,
    SIGMA,
    T_EVAL,
    T_MAX,
    T_MIN,
    _case,
    _permutations,
    _setting,
    families,
    map_error,
    train_config,
    trained_matching_model,
    untrained_matching_model,
)
from .training_slope import (  # noqa: F401  (re-exported: the old home of these names)
    SLOPE_L,
    SLOPE_RANGE,
    SLOPE_STEPS,
    TRAINED_NS,
    TRAINED_NS_FULL,
    TRAINED_REPLICATES,
    TRAINED_REPLICATES_FULL,
    _per_n,
    _sweep_baselines,
    sample_complexity_slope,
    slope_train_config,
    trained_error_population,
)

#: trained.kernel: least margin of the trained map's recovery R of C_t^{-1}'s off-lag temporal
#: structure over the best null baseline (R in [.., 1]; the time-ignoring score has R = 0):
#: beyond any null, at least a fifth of the structure (the constructed network with the same
#: J and L recovers 0.50-0.74).
KERNEL_MARGIN = 0.2
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


def _models(cfg: CheckConfig):
    for i in range(len(families(cfg.full))):
        yield trained_matching_model(cfg.full, cfg.seed, i)

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
