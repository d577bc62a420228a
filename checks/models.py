"""Claims on user-style models through the protocol (docs/theory.md §§7 and 8).

``models.dit_vs_unet``     the paper's comparison: on the same GP data, with the same
                           parameter budget (within 20%) and the same training steps, the
                           temporal-decay error of a softmax DiT's and a 1-D U-Net's
                           generated samples (``compare_models.temporal_decay_error``),
                           side by side as informational rows: at this scale the paper's
                           "DiT lower" is not a stable finding (below).
``models.latte_attention`` diffusers' ``LatteTransformer3DModel`` (a real video DiT),
                           trained briefly by the package's trainer on GP sequences laid out
                           as videos, has temporal attention by lag that correlates with
                           ``rho_bar`` at ``>= 0.8``.

Measured (development runs, one core each):

``dit_vs_unet`` default (N = 16, ell = 6, d = 2, n = 1024, 600 AdamW steps, 5218 DiT /
5304 U-Net parameters): DiT 0.060 / 0.070 / 0.151 against U-Net 0.112-0.184 / 0.207 /
0.198 at training seeds 0 / 1 / 2 (the estimator's floor on exact samples 0.02-0.05),
about 9 s. **Under --full the order reverses**: at 2000 steps (n = 2048)
the DiT measured 0.123 / 0.214 / 0.189 against the U-Net's 0.081 / 0.048 / 0.046 at seeds
0 / 1 / 2. So the default run's order is an early-training effect (the
U-Net fits the short lags first and its samples decorrelate too fast past lag ~8 at 600
steps, covariance error 0.8-3 against the DiT's 0.17-0.38), not the architectural
advantage the paper reports: at N = 16 the U-Net's receptive field (kernel-3
convolutions around one down-sampling, about +-8 frames) already covers the lags where
``rho`` is large. At N = 32 (ell = 12, 600 steps) the DiT did not win either (0.219
against 0.200; its profile flattens at ~0.34 past lag 14). Not examined for lack of
time: longer sequences with longer training, where the receptive field would bind.

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

import gpdtheory as gp

from .table import CheckConfig, Measurement, claim

#: Required Pearson correlation of Latte's temporal attention by lag with rho_bar.
CORR_MIN = 0.8
#: Least spread ``(max - min) / max|.|`` of the attention profile for its correlation to count
#: (as in ``video.attention``: a near-flat profile correlates by chance).
MIN_SPREAD = 0.25
#: Largest relative parameter-count mismatch allowed between the DiT and the U-Net.
PARAM_TOL = 0.2


def _dvu_cases(cfg: CheckConfig):
    yield dict(N=16, ell=6.0, n=1024, steps=600, train_seeds=(0,))
    if cfg.full:
        yield dict(N=16, ell=6.0, n=2048, steps=2000, train_seeds=(0, 1, 2))


@claim("models.dit_vs_unet", "8", "same GP data, parameter budget (within 20%) and training "
       "steps: temporal-decay error (normalised lag profile of the nearest-Kronecker "
       "temporal factor vs rho) of the softmax DiT's and the 1-D U-Net's generated samples, "
       "reported side by side (info: the paper's 'DiT lower' does not reproduce at N = 16, "
       "see the module docstring)")
def dit_vs_unet(cfg: CheckConfig):
    """DiT against U-Net on the temporal decay of generated samples (the paper's comparison).

    measured: the temporal-decay error of 2000 samples generated (exponential integrator,
    40 steps, T = 6, t0 = 0.01) with the trained :class:`gpdtheory.models.SoftmaxDiT`
    (width 16, one block, 2 heads, sine-cosine-initialised positions): the nearest
    Kronecker product ``A ⊗ B`` to the samples' covariance, ``A`` averaged along diagonals
    and normalised to 1 at lag 0, relative L2 error against ``rho / rho[0]``
    (:func:`gpdtheory.compare_models.temporal_decay_error`). bound: the same error for
    :class:`gpdtheory.models.UNet1d` (width 11: parameter counts within 20%, both printed
    in the case) trained on the same samples with the same :class:`TrainConfig` (steps,
    batch, learning rate, seed) and sampled with the same noise seed, in the case
    (``unet_error``) and the note. The rows are informational, without a verdict: the
    default run's "DiT lower" is an early-training effect that reverses under ``--full``
    (module docstring), so neither order is a finding this comparison can certify. The
    note carries each model's covariance error and the estimator's floor on exact samples.
    """
    import torch

    from gpdtheory.compare_models import sample_errors
    from gpdtheory.models import SoftmaxDiT, UNet1d
    from gpdtheory.protocol import count_parameters
    from gpdtheory.train import TrainConfig, train

    data_seed = int(cfg.rng("models.dit_vs_unet").integers(2**31))
    Sigma = np.array([[1.0, 0.3], [0.3, 0.5]])
    from gpdtheory.train import torch_threads

    with torch_threads(1):
        for case in _dvu_cases(cfg):
            spec = gp.GPSpec(gp.PoweredExponential(case["ell"], 1.0), N=case["N"], Sigma=Sigma)
            data = spec.sample(case["n"], seed=data_seed)
            for ts in case["train_seeds"]:
                start = time.perf_counter()
                torch.manual_seed(ts)
                dit = SoftmaxDiT(spec.N, spec.d, width=16, depth=1, heads=2, pos_init="sincos",
                                 dtype=torch.float32)
                unet = UNet1d(spec.N, spec.d, width=11, dtype=torch.float32)
                pd, pu = count_parameters(dit), count_parameters(unet)
                if abs(pd - pu) > PARAM_TOL * max(pd, pu):
                    raise RuntimeError(f"parameter budgets differ: DiT {pd}, U-Net {pu}")
                tcfg = TrainConfig(steps=case["steps"], batch_size=64, lr=3e-3, warmup=20,
                                   eval_every=50, patience=100, val_noise=2, seed=ts)
                errs = {}
                for name, m in (("dit", dit), ("unet", unet)):
                    train(m, data, tcfg)
                    errs[name] = sample_errors(m, spec, 2000, steps=40, seed=ts)
                wall = time.perf_counter() - start
                e_d, e_u = errs["dit"], errs["unet"]
                yield Measurement(
                    {"quantity": "temporal-decay rel. error of generated samples (DiT vs U-Net)",
                     "N": spec.N, "d": spec.d, "family": spec.kernel.family, "ell": case["ell"],
                     "nu": 1.0, "n": case["n"], "steps": case["steps"], "params_dit": pd,
                     "params_unet": pu, "unet_error": round(e_u.temporal_decay_error, 6),
                     "data_seed": data_seed, "train_seed": ts,
                     "sample_seed": ts, "normalisation": "value 1 at lag 0"},
                    e_d.temporal_decay_error, math.nan, kind="info",
                    note=(f"U-Net {e_u.temporal_decay_error:.3f}; DiT/U-Net "
                          f"{e_d.temporal_decay_error / e_u.temporal_decay_error:.2f}; "
                          f"covariance error DiT {e_d.covariance_error:.3f}, U-Net "
                          f"{e_u.covariance_error:.3f}; estimator floor on exact samples "
                          f"{e_d.data_decay_error:.3f}; wall {wall:.1f} s"))


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
    """
    import torch

    from gpdtheory.compare_models import compare_attention
    from gpdtheory.latte import TEMPORAL, latte_score_model
    from gpdtheory.protocol import count_parameters
    from gpdtheory.train import TrainConfig, train

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
                res = train(sm, data, tcfg)
                cmp = compare_attention(sm, spec, modules=TEMPORAL, data=data, n=128, seed=ts)
                wall = time.perf_counter() - start
                a = cmp.attention
                spread = float((a.max() - a.min()) / np.abs(a).max())
                corr = cmp.vs_rho.correlation if spread >= MIN_SPREAD else math.nan
                base = {"N": N, "frame_shape": "x".join(map(str, fs)), "d": d,
                        "family": spec.kernel.family, "ell": 3.0, "nu": 1.0, "steps":
                        case["steps"], "dtype": case["dtype"], "params": count_parameters(sm),
                        "data_seed": data_seed, "train_seed": ts, "attention_seed": ts}
                prof = ", ".join(f"{v:.3f}" for v in cmp.vs_rho.profile)
                yield Measurement({**base, "quantity": "Pearson corr(attention by lag, rho_bar)",
                                   "spread": round(spread, 4)}, corr, CORR_MIN, sense=">=",
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
