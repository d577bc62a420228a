"""The paper's experiments, reproduced: metric, runner, checkpoints (docs/theory.md §9).

Fu, Dou, Guo, Wang and Chen (ICLR 2025) train a DiT (16-dimensional time embedding) on
``n`` Gaussian-process sequences and report the relative error between the covariance of
generated samples and ``Gamma ⊗ Sigma``: it falls with ``n``, it is smaller for faster
temporal decay, and the learned attention resembles ``Gamma``. This module measures the
same quantities on any grid of (decay pattern, ``n``, seed), with checkpoints so that an
interrupted grid resumes; :mod:`checks.paper` turns the measurements into claims.

The metric (:func:`covariance_errors`)
-------------------------------------
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
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InvalidArgumentError
from .fileio import atomic_write_json
from .spec import GPSpec
from .validation import as_real_array, check_positive_int

__all__ = ["PaperConfig", "CovarianceErrors", "covariance_errors", "sampling_floor",
           "bootstrap_errors", "percentile_ci", "hierarchical_bootstrap", "bootstrap_slope",
           "bootstrap_difference", "permutation_pvalue", "generate", "attention_map",
           "RunSpec", "run_key", "run_one", "run_grid", "load_results", "load_run",
           "RESULTS_FILE", "kernel_of", "make_spec", "ArchConfig", "arch_key",
           "run_architectures", "run_architectures_grid", "temporal_decay_bootstrap",
           "signflip_pvalue", "paired_bootstrap_difference", "PARAM_TOL", "ARCH_SECTION"]

#: The grid's summary file in a checkpoint folder.
RESULTS_FILE = "results.json"
RECORD_SUFFIX = ".record.json"
PARTIAL_SUFFIX = ".partial"


class _Digestible:
    """Settings that name their checkpoints: a JSON form and a short digest of it."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def digest(self) -> str:
        """8 hex digits of SHA-256 of the settings (the checkpoint key's suffix)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class PaperConfig(_Digestible):
    """Every setting of a paper run that changes its result (hashed into the run's key).

    The defaults are the small version of ``gpdtheory check`` (seconds per run on one CPU
    thread); :mod:`checks.paper` sets the ``--full`` sizes.
    """

    N: int = 8
    Sigma: tuple[tuple[float, ...], ...] = ((1.0, 0.3), (0.3, 0.6))
    # the DiT (time embedding of width 16, as in the paper)
    width: int = 16
    depth: int = 1
    heads: int = 2
    time_dim: int = 16
    pos_init: str = "sincos"
    dtype: str = "float32"
    # training (gpdtheory.train.TrainConfig)
    steps: int = 150
    batch_size: int = 256
    lr: float = 3e-2
    warmup: int = 20
    t0: float = 1e-2
    T: float = 6.0
    holdout: float = 0.1
    eval_every: int = 50
    # evaluation
    n_gen: int = 1000
    sample_steps: int = 40
    bootstrap: int = 200
    attention_times: tuple[float, ...] = (0.1, 0.5, 2.0)
    attention_n: int = 256

    def train_config(self, seed: int):
        from .train import TrainConfig

        return TrainConfig(steps=self.steps, batch_size=self.batch_size, lr=self.lr,
                           warmup=self.warmup, t0=self.t0, T=self.T, holdout=self.holdout,
                           eval_every=self.eval_every, patience=10**6, seed=seed)


@dataclass(frozen=True)
class RunSpec:
    """One training run: a powered-exponential decay pattern ``(ell, nu)``, ``n``, a seed."""

    ell: float
    nu: float
    n: int
    seed: int

    @property
    def data_seed(self) -> int:
        return 1000 + self.seed

    @property
    def gen_seed(self) -> int:
        return 2000 + self.seed


def kernel_of(ell: float, nu: float):
    """``rho(m) = exp(-(m / ell)^nu)``, the paper's decay patterns."""
    from .kernels import PoweredExponential

    return PoweredExponential(float(ell), float(nu))


def make_spec(cfg: PaperConfig, ell: float, nu: float) -> GPSpec:
    return GPSpec(kernel_of(ell, nu), cfg.N, np.array(cfg.Sigma, dtype=np.float64))


# ------------------------------------------------------------------------------ the metric
@dataclass(frozen=True)
class CovarianceErrors:
    """The paper's relative covariance error and its Kronecker factors' errors."""

    total: float
    temporal: float
    spatial: float

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.total, self.temporal, self.spatial)


