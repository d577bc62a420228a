"""Claim on semi-synthetic video (docs/theory.md §§1, 7 and 8 beyond Gaussian data).

``video.attention``  a score network trained on moving-ball videos, judged at convergence
                     against null profiles. One statistic, fixed before the run: the Pearson
                     correlation of the model's attention by lag (lags 0..8) with a
                     reference. Graded rows: the model's correlation minus the best null
                     profile's (attention on the query frame only, uniform attention, the
                     same architecture at initialisation), >= VIDEO_MARGIN, against
                     ``rho`` (a finding: the paper's hypothesis for this model class); the
                     same margin against the pixels' own temporal correlation (what a linear
                     denoiser's kernel sees) is info. The former absolute row (``>= 0.8``
                     against ``rho``) is a finding at convergence. A profile whose spread
                     ``(max - min) / max |.|`` is below ``MIN_SPREAD`` = 25% is no evidence
                     (its margin is nan). Info rows: each baseline's correlation and the
                     scale-sensitive error of the profile normalised to 1 at lag 0.

Convergence: the default training runs until its held-out loss plateaus (the
best held-out loss falls by < 1% over 3 evaluations, 300 steps; ``PLATEAU``, cap
``MAX_STEPS``), at a constant learning rate 3e-3; the row records the steps run, the best
step and the held-out loss. Measured (``--seed 0``): 2200 steps, held-out loss 0.323;
correlation with rho 0.661 (identity profile 0.595: margin 0.066, reproduced; absolute 0.8
not reproduced), with the pixels' profile 0.764 (identity 0.698: margin 0.066). At
``--seed`` 1 / 2 (2000 / 2500 steps, held-out loss 0.312 / 0.317) the margins are -0.52 /
-0.08 against rho and -0.41 / -0.02 against the pixels: at convergence the matching model's
attention does not beat the identity profile, so neither margin is a stable verdict, and the
pixels' one is info. Development runs (same seeds): at t = 0.5 the converged model's
end-to-end map is further from the pixels' Gaussian score ``C_t^{-1}`` (relative L2 error
0.28 / 0.29 / 0.31) than the per-frame, time-ignoring one (0.20): the class does not reach
the temporal optimum of its own loss (docs/theory.md §8.1). The
attention collapses onto lags 0-1 as the loss falls (profile 1, 0.21, ~0 ...): at 300 steps
(loss 0.464) it correlated 0.868 with rho, at 2000 (cosine schedule, loss 0.314) 0.595, the
identity baseline's value. At 300 steps (the former default, not converged) the statistic
measured 0.787-0.915 over ``--seed`` 0..11 (docs/measurements.md, "Video").

Default: the ReLU matching model (looped, position-only, L=2, J=4) on 6x6 frames, N=12,
1024 videos, AdamW to the held-out plateau (about 20 s on 2 cores). ``--full`` adds the
softmax DiT on 8x8 frames, N=16, 1024 videos (width 128, 2 blocks, 4 heads,
sine-cosine-initialised learned position embeddings) and the matching model at that size
(J = 8), both under the same convergence rule (``PLATEAU``, constant lr 3e-3, cap
``MAX_STEPS``), so that the default and ``--full`` grade the same statement at the same
point of training: about 14 minutes in all on 2 shared cores.

Measured with ``--full --seed 0`` (both at the plateau): the full-size matching model stops
at 1800 steps (held-out loss 0.362), correlation with rho 0.694 against the untrained
loop's 0.616 (margin 0.079, reproduced; absolute 0.8 not reproduced). The DiT stops at 2800
steps (held-out loss 0.032) with correlation 0.724, while the *untrained* DiT already
correlates 0.997: at initialisation its softmax attention over sine-cosine position
embeddings is a smooth, decaying function of the lag, which is what ``rho`` is, and training
narrows it (margin -0.27, not reproduced). For the DiT the statement "attention resembles
``rho``" is met before any training and lost by it; the baseline makes that visible, the
absolute row alone (0.72 against 0.8) would not. The former fixed step counts (1000 for the
matching model, 2000 for the DiT) stopped the runs before the plateau. Earlier
development runs of the full-size matching model at a fixed lr 1e-2 (0.671 / 0.794 / 0.619
at ``--seed`` 0 / 1 / 2) showed the same path: its y-to-y kernel starts broad
(correlation 0.89-0.99 at step 100) and narrows onto lags 0-1 as it fits, so the seed that
fits best correlates least (per-step figures: docs/measurements.md).

Why the DiT is configured so: its width must exceed the token size (d = 64 pixels), or the
noise prediction is squeezed through fewer numbers per frame than it has to denoise; and its
position embeddings start from the sine-cosine table, because from a ``0.02 * randn`` start
they never leave it and the DiT becomes a set model over frames that cannot see lags. The
full-size matching model uses ``J = MAX_LAG = 8`` (J + 2 heads) so that its attention can
reach every lag at which ``rho`` is scored. The figures behind these choices (per seed, per
width, per start) are in docs/measurements.md, "Video".
"""

