"""Generation from a trained model, and its attention on noised data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..schedule import noised
from ..spec import GPSpec

__all__ = ["generate", "attention_map"]


def generate(model, spec: GPSpec, m: int, *, T: float, t0: float, steps: int, seed: Any,
             device: Any = "cpu") -> np.ndarray:
    """``m`` sequences from the reverse process driven by ``model`` (exponential integrator)."""
    from .._extras import require
    from ..sampling import reverse_sample

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
    from ..video import attention_maps

    rng = np.random.default_rng(seed)
    X0 = spec.sample(n, seed=rng)
    maps = []
    for t in times:
        maps.append(attention_maps(model, noised(X0, t, rng.standard_normal(X0.shape)), t))
    return np.mean(np.stack(maps), axis=(0, 1, 2))
