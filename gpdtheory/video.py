"""Train score networks on moving-ball videos and measure what they learned of the motion.

docs/theory.md §§1, 7 and 8 carried beyond Gaussian data. The frames of
:func:`gpdtheory.data.moving_ball` are not Gaussian, so no exact score exists; the ground
truth is the temporal kernel ``rho`` of the ball's path. Two measurements compare with it:

- **attention by lag**: the average attention weight between frames ``i`` and ``j`` as a
  function of ``|i - j|`` (softmax DiT: rows of the softmax averaged over a batch of
  noisy videos, heads, blocks and a few diffusion times; ReLU matching model: the
  y-to-y attention kernel of :func:`gpdtheory.construct.inspect.attention_kernel`,
  trace over features, oriented so that lag 0 is positive: its overall sign sits in
  ``W_O W_V`` and the gate, which the lag structure does not identify);
- **generated motion**: the centroid of each generated frame
  (:func:`gpdtheory.data.centroids`), and the empirical temporal correlation of these
  trajectories (:func:`gpdtheory.data.temporal_correlation`).

Each profile over lags ``0..max_lag`` is compared with ``rho(0..max_lag)`` by Pearson
correlation and by relative error. ``lag_profile`` and ``profile_correlation`` are
:func:`gpdtheory.profiles.lag_profile` and :func:`gpdtheory.profiles.correlation`
(NaN when a profile is constant), re-exported under their former names.

Training reuses :func:`gpdtheory.train.train` (denoising score matching) unchanged. The
tokens (``2 I - 1``, one per frame) are standardised first: ``X' = (X - m) / s`` with
``m`` the per-pixel mean (over videos and frames: the process is stationary) and ``s`` the
global standard deviation, so the ball is not lost in the noise at moderate ``t``; the
generated samples are mapped back with the same ``m`` and ``s``. Float32 by default
(opt-in float64 through ``dtype``); ``device`` picks CPU or CUDA, never hard-coded.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._torch import nn, torch
from .construct.block import GPDiT, full_time, model_inputs
from .data.moving_ball import MovingBall, centroids, temporal_correlation, tokens_to_frames
from .errors import InvalidArgumentError
from .models import SoftmaxDiT, matching_model, torch_seed
from .profiles import correlation as profile_correlation
from .profiles import lag_profile
from .sampling import reverse_sample
from .schedule import check_diffusion_time, noised
from .spec import GPSpec
from .train import TrainConfig, TrainResult, resolve_device, train
from .validation import (
    as_real_array,
    as_rng,
    check_nonnegative_int,
    check_positive_int,
    check_real_scalar,
)

__all__ = ["VideoModel", "VideoEvaluation", "train_video", "generate", "attention_maps",
           "lag_profile", "attention_lag_profile", "profile_correlation", "evaluate_video",
           "VIDEO_TRAIN_CONFIG"]

#: Training defaults for videos: the trainer's, with a smaller batch and fewer evaluations.
VIDEO_TRAIN_CONFIG = TrainConfig(steps=400, batch_size=64, lr=3e-3, warmup=20, eval_every=50,
                                 patience=100, val_noise=2, T=4.0, t0=1e-2)


@dataclass
class VideoModel:
    """A score network trained on standardised video tokens, with its standardisation.

    Attributes
    ----------
    model : nn.Module
        ``SoftmaxDiT`` or ``GPDiT`` on ``(B, N, size*size)`` standardised tokens.
    shift : (d,) ndarray
        Per-pixel token mean ``m``.
    scale : float
        Global token standard deviation ``s``.
    size : int
    result : TrainResult
    """

    model: nn.Module
    shift: np.ndarray
    scale: float
    size: int
    result: TrainResult

    def standardize(self, tokens: Any) -> np.ndarray:
        """``(X - m) / s``."""
        X = as_real_array(tokens, "tokens", ndim=3, shape=(None, self.shift.shape[0]))
        return (X - self.shift) / self.scale

    def destandardize(self, Z: Any) -> np.ndarray:
        """``Z s + m``."""
        Z = as_real_array(Z, "Z", min_ndim=1, shape=(self.shift.shape[0],))
        return Z * self.scale + self.shift


@dataclass
class VideoEvaluation:
    """Lag profiles of a trained video model against the motion's ``rho``.

    Attributes
    ----------
    rho : (max_lag + 1,) ndarray
        True correlation of the path, ``rho(0..max_lag)``.
    attention : (max_lag + 1,) ndarray
        Attention by lag (see module docstring).
    generated : (max_lag + 1,) ndarray
        Empirical temporal correlation of the centroids of generated videos.
    data : (max_lag + 1,) ndarray
        The same estimator on the centroids of the training videos (its own error).
    attention_corr, generated_corr, data_corr : float
        Pearson correlation of each profile with ``rho``.
    generated_relerr : float
        ``||generated - rho|| / ||rho||``.
    frames : (n_gen, N, size, size) ndarray
        The generated frames.
    seconds : float
        Wall time of the evaluation (sampling included).
    """

    rho: np.ndarray
    attention: np.ndarray
    generated: np.ndarray
    data: np.ndarray
    attention_corr: float
    generated_corr: float
    data_corr: float
    generated_relerr: float
    frames: np.ndarray = field(repr=False)
    seconds: float = 0.0


def train_video(video: MovingBall, model: str = "dit", *, cfg: TrainConfig | None = None,
                width: int | None = None, depth: int = 2, heads: int = 2,
                pos_init: str = "sincos", L: int = 4, J: int | None = None,
                dtype=torch.float32, device: Any = "cpu", seed: int = 0) -> VideoModel:
    """Train the softmax DiT or the ReLU matching model on moving-ball videos.

    Parameters
    ----------
    video : MovingBall
        Training videos with one token per frame (``patch=None``).
    model : {"dit", "relu"}
        :class:`gpdtheory.models.SoftmaxDiT` (``width``, ``depth``, ``heads``) or the
        matching model :func:`gpdtheory.models.matching_model` (looped, position-only,
        depth ``L``, ``J + 2`` heads): linear in ``X``, so it fits the best Gaussian
        (second-moment) approximation of the videos.
    cfg : TrainConfig, optional
        Default :data:`VIDEO_TRAIN_CONFIG`.
    width, depth, heads : int
        DiT sizes. ``width`` defaults to ``max(32, 2 d)`` rounded up to a multiple of
        ``heads``: a width below the token size ``d = size^2`` is a bottleneck through
        which the noise cannot be predicted (the output is a function of ``width``
        numbers), measured on 8x8 frames: width 32 plateaus at held-out loss 0.53
        (the linear per-frame denoiser reaches 0.21), width 64 at 0.06-0.09 with
        incoherent frames, width 128 at 0.03.
    pos_init : {"sincos", "normal"}
        DiT position-embedding init (:class:`gpdtheory.models.SoftmaxDiT`). ``"sincos"``
        by default: from the small random start the embeddings never grew on these
        videos and the DiT stayed a set model over frames (no motion learned).
    L, J : int
        Matching-model depth and truncation lag.
    dtype : torch dtype
        float32 by default (speed); float64 on request.
    device : str or torch.device
        ``"cpu"``; ``None``/``"auto"`` picks CUDA when available.
    seed : int
        Seeds the initialisation (the trainer's seed is ``cfg.seed``).

    Returns
    -------
    VideoModel

    Raises
    ------
    InvalidArgumentError
        Patched tokens, an unknown ``model``.

    Examples
    --------
    >>> from gpdtheory.data import moving_ball
    >>> v = moving_ball(32, 4, size=4, seed=0)
    >>> vm = train_video(v, cfg=TrainConfig(steps=3, batch_size=8, eval_every=1))
    >>> vm.model(torch.zeros(2, 4, 16), torch.ones(2)).shape
    torch.Size([2, 4, 16])
    """
    check_video(video)
    if cfg is not None and not isinstance(cfg, TrainConfig):
        raise InvalidArgumentError("cfg", cfg, "is not a TrainConfig",
                                   "pass gpdtheory.train.TrainConfig(...) or None")
    seed = torch_seed(seed)
    if video.patch is not None:
        raise InvalidArgumentError("video.patch", video.patch,
                                   "gives several tokens per frame: token lag is not frame lag",
                                   "draw the videos with patch=None")
    cfg = cfg or VIDEO_TRAIN_CONFIG
    X = video.tokens
    _, N, d = X.shape
    shift = X.mean(axis=(0, 1))
    scale = float(X.std())
    if not scale > 0:
        raise InvalidArgumentError("video", "tokens", "are constant: nothing to learn",
                                   "draw videos with moving_ball(...) (the ball moves)")
    Z = (X - shift) / scale
    torch.manual_seed(seed)
    dev = resolve_device(device)
    if model == "dit":
        if width is None:
            h = check_positive_int(heads, "heads")
            width = -(-max(32, 2 * d) // h) * h
        net: nn.Module = SoftmaxDiT(N, d, width=width, depth=depth, heads=heads,
                                    pos_init=pos_init, dtype=dtype, device=dev)
    elif model == "relu":
        spec = GPSpec(np.ones(1) if N == 1 else video.spec.kernel, N, np.eye(d))
        net = matching_model(spec, L=L, J=J, tied=True, position_only=True, dtype=dtype,
                             device=dev, seed=seed)
    else:
        raise InvalidArgumentError("model", model, "is not a video model", "pass 'dit' or 'relu'")
    res = train(net, Z, cfg, device=dev)
    return VideoModel(res.model, shift, scale, video.size, res)


def check_video(video: Any) -> MovingBall:
    """``video`` if it is a :class:`~gpdtheory.data.MovingBall`, else a documented error."""
    if not isinstance(video, MovingBall):
        raise InvalidArgumentError("video", type(video).__name__, "is not a MovingBall",
                                   "pass gpdtheory.data.moving_ball(...)")
    return video


def check_video_model(vm: Any) -> VideoModel:
    """``vm`` if it is a :class:`VideoModel` (from :func:`train_video`), else a documented error."""
    if not isinstance(vm, VideoModel):
        raise InvalidArgumentError("vm", type(vm).__name__, "is not a VideoModel",
                                   "pass the result of train_video(...)")
    return vm


def check_model_matches(vm: VideoModel, video: MovingBall) -> None:
    """Refuse videos whose token size differs from the one ``vm`` was trained on."""
    if video.patch is not None or video.tokens.shape[-1] != vm.shift.shape[0]:
        raise InvalidArgumentError("video", f"tokens of shape {video.tokens.shape}",
                                   f"do not match the model's {vm.shift.shape[0]} features",
                                   "pass the videos the model was trained on (patch=None)")


@torch.no_grad()
def generate(vm: VideoModel, n: int, N: int, *, T: float = 4.0, t0: float = 1e-2,
             steps: int = 40, seed: int = 0) -> np.ndarray:
    """Sample ``n`` videos by the exponential-integrator reverse SDE, as frames in ``[0, 1]``.

    Returns
    -------
    (n, N, size, size) ndarray
        Intensities ``(X + 1) / 2`` of the de-standardised tokens, clipped to ``[0, 1]``.
    """
    vm = check_video_model(vm)
    n, N = check_positive_int(n, "n"), check_positive_int(N, "N")
    if getattr(vm.model, "N", N) != N:
        raise InvalidArgumentError("N", N, f"differs from the model's {vm.model.N} frames",
                                   f"pass N={vm.model.N} (the models have a fixed length)")
    seed = torch_seed(seed)
    p = next(vm.model.parameters())
    d = vm.shift.shape[0]
    gen = torch.Generator(device=p.device)
    gen.manual_seed(seed)
    Y0 = torch.randn((n, N, d), generator=gen, dtype=p.dtype, device=p.device)

    def score(Y, t):
        return vm.model(Y, full_time(Y.shape[0], t, Y))

    Y = reverse_sample(score, n, N, d, T=T, t0=t0, steps=steps, Y0=Y0, seed=seed + 1)
    frames = tokens_to_frames(vm.destandardize(Y.double().cpu().numpy()), vm.size)
    return np.clip(frames, 0.0, 1.0)


@torch.no_grad()
def attention_maps(model: SoftmaxDiT, X: Any, t: float) -> np.ndarray:
    """Softmax attention weights of every block and head, averaged over the batch.

    Parameters
    ----------
    model : SoftmaxDiT
    X : (B, N, d) array_like
        Inputs (noisy tokens at time ``t``).
    t : float

    Returns
    -------
    (depth, heads, N, N) ndarray
        ``softmax(q k^T / sqrt(d_head))``: rows sum to 1.

    Notes
    -----
    The weights are recomputed from each block's ``qkv`` output, captured by a forward
    hook, with the same split and scale as ``scaled_dot_product_attention``.

    Any other model (``model(X, t)``, or a :class:`gpdtheory.protocol.ScoreModel` for
    other layouts and calls) goes through :func:`gpdtheory.capture.capture_attention`:
    every recorded module with ``N x N`` maps is one entry of the first axis (ReLU
    models give their ReLU weights, which need not sum to 1).
    """
    if not isinstance(model, SoftmaxDiT):
        return _captured_maps(model, X, t)
    p = model.pos
    t = check_diffusion_time(t)
    if t.ndim:
        raise InvalidArgumentError("t", t, "must be a scalar", "pass one diffusion time")
    Xt, _ = model_inputs(X, float(t), p, (None, model.N, model.d))
    caps: list[torch.Tensor] = []
    hooks = [b.qkv.register_forward_hook(lambda _m, _i, out: caps.append(out))
             for b in model.blocks]
    try:
        model(Xt, full_time(Xt.shape[0], t, p))
    finally:
        for h in hooks:
            h.remove()
    maps = []
    for blk, out in zip(model.blocks, caps, strict=True):
        B, N, W3 = out.shape
        q, k, _ = out.reshape(B, N, 3, blk.heads, W3 // (3 * blk.heads)).permute(2, 0, 3, 1, 4)
        A = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)  # (B,H,N,N)
        maps.append(A.mean(dim=0))
    return torch.stack(maps).double().cpu().numpy()


def _captured_maps(model: Any, X: Any, t: float) -> np.ndarray:
    """:func:`attention_maps` of any model, through the protocol and the attention capture."""
    from .capture import capture_attention
    from .protocol import as_recorded_model, param_like

    X = as_real_array(X, "X", ndim=3)
    sm = as_recorded_model(model, N=X.shape[1], d=X.shape[2])  # attention only
    t = check_diffusion_time(t)
    if t.ndim:
        raise InvalidArgumentError("t", t, "must be a scalar", "pass one diffusion time")
    p = param_like(sm)
    Xt = torch.as_tensor(X, dtype=p.dtype, device=p.device)
    with capture_attention(sm) as cap, torch.no_grad():
        sm(Xt, full_time(Xt.shape[0], float(t), p))
    N = X.shape[1]
    maps = [cap.maps(n).mean(0) for n in cap.names if cap.maps(n).shape[-2:] == (N, N)]
    heads = {m.shape[0] for m in maps}
    if not maps or len(heads) != 1:
        raise InvalidArgumentError("model", type(model).__name__,
                                   "has no attention over its N frames, or layers with "
                                   "different head counts", "use gpdtheory.compare_models."
                                   "attention_by_lag, which averages any layers")
    return torch.stack(maps).numpy()


def _time_list(times: Any) -> list[float]:
    """A non-empty flat sequence of diffusion times ``> 0``, as floats."""
    if not (isinstance(times, (list, tuple)) or (isinstance(times, np.ndarray)
                                                  and times.ndim == 1)):
        raise InvalidArgumentError("times", times, "is not a sequence of diffusion times",
                                   "pass e.g. (0.1, 0.5, 2.0)")
    out = []
    for t in times:
        arr = check_diffusion_time(t, "times[i]")
        if arr.ndim:
            raise InvalidArgumentError("times[i]", t, "is not a scalar time",
                                       "pass a flat sequence of diffusion times")
        out.append(float(arr))
    if not out:
        raise InvalidArgumentError("times", times, "is empty", "pass at least one time")
    return out


def attention_lag_profile(vm: VideoModel, video: MovingBall, *, times=(0.1, 0.5, 2.0),
                          n: int = 128, seed: int = 0) -> np.ndarray:
    """Attention by lag of a trained video model, ``(N,)``.

    SoftmaxDiT: :func:`attention_maps` on ``n`` training videos noised at each of
    ``times``, averaged over blocks, heads and times, then :func:`lag_profile`.
    GPDiT (position-only ReLU attention): the trace over features of the y-to-y kernel
    of :func:`gpdtheory.construct.inspect.attention_kernel` (independent of ``X`` and ``t``).
    """
    vm, video = check_video_model(vm), check_video(video)
    check_model_matches(vm, video)
    times = _time_list(times)
    n = check_positive_int(n, "n")
    if isinstance(vm.model, GPDiT):
        from .compare import kernel_by_lag

        prof = kernel_by_lag(vm.model, direction="both")
        # the kernel's overall sign is carried by W_O W_V (and the gate): orient lag 0 up
        return prof if prof[0] >= 0 else -prof
    rng = as_rng(seed)
    X0 = vm.standardize(video.tokens[:n])
    maps = []
    for t in times:
        maps.append(attention_maps(vm.model, noised(X0, t, rng.standard_normal(X0.shape)), t))
    return lag_profile(np.stack(maps))


def evaluate_video(vm: VideoModel, video: MovingBall, *, max_lag: int = 8, n_gen: int = 256,
                   steps: int = 40, floor: float = 0.3, seed: int = 0) -> VideoEvaluation:
    """Attention by lag and generated motion of ``vm`` against the motion's ``rho``.

    Parameters
    ----------
    vm : VideoModel
    video : MovingBall
        The training videos (their ``rho`` and their own centroid correlation).
    max_lag : int
        Lags ``0..max_lag`` (``< N``).
    n_gen, steps : int
        Generated videos and sampler steps.
    floor : float
        Intensity floor of the centroid of generated frames (:func:`centroids`).
    seed : int

    Returns
    -------
    VideoEvaluation
    """
    start = time.perf_counter()
    vm, video = check_video_model(vm), check_video(video)
    check_model_matches(vm, video)
    N = video.tokens.shape[1]
    max_lag = check_nonnegative_int(max_lag, "max_lag")
    if not max_lag < N:
        raise InvalidArgumentError("max_lag", max_lag, f"is not in [0, N) with N={N}",
                                   "pass a lag smaller than the number of frames")
    n_gen, steps = check_positive_int(n_gen, "n_gen"), check_positive_int(steps, "steps")
    floor = check_real_scalar(floor, "floor")
    m = max_lag + 1
    rho = video.rho(m - 1)
    att = attention_lag_profile(vm, video, seed=seed)[:m]
    frames = generate(vm, n_gen, N, steps=steps, seed=seed)
    gen_c = temporal_correlation(centroids(frames, floor=floor), m - 1)
    dat_c = temporal_correlation(centroids(video.images), m - 1)
    return VideoEvaluation(rho, att, gen_c, dat_c, profile_correlation(att, rho),
                           profile_correlation(gen_c, rho), profile_correlation(dat_c, rho),
                           float(np.linalg.norm(gen_c - rho) / np.linalg.norm(rho)), frames,
                           time.perf_counter() - start)
