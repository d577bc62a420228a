"""Checkpoints: safetensors weights, a JSON sidecar, and the registry of model classes.

A checkpoint is a ``.safetensors`` file plus a ``.json`` sidecar (model class and
arguments, training config, SHA-256 of the tensor file), each written atomically
(:func:`gpdtheory.fileio.atomic_write_bytes`); no pickle. :func:`load_checkpoint` refuses
a missing, truncated or altered file with :class:`~gpdtheory.errors.CheckpointError`.

Only classes in the registry (:data:`MODEL_CLASSES`, filled by
:func:`register_model_class`) are ever instantiated from a file; :mod:`gpdtheory.models`
registers the construction's :class:`~gpdtheory.construct.GPDiT` and its baselines.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._torch import nn, torch
from ..errors import CheckpointError, InvalidArgumentError
from ..fileio import atomic_write_bytes
from .config import TrainConfig
from .device import resolve_device

__all__ = ["CHECKPOINT_FORMAT", "MODEL_CLASSES", "register_model_class", "model_spec",
           "make_model", "save_checkpoint", "load_checkpoint"]

#: Version tag written into every checkpoint's JSON sidecar.
CHECKPOINT_FORMAT = "gpdtheory-checkpoint-1"

#: Classes that checkpoints may name (nothing else is ever instantiated from a file).
MODEL_CLASSES: dict[str, type] = {}

_DTYPES = {"float64": torch.float64, "float32": torch.float32}


@dataclass(frozen=True)
class _Entry:
    """How to describe a registered class's instance and rebuild it from the description."""

    cls: type
    describe: Callable[[nn.Module], dict[str, Any]]
    rebuild: Callable[[dict[str, Any]], dict[str, Any]]


_REGISTRY: dict[str, _Entry] = {}


def _init_kwargs(model: nn.Module) -> dict[str, Any]:
    return dict(model.init_kwargs)


def _same(kwargs: dict[str, Any]) -> dict[str, Any]:
    return kwargs


def register_model_class(cls: type, *, describe: Callable[[nn.Module], dict] | None = None,
                         rebuild: Callable[[dict], dict] | None = None) -> type:
    """Allow checkpoints of ``cls``; returns ``cls`` (usable as a class decorator).

    Parameters
    ----------
    cls : type
        A ``torch.nn.Module`` subclass whose constructor takes ``dtype`` and ``device``.
    describe : callable ``model -> dict``, optional
        The JSON-able constructor arguments of an instance (default: its ``init_kwargs``).
    rebuild : callable ``dict -> dict``, optional
        Turns a stored description back into constructor arguments (default: as is).
    """
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise InvalidArgumentError("cls", cls, "is not a torch.nn.Module subclass",
                                   "register a model class")
    _REGISTRY[cls.__name__] = _Entry(cls, describe or _init_kwargs, rebuild or _same)
    MODEL_CLASSES[cls.__name__] = cls
    return cls


#: Where the package's own model classes register themselves, by class name. They live in
#: higher layers (:mod:`gpdtheory.construct`, :mod:`gpdtheory.models`) than this registry, so
#: a checkpoint naming one that is not registered yet imports its module by qualified name
#: (the module registers the class on import) instead of this module importing them.
BUILTIN_MODEL_MODULES: dict[str, str] = {
    "GPDiT": "gpdtheory.models",
    "SoftmaxDiT": "gpdtheory.models",
    "UNet1d": "gpdtheory.models",
}


def _entry(name: str) -> _Entry | None:
    """The registered entry of the class ``name``, registering a built-in one on demand."""
    if name not in _REGISTRY and name in BUILTIN_MODEL_MODULES:
        importlib.import_module(BUILTIN_MODEL_MODULES[name])
    return _REGISTRY.get(name)


def _known() -> list[str]:
    """Every class name a checkpoint may carry: registered ones and the built-in ones."""
    return sorted(set(MODEL_CLASSES) | set(BUILTIN_MODEL_MODULES))


def _dtype_name(dtype: torch.dtype) -> str:
    for k, v in _DTYPES.items():
        if v == dtype:
            return k
    raise InvalidArgumentError("dtype", dtype, "is not supported", "use torch.float64 or float32")


def model_spec(model: nn.Module) -> dict[str, Any]:
    """A JSON-able description ``{"class", "kwargs", "dtype"}`` that rebuilds ``model``'s shape.

    Raises
    ------
    InvalidArgumentError
        The model's class is not in :data:`MODEL_CLASSES`.
    """
    name = type(model).__name__
    entry = _entry(name)
    if entry is None or entry.cls is not type(model):
        raise InvalidArgumentError("model", name, "is not a class checkpoints know",
                                   f"use one of {_known()}")
    dtype = _dtype_name(next(model.parameters()).dtype)
    return {"class": name, "kwargs": entry.describe(model), "dtype": dtype}