QUANTITIES = ("total", "temporal", "spatial")


def _second_moment(samples, spec: GPSpec) -> np.ndarray:
    X = as_real_array(samples, "samples", ndim=3)
    if X.shape[1:] != (spec.N, spec.d):
        raise InvalidArgumentError("samples", f"array of shape {X.shape}",
                                   f"does not match the spec (N={spec.N}, d={spec.d})",
                                   "pass (m, N, d) samples")
    V = X.reshape(X.shape[0], -1) - spec.mean_array.ravel()
    return V.T @ V / V.shape[0]


def _errors_of(S: np.ndarray, spec: GPSpec, C: np.ndarray, G: np.ndarray,
               Sig: np.ndarray) -> CovarianceErrors:
    from .compare import nearest_kronecker

    total = float(np.linalg.norm(S - C) / np.linalg.norm(C))
    A, B, _ = nearest_kronecker(S, (spec.N, spec.N), (spec.d, spec.d))
    c = np.trace(G) / np.trace(A) if np.trace(A) != 0 else 1.0
    A, B = A * c, B / c
    return CovarianceErrors(total, float(np.linalg.norm(A - G) / np.linalg.norm(G)),
                            float(np.linalg.norm(B - Sig) / np.linalg.norm(Sig)))


def covariance_errors(samples, spec: GPSpec) -> CovarianceErrors:
    """Relative error of the samples' covariance against ``Gamma ⊗ Sigma``: total, factors.

    Parameters
    ----------
    samples : (m, N, d) array_like
        Generated sequences.
    spec : GPSpec

    Returns
    -------
    CovarianceErrors
        ``total`` (the paper's metric), ``temporal`` and ``spatial`` (nearest Kronecker
        product, see the module docstring).
    """
    S = _second_moment(samples, spec)
    if not np.all(np.isfinite(S)):
        raise InvalidArgumentError("samples", "array", "has a non-finite covariance",
                                   "check the model that generated them")
    return _errors_of(S, spec, spec.covariance_dense(), spec.gamma_dense(), spec.Sigma)


def sampling_floor(spec: GPSpec, m: int) -> float:
    """``sqrt(E ||Cov_hat - C||_F^2) / ||C||_F`` for ``m`` exact samples (known mean).

    ``E ||Cov_hat - C||_F^2 = (||C||_F^2 + tr(C)^2) / m`` for Gaussian samples.
    """
    m = check_positive_int(m, "m")
    C = spec.covariance_dense()
    return float(math.sqrt((1.0 + np.trace(C) ** 2 / np.sum(C * C)) / m))


def bootstrap_errors(samples, spec: GPSpec, B: int = 200, seed: Any = 0) -> np.ndarray:
    """Bias-corrected bootstrap replicates of :func:`covariance_errors`: ``(B, 3)``.

    Each replicate resamples the ``m`` sequences with replacement and recomputes
    ``(total, temporal, spatial)``; the replicates are then shifted by
    ``mean(replicates) - estimate`` (the bootstrap bias estimate), so they centre on the
    estimate. Percentiles of the result are the 95% interval (:func:`percentile_ci`).
    """
    B = check_positive_int(B, "B")
    X = as_real_array(samples, "samples", ndim=3)
    m = X.shape[0]
    V = X.reshape(m, -1) - spec.mean_array.ravel()
    rng = np.random.default_rng(seed)
    C, G, Sig = spec.covariance_dense(), spec.gamma_dense(), spec.Sigma
    out = np.empty((B, 3))
    for b in range(B):
        W = V[rng.integers(0, m, m)]
        out[b] = _errors_of(W.T @ W / m, spec, C, G, Sig).as_tuple()
    est = np.array(_errors_of(V.T @ V / m, spec, C, G, Sig).as_tuple())
    return out - (out.mean(axis=0) - est)


def percentile_ci(values, level: float = 0.95) -> tuple[float, float]:
    """The ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles of bootstrap replicates."""
    v = np.asarray(values, dtype=np.float64).ravel()
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(v, [a, 1.0 - a])
    return float(lo), float(hi)


