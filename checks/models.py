"""Claims on user-style models through the protocol (docs/theory.md §§7 and 8).

The paper's DiT-against-U-Net comparison, with its 16-frame control, is
``paper.dit_vs_unet`` (checks/paper_architectures.py).

``models.latte_attention`` diffusers' ``LatteTransformer3DModel`` (a real video DiT),
                           trained briefly by the package's trainer on GP sequences laid out
                           as videos, has temporal attention by lag that correlates with
                           ``rho_bar`` at ``>= 0.8``.

Measured (development runs, one core each):

``latte_attention``: 300 float32 steps (default, ~4-10 s) give Pearson 0.988 and a
normalised-profile error 0.11 at seed 0 (0.85-0.99 per diffusion time at seeds 1, 2);
600 float64 steps (--full) 0.980 / 0.973 / 0.973 at seeds 0 / 1 / 2 with errors 0.29 /
0.26 / 0.29 (the trained profile decays faster than ``rho`` past lag 2: 0.36 at lag 2
against 0.51). An untrained Latte's attention is flat (spread < 2%, Pearson 0.1-0.3), so
the fixed sine-cosine temporal position embedding alone does not produce the profile:
training does. With ``J = N - 1`` the constructed kernel's normalised profile equals
``rho_bar``'s to round-off, so its row repeats the ``rho_bar`` error (it differs for
``J < N - 1`` only through the truncation).
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.linalg

import gpdtheory as gp

from .cases import training_device
from .table import CheckConfig, Measurement, claim

#: Required Pearson correlation of Latte's temporal attention by lag with rho_bar.
CORR_MIN = 0.8
#: Least spread ``(max - min) / max|.|`` of the attention profile for its correlation to count
#: (as in ``video.attention``: a near-flat profile correlates by chance).
MIN_SPREAD = 0.25
#: Least margin of Latte's Pearson correlation with rho_bar over the best null baseline
#: (identity attention, the untrained Latte of the same seed): the same margin as
#: paper.attention's ATT_MARGIN, below which a gain is within the seed-to-seed spread.
LATTE_MARGIN = 0.02


def _latte_cases(cfg: CheckConfig):
    yield dict(steps=300, dtype="float32", train_seeds=(0,))
    if cfg.full:
        yield dict(steps=600, dtype="float64", train_seeds=(0, 1, 2))


@claim("models.latte_attention", "8", "diffusers' LatteTransformer3DModel trained by the "
       "package on GP videos: the Pearson correlation of its temporal attention by lag with "
       f"rho_bar is >= {CORR_MIN} (a profile spreading < {MIN_SPREAD:.0%} is no evidence); "
       "the scale-sensitive error (profiles normalised to 1 at lag 0) is reported beside it")
def latte_attention(cfg: CheckConfig):
    """Latte's temporal attention by lag against ``rho_bar`` (and the constructed kernel).

    measured: the attention probabilities of ``temporal_transformer_blocks.*.attn1``
    recorded by :func:`gpdtheory.capture.capture_attention` on 128 noised training
    sequences at t = 0.1, 0.5, 2.0, averaged over samples, spatial positions, heads, times
    and query frames by lag (:func:`gpdtheory.compare_models.compare_attention`), correlated
    (Pearson) with ``rho_bar(0..N-1)``; nan (FAILS) when the profile's spread is below
    ``MIN_SPREAD``. bound: ``CORR_MIN`` = 0.8 (the issue's goal); ``rho_bar`` comes from the
    kernel, not from the model. Info rows: the relative L2 error of the profile
    normalised to 1 at lag 0 against ``rho_bar`` and against the constructed kernel (read
    from :func:`gpdtheory.construct.build`). Data: N = 8 frames of 2 x 2 x 2 (d = 8),
    powered exponential ell = 3, Sigma from a seeded random factor; 1024 sequences.

    Baselines, the same statistic on null profiles: identity attention (lag 0
    only) and the untrained Latte of the same seed (uniform attention has no Pearson
    correlation). Both graded rows are the paper's hypothesis for a real DiT, so they are
    findings (``reproduced`` / ``not reproduced``): the margin over the best baseline
    ``>= LATTE_MARGIN``, and the absolute correlation ``>= CORR_MIN``. The model's profile
    goes through :func:`gpdtheory_checks.baselines.judged_profile`.
    """
    import torch

    from gpdtheory.compare_models import compare_attention
    from gpdtheory.latte import TEMPORAL, latte_score_model
    from gpdtheory.profiles import correlation, lag_profile
    from gpdtheory.protocol import count_parameters
    from gpdtheory.train import TrainConfig, train

    from . import baselines

    rng = cfg.rng("models.latte_attention")
    data_seed = int(rng.integers(2**31))
    N, fs = 8, (2, 2, 2)
    d = 8
    F = np.random.default_rng(data_seed).standard_normal((d, d))
    spec = gp.GPSpec(gp.PoweredExponential(3.0, 1.0), N=N, Sigma=F @ F.T / d + 0.5 * np.eye(d))
    data = spec.sample(1024, seed=data_seed)
    from gpdtheory.train import torch_threads

    with torch_threads(1):
        for case in _latte_cases(cfg):
            dtype = getattr(torch, case["dtype"])
            for ts in case["train_seeds"]:
                start = time.perf_counter()
                sm = latte_score_model(N=N, frame_shape=fs, dtype=dtype, seed=ts)
                tcfg = TrainConfig(steps=case["steps"], batch_size=64, lr=3e-3, warmup=20,
                                   eval_every=50, patience=100, val_noise=2, seed=ts)
                res = train(sm, data, tcfg, device=training_device())
                sm.cpu()   # the comparison reads the maps into numpy
                cmp = compare_attention(sm, spec, modules=TEMPORAL, data=data, n=128, seed=ts)
                wall = time.perf_counter() - start
                prof_model = baselines.judged_profile(cmp.maps)
                a = prof_model
                spread = float((a.max() - a.min()) / np.abs(a).max())
                corr = (correlation(prof_model, cmp.rho_bar) if spread >= MIN_SPREAD
                        else math.nan)
                # the same architecture at initialisation (same seed), same statistic
                sm0 = latte_score_model(N=N, frame_shape=fs, dtype=dtype, seed=ts)
                cmp0 = compare_attention(sm0, spec, modules=TEMPORAL, data=data, n=128, seed=ts)
                nulls = {"identity": correlation(baselines.identity_profile(N), cmp.rho_bar),
                         "uniform": math.nan,  # a constant profile: Pearson undefined
                         "untrained": correlation(lag_profile(cmp0.maps), cmp.rho_bar)}
                best, c_best = baselines.best_baseline(nulls)
                base = {"N": N, "frame_shape": "x".join(map(str, fs)), "d": d,
                        "family": spec.kernel.family, "ell": 3.0, "nu": 1.0, "steps":
                        case["steps"], "dtype": case["dtype"], "params": count_parameters(sm),
                        "data_seed": data_seed, "train_seed": ts, "attention_seed": ts}
                prof = ", ".join(f"{v:.3f}" for v in cmp.vs_rho.profile)
                # the report draws the mean map beside Gamma_bar and the constructed kernel
                # (both Toeplitz, the constructed one normalised to 1 at lag 0)
                figure = {"attention_map": np.round(cmp.maps, 4).tolist(),
                          "gamma": np.round(scipy.linalg.toeplitz(cmp.rho_bar), 4).tolist(),
                          "constructed_kernel": np.round(scipy.linalg.toeplitz(
                              cmp.constructed / cmp.constructed[0]), 4).tolist()}
                for name, value in nulls.items():
                    if math.isfinite(value):  # uniform: undefined, listed in the note only
                        yield Measurement({**base, "quantity": f"baseline {name}: Pearson "
                                           "corr with rho_bar"}, value, math.nan, kind="info")
                yield Measurement({**base, "quantity": "corr(model) - max corr(baselines)",
                                   "best_baseline": best, "spread": round(spread, 4)},
                                  corr - c_best, LATTE_MARGIN, sense=">=", kind="finding",
                                  note=f"model {corr:.3f}, {best} {c_best:.3f}; uniform "
                                       "attention: Pearson undefined (constant profile)")
                yield Measurement({**base, "quantity": "Pearson corr(attention by lag, rho_bar)",
                                   "spread": round(spread, 4), **figure}, corr, CORR_MIN,
                                  sense=">=", kind="finding",
                                  note=f"attention/att[0] = [{prof}]; train {res.seconds:.1f} s,"
                                       f" wall {wall:.1f} s")
                yield Measurement({**base, "quantity": "normalised profile rel. L2 error vs "
                                   "rho_bar", "normalisation": "value 1 at lag 0"},
                                  cmp.vs_rho.relative_error, math.nan, kind="info",
                                  note="no bound: softmax probabilities need not decay like rho")
                yield Measurement({**base, "quantity": "normalised profile rel. L2 error vs "
                                   "constructed kernel", "normalisation": "value 1 at lag 0"},
                                  cmp.vs_constructed.relative_error, math.nan, kind="info",
                                  note=f"Pearson {cmp.vs_constructed.correlation:.3f}")
