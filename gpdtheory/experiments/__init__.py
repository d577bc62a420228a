"""The paper's experiments, reproduced: metric, runner, checkpoints (docs/theory.md §9).

Fu, Dou, Guo, Wang and Chen (ICLR 2025) train a DiT (16-dimensional time embedding) on
``n`` Gaussian-process sequences and report the relative error between the covariance of
generated samples and ``Gamma ⊗ Sigma``: it falls with ``n``, it is smaller for faster
temporal decay, and the learned attention resembles ``Gamma``. This module measures the
same quantities on any grid of (decay pattern, ``n``, seed), with checkpoints so that an
interrupted grid resumes; :mod:`gpdtheory_checks.paper` turns the measurements into claims.

The metric (:func:`covariance_errors`)
--------------------------------------
``total = ||Cov_hat - Gamma ⊗ Sigma||_F / ||Gamma ⊗ Sigma||_F`` with ``Cov_hat`` the
second moment of the generated samples about the known mean (the paper's metric), and the
temporal and spatial factors separately through the nearest Kronecker product of
``Cov_hat`` (Van Loan–Pitsianis, :func:`gpdtheory.compare.nearest_kronecker`):
``Cov_hat ≈ A ⊗ B`` with ``A`` scaled so ``tr A = tr Gamma`` (``B`` absorbs the scale), then
``temporal = ||A - Gamma||_F / ||Gamma||_F`` and ``spatial = ||B - Sigma||_F / ||Sigma||_F``.

Even exact samples have a positive error: for ``m`` Gaussian samples with known mean,
``E ||Cov_hat - C||_F^2 = (||C||_F^2 + tr(C)^2) / m`` exactly, so the metric's floor is
``sqrt((1 + tr(C)^2 / ||C||_F^2) / m)`` (:func:`sampling_floor`). ``tr(C)^2 / ||C||_F^2``
is ``N^2 (tr Sigma)^2 / (||Gamma||_F^2 ||Sigma||_F^2)``: it grows as the temporal decay
gets faster (``||Gamma||_F^2`` falls towards ``N``), so the relative metric penalises fast
decay at equal sample counts -- of generated samples, and of training samples, since a
model that fits its ``n`` training sequences inherits their covariance error.

Uncertainty (:func:`bootstrap_errors`, :func:`hierarchical_bootstrap`)
----------------------------------------------------------------------
Percentile bootstrap, ``B`` resamples (default 200): over generated samples (resample the
``m`` generated sequences with replacement, recompute the metric, then shift every replicate
by the bootstrap's bias estimate ``mean(replicates) - estimate``: a norm of a deviation is
biased upward under resampling by about the sampling floor, so the raw percentiles would
miss the estimate itself) and over training seeds
(resample the seeds of a cell with replacement, each drawn seed contributing one of its own
generated-sample bootstrap replicates: both sources at once). The 95% interval is the 2.5
and 97.5 percentiles of the replicates.

Runs and checkpoints (:func:`run_grid`)
---------------------------------------
One training run per (decay pattern, ``n``, seed): the data ``spec.sample(n, seed=data_seed)``,
a :class:`gpdtheory.models.SoftmaxDiT` initialised from ``seed``, trained by
:func:`gpdtheory.train.train`, then evaluated (generated samples, metric, bootstrap,
attention map). With a ``folder`` (``GPDTHEORY_CHECKPOINTS`` in the claims) each run writes
``<key>.safetensors`` + ``<key>.json`` (the checkpoint, :func:`gpdtheory.train.save_checkpoint`)
and then ``<key>.record.json`` (its evaluation); a rerun loads finished runs instead of
training them, so an interrupted grid resumes where it stopped. The key names the pattern,
``n`` and seed, and a hash of every setting that changes the result. While training, the
model at the last evaluation is kept as ``<key>.partial.safetensors``: a run that diverges
(non-finite loss) raises :class:`gpdtheory.train.TrainingDivergedError` naming the step, the
last finite loss and that checkpoint. ``run_grid`` writes ``results.json`` (settings and
every record) to the folder; :func:`load_results` reads it back for the figures.

DiT against U-Net (:func:`run_architectures`)
---------------------------------------------
The paper's fourth finding: on the same data, with parameter counts within 20% and the same
training steps, a DiT's generated samples follow the temporal decay ``rho`` better than a
U-Net's. One run per seed trains both (:class:`ArchConfig`), generates ``n_gen`` sequences
from each with the same noise, and records each model's temporal-decay error (the normalised
lag profile of the nearest-Kronecker temporal factor against ``rho``,
:func:`gpdtheory.compare_models.temporal_decay_error`) with bootstrap replicates over the
generated samples (:func:`temporal_decay_bootstrap`); checkpoints and records go to the
folder as for the DiT runs, under ``results.json``'s ``architectures``.

Device: every function takes ``device`` (``"cpu"``, ``"cuda"``, ``"auto"``); the claims read
``GPDTHEORY_DEVICE``. Torch runs on one intra-op thread on the CPU, so results do not depend
on the machine's thread count.

Modules: :mod:`~gpdtheory.experiments.config` (the settings and the checkpoint keys),
:mod:`~gpdtheory.experiments.statistics` (the metric, bootstraps, tests),
:mod:`~gpdtheory.experiments.generation` (sampling from a model, attention maps),
:mod:`~gpdtheory.experiments.runs` (training and evaluating each run, resumably) and
:mod:`~gpdtheory.experiments.results` (``results.json``, records, checkpoints).
"""

from __future__ import annotations

from ..compare.samples import generate

# ARCH_FAMILIES, QUANTITIES and the file suffixes stay importable from here, as before the
# split, and _build for gpdtheory_checks.paper (it builds the runs' model); none is in __all__
from .config import (  # noqa: F401
    ARCH_FAMILIES,
    ARCH_SECTION,
    PARAM_TOL,
    ArchConfig,
    PaperConfig,
    RunSpec,
    arch_key,
    kernel_of,
    make_spec,
    run_key,
)
from .generation import attention_map
from .results import (  # noqa: F401
    PARTIAL_SUFFIX,
    RECORD_SUFFIX,
    RESULTS_FILE,
    load_results,
    load_run,
)
from .runs import (  # noqa: F401
    _build,
    run_architectures,
    run_architectures_grid,
    run_grid,
    run_one,
)
from .statistics import (  # noqa: F401
    QUANTITIES,
    CovarianceErrors,
    bootstrap_difference,
    bootstrap_errors,
    bootstrap_slope,
    covariance_errors,
    hierarchical_bootstrap,
    paired_bootstrap_difference,
    percentile_ci,
    permutation_pvalue,
    sampling_floor,
    signflip_pvalue,
    temporal_decay_bootstrap,
)

__all__ = ["PaperConfig", "CovarianceErrors", "covariance_errors", "sampling_floor",
           "bootstrap_errors", "percentile_ci", "hierarchical_bootstrap", "bootstrap_slope",
           "bootstrap_difference", "permutation_pvalue", "generate", "attention_map",
           "RunSpec", "run_key", "run_one", "run_grid", "load_results", "load_run",
           "RESULTS_FILE", "kernel_of", "make_spec", "ArchConfig", "arch_key",
           "run_architectures", "run_architectures_grid", "temporal_decay_bootstrap",
           "signflip_pvalue", "paired_bootstrap_difference", "PARAM_TOL", "ARCH_SECTION"]
