"""The paper's fourth finding as a claim: ``paper.dit_vs_unet`` (docs/theory.md §9), a DiT
against a U-Net of the same size on the temporal decay of generated samples.
"""

from __future__ import annotations

import math
import os

import numpy as np

from . import paper_runs as runs
from .cases import training_device
from .paper_runs import B_STAT, LEVEL, _seeds_text
from .table import CheckConfig, Measurement, claim

__all__ = ["dvu_cases", "paper_dit_vs_unet"]


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
                                      executor=runs.training_engine(len(seeds)))
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