def hierarchical_bootstrap(boot_by_seed: Sequence[Sequence[float]], B: int, rng) -> np.ndarray:
    """Replicates of the seed-mean error, resampling seeds and generated samples: ``(B,)``.

    ``boot_by_seed[s]`` holds seed ``s``'s generated-sample bootstrap replicates. Each
    replicate draws ``R`` seeds with replacement and, for each, one of its replicates, and
    averages them.
    """
    arrs = [np.asarray(b, dtype=np.float64) for b in boot_by_seed]
    R = len(arrs)
    out = np.empty(B)
    for b in range(B):
        picks = rng.integers(0, R, R)
        out[b] = np.mean([arrs[s][rng.integers(0, arrs[s].size)] for s in picks])
    return out


def bootstrap_slope(ns: Sequence[float], boot_cells: Sequence[Sequence[Sequence[float]]],
                    B: int = 2000, seed: Any = 0) -> np.ndarray:
    """Replicates of the OLS slope of ``log(seed-mean error)`` on ``log n``: ``(B,)``.

    ``boot_cells[i]`` is the per-seed replicate lists at ``ns[i]``
    (:func:`hierarchical_bootstrap` draws each cell, independently across cells).
    """
    rng = np.random.default_rng(seed)
    x = np.log(np.asarray(ns, dtype=np.float64))
    x = x - x.mean()
    cells = np.stack([hierarchical_bootstrap(c, B, rng) for c in boot_cells])  # (K, B)
    y = np.log(cells)
    y = y - y.mean(axis=0)
    return (x @ y) / (x @ x)


def bootstrap_difference(boot_a, boot_b, B: int = 2000, seed: Any = 0) -> np.ndarray:
    """Replicates of ``mean error(a) - mean error(b)``, each a per-seed replicate list: ``(B,)``."""
    rng = np.random.default_rng(seed)
    return hierarchical_bootstrap(boot_a, B, rng) - hierarchical_bootstrap(boot_b, B, rng)


def permutation_pvalue(a: Sequence[float], b: Sequence[float]) -> float:
    """Exact one-sided permutation p-value of ``mean(a) < mean(b)`` on seed-level errors.

    Every split of the pooled values into groups of the sizes of ``a`` and ``b`` is
    enumerated; the p-value is the fraction whose ``mean(a') - mean(b')`` is at most the
    observed one. With 3 seeds a side the smallest attainable value is 1/20 = 0.05.
    """
    import itertools

    a, b = np.asarray(a, float), np.asarray(b, float)
    pooled = np.concatenate([a, b])
    obs = a.mean() - b.mean()
    k, hits, total = a.size, 0, 0
    for idx in itertools.combinations(range(pooled.size), k):
        mask = np.zeros(pooled.size, bool)
        mask[list(idx)] = True
        total += 1
        hits += pooled[mask].mean() - pooled[~mask].mean() <= obs + 1e-12
    return hits / total


# ------------------------------------------------------------------- generation, attention
def generate(model, spec: GPSpec, m: int, *, T: float, t0: float, steps: int, seed: Any,
             device: Any = "cpu") -> np.ndarray:
    """``m`` sequences from the reverse process driven by ``model`` (exponential integrator)."""
    from ._extras import require
    from .sampling import reverse_sample

    torch = require("torch", "torch")

    p = next(model.parameters())

    @torch.no_grad()
    def fn(y, t):
        yt = torch.as_tensor(y, dtype=p.dtype, device=p.device)
        tt = torch.full((yt.shape[0],), float(t), dtype=p.dtype, device=p.device)
        return model(yt, tt).double().cpu().numpy()

    return reverse_sample(fn, m, spec.N, spec.d, T=T, t0=t0, steps=steps, seed=seed)


