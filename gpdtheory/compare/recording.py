"""Models through the protocol, noised inputs, and attention recorded per module.

The lowest layer of :mod:`gpdtheory.compare` that runs a network: every other module
takes its models (:func:`score_model`, :func:`recorded_model`), its noised samples
(:func:`noised`) and its recorded attention (:func:`attention_by_module`) from here.
"""

from __future__ import annotations

import numpy as np

from .._torch import torch
from ..construct.block import full_time
from ..errors import InvalidArgumentError
from ..protocol import ScoreModel, as_recorded_model, as_score_model, model_name, param_like
from ..schedule import check_scalar_diffusion_time
from ..schedule import noised as forward_noised
from ..spec import GPSpec, check_spec
from ..validation import as_rng, check_positive_int

#: Public: the rest (``score_model``, ``recorded_model``, ``noised``, ``module_maps``) serves
#: the package's other modules.
__all__ = ["DEFAULT_TIMES", "attention_by_module"]

#: Diffusion times at which attention is recorded by default.
DEFAULT_TIMES = (0.1, 0.5, 2.0)


def _sizes(model, spec: GPSpec | None) -> dict:
    """``N`` and ``d`` from the model, else from the spec (None when neither has them)."""
    return {"N": getattr(model, "N", None) or (spec.N if spec else None),
            "d": getattr(model, "d", None) or (spec.d if spec else None)}


def _matching(sm: ScoreModel, model, spec: GPSpec | None) -> ScoreModel:
    if spec is not None and (sm.N, sm.d) != (spec.N, spec.d):
        raise InvalidArgumentError("model", model_name(sm), f"has N={sm.N}, d={sm.d}, the spec "
                                   f"N={spec.N}, d={spec.d}", "pass a model built for this spec")
    return sm


def score_model(model, spec: GPSpec | None = None) -> ScoreModel:
    """``model`` through the protocol, for a function that reads its score.

    :func:`gpdtheory.protocol.as_score_model`: the output convention must be stated
    (a :class:`~gpdtheory.protocol.ScoreModel`) or detected (the package's networks).
    """
    sm = model if isinstance(model, ScoreModel) else as_score_model(model, **_sizes(model, spec))
    return _matching(sm, model, spec)


def recorded_model(model, spec: GPSpec | None = None) -> ScoreModel:
    """``model`` through the protocol, for a function that reads attention or hidden states
    only (:func:`gpdtheory.protocol.as_recorded_model`: no output convention needed)."""
    sm = model if isinstance(model, ScoreModel) else as_recorded_model(model,
                                                                       **_sizes(model, spec))
    return _matching(sm, model, spec)


def noised(spec: GPSpec, data, n: int, t: float, rng) -> np.ndarray:
    """``alpha_t X_0 + sigma_t eps`` at time ``t``, ``X_0`` = ``data[:n]`` or ``n`` fresh draws."""
    X0 = spec.sample(n, seed=rng) if data is None else np.asarray(data, np.float64)[:n]
    return forward_noised(X0, t, rng.standard_normal(X0.shape))


def attention_by_module(model, spec: GPSpec, *, modules=None, data=None,
                        times=DEFAULT_TIMES, n: int = 128, seed=0) -> dict[str, np.ndarray]:
    """Mean attention matrix over frames of every recorded attention module of ``model``.

    Parameters
    ----------
    model : nn.Module
        Any model through the protocol; only its attention is read, so a network needs no
        output convention (:func:`gpdtheory.protocol.as_recorded_model`).
    spec : GPSpec
        Gives ``N``, ``d`` and (without ``data``) the samples.
    modules : optional
        The temporal-attention modules (see :func:`gpdtheory.capture.capture_attention`);
        every recorded module whose matrices are ``N x N`` is kept.
    data : (n, N, d) array_like, optional
        Clean samples (default: ``n`` fresh draws from ``spec``).
    times : sequence of float
        Diffusion times; the inputs are ``alpha_t X_0 + sigma_t eps`` at each.
    n : int
    seed : int or Generator

    Returns
    -------
    dict of str -> (H, N, N) ndarray
        Per module name, in recording (forward) order: the attention of each head averaged
        over samples, times and calls (softmax probabilities, or ReLU weights for the
        package's ReLU heads).

    Raises
    ------
    InvalidArgumentError
        No ``N x N`` attention was recorded (name the temporal-attention modules).
    """
    return {name: m.numpy() for name, m in module_maps(model, spec, modules, data, times, n,
                                                        seed).items()}


def module_maps(model, spec, modules, data, times, n, seed) -> dict[str, torch.Tensor]:
    """:func:`attention_by_module` as float64 CPU tensors (the averages are taken in torch)."""
    from ..capture import capture_attention

    spec = check_spec(spec)
    sm = recorded_model(model, spec)
    n = check_positive_int(n, "n")
    rng = as_rng(seed)
    p = param_like(sm)
    per_module: dict[str, list[torch.Tensor]] = {}
    for t in times:
        t = check_scalar_diffusion_time(t, "times[i]")
        Xt = torch.as_tensor(noised(spec, data, n, t, rng), dtype=p.dtype, device=p.device)
        with capture_attention(sm, modules) as cap, torch.no_grad():
            sm(Xt, full_time(Xt.shape[0], t, p))
        for name in cap.names:
            for A in cap.records[name]:
                if A.shape[-1] == spec.N and A.shape[-2] == spec.N:
                    per_module.setdefault(name, []).append(A)
    if not per_module:
        raise InvalidArgumentError("modules", modules, f"recorded no {spec.N} x {spec.N} "
                                   f"attention in {model_name(sm)}",
                                   "name the temporal-attention modules (attention over frames)")
    return {name: torch.cat(v).mean(0) for name, v in per_module.items()}
