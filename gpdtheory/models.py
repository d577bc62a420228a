"""Score networks to train: the matching model, a softmax DiT baseline, a small 1-D U-Net.

docs/theory.md §§5 and 7. Every model maps ``(X, t) -> score``, ``X`` of shape
``(B, N, d)`` and ``t`` of shape ``(B,)``, so :func:`gpdtheory.train.train` handles all.

- :func:`matching_model`: the construction's own class
  (:class:`gpdtheory.construct.GPDiT`, ReLU attention, adaLN gate), randomly initialised,
  looped (``tied=True``) or untied, with the construction's head count ``J + 2`` and
  widths, so trained and constructed weights live in one parameter space. With
  ``position_only=True`` it is linear in ``X`` and its errors are exact.
- :class:`SoftmaxDiT`: the practical baseline of Peebles & Xie (DiT): learned position
  embeddings (initialised small and random, or at DiT's sine-cosine table), softmax
  attention, pre-LayerNorm blocks modulated by adaLN-Zero (shift, scale and a
  zero-initialised gate per branch, regressed from the time embedding).
- :class:`UNet1d`: a small convolutional U-Net over frames (the paper's comparison).

The baselines predict the noise: ``s = -eps_theta(x_t, t) / sigma_t``, the usual DiT
parameterisation, under which the ``sigma_t^2``-weighted DSM loss is the noise-prediction
loss. :func:`model_spec` and :func:`make_model` (from :mod:`gpdtheory.train.checkpoints`,
whose registry this module fills) give a JSON-able description of a model and rebuild it
(checkpoints never pickle).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._torch import nn, torch
from .construct.block import N_POS, GPDiT, check_dtype, model_inputs
from .errors import InvalidArgumentError
from .schedule import alpha_sigma
from .train.checkpoints import MODEL_CLASSES, make_model, model_spec, register_model_class
from .validation import check_nonnegative_int, check_positive_int

__all__ = ["matching_model", "SoftmaxDiT", "UNet1d", "model_spec", "make_model", "MODEL_CLASSES",
           "timestep_embedding", "sincos_position_embedding"]

def matching_model(spec, L: int, J: int | None = None, *, tied: bool = True,
                   position_only: bool = True, dtype=torch.float64, device=None,
                   seed: int | None = 0) -> GPDiT:
    """The construction's block class, randomly initialised, for training.

    Parameters
    ----------
    spec : GPSpec
        Gives ``N``, ``d`` and the mean.
    L : int
        Depth (blocks applied).
    J : int, optional
        Truncation lag of the matching construction: ``J + 2`` heads (default
        ``N - 1``, as many heads as lags).
    tied : bool
        Looped (one block applied ``L`` times) or ``L`` untied blocks.
    position_only : bool
        Queries/keys read only the position slots: the model is linear in ``X``.
    dtype, device
        float64 by default.
    seed : int or None
        Seeds the initialisation (``torch.manual_seed``) when given.

    Returns
    -------
    GPDiT
        Key width 3, value width ``d``, as :func:`gpdtheory.construct.build`.

    Examples
    --------
    >>> import numpy as np, gpdtheory as gp
    >>> spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), N=5, Sigma=np.eye(2))
    >>> matching_model(spec, L=3, J=2).heads
    4
    """
    if not all(hasattr(spec, a) for a in ("N", "d", "mean")):
        raise InvalidArgumentError("spec", spec, "is not a GPSpec",
                                   "build one with gpdtheory.GPSpec")
    J = spec.N - 1 if J is None else min(check_nonnegative_int(J, "J"), spec.N - 1)
    if seed is not None:
        torch.manual_seed(torch_seed(seed))
    return GPDiT(spec.N, spec.d, check_nonnegative_int(L, "L"), heads=J + 2, key_dim=N_POS,
                 value_dim=spec.d, tied=tied, position_only=position_only, mean=spec.mean,
                 dtype=dtype, device=device)


def torch_seed(seed: Any, name: str = "seed") -> int:
    """``seed`` as an int that ``torch.manual_seed`` accepts (``0 <= seed < 2**64``)."""
    if isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**64:
        return seed
    return check_nonnegative_int(seed, name)


def _check_time_dim(time_dim: Any) -> int:
    time_dim = check_positive_int(time_dim, "time_dim")
    if time_dim % 2:
        raise InvalidArgumentError("time_dim", time_dim, "is odd",
                                   "pass an even width (cos and sin pairs)")
    return time_dim


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of ``log t`` (DiT's, on the log scale of the OU time).

    Parameters
    ----------
    t : (B,) tensor
    dim : int
        Even width.

    Returns
    -------
    (B, dim) tensor

    Raises
    ------
    InvalidArgumentError
        ``t`` not a real tensor, not finite or ``<= 0`` (``log t``); ``dim`` not even.
    """
    dim = _check_time_dim(dim)
    if not torch.is_tensor(t) or not t.dtype.is_floating_point or t.ndim != 1:
        raise InvalidArgumentError("t", t, "is not a real floating (B,) tensor",
                                   "pass a (B,) float tensor")
    if not bool((t > 0).all() & torch.isfinite(t).all()):
        raise InvalidArgumentError("t", f"tensor of shape {tuple(t.shape)}",
                                   "has entries <= 0 or non-finite: log t is undefined",
                                   "pass diffusion times t > 0")
    return _timestep_embedding(t, dim)