def attention_map(model, spec: GPSpec, times: Iterable[float], n: int, seed: Any) -> np.ndarray:
    """Softmax attention of a trained DiT on noised samples, averaged: ``(N, N)`` ndarray.

    ``n`` fresh sequences of ``spec`` (``seed``) are noised at each of ``times``; the maps
    of every block and head (:func:`gpdtheory.video.attention_maps`) are averaged over the
    batch, blocks, heads and times. Rows sum to 1.
    """
    from .video import attention_maps

    rng = np.random.default_rng(seed)
    X0 = spec.sample(n, seed=rng)
    maps = []
    for t in times:
        a, s = math.exp(-t / 2), math.sqrt(-math.expm1(-t))
        maps.append(attention_maps(model, a * X0 + s * rng.standard_normal(X0.shape), t))
    return np.mean(np.stack(maps), axis=(0, 1, 2))


# ------------------------------------------------------------------------------- the runs
def run_key(run: RunSpec, cfg: PaperConfig) -> str:
    """File stem of a run: pattern, n, seed and the settings' digest."""
    def num(x: float) -> str:
        return f"{x:g}".replace(".", "p")  # no dots: the stem is not mistaken for a suffix

    return f"powexp_ell{num(run.ell)}_nu{num(run.nu)}_n{run.n}_seed{run.seed}_{cfg.digest()}"


def _build(cfg: PaperConfig, seed: int, device):
    from ._extras import require
    from .models import SoftmaxDiT, torch_seed
    from .train import resolve_device

    torch = require("torch", "torch")
    torch.manual_seed(torch_seed(seed))
    dtype = {"float32": torch.float32, "float64": torch.float64}[cfg.dtype]
    return SoftmaxDiT(cfg.N, len(cfg.Sigma), width=cfg.width, depth=cfg.depth, heads=cfg.heads,
                      time_dim=cfg.time_dim, pos_init=cfg.pos_init, dtype=dtype,
                      device=resolve_device(device))


def _evaluate(model, run: RunSpec, cfg: PaperConfig, device) -> dict[str, Any]:
    spec = make_spec(cfg, run.ell, run.nu)
    Y = generate(model, spec, cfg.n_gen, T=cfg.T, t0=cfg.t0, steps=cfg.sample_steps,
                 seed=run.gen_seed, device=device)
    err = covariance_errors(Y, spec)
    boot = bootstrap_errors(Y, spec, cfg.bootstrap, seed=run.gen_seed)
    att = attention_map(model, spec, cfg.attention_times, cfg.attention_n, seed=run.gen_seed)
    return {"errors": dict(zip(QUANTITIES, err.as_tuple(), strict=True)),
            "boot": {q: boot[:, i].tolist() for i, q in enumerate(QUANTITIES)},
            "floor": sampling_floor(spec, cfg.n_gen), "data_floor": sampling_floor(spec, run.n),
            "attention": att.tolist(), "rho": [float(v) for v in spec.r]}


def run_one(run: RunSpec, cfg: PaperConfig, folder: str | os.PathLike | None = None, *,
            device: Any = "cpu") -> dict[str, Any]:
    """Train (or load) and evaluate one run; returns its record (JSON-able dict).

    With ``folder``, a finished run (checkpoint and record present) is loaded, not
    retrained; a checkpoint without a record is evaluated from the checkpoint.
    """
    from .train import load_checkpoint, save_checkpoint, train

    key = run_key(run, cfg)
    path = Path(folder) / key if folder is not None else None
    if path is not None:
        rec = path.with_name(key + RECORD_SUFFIX)
        if rec.is_file():
            record = json.loads(rec.read_text())
            record["resumed"] = True
            return record
    base = {"key": key, **dataclasses.asdict(run), "family": "powered_exponential",
            "data_seed": run.data_seed, "init_seed": run.seed, "train_seed": run.seed,
            "gen_seed": run.gen_seed, "config_digest": cfg.digest()}
    from .train import torch_threads

    with torch_threads(1):
        if path is not None and path.with_name(key + ".safetensors").is_file():
            model, side = load_checkpoint(path, device=device)
            training = side["extra"]["training"]
        else:
            spec = make_spec(cfg, run.ell, run.nu)
            model = _build(cfg, run.seed, device)
            partial = path.with_name(key + PARTIAL_SUFFIX) if path is not None else None
            res = train(model, spec.sample(run.n, seed=run.data_seed), cfg.train_config(run.seed),
                        device=device, checkpoint=partial)
            training = {"best_step": res.best_step, "best_val": res.best_val,
                        "steps": len(res.history["step"]), "seconds": round(res.seconds, 3),
                        "last_loss": res.history["loss"][-1]}
            if path is not None:
                save_checkpoint(model, path, config=cfg.train_config(run.seed),
                                extra={**base, "training": training, "paper": cfg.to_dict()})
                for suffix in (".safetensors", ".json"):
                    with contextlib.suppress(FileNotFoundError):
                        partial.with_name(partial.name + suffix).unlink()
        record = {**base, "training": training, **_evaluate(model, run, cfg, device)}
    if path is not None:
        atomic_write_json(path.with_name(key + RECORD_SUFFIX), record, overwrite=True)
    record["resumed"] = False
    return record


