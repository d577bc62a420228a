"""A real video DiT as a client of the protocol: diffusers' ``LatteTransformer3DModel``.

docs/theory.md §§1, 7 and 8. GP sequences of ``N`` frames with ``d = C H W`` features are
arranged as videos ``(B, C, N, H, W)`` (each frame's features reshaped row-major to
``C x H x W``), and a small Latte (spatial attention within a frame, temporal attention
over frames, ``ada_norm_single`` time conditioning, the fixed 1-D sine-cosine temporal
position embedding added before the first temporal block) predicts the noise.
:func:`latte_score_model` wraps it in :class:`gpdtheory.protocol.ScoreModel`
(``output="noise"``, ``layout="video"``, ``call="diffusers"``), so
:func:`gpdtheory.train.train` trains it by denoising score matching unchanged and every
comparison of :mod:`gpdtheory.compare_models` accepts it.

Time: Latte embeds a discrete DDPM step in ``[0, 1000)``; the OU time ``t`` is passed as
``timestep = TIMESTEP_SCALE * t`` (so ``t in [0.01, 4]`` spans ``[2.5, 1000]``). Latte
needs caption embeddings even without cross-attention: a zero ``(B, 1, caption_channels)``
tensor is passed. Dtype: float64 by default (the theory's); ``dtype=torch.float32`` is the
opt-in fast path. The temporal attention modules are ``temporal_transformer_blocks.*.attn1``
(:data:`TEMPORAL`).
"""

from __future__ import annotations

from ._torch import torch
from .errors import InvalidArgumentError
from .protocol import ScoreModel, as_score_model
from .validation import check_positive_int

__all__ = ["latte_model", "latte_score_model", "TEMPORAL", "TIMESTEP_SCALE", "frame_shape_for",
           "LATTE_DEFAULTS"]

#: fnmatch pattern of Latte's temporal attention modules.
TEMPORAL = "temporal_transformer_blocks.*.attn1"
#: ``timestep = TIMESTEP_SCALE * t`` (OU time to Latte's DDPM step scale).
TIMESTEP_SCALE = 250.0
#: The small configuration (about 15k parameters at C = 2, H = W = 2).
LATTE_DEFAULTS = {"num_attention_heads": 2, "attention_head_dim": 8, "num_layers": 1,
                  "patch_size": 1, "caption_channels": 4}


def frame_shape_for(d: int) -> tuple[int, int, int]:
    """A ``(C, H, W)`` with ``C H W = d``: square ``H = W`` as large as possible."""
    d = check_positive_int(d, "d")
    for h in range(int(d**0.5), 0, -1):
        if d % (h * h) == 0:
            return (d // (h * h), h, h)
    return (d, 1, 1)


def latte_model(N: int, frame_shape: tuple[int, int, int], *, dtype=torch.float64, seed: int = 0,
                **config):
    """A small ``diffusers.LatteTransformer3DModel`` for ``N`` frames of shape ``(C, H, W)``.

    ``config`` overrides :data:`LATTE_DEFAULTS` (any constructor argument of the class).
    ``in_channels = out_channels = C``, ``sample_size = H`` (square frames), ``norm_type =
    "ada_norm_single"`` (the Latte/PixArt conditioning), ``video_length = N``.

    Raises
    ------
    InvalidArgumentError
        The frames are not square.
    MissingExtraError
        diffusers is not installed (``pip install 'gpdtheory[diffusers]'``).
    """
    from ._extras import require

    LatteTransformer3DModel = require("diffusers", "diffusers",
                                      "the Latte client").LatteTransformer3DModel
    N = check_positive_int(N, "N")
    C, H, W = (check_positive_int(s, "frame_shape[i]") for s in frame_shape)
    if H != W:
        raise InvalidArgumentError("frame_shape", frame_shape, "is not square (Latte's "
                                   "sample_size is one side)", "pass (C, H, H)")
    kw = {**LATTE_DEFAULTS, **config}
    torch.manual_seed(seed)
    model = LatteTransformer3DModel(in_channels=C, out_channels=C, sample_size=H,
                                    norm_type="ada_norm_single", video_length=N, **kw)
    # nn.Module.to, not ModelMixin.to (which logs a float32-modules notice on every cast)
    return torch.nn.Module.to(model, dtype)


def latte_score_model(net=None, *, N: int | None = None, frame_shape=None, dtype=torch.float64,
                      seed: int = 0, **config) -> ScoreModel:
    """Latte seen through the protocol: ``(X (B, N, C H W), t) -> score``.

    Pass a built ``net`` (with ``frame_shape``), or ``N`` and ``frame_shape`` to build one
    with :func:`latte_model`.
    """
    if net is None:
        net = latte_model(N, frame_shape, dtype=dtype, seed=seed, **config)
    N = net.config.video_length if N is None else N
    if frame_shape is None:
        frame_shape = (net.config.in_channels, net.config.sample_size, net.config.sample_size)
    cc = net.config.caption_channels

    def kwargs(x, ts):
        return {"encoder_hidden_states": torch.zeros(x.shape[0], 1, cc, dtype=x.dtype,
                                                     device=x.device)}

    return as_score_model(net, N=N, output="noise", layout="video",
                          frame_shape=tuple(frame_shape), call="diffusers",
                          timestep=lambda t: TIMESTEP_SCALE * t, call_kwargs=kwargs)
