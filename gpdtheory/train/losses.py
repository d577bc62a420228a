"""The denoising score-matching losses, the forward noising and the diffusion times.

With ``x_t = alpha_t x_0 + sigma_t eps`` (``alpha_t = e^{-t/2}``, ``sigma_t^2 = 1 - e^{-t}``),

    loss = E_t E_{x_0, eps} lambda(t) || s_theta(x_t, t) + eps / sigma_t ||^2 / (N d),

whose minimiser over all functions is the exact score ``s*`` at every ``t``. The
weighting ``lambda(t) = sigma_t^2`` (``weighting="sigma2"``, the default) makes the
target ``-eps`` of unit variance at every ``t`` (the loss of noise prediction); with
``weighting="none"`` the small-``t`` terms, of variance ``1/sigma_t^2``, dominate the
gradient noise. ``t`` is drawn log-uniformly on ``[t0, T]`` by default (equal weight per
decade: the score changes on a log scale in ``t``), or uniformly, or fixed.

For a model linear in ``X`` the average over the noise is known in closed form
(:func:`marginal_dsm_loss`), which removes the target's noise from the objective.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._torch import nn, torch
from ..errors import InvalidArgumentError
from ..schedule import alpha2_sigma2, alpha_sigma
from ..validation import check_positive_int
from .config import WEIGHTINGS, TrainConfig, check_config

__all__ = ["sample_times", "midpoint_times", "noisy", "dsm_loss", "regression_loss",
           "linear_maps", "marginal_dsm_loss"]


def _spread(cfg: TrainConfig, u: torch.Tensor) -> torch.Tensor:
    """Map ``u`` in ``[0, 1]`` to times on ``[t0, T]`` spaced as ``cfg.t_sampling``."""
    if cfg.t_sampling == "fixed":
        return torch.full(u.shape, cfg.T, dtype=torch.float64, device=u.device).to(u.dtype)
    if cfg.t_sampling == "uniform":
        return cfg.t0 + (cfg.T - cfg.t0) * u
    return cfg.t0 * torch.exp(u * math.log(cfg.T / cfg.t0))


def sample_times(cfg: TrainConfig, n: int, gen: torch.Generator, dtype, device) -> torch.Tensor:
    """Draw ``n`` diffusion times by ``cfg.t_sampling`` on ``[cfg.t0, cfg.T]``: ``(n,)`` tensor.

    ``n`` uniform numbers are drawn from ``gen`` whatever ``cfg.t_sampling`` is, so the
    generator's stream does not depend on the sampling rule.
    """
    check_config(cfg)
    n = check_positive_int(n, "n")
    if not isinstance(gen, torch.Generator):
        raise InvalidArgumentError("gen", gen, "is not a torch.Generator",
                                   "pass torch.Generator(device=...) seeded with manual_seed")
    from ..construct.block import check_dtype

    u = torch.rand(n, generator=gen, dtype=check_dtype(dtype), device=device)
    return _spread(cfg, u)


def midpoint_times(cfg: TrainConfig, n: int, dtype, device) -> torch.Tensor:
    """``n`` deterministic times on ``[t0, T]`` spaced as ``cfg.t_sampling`` (midpoint rule).

    The fixed times of the L-BFGS objective and of its held-out loss (not random draws:
    L-BFGS needs a deterministic objective).
    """
    u = (torch.arange(n, dtype=dtype, device=device) + 0.5) / n
    return _spread(cfg, u)


def noisy(x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor
          ) -> tuple[torch.Tensor, torch.Tensor]:
    """``x_t = alpha_t x_0 + sigma_t eps`` and ``sigma_t`` (the forward process of section 2).

    Returns
    -------
    xt : (B, N, d) tensor
    sigma : (B, 1, 1) tensor
    """
    a, s = (c[:, None, None] for c in alpha_sigma(t))
    return a * x0 + s * eps, s


def dsm_loss(model: nn.Module, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor,
             weighting: str = "sigma2") -> torch.Tensor:
    """The denoising score-matching loss of one batch (a scalar tensor).

    Parameters
    ----------
    model : nn.Module
        ``model(X, t) -> (B, N, d)`` score estimate.
    x0 : (B, N, d) tensor
        Clean samples.
    t : (B,) tensor
        Diffusion times.
    eps : (B, N, d) tensor
        Standard normal noise.
    weighting : {"sigma2", "none"}

    Returns
    -------
    0-d tensor
        ``mean_b lambda(t_b) ||s(x_t, t) + eps / sigma_t||^2 / (N d)``.
    """
    if not isinstance(weighting, str) or weighting not in WEIGHTINGS:
        raise InvalidArgumentError("weighting", weighting, "is not supported",
                                   f"pass one of {WEIGHTINGS}")
    for name, v in (("x0", x0), ("t", t), ("eps", eps)):
        if not torch.is_tensor(v) or not v.dtype.is_floating_point:
            raise InvalidArgumentError(name, type(v).__name__, "is not a real floating tensor",
                                       "pass torch tensors (B, N, d), (B,), (B, N, d)")
    if x0.ndim != 3 or eps.shape != x0.shape or t.shape != x0.shape[:1]:
        raise InvalidArgumentError("eps", f"shapes x0 {tuple(x0.shape)}, t {tuple(t.shape)}, "
                                   f"eps {tuple(eps.shape)}", "do not match (B, N, d), (B,), "
                                   "(B, N, d)", "pass one time and one noise draw per sample")
    xt, s = noisy(x0, t, eps)  # (B, N, d), (B, 1, 1)
    out = model(xt, t)  # (B, N, d); the model refuses t <= 0 and non-finite input
    if weighting == "sigma2":
        r = s * out + eps  # sigma_t^2 ||s + eps/sigma_t||^2 = ||sigma_t s + eps||^2
    else:
        r = out + eps / s
    return (r * r).mean()


def regression_loss(model: nn.Module, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor,
                    weighting: str, target: Callable[[Any, Any], Any]) -> torch.Tensor:
    """``lambda(t) ||s_theta(x_t) - target(x_t)||^2 / (N d)`` (the exact-score diagnostic).

    ``target`` maps numpy ``(X_t, t)`` to the reference score (e.g. the exact score), so
    the loss carries no noise of the denoising target.
    """
    xt, s = noisy(x0, t, eps)
    ref = torch.as_tensor(np.asarray(target(xt.detach().cpu().numpy(), t.cpu().numpy())),
                          dtype=xt.dtype, device=xt.device)
    r = model(xt, t) - ref
    if weighting == "sigma2":
        r = s * r
    return (r * r).mean()


def linear_maps(model: nn.Module, t: torch.Tensor, N: int, d: int) -> torch.Tensor:
    """``A_t`` of a model linear in ``X - alpha_t mu`` at every time: ``(K, Nd, Nd)`` tensor.

    Column ``j`` of ``-A_t`` is the model's output at the ``j``-th basis sequence
    (shifted by ``alpha_t mu`` when the model has a ``mean`` buffer); differentiable.
    """
    p = next(model.parameters())
    n = N * d
    K = t.shape[0]
    E = torch.eye(n, dtype=p.dtype, device=p.device).reshape(n, N, d)  # (n, N, d)
    X = E.repeat(K, 1, 1)  # (K n, N, d)
    tt = t.repeat_interleave(n)  # (K n,)
    mu = getattr(model, "mean", None)
    if mu is not None:
        X = X + alpha_sigma(tt)[0][:, None, None] * mu
    out = model(X, tt).reshape(K, n, n)  # [k, j, :] = -A_k e_j
    return -out.transpose(1, 2)  # (K, n, n)


def marginal_dsm_loss(model: nn.Module, S: torch.Tensor, t: torch.Tensor, N: int, d: int
                      ) -> torch.Tensor:
    """The ``sigma_t^2``-weighted DSM loss of a linear model, averaged over the noise exactly.

    Parameters
    ----------
    model : nn.Module
        Linear in ``X - alpha_t mu``: ``s = -A_t vec(X - alpha_t mu)``.
    S : (Nd, Nd) tensor
        Second moment of the centred samples, ``(1/n) sum vec(x_0 - mu) vec(x_0 - mu)^T``.
    t : (K,) tensor
    N, d : int

    Returns
    -------
    0-d tensor
        ``mean_k [alpha^2 sigma^2 tr(A S A^T) + ||I - sigma^2 A||_F^2] / (N d)``.

    Notes
    -----
    With ``x_t - alpha mu = alpha (x_0 - mu) + sigma eps`` the residual is
    ``sigma s + eps = -sigma alpha A (x_0 - mu) + (I - sigma^2 A) eps``; the cross term
    has mean zero, which gives the formula. It equals the expectation of
    :func:`dsm_loss` over ``eps`` for the same samples, so its minimiser is the
    plug-in ``(alpha^2 S + sigma^2 I)^{-1}``: the noise of the target is gone, the
    estimation error of the ``n`` samples remains.
    """
    A = linear_maps(model, t, N, d)  # (K, n, n)
    a2, s2 = (c[:, None, None] for c in alpha2_sigma2(t))
    I = torch.eye(A.shape[-1], dtype=A.dtype, device=A.device)
    quad = (A @ S * A).sum(dim=(1, 2), keepdim=True)
    resid = ((I - s2 * A) ** 2).sum(dim=(1, 2), keepdim=True)
    return ((a2 * s2 * quad + resid) / (N * d)).mean()