def _run_one_point(run: RunSpec, cfg: PaperConfig, folder, device) -> dict[str, Any]:
    """:func:`run_one` with keyword arguments only (a sweep point)."""
    return run_one(run, cfg, folder, device=device)


def run_grid(runs: Iterable[RunSpec], cfg: PaperConfig, folder: str | os.PathLike | None = None,
             *, device: Any = "cpu", limit: int | None = None,
             executor: Any = "serial") -> list[dict[str, Any]]:
    """Every run of ``runs`` (:func:`run_one`), then ``results.json`` in ``folder``.

    ``limit`` stops after that many runs (to simulate an interruption in tests).
    ``executor`` follows :func:`gpdtheory.sweeps.run_sweep`: ``"serial"`` (this process,
    the default), ``None`` (local processes, one per core) or any executor. Each run carries
    its own seeds and trains on one torch thread, so the records do not depend on the engine;
    each finished run is checkpointed by the process that trained it.
    """
    from .sweeps import run_sweep

    runs = list(runs) if limit is None else list(runs)[:limit]
    records = run_sweep(_run_one_point, [{"run": r, "cfg": cfg, "folder": folder,
                                          "device": device} for r in runs], executor,
                        desc="paper runs")
    if folder is not None:
        merged = _merge_results(Path(folder), cfg, records)
        atomic_write_json(Path(folder) / RESULTS_FILE, merged, overwrite=True)
    return records


def _merge_results(folder: Path, cfg: PaperConfig | None, records: list[dict], *,
                   arch: tuple[ArchConfig, list[dict]] | None = None) -> dict[str, Any]:
    """``results.json`` of a folder: earlier records of other grids kept, these updated.

    ``runs`` holds the DiT runs of :func:`run_grid`; ``architectures`` the DiT-against-U-Net
    runs of :func:`run_architectures_grid` (``configs`` holds both kinds of settings).
    """
    path = folder / RESULTS_FILE
    old = json.loads(path.read_text()) if path.is_file() else {"runs": {}}
    runs = dict(old.get("runs", {}))
    archs = dict(old.get(ARCH_SECTION, {}))
    configs = dict(old.get("configs", {}))
    if cfg is not None:
        configs[cfg.digest()] = cfg.to_dict()
    for r in records:
        runs[r["key"]] = {k: v for k, v in r.items() if k != "resumed"}
    if arch is not None:
        configs[arch[0].digest()] = arch[0].to_dict()
        for r in arch[1]:
            archs[r["key"]] = {k: v for k, v in r.items() if k != "resumed"}
    return {"format": "gpdtheory-paper-results-1", "configs": configs, "runs": runs,
            ARCH_SECTION: archs}


def load_results(folder: str | os.PathLike) -> dict[str, Any]:
    """``results.json`` of a finished (or partly finished) grid."""
    path = Path(folder) / RESULTS_FILE
    if not path.is_file():
        raise InvalidArgumentError("folder", str(folder), f"has no {RESULTS_FILE}",
                                   "pass the folder a paper run wrote (GPDTHEORY_CHECKPOINTS)")
    return json.loads(path.read_text())


def load_run(folder: str | os.PathLike, key: str, device: Any = "cpu"):
    """The trained model of a finished run and its checkpoint sidecar."""
    from .train import load_checkpoint

    return load_checkpoint(Path(folder) / key, device=device)


# ----------------------------------------------------------------- DiT against U-Net
#: Largest relative parameter-count mismatch allowed between the DiT and the U-Net.
PARAM_TOL = 0.2
#: Decay families of :class:`ArchConfig`.
ARCH_FAMILIES = ("powered_exponential", "polynomial", "logarithmic")
ARCH_SECTION = "architectures"