from __future__ import annotations

import math
import time

import gpdtheory as gp

from .cases import training_device
from .table import CheckConfig, Measurement, claim

#: Required Pearson correlation with rho over lags 0..MAX_LAG.
CORR_MIN = 0.8
MAX_LAG = 8
#: Least spread ``(max - min) / max|.|`` of the attention profile for its correlation to
#: count: Pearson is blind to scale, and an untrained DiT's near-flat profile (spread ~4%)
#: correlated at up to 0.998 by chance. ``rho(0..8)`` itself spreads 94%.
MIN_SPREAD = 0.25
#: Least margin of the model's correlation over the best null profile's (identity, uniform,
#: the untrained model): smaller gains are within the statistic's seed-to-seed spread
#: (0.787-0.915 over 12 seeds at 300 steps).
VIDEO_MARGIN = 0.05
#: Convergence rule of the default training: stop when the best held-out loss fell by less
#: than 1% over the last 3 evaluations (300 steps); MAX_STEPS caps it.
PLATEAU = {"plateau": 0.01, "plateau_window": 3}
MAX_STEPS = 4000


def profile_spread(profile) -> float:
    """``(max - min) / max |.|`` of a lag profile (0 for an all-zero one)."""
    import numpy as np

    p = np.asarray(profile, dtype=np.float64)
    top = float(np.max(np.abs(p))) if p.size else 0.0
    return float(np.max(p) - np.min(p)) / top if top > 0.0 else 0.0


def attention_evidence(corr: float, spread: float) -> float:
    """The attention correlation if the profile varies enough to carry lag information, else nan."""
    return corr if spread >= MIN_SPREAD else math.nan


def pixel_lag_profile(tokens, max_lag: int):
    """Temporal correlation of the frames themselves by lag: ``(max_lag + 1,)``, 1 at lag 0.

    ``mean_{s, i, a} z[s, i, a] z[s, i + m, a]`` over standardised pixels, divided by its
    lag-0 value: what a linear denoiser's temporal kernel sees in the pixels (the ball's
    overlap with itself ``m`` frames later, which falls faster than the path's ``rho``).
    """
    import numpy as np

    Z = np.asarray(tokens, dtype=np.float64)
    Z = (Z - Z.mean(axis=(0, 1))) / np.maximum(Z.std(axis=(0, 1)), 1e-12)
    N = Z.shape[1]
    prof = np.array([np.mean(np.einsum("sia,sia->si", Z[:, : N - m], Z[:, m:]))
                     for m in range(max_lag + 1)])
    return prof / prof[0]


def null_profiles(video, model: str, kwargs: dict, seed: int) -> dict:
    """The null profiles of ``video.attention`` over lags ``0..MAX_LAG``: attention on the
    query frame only, uniform attention, and the same architecture at initialisation
    (same seed, read by the same route as the trained model)."""
    import numpy as np
    import torch

    from gpdtheory.train import TrainConfig
    from gpdtheory.video import attention_lag_profile, train_video

    from . import baselines

    m = MAX_LAG + 1
    with torch.random.fork_rng():
        # one step at a vanishing learning rate: the initial weights, through train_video's
        # own construction (same seed, same standardisation)
        vm0 = train_video(video, model, cfg=TrainConfig(steps=1, batch_size=2, lr=1e-300,
                                                        warmup=0, holdout=0.0, ema=0.0),
                          **kwargs, dtype=torch.float32, seed=seed)
    return {"identity": baselines.identity_profile(m), "uniform": baselines.uniform_profile(m),
            "untrained": np.asarray(attention_lag_profile(vm0, video))[:m]}


