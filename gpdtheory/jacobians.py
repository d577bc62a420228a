"""Jacobians of any score network, and their cosine (docs/theory.md §8).

A low torch utility: :mod:`gpdtheory.construct.inspect` (the end-to-end map of a model
that is not a GPDiT) and :mod:`gpdtheory.compare` (the linear map against ``C_t^{-1}``)
both read a model's sensitivity ``d s_theta / d vec X`` here, so neither imports the other.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._torch import torch
from .construct.block import full_time
from .profiles import cosine
from .schedule import check_scalar_diffusion_time
from .validation import as_real_array, check_torch_module

__all__ = ["jacobian", "jacobian_cosine"]


def jacobian(model, X, t: float) -> np.ndarray:
    """``d s_theta / d vec X`` at ``X`` ``(N, d)`` for any ``model(X, t)``: ``(Nd, Nd)`` ndarray.

    ``vec`` is row-major (frame by frame), so entry ``[i d + a, j d + b]`` is
    ``d s_theta(X, t)[i, a] / d X[j, b]``, computed by ``torch.func.jacrev`` in the
    model's dtype and returned in float64. ``model`` is called as ``model(X[None], t)``
    and must return the score: wrap a network predicting the noise or ``x0`` with
    :func:`gpdtheory.protocol.as_score_model` first.
    """
    model = check_torch_module(model)
    p = next(model.parameters())
    shape = (getattr(model, "N", None), getattr(model, "d", None))
    X0 = torch.as_tensor(as_real_array(X, "X", ndim=2, shape=shape), dtype=p.dtype, device=p.device)
    N, d = X0.shape
    tt = full_time(1, check_scalar_diffusion_time(t), p)
    with warnings.catch_warnings():  # torch: "performance drop" (no batching rule), harmless
        warnings.filterwarnings("ignore", message="There is a performance drop",
                                category=UserWarning)
        Jac = torch.func.jacrev(lambda x: model(x[None], tt)[0].reshape(-1))(X0)
    return Jac.reshape(N * d, N * d).detach().double().cpu().numpy()


def jacobian_cosine(J1, J2) -> float:
    """Cosine ``<J1, J2>_F / (||J1|| ||J2||)`` of two Jacobians (1: same up to scale).

    :func:`gpdtheory.profiles.cosine`: NaN when a Jacobian is zero (no direction).
    """
    return cosine(J1, J2, ("J1", "J2"))
