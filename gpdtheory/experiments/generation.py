"""The attention of a trained model on noised data (its samples come from
:func:`gpdtheory.compare.generate`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..schedule import noised
from ..spec import GPSpec

__all__ = ["attention_map"]


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