def _cases(cfg: CheckConfig):
    from gpdtheory.train import TrainConfig

    # n = 1024 videos: the attention correlation grows with data (mean 0.858 over 12 seeds,
    # against 0.843 over 6 at n = 256), while more steps on 256 videos overfit the pixels (0.6)
    # trained to convergence (PLATEAU): the attention changes as the loss falls, so the
    # verdict is taken where the held-out loss stops falling (constant lr 3e-3: 1e-2 spikes)
    yield ("relu", dict(n=1024, N=12, size=6),
           TrainConfig(steps=MAX_STEPS, batch_size=64, lr=3e-3, warmup=20, eval_every=100,
                       schedule="constant", patience=100, **PLATEAU), dict(L=2, J=4))
    if cfg.full:
        # J = MAX_LAG: J = 4 held at one seed in three (see the module docstring)
        # the same convergence rule as the default case: the verdict at the plateau
        yield ("relu", dict(n=1024, N=16, size=8),
               TrainConfig(steps=MAX_STEPS, batch_size=64, lr=3e-3, warmup=20, eval_every=100,
                           schedule="constant", patience=100, **PLATEAU),
               dict(L=2, J=MAX_LAG))
        # width >= 2 d and sine-cosine position init: see the module docstring
        yield ("dit", dict(n=1024, N=16, size=8),
               TrainConfig(steps=MAX_STEPS, batch_size=64, lr=3e-3, warmup=20, eval_every=100,
                           schedule="constant", patience=100, val_noise=2, **PLATEAU),
               dict(width=128, depth=2, heads=4, pos_init="sincos"))


@claim("video.attention", "7", "on moving-ball videos, trained to a held-out loss plateau: "
       f"the Pearson correlation of the model's attention by lag (lags 0..{MAX_LAG}) beats "
       f"the best null profile (identity, uniform, untrained) by >= {VIDEO_MARGIN}, against "
       "rho (finding; against the pixels' own lag profile: info); the absolute correlation "
       f"with rho >= {CORR_MIN} as a finding")
def video_attention(cfg: CheckConfig):
    """Attention by lag of a score network trained on moving-ball videos, against null profiles.

    The statistic is declared here, before any run: the Pearson correlation of the
    attention lag profile (lags ``0..MAX_LAG``) with a reference profile.

    measured: the trained model's attention by lag
    (:func:`gpdtheory_checks.baselines.judged_profile`,
    i.e. :func:`gpdtheory.video.attention_lag_profile`: for the ReLU matching model the trace
    of its y-to-y attention kernel, averaged along diagonals; for the DiT its softmax maps
    on noised training videos), its correlation with the reference minus the best null
    profile's (:func:`null_profiles`: ``[1, 0, ...]``, a constant -- undefined, skipped --
    and the same architecture at initialisation, same seed, same route); nan when the
    profile's spread is below ``MIN_SPREAD`` = 25%. Training runs to the plateau of the
    held-out loss (``PLATEAU``); the case records ``steps_run``, ``best_step`` and
    ``heldout_loss``. bound: ``VIDEO_MARGIN`` = 0.05, sense ``>=``.

    References (the bound side, computed without the model): ``rho(m)``, the kernel of the
    ball's path (from the kernel, not from the videos) -- a finding row, the paper's
    hypothesis for this model class; and the pixels' own temporal correlation
    (:func:`pixel_lag_profile`, the ball overlapping itself ``m`` frames later), what a
    linear denoiser's kernel can see -- an info row (no verdict: it held at ``--seed`` 0
    and failed at 1 and 2, see the module docstring). Why the pixels: the matching model
    is linear in ``X``, so at convergence it fits the pixels' second moments, which do not
    determine ``rho`` (the pixel profile falls much faster than the path's ``rho``).

    Absolute row (finding): the correlation with ``rho`` at convergence against
    ``CORR_MIN`` = 0.8. Info rows: each baseline's correlation, and the scale-sensitive
    ``||a / a[0] - rho / rho[0]|| / ||rho / rho[0]||`` with the pixels' own error as a
    reference (``pixel_error``).
    """

    kernel = gp.PoweredExponential(8.0, 1.5)
    seed = int(cfg.rng("video.attention").integers(2**31))
    from gpdtheory.train import torch_threads

    with torch_threads(1):
        yield from _measure(cfg, kernel, seed)