@dataclass(frozen=True)
class ArchConfig(_Digestible):
    """Every setting of a DiT-against-U-Net run (hashed into the run's key).

    The defaults are the regime where the paper's comparison binds (docs/theory.md §8): 64
    frames with a slowly (polynomially) decaying ``rho(m) = (1 + m/4)^{-1/2}``, which still
    correlates 0.24 at lag 63, far beyond the U-Net's receptive field of about +-8 frames.
    The DiT (width 16, one block, 2 heads, sine-cosine-initialised positions) and the U-Net
    (width 11) have parameter counts within :data:`PARAM_TOL` of each other; both train on
    the same ``n`` sequences with the same :class:`gpdtheory.train.TrainConfig`.
    """

    family: str = "polynomial"
    ell: float = 4.0
    nu: float = 0.5
    N: int = 64
    Sigma: tuple[tuple[float, ...], ...] = ((1.0, 0.3), (0.3, 0.5))
    n: int = 2048
    dit_width: int = 16
    dit_depth: int = 1
    dit_heads: int = 2
    unet_width: int = 11
    time_dim: int = 16
    dtype: str = "float32"
    # training (gpdtheory.train.TrainConfig), the same for both models
    steps: int = 600
    batch_size: int = 64
    lr: float = 3e-3
    warmup: int = 20
    eval_every: int = 50
    patience: int = 100
    val_noise: int = 2
    # evaluation
    n_gen: int = 2000
    sample_steps: int = 40
    T: float = 6.0
    t0: float = 1e-2
    bootstrap: int = 200

    def __post_init__(self):
        if self.family not in ARCH_FAMILIES:
            raise InvalidArgumentError("family", self.family, "is not a decay family here",
                                       f"pass one of {ARCH_FAMILIES}")

    def spec(self) -> GPSpec:
        from . import kernels

        cls = {"powered_exponential": kernels.PoweredExponential,
               "polynomial": kernels.Polynomial, "logarithmic": kernels.Logarithmic}[self.family]
        return GPSpec(cls(float(self.ell), float(self.nu)), self.N,
                      np.array(self.Sigma, dtype=np.float64))

    def train_config(self, seed: int):
        from .train import TrainConfig

        return TrainConfig(steps=self.steps, batch_size=self.batch_size, lr=self.lr,
                           warmup=self.warmup, t0=self.t0, T=self.T,
                           eval_every=self.eval_every, patience=self.patience,
                           val_noise=self.val_noise, seed=seed)


def arch_key(cfg: ArchConfig, seed: int) -> str:
    """File stem of a DiT-against-U-Net run: decay pattern, N, seed and the settings' digest."""
    def num(x: float) -> str:
        return f"{x:g}".replace(".", "p")

    return (f"dvu_{cfg.family}_ell{num(cfg.ell)}_nu{num(cfg.nu)}_N{cfg.N}_seed{seed}_"
            f"{cfg.digest()}")


def _arch_models(cfg: ArchConfig, seed: int, device):
    """The DiT and the U-Net of a run, each initialised from ``seed``."""
    from ._extras import require
    from .models import SoftmaxDiT, UNet1d, torch_seed
    from .protocol import count_parameters
    from .train import resolve_device

    torch = require("torch", "torch")
    dtype = {"float32": torch.float32, "float64": torch.float64}[cfg.dtype]
    dev = resolve_device(device)
    d = len(cfg.Sigma)
    torch.manual_seed(torch_seed(seed))
    dit = SoftmaxDiT(cfg.N, d, width=cfg.dit_width, depth=cfg.dit_depth, heads=cfg.dit_heads,
                     time_dim=cfg.time_dim, pos_init="sincos", dtype=dtype, device=dev)
    torch.manual_seed(torch_seed(seed))
    unet = UNet1d(cfg.N, d, width=cfg.unet_width, time_dim=cfg.time_dim, dtype=dtype,
                  device=dev)
    pd, pu = count_parameters(dit), count_parameters(unet)
    if abs(pd - pu) > PARAM_TOL * max(pd, pu):
        raise InvalidArgumentError("unet_width", cfg.unet_width,
                                   f"gives {pu} U-Net parameters against the DiT's {pd}, more "
                                   f"than {PARAM_TOL:.0%} apart",
                                   "change unet_width or dit_width until the counts match")
    return {"dit": dit, "unet": unet}


