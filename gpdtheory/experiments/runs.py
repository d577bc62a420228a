"""The paper's runs: train, evaluate and checkpoint each point of a grid, resumably."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..compare.samples import generate
from ..errors import InvalidArgumentError
from ..fileio import atomic_write_json
from .config import PARAM_TOL, ArchConfig, PaperConfig, RunSpec, arch_key, make_spec, run_key
from .generation import attention_map
from .results import PARTIAL_SUFFIX, RECORD_SUFFIX, RESULTS_FILE, _merge_results
from .statistics import (
    QUANTITIES,
    bootstrap_errors,
    covariance_errors,
    sampling_floor,
    temporal_decay_bootstrap,
)

__all__ = ["run_one", "run_grid", "run_architectures", "run_architectures_grid"]


def _build(cfg: PaperConfig, seed: int, device):
    from .._extras import require
    from ..models import SoftmaxDiT, torch_seed
    from ..train import resolve_device

    torch = require("torch", "torch")
    torch.manual_seed(torch_seed(seed))
    dtype = {"float32": torch.float32, "float64": torch.float64}[cfg.dtype]
    return SoftmaxDiT(cfg.N, len(cfg.Sigma), width=cfg.width, depth=cfg.depth, heads=cfg.heads,
                      time_dim=cfg.time_dim, pos_init=cfg.pos_init, dtype=dtype,
                      device=resolve_device(device))


def _evaluate(model, run: RunSpec, cfg: PaperConfig, device) -> dict[str, Any]:
    spec = make_spec(cfg, run.ell, run.nu)
    Y = generate(model, spec, cfg.n_gen, T=cfg.T, t0=cfg.t0, steps=cfg.sample_steps,
                 seed=run.gen_seed)
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
    from ..train import load_checkpoint, save_checkpoint, train

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
    from ..train import torch_threads

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
                        "last_loss": res.history["loss"][-1], "converged": res.stopped_early}
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
    from ..sweeps import run_sweep

    runs = list(runs) if limit is None else list(runs)[:limit]
    records = run_sweep(_run_one_point, [{"run": r, "cfg": cfg, "folder": folder,
                                          "device": device} for r in runs], executor,
                        desc="paper runs")
    if folder is not None:
        merged = _merge_results(Path(folder), cfg, records)
        atomic_write_json(Path(folder) / RESULTS_FILE, merged, overwrite=True)
    return records


def _arch_models(cfg: ArchConfig, seed: int, device):
    """The DiT and the U-Net of a run, each initialised from ``seed``."""
    from .._extras import require
    from ..models import SoftmaxDiT, UNet1d, torch_seed
    from ..protocol import count_parameters
    from ..train import resolve_device

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
    from ..compare_models import temporal_decay_error
    from ..protocol import count_parameters
    from ..train import load_checkpoint, save_checkpoint, torch_threads, train

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
                         seed=gen_seed)
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
    from ..sweeps import run_sweep

    records = run_sweep(_run_architectures_point, [{"cfg": cfg, "seed": s, "folder": folder,
                                                    "device": device} for s in seeds],
                        executor, desc="architecture runs")
    if folder is not None:
        merged = _merge_results(Path(folder), None, [], arch=(cfg, records))
        atomic_write_json(Path(folder) / RESULTS_FILE, merged, overwrite=True)
    return records