def _measure(cfg: CheckConfig, kernel, seed: int):
    import numpy as np
    import torch

    from gpdtheory.data import moving_ball
    from gpdtheory.profiles import correlation, profile_error
    from gpdtheory.video import evaluate_video, train_video

    from . import baselines

    for model, sizes, tcfg, kwargs in _cases(cfg):
        start = time.perf_counter()
        video = moving_ball(sizes["n"], sizes["N"], size=sizes["size"], kernel=kernel, seed=seed)
        vm = train_video(video, model, cfg=tcfg, **kwargs, dtype=torch.float32,
                         device=training_device(), seed=seed % 1000)
        ev = evaluate_video(vm, video, max_lag=MAX_LAG, n_gen=256, seed=seed % 1000)
        wall = time.perf_counter() - start
        spread = profile_spread(ev.attention)
        norm_err = profile_error(ev.attention, ev.rho)
        pix = pixel_lag_profile(video.tokens, MAX_LAG)
        pix_err = profile_error(pix, ev.rho)
        note = (f"spread {spread:.0%}; generated centroid corr {ev.generated_corr:.3f} "
                f"(rel. err {ev.generated_relerr:.2f}; data's own {ev.data_corr:.4f}), "
                f"wall {wall:.1f} s")
        shape = {"width": kwargs["width"]} if model == "dit" else {"J": kwargs["J"]}
        case = {"model": model, **shape, **sizes, "steps": tcfg.steps, "family": kernel.family,
                **kernel.params, "video_seed": seed, "train_seed": seed % 1000}
        att = baselines.judged_profile(vm, video, max_lag=MAX_LAG)
        spread = profile_spread(att)
        corr = attention_evidence(correlation(att, ev.rho), spread)
        null = null_profiles(video, model, kwargs, seed % 1000)
        res = vm.result
        case |= {"steps_run": res.history["eval_step"][-1], "converged": bool(res.stopped_early),
                 "best_step": res.best_step, "heldout_loss": round(res.best_val, 5)}
        for target, ref, kind in (("rho", ev.rho, "finding"), ("pixels", pix, "info")):
            scores = {k: correlation(v, ref) if np.ptp(v) > 0 else math.nan
                      for k, v in null.items()}
            best, c_best = baselines.best_baseline(scores)
            c_model = attention_evidence(correlation(att, ref), spread)
            yield Measurement({**case, "quantity": f"corr(attention, {target}) - max "
                               "corr(baselines)", "corr_model": round(c_model, 4),
                               "best_baseline": best, "corr_best": round(c_best, 4),
                               "spread": round(spread, 4)},
                              c_model - c_best, VIDEO_MARGIN if kind != "info" else math.nan,
                              sense=">=", kind=kind,
                              note=note if kind != "info" else "no verdict: the converged "
                              "profile tracks the pixels' at seed 0 only (see the docstring); "
                              + note)
            for name, v in scores.items():
                yield Measurement({**case, "quantity": f"corr(baseline, {target})",
                                   "baseline": name}, v if math.isfinite(v) else 0.0, math.nan,
                                  kind="info", note="same statistic as the model" + (
                                      "; undefined (constant profile), shown as 0"
                                      if not math.isfinite(v) else ""))
        yield Measurement({**case, "quantity": "Pearson corr(attention by lag, rho)",
                           "spread": round(spread, 4)}, corr if math.isfinite(corr) else 0.0,
                          CORR_MIN, sense=">=", kind="finding",
                          note="absolute bound, at convergence; " + note)
        prof = ", ".join(f"{v / ev.attention[0]:.3f}" if ev.attention[0] else "nan"
                         for v in ev.attention)
        yield Measurement({**case, "quantity": "normalised profile rel. L2 error",
                           "normalisation": "value 1 at lag 0",
                           "pixel_error": round(pix_err, 4)},
                          norm_err, math.nan, kind="info",
                          note=f"attention/att[0] = [{prof}]; pixels' own profile error "
                          f"{pix_err:.3f} (no bound: see the claim's docstring)")
