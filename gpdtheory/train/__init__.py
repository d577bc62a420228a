"""Denoising score matching on ``n`` samples, and safe checkpoints (docs/theory.md §7).

The package is split by idea, in the order a run uses them:

- :mod:`~gpdtheory.train.config`: :class:`TrainConfig`, validated once when built;
- :mod:`~gpdtheory.train.device`: :func:`resolve_device`, :func:`torch_threads`;
- :mod:`~gpdtheory.train.losses`: the forward noising, the diffusion times,
  :func:`dsm_loss` and the noise-marginalised :func:`marginal_dsm_loss`;
- :mod:`~gpdtheory.train.loop`: :func:`train`, one loop for AdamW and L-BFGS;
- :mod:`~gpdtheory.train.checkpoints`: :func:`save_checkpoint`, :func:`load_checkpoint`
  (safetensors plus a JSON sidecar, written atomically; no pickle) and the registry of
  model classes a checkpoint may name.

Every public name is importable from ``gpdtheory.train`` itself.
"""

from __future__ import annotations

from .checkpoints import (
    CHECKPOINT_FORMAT,
    MODEL_CLASSES,
    load_checkpoint,
    make_model,
    model_spec,
    register_model_class,
    save_checkpoint,
)
from .config import TrainConfig
from .device import resolve_device, torch_threads
from .loop import TrainingDivergedError, TrainResult, train
from .losses import (
    dsm_loss,
    linear_maps,
    marginal_dsm_loss,
    midpoint_times,
    noisy,
    regression_loss,
    sample_times,
)

__all__ = ["TrainConfig", "TrainResult", "train", "dsm_loss", "marginal_dsm_loss", "linear_maps",
           "regression_loss", "noisy", "sample_times", "midpoint_times", "resolve_device",
           "torch_threads", "save_checkpoint", "load_checkpoint", "CHECKPOINT_FORMAT",
           "MODEL_CLASSES", "register_model_class", "model_spec", "make_model",
           "TrainingDivergedError"]