def temporal_decay_bootstrap(samples, spec: GPSpec, B: int = 200, seed: Any = 0) -> np.ndarray:
    """Bias-corrected bootstrap replicates of the temporal-decay error: ``(B,)``.

    Each replicate resamples the ``m`` sequences with replacement and recomputes
    :func:`gpdtheory.compare_models.temporal_decay_error`; the replicates are then shifted by
    ``mean(replicates) - estimate`` as in :func:`bootstrap_errors`.
    """
    from .compare_models import temporal_decay_error

    B = check_positive_int(B, "B")
    X = as_real_array(samples, "samples", ndim=3)
    rng = np.random.default_rng(seed)
    out = np.array([temporal_decay_error(X[rng.integers(0, X.shape[0], X.shape[0])], spec)[0]
                    for _ in range(B)])
    est, _ = temporal_decay_error(X, spec)
    return out - (out.mean() - est)


def paired_bootstrap_difference(boot_a: Sequence[Sequence[float]],
                                boot_b: Sequence[Sequence[float]], B: int = 2000,
                                seed: Any = 0) -> np.ndarray:
    """Replicates of ``mean over seeds of (error a - error b)``, seeds paired: ``(B,)``.

    ``boot_a[s]`` and ``boot_b[s]`` are seed ``s``'s generated-sample bootstrap replicates of
    the two models. Each replicate draws ``S`` seeds with replacement (the same draw for
    both models, which share the seed's data and sampling noise) and, for each drawn seed,
    one replicate of each model, and averages the differences.
    """
    A = [np.asarray(a, dtype=np.float64) for a in boot_a]
    Bb = [np.asarray(b, dtype=np.float64) for b in boot_b]
    if len(A) != len(Bb) or not A:
        raise InvalidArgumentError("boot_b", f"{len(Bb)} seeds",
                                   f"does not pair with boot_a's {len(A)} seeds",
                                   "pass one replicate list per seed for both models")
    B = check_positive_int(B, "B")
    rng = np.random.default_rng(seed)
    S = len(A)
    out = np.empty(B)
    for b in range(B):
        picks = rng.integers(0, S, S)
        out[b] = np.mean([A[s][rng.integers(0, A[s].size)] - Bb[s][rng.integers(0, Bb[s].size)]
                          for s in picks])
    return out


def signflip_pvalue(differences: Sequence[float]) -> float:
    """Exact one-sided sign-flip p-value of ``mean(differences) > 0`` (paired seeds).

    Every assignment of signs to the ``S`` paired differences is enumerated; the p-value
    is the fraction whose mean is at least the observed one. Its smallest value is
    ``2^-S``: 0.125 for 3 seeds, 0.031 for 5.
    """
    import itertools

    x = as_real_array(differences, "differences", ndim=1)
    obs = x.mean()
    hits = [np.mean(np.array(s) * x) >= obs - 1e-12
            for s in itertools.product((1.0, -1.0), repeat=x.size)]
    return float(np.mean(hits))