def make_model(spec: dict[str, Any], device=None) -> nn.Module:
    """Rebuild an (untrained) model from :func:`model_spec`'s description."""
    if not isinstance(spec, dict) or not {"class", "kwargs", "dtype"} <= spec.keys():
        raise InvalidArgumentError("spec", spec, "is not a model description",
                                   "pass the dict model_spec(model) returns "
                                   "(keys 'class', 'kwargs', 'dtype')")
    name = spec["class"]
    entry = _entry(name) if isinstance(name, str) else None
    if entry is None:
        raise InvalidArgumentError("class", name, "is not a class checkpoints know",
                                   f"use one of {_known()}")
    if not isinstance(spec["kwargs"], dict) or not all(isinstance(k, str) for k in spec["kwargs"]):
        raise InvalidArgumentError("kwargs", spec["kwargs"], "is not a dict of arguments",
                                   "pass the dict model_spec(model) returns")
    if not isinstance(spec["dtype"], str) or spec["dtype"] not in _DTYPES:
        raise InvalidArgumentError("dtype", spec["dtype"], "is not a supported dtype name",
                                   f"use one of {sorted(_DTYPES)}")
    dtype = _DTYPES[spec["dtype"]]
    kwargs = entry.rebuild(dict(spec["kwargs"]))
    try:
        inspect.signature(entry.cls).bind(**kwargs, dtype=dtype, device=device)
    except TypeError as exc:
        raise InvalidArgumentError("kwargs", kwargs, f"do not fit {name} ({exc})",
                                   "pass the dict model_spec(model) returns") from exc
    return entry.cls(**kwargs, dtype=dtype, device=device)


def _paths(path: Any) -> tuple[Path, Path]:
    p = Path(path)
    if p.suffix != ".safetensors":
        p = p.with_name(p.name + ".safetensors")
    return p, p.with_suffix(".json")


def save_checkpoint(model: nn.Module, path: Any, *, config: Any = None,
                    extra: dict[str, Any] | None = None) -> Path:
    """Write ``model`` as ``<path>.safetensors`` plus a ``<path>.json`` sidecar, atomically.

    Parameters
    ----------
    model : nn.Module
        A class in :data:`MODEL_CLASSES`.
    path : str or Path
        Target; ``.safetensors`` is appended unless present. An existing checkpoint
        there is replaced.
    config : TrainConfig or dict, optional
        Stored in the sidecar.
    extra : dict, optional
        JSON-serialisable metadata (e.g. the spec's parameters, ``n``, the seed).

    Returns
    -------
    Path
        The ``.safetensors`` file.

    Notes
    -----
    Each file is written to a temporary name in the same directory, flushed, fsynced
    and moved into place with ``os.replace`` (atomic on POSIX): a crash leaves either
    the old checkpoint or the new one, never a torn file. The sidecar records the
    SHA-256 of the tensor file, which :func:`load_checkpoint` verifies.
    """
    from .._extras import require

    st_save = require("safetensors.torch", "torch").save

    st_path, js_path = _paths(path)
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    blob = st_save(tensors, metadata={"format": CHECKPOINT_FORMAT})
    cfg = config.to_dict() if isinstance(config, TrainConfig) else (config or {})
    sidecar = {"format": CHECKPOINT_FORMAT, "model": model_spec(model), "train_config": cfg,
               "sha256": hashlib.sha256(blob).hexdigest(), "bytes": len(blob),
               "tensors": {k: list(v.shape) for k, v in tensors.items()}, "extra": extra or {}}
    atomic_write_bytes(st_path, blob, overwrite=True)
    atomic_write_bytes(js_path, json.dumps(sidecar, indent=2, sort_keys=True).encode(),
                       overwrite=True)
    return st_path


def _read_sidecar(js_path: Path) -> dict[str, Any]:
    try:
        sidecar = json.loads(js_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{js_path} is not valid JSON ({exc}); the sidecar is corrupt") \
            from exc
    if not isinstance(sidecar, dict) or sidecar.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{js_path} is not a {CHECKPOINT_FORMAT} sidecar")
    return sidecar


def load_checkpoint(path: Any, device: Any = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model saved by :func:`save_checkpoint`.

    Parameters
    ----------
    path : str or Path
        The ``.safetensors`` file (or its stem).
    device : str or torch.device

    Returns
    -------
    model : nn.Module
        In eval mode, on ``device``, bitwise equal to the saved one.
    sidecar : dict
        The JSON sidecar (model spec, training config, extra).

    Raises
    ------
    CheckpointError
        A file is missing, the sidecar is not valid JSON or of another format, the
        tensor file's size or SHA-256 differs from the sidecar (truncated or altered),
        or the tensors do not fit the model.
    """
    from .._extras import require

    st_load = require("safetensors.torch", "torch").load

    st_path, js_path = _paths(path)
    for p in (st_path, js_path):
        if not p.is_file():
            raise CheckpointError(f"checkpoint file {p} is missing; save with save_checkpoint")
    sidecar = _read_sidecar(js_path)
    blob = st_path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if len(blob) != sidecar.get("bytes") or digest != sidecar.get("sha256"):
        raise CheckpointError(f"{st_path} has {len(blob)} bytes and a SHA-256 that does not match "
                              f"its sidecar ({sidecar.get('bytes')} bytes): truncated or altered")
    try:
        tensors = st_load(blob)
    except Exception as exc:  # safetensors raises its own error type on a bad header
        raise CheckpointError(f"{st_path} is not a readable safetensors file ({exc})") from exc
    try:
        model = make_model(sidecar["model"], device=resolve_device(device))
        model.load_state_dict(tensors, strict=True)
    except (KeyError, TypeError, RuntimeError, InvalidArgumentError) as exc:
        raise CheckpointError(f"{st_path} does not fit the recorded model "
                              f"{sidecar.get('model')}: {exc}") from exc
    return model.eval(), sidecar
