"""Training from the constructed weights, with the distance to them tracked (docs/theory.md §8)."""

from __future__ import annotations

import copy

import numpy as np

from .._torch import torch
from ..errors import InvalidArgumentError
from ..train import train
from ..validation import check_torch_module

__all__ = ["parameter_distance", "warm_start"]


def parameter_distance(model, reference: dict[str, torch.Tensor]) -> float:
    """``||theta - theta_ref|| / ||theta_ref||`` over all parameters (flattened)."""
    model = check_torch_module(model)
    names = dict(model.named_parameters())
    if not isinstance(reference, dict) or set(reference) != set(names):
        raise InvalidArgumentError("reference", type(reference).__name__,
                                   "does not hold exactly the model's parameter names",
                                   "pass {k: v.detach().clone() for k, v in "
                                   "model.named_parameters()}")
    num = den = 0.0
    for name, p in names.items():
        r = reference[name]
        if not torch.is_tensor(r) or r.shape != p.shape:
            raise InvalidArgumentError(f"reference[{name!r}]", type(r).__name__,
                                       f"is not a tensor of shape {tuple(p.shape)}",
                                       "pass the parameters of a model of the same shape")
        r = r.to(p.device, p.dtype)
        num += float(((p.detach() - r) ** 2).sum())
        den += float((r**2).sum())
    out = float(np.sqrt(num / den)) if den > 0 else float(np.sqrt(num))
    if not np.isfinite(out):
        raise InvalidArgumentError("reference", "parameters",
                                   "give a non-finite distance (NaN/inf or overflowing weights)",
                                   "pass finite parameters")
    return out


def warm_start(constructed, data, cfg=None, **kwargs):
    """Train a copy of the constructed model on ``data``; track its distance to the start.

    Parameters
    ----------
    constructed : GPDiT
        From :func:`gpdtheory.construct.build` (left unchanged).
    data : (n, N, d) array_like
    cfg : TrainConfig, optional
    **kwargs
        Passed to :func:`gpdtheory.train.train`.

    Returns
    -------
    TrainResult
        ``history["track"]`` holds :func:`parameter_distance` at every evaluation.
    """
    constructed = check_torch_module(constructed)
    model = copy.deepcopy(constructed)
    ref = {k: v.detach().clone() for k, v in constructed.named_parameters()}
    return train(model, data, cfg, track=lambda m: parameter_distance(m, ref), **kwargs)