def _timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    k = torch.arange(half, dtype=t.dtype, device=t.device)
    freqs = torch.exp(k * (-math.log(100.0) / half))
    arg = torch.log(t)[:, None] * freqs[None, :] * 4.0  # (B, half)
    return torch.cat([torch.cos(arg), torch.sin(arg)], dim=-1)  # (B, dim)


#: Initial values of the SoftmaxDiT position embeddings.
_POS_INITS = ("normal", "sincos")


def sincos_position_embedding(N: int, width: int) -> torch.Tensor:
    """The 1-D sine-cosine position table of Vaswani et al. (DiT's, along one axis).

    Row ``i`` is ``[sin(i w_k), cos(i w_k)]`` for ``w_k = 10000^(-k / h)``,
    ``k = 0..h-1``, ``h = ceil(width / 2)``, truncated to ``width`` columns. For even
    ``width`` the Gram matrix ``P P^T`` is ``sum_k cos((i - j) w_k)``, a function of the
    lag ``|i - j|`` only (Toeplitz), and every row has norm ``sqrt(width / 2)``.

    Returns
    -------
    (N, width) float64 tensor
    """
    N, width = check_positive_int(N, "N"), check_positive_int(width, "width")
    h = (width + 1) // 2
    w = torch.exp(-math.log(10000.0) * torch.arange(h, dtype=torch.float64) / h)
    ang = torch.arange(N, dtype=torch.float64)[:, None] * w[None, :]  # (N, h)
    return torch.cat([torch.sin(ang), torch.cos(ang)], dim=-1)[:, :width]


def _sigma(t: torch.Tensor) -> torch.Tensor:
    return alpha_sigma(t)[1]


