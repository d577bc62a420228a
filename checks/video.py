"""Claim on semi-synthetic video (docs/theory.md §§1, 7 and 8 beyond Gaussian data).

``video.attention``  a score network trained on moving-ball videos recovers the motion's
                     ``rho``. One statistic, fixed before the run: the Pearson correlation
                     of the model's attention by lag (lags 0..8) with ``rho(0..8)``,
                     ``>= 0.8``. Pearson is blind to scale: an untrained DiT's near-flat
                     attention (spread ~4%) correlated at 0.998 / 0.83 / 0.41 (sine-cosine
                     start) and 0.36 / -0.11 / 0.99 (random start) at seeds 0 / 1 / 2, so a
                     profile whose spread ``(max - min) / max |.|`` is below ``MIN_SPREAD``
                     = 25% is not evidence: its row measures nan and FAILS. Beside it, an
                     informational row (no bound, see the claim's docstring for why) gives
                     the scale-sensitive error of the profile normalised to 1 at lag 0.
                     The temporal correlation of generated centroid paths is in the note
                     only (it was formerly a second route to the same verdict).

The statistic is near its bound: over ``--seed`` 0..11 the default run measures 0.787-0.915
and fails at seeds 4 and 10 (0.787, 0.799); the bound stays at 0.8 (docs/measurements.md,
"Video", has every seed).

Default: the ReLU matching model (looped, position-only, L=2, J=4) on 6x6 frames, N=12,
1024 videos, 300 AdamW steps (about 10 s on 2 cores). ``--full`` adds the softmax DiT on 8x8
frames, N=16, 1024 videos, 2000 steps (width 128, 2 blocks, 4 heads, sine-cosine-initialised
learned position embeddings; about 70 s on one thread), and the matching model at that size
(J = 8, 1000 steps, about 40 s): about 2 minutes in all.

The full-size matching model FAILS (0.671 / 0.794 / 0.619 at ``--seed`` 0 / 1 / 2), and no
training setting is a principled cure: its correlation with ``rho`` falls as its held-out
loss falls. Its y-to-y kernel starts broad (correlation 0.89-0.99 at step 100, near the
initial loss) and narrows onto lags 0-1 as it fits, below even the pixels' own profile (lag
2: ~0.01 against 0.40), so the seed that fits best correlates least (held-out
loss 0.339 / 0.370 / 0.423 for 0.619 / 0.671 / 0.794). 2000 steps at lr 3e-3 (0.788) or
depth L = 4 (0.872 at a higher loss, 0.417) only stop earlier on that path. The linear model
fits the pixels' second moments, which do not determine ``rho`` (see the claim's docstring);
the row is left failing at the declared bound (per-step figures: docs/measurements.md).

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


def _cases(cfg: CheckConfig):
    from gpdtheory.train import TrainConfig

    # n = 1024 videos: the attention correlation grows with data (mean 0.858 over 12 seeds,
    # against 0.843 over 6 at n = 256), while more steps on 256 videos overfit the pixels (0.6)
    yield ("relu", dict(n=1024, N=12, size=6),
           TrainConfig(steps=300, batch_size=64, lr=1e-2, warmup=20, eval_every=100),
           dict(L=2, J=4))
    if cfg.full:
        # J = MAX_LAG: J = 4 held at one seed in three (see the module docstring)
        yield ("relu", dict(n=1024, N=16, size=8),
               TrainConfig(steps=1000, batch_size=64, lr=1e-2, warmup=20, eval_every=100),
               dict(L=2, J=MAX_LAG))
        # width >= 2 d and sine-cosine position init: see the module docstring
        yield ("dit", dict(n=1024, N=16, size=8),
               TrainConfig(steps=2000, batch_size=64, lr=3e-3, warmup=20, eval_every=100,
                           patience=100, val_noise=2),
               dict(width=128, depth=2, heads=4, pos_init="sincos"))


@claim("video.attention", "7", "on moving-ball videos, the Pearson correlation of the trained "
       f"model's attention by lag with rho(0..{MAX_LAG}) is >= {CORR_MIN} (a profile spreading "
       f"< {MIN_SPREAD:.0%} is no evidence); the relative L2 error of the profile normalised "
       "to 1 at lag 0 is reported beside it (info)")
def video_attention(cfg: CheckConfig):
    """Attention by lag of a score network trained on moving-ball videos against ``rho``.

    The statistic is declared here, before any run: the Pearson correlation of the
    attention lag profile (lags ``0..MAX_LAG``) with ``rho(0..MAX_LAG)``.

    measured: the trained model's attention by lag (:func:`gpdtheory.video.attention_lag_profile`:
    for the ReLU matching model the trace of its y-to-y attention kernel, averaged along
    diagonals; for the DiT its softmax maps on noised training videos) correlated (Pearson)
    with ``rho``; nan -- so the row FAILS -- when the profile's spread is below
    ``MIN_SPREAD`` = 25% (a near-flat profile carries no lag information, whatever its
    correlation). bound: ``CORR_MIN`` = 0.8; ``rho(m)`` is the kernel of the ball's
    path, computed from the kernel, not from the videos.

    Scale-sensitive companion (``quantity="normalised profile rel. L2 error"``, info row):
    ``||a / a[0] - rho / rho[0]|| / ||rho / rho[0]||`` with both profiles normalised to value
    1 at lag 0. No bound: the network denoises pixels, and the pixels' own temporal
    correlation (:func:`pixel_lag_profile`, the ball overlapping itself ``m`` frames later)
    falls much faster than the path's ``rho``, so nothing the model can attain is fixed by
    ``rho`` alone. The case carries the same error for that pixel profile (``pixel_error``)
    as the reference: a profile that tracks the pixels scores about that much.
    """

    kernel = gp.PoweredExponential(8.0, 1.5)
    seed = int(cfg.rng("video.attention").integers(2**31))
    from gpdtheory.train import torch_threads

    with torch_threads(1):
        yield from _measure(cfg, kernel, seed)


def _measure(cfg: CheckConfig, kernel, seed: int):
    import torch

    from gpdtheory.data import moving_ball
    from gpdtheory.profiles import profile_error
    from gpdtheory.video import evaluate_video, train_video

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
        yield Measurement({**case, "quantity": "Pearson corr(attention by lag, rho)",
                           "spread": round(spread, 4)},
                          attention_evidence(ev.attention_corr, spread), CORR_MIN, sense=">=",
                          note=note)
        prof = ", ".join(f"{v / ev.attention[0]:.3f}" if ev.attention[0] else "nan"
                         for v in ev.attention)
        yield Measurement({**case, "quantity": "normalised profile rel. L2 error",
                           "normalisation": "value 1 at lag 0",
                           "pixel_error": round(pix_err, 4)},
                          norm_err, math.nan, kind="info",
                          note=f"attention/att[0] = [{prof}]; pixels' own profile error "
                          f"{pix_err:.3f} (no bound: see the claim's docstring)")