def run_architectures(cfg: ArchConfig, seed: int, folder: str | os.PathLike | None = None, *,
                      device: Any = "cpu") -> dict[str, Any]:
    """Train (or load) the DiT and the U-Net of one seed and evaluate both; its record.

    Both models train on ``spec.sample(n, seed=1000)`` (the same data at every seed)
    from initialisations drawn with ``seed``, with ``cfg.train_config(seed)``; each then
    generates ``n_gen`` sequences (exponential integrator, noise seed ``2000 + seed``, the
    same for both). The record holds, per model, the temporal-decay error
    (:func:`gpdtheory.compare_models.temporal_decay_error`), its bootstrap replicates over the
    generated samples (:func:`temporal_decay_bootstrap`), the normalised lag profile and the
    covariance error; and the estimator's floor on ``n_gen`` exact samples (seed
    ``3000 + seed``). With ``folder``, the checkpoints ``<key>_dit``/``<key>_unet`` and
    ``<key>.record.json`` are written, and a rerun loads what is there instead of training.
    """
    from .compare_models import temporal_decay_error
    from .protocol import count_parameters
    from .train import load_checkpoint, save_checkpoint, torch_threads, train

    key = arch_key(cfg, seed)
    path = Path(folder) / key if folder is not None else None
    if path is not None and path.with_name(key + RECORD_SUFFIX).is_file():
        record = json.loads(path.with_name(key + RECORD_SUFFIX).read_text())
        record["resumed"] = True
        return record
    spec = cfg.spec()
    data_seed, gen_seed, floor_seed = 1000, 2000 + seed, 3000 + seed
    base = {"key": key, "family": cfg.family, "ell": cfg.ell, "nu": cfg.nu, "N": cfg.N,
            "d": len(cfg.Sigma), "n": cfg.n, "steps": cfg.steps, "seed": seed,
            "data_seed": data_seed, "train_seed": seed, "gen_seed": gen_seed,
            "config_digest": cfg.digest(), "rho": [float(v) for v in spec.r]}
    out: dict[str, Any] = {"params": {}, "errors": {}, "covariance_error": {}, "boot": {},
                           "profile": {}, "training": {}}
    with torch_threads(1):
        models = _arch_models(cfg, seed, device)
        data = None
        for name, model in models.items():
            ck = path.with_name(f"{key}_{name}") if path is not None else None
            if ck is not None and ck.with_name(ck.name + ".safetensors").is_file():
                model, side = load_checkpoint(ck, device=device)
                training = side["extra"]["training"]
            else:
                if data is None:
                    data = spec.sample(cfg.n, seed=data_seed)
                partial = ck.with_name(ck.name + PARTIAL_SUFFIX) if ck is not None else None
                res = train(model, data, cfg.train_config(seed), device=device,
                            checkpoint=partial)
                training = {"best_step": res.best_step, "best_val": res.best_val,
                            "seconds": round(res.seconds, 3),
                            "last_loss": res.history["loss"][-1]}
                if ck is not None:
                    save_checkpoint(model, ck, config=cfg.train_config(seed),
                                    extra={**base, "model": name, "training": training,
                                           "architectures": cfg.to_dict()})
                    for suffix in (".safetensors", ".json"):
                        with contextlib.suppress(FileNotFoundError):
                            partial.with_name(partial.name + suffix).unlink()
            Y = generate(model, spec, cfg.n_gen, T=cfg.T, t0=cfg.t0, steps=cfg.sample_steps,
                         seed=gen_seed, device=device)
            err, prof = temporal_decay_error(Y, spec)
            out["params"][name] = count_parameters(model)
            out["errors"][name] = float(err)
            out["profile"][name] = [float(v) for v in prof]
            out["covariance_error"][name] = covariance_errors(Y, spec).total
            out["boot"][name] = temporal_decay_bootstrap(Y, spec, cfg.bootstrap,
                                                         seed=gen_seed).tolist()
            out["training"][name] = training
    out["floor"] = float(temporal_decay_error(spec.sample(cfg.n_gen, seed=floor_seed), spec)[0])
    record = {**base, **out}
    if path is not None:
        atomic_write_json(path.with_name(key + RECORD_SUFFIX), record, overwrite=True)
    record["resumed"] = False
    return record


def _run_architectures_point(cfg: ArchConfig, seed: int, folder, device) -> dict[str, Any]:
    """:func:`run_architectures` with keyword arguments only (a sweep point)."""
    return run_architectures(cfg, seed, folder, device=device)


def run_architectures_grid(cfg: ArchConfig, seeds: Iterable[int],
                           folder: str | os.PathLike | None = None, *,
                           device: Any = "cpu", executor: Any = "serial") -> list[dict[str, Any]]:
    """:func:`run_architectures` for every seed, then ``results.json``'s ``architectures``.

    ``executor`` as in :func:`run_grid`.
    """
    from .sweeps import run_sweep

    records = run_sweep(_run_architectures_point, [{"cfg": cfg, "seed": s, "folder": folder,
                                                    "device": device} for s in seeds],
                        executor, desc="architecture runs")
    if folder is not None:
        merged = _merge_results(Path(folder), None, [], arch=(cfg, records))
        atomic_write_json(Path(folder) / RESULTS_FILE, merged, overwrite=True)
    return records