class _AdaLNBlock(nn.Module):
    """Pre-LN transformer block with adaLN-Zero modulation (DiT)."""

    def __init__(self, width: int, heads: int, mlp_ratio: int, **kw):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6, **kw)
        self.qkv = nn.Linear(width, 3 * width, **kw)
        self.proj = nn.Linear(width, width, **kw)
        self.norm2 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6, **kw)
        self.mlp = nn.Sequential(nn.Linear(width, mlp_ratio * width, **kw), nn.GELU(),
                                 nn.Linear(mlp_ratio * width, width, **kw))
        self.ada = nn.Linear(width, 6 * width, **kw)
        nn.init.zeros_(self.ada.weight)  # adaLN-Zero: every block starts as the identity
        nn.init.zeros_(self.ada.bias)

    def forward(self, h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        B, N, W = h.shape
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(torch.nn.functional.silu(c))[:, None].chunk(6, -1)
        z = self.norm1(h) * (1 + sc1) + sh1  # (B, N, W)
        q, k, v = self.qkv(z).reshape(B, N, 3, self.heads, W // self.heads).permute(2, 0, 3, 1, 4)
        a = torch.nn.functional.scaled_dot_product_attention(q, k, v)  # (B, H, N, W/H)
        h = h + g1 * self.proj(a.transpose(1, 2).reshape(B, N, W))  # (B, N, W)
        z = self.norm2(h) * (1 + sc2) + sh2
        return h + g2 * self.mlp(z)  # (B, N, W)


class SoftmaxDiT(nn.Module):
    """Softmax-attention DiT with learned position embeddings and adaLN-Zero.

    Parameters
    ----------
    N, d : int
        Frames and features.
    width, depth, heads, mlp_ratio : int
        Token width, blocks, heads (dividing ``width``), MLP expansion.
    time_dim : int
        Width of the sinusoidal time embedding (16, as in the paper's experiments).
    pos_init : {"normal", "sincos"}
        Initial value of the (learned) position embeddings: ``0.02 * randn`` (ViT's
        learned-embedding init, the default) or the 1-D sine-cosine table of the token
        index (:func:`sincos_position_embedding`, DiT's fixed embedding, here trainable).
    dtype, device
        float64 by default.

    Notes
    -----
    ``s(X, t) = -eps_theta(X, t) / sigma_t``; the final layer is zero-initialised, so the
    untrained model outputs 0.

    With ``pos_init="normal"`` the position embeddings start ~100 times smaller than the
    embedded tokens, and where the gain from token order is a small part of the loss they
    may never grow: the trained model is then (numerically) permutation-equivariant over
    tokens, a set model. Measured on moving-ball videos (``checks/video.py``): after 6000
    steps shuffling the frames changed the held-out loss in the fourth digit at no ``t``,
    the position-dependent part of the embeddings had norm 0.09 per token against 8 for
    the embedded frames, and the generated frames shared only a video-wide offset
    (temporal correlation ~0.2 at every lag). The
    sine-cosine start has Gram matrix ``pos pos^T`` depending on ``|i - j|`` only and the
    tokens' scale, so attention can read lags from the first step.

    Examples
    --------
    >>> m = SoftmaxDiT(N=6, d=2, width=16, depth=1, heads=2)
    >>> m(torch.zeros(3, 6, 2, dtype=torch.float64), torch.ones(3, dtype=torch.float64)).shape
    torch.Size([3, 6, 2])
    """

    def __init__(self, N: int, d: int, width: int = 32, depth: int = 2, heads: int = 4,
                 mlp_ratio: int = 2, time_dim: int = 16, pos_init: str = "normal",
                 dtype=torch.float64, device=None):
        super().__init__()
        self.N, self.d = check_positive_int(N, "N"), check_positive_int(d, "d")
        width, depth = check_positive_int(width, "width"), check_positive_int(depth, "depth")
        if not isinstance(pos_init, str) or pos_init not in _POS_INITS:
            raise InvalidArgumentError("pos_init", pos_init, "is not a position-embedding init",
                                       f"pass one of {_POS_INITS}")
        heads, mlp_ratio = check_positive_int(heads, "heads"), check_positive_int(mlp_ratio,
                                                                                   "mlp_ratio")
        time_dim, dtype = _check_time_dim(time_dim), check_dtype(dtype)
        N, d = self.N, self.d
        if width % heads:
            raise InvalidArgumentError("heads", heads, f"does not divide width={width}",
                                       "pick heads dividing width")
        self.init_kwargs = {"N": N, "d": d, "width": width, "depth": depth, "heads": heads,
                            "mlp_ratio": mlp_ratio, "time_dim": time_dim, "pos_init": pos_init}
        kw = {"dtype": dtype, "device": device}
        self.time_dim = time_dim
        self.embed = nn.Linear(d, width, **kw)
        if pos_init == "sincos":
            pos = sincos_position_embedding(self.N, width).to(**kw)
        else:
            pos = 0.02 * torch.randn(self.N, width, **kw)
        self.pos = nn.Parameter(pos)
        self.t_mlp = nn.Sequential(nn.Linear(time_dim, width, **kw), nn.SiLU(),
                                   nn.Linear(width, width, **kw))
        self.blocks = nn.ModuleList([_AdaLNBlock(width, heads, mlp_ratio, **kw)
                                     for _ in range(depth)])
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6, **kw)
        self.ada = nn.Linear(width, 2 * width, **kw)
        self.out = nn.Linear(width, d, **kw)
        for lin in (self.ada, self.out):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, X: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        p = self.pos
        X, t = model_inputs(X, t, p, (None, self.N, self.d))
        c = self.t_mlp(_timestep_embedding(t, self.time_dim))  # (B, W)
        h = self.embed(X) + p  # (B, N, W)
        for blk in self.blocks:
            h = blk(h, c)  # (B, N, W)
        sh, sc = self.ada(torch.nn.functional.silu(c))[:, None].chunk(2, -1)
        eps = self.out(self.norm(h) * (1 + sc) + sh)  # (B, N, d)
        return -eps / _sigma(t)[:, None, None]  # (B, N, d)


class UNet1d(nn.Module):
    """A small 1-D U-Net over frames (one down/up level, FiLM time conditioning).

    Parameters
    ----------
    N, d : int
        Frames (even, for the one down-sampling) and features (channels).
    width : int
        Channels at the top level (twice that at the bottom).
    time_dim : int
    dtype, device

    Notes
    -----
    Convolutions of kernel 3 see lags up to 1 per layer, 2 after down-sampling: its
    receptive field is local, unlike attention (the paper's DiT-vs-U-Net point).
    ``s = -eps_theta / sigma_t``, last layer zero-initialised.
    """

    def __init__(self, N: int, d: int, width: int = 32, time_dim: int = 16,
                 dtype=torch.float64, device=None):
        super().__init__()
        self.N, self.d = check_positive_int(N, "N"), check_positive_int(d, "d")
        time_dim, dtype = _check_time_dim(time_dim), check_dtype(dtype)
        N, d, width = self.N, self.d, check_positive_int(width, "width")
        if self.N % 2:
            raise InvalidArgumentError("N", N, "is odd", "UNet1d down-samples by 2: use an even N")
        self.init_kwargs = {"N": N, "d": d, "width": width, "time_dim": time_dim}
        kw = {"dtype": dtype, "device": device}
        self.time_dim = time_dim
        W = check_positive_int(width, "width")
        self.t_mlp = nn.Sequential(nn.Linear(time_dim, W, **kw), nn.SiLU(),
                                   nn.Linear(W, 6 * W, **kw))
        self.inc = nn.Conv1d(d, W, 3, padding=1, **kw)
        self.down = nn.Conv1d(W, 2 * W, 4, stride=2, padding=1, **kw)
        self.mid = nn.Conv1d(2 * W, 2 * W, 3, padding=1, **kw)
        self.up = nn.ConvTranspose1d(2 * W, W, 4, stride=2, padding=1, **kw)
        self.dec = nn.Conv1d(2 * W, W, 3, padding=1, **kw)
        self.outc = nn.Conv1d(W, d, 3, padding=1, **kw)
        nn.init.zeros_(self.outc.weight)
        nn.init.zeros_(self.outc.bias)

    def forward(self, X: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        p = self.inc.weight
        X, t = model_inputs(X, t, p, (None, self.N, self.d))
        f = self.t_mlp(_timestep_embedding(t, self.time_dim))[:, :, None]  # (B, 6W, 1)
        a1, b1, a2, b2, a3, b3 = f.chunk(6, dim=1)
        act = torch.nn.functional.silu
        h1 = act(self.inc(X.transpose(1, 2)) * (1 + a1) + b1)  # (B, W, N)
        h2 = act(self.mid(act(self.down(h1))) * (1 + torch.cat([a2, b2], 1)))  # (B, 2W, N/2)
        h3 = act(self.dec(torch.cat([self.up(h2), h1], dim=1)) * (1 + a3) + b3)  # (B, W, N)
        eps = self.outc(h3).transpose(1, 2)  # (B, N, d)
        return -eps / _sigma(t)[:, None, None]  # (B, N, d)


def _describe_gpdit(model: GPDiT) -> dict[str, Any]:
    """The constructor arguments of a :class:`GPDiT` (it keeps no ``init_kwargs``)."""
    b = model.blocks[0]
    return {"N": model.N, "d": model.d, "L": model.L, "heads": b.heads, "key_dim": b.key_dim,
            "value_dim": b.value_dim, "tied": model.tied, "position_only": model.position_only,
            "ffn_hidden": b.ffn_hidden, "n_frequencies": model.n_frequencies,
            "has_mean": model.mean is not None}


def _rebuild_gpdit(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A zero mean buffer of the stored shape; its values come with the weights."""
    if kwargs.pop("has_mean", False):
        kwargs["mean"] = np.zeros((check_positive_int(kwargs.get("N"), "kwargs['N']"),
                                   check_positive_int(kwargs.get("d"), "kwargs['d']")))
    return kwargs


register_model_class(GPDiT, describe=_describe_gpdit, rebuild=_rebuild_gpdit)
register_model_class(SoftmaxDiT)
register_model_class(UNet1d)
