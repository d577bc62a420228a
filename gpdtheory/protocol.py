"""The model protocol: any torch score network, its layout and its output convention.

docs/theory.md §§2 and 8. Every comparison of :mod:`gpdtheory.compare` takes a
*score model*: an ``nn.Module`` called as ``model(X, t)`` with ``X`` of shape
``(B, N, d)`` and ``t`` of shape ``(B,)`` (the OU diffusion time of docs/theory.md §2),
returning the score ``(B, N, d)``. :func:`as_score_model` turns other networks into one:

- **layout** ``"sequence"`` (``(B, N, d)``, the default) or ``"video"``
  (``(B, C, F, H, W)``: frames ``F`` are the ``N`` axis, ``C·H·W`` flattened row-major
  to ``d``; ``frame_shape=(C, H, W)``);
- **call** ``"positional"`` (``model(x, t)``) or ``"diffusers"``
  (``model(hidden_states, timestep=..., **call_kwargs).sample``); ``timestep`` maps the
  OU time ``t`` to what the network was trained with (identity by default);
- **output** convention, converted to a score by the package with ``alpha_t = exp(-t/2)``,
  ``sigma_t^2 = 1 - exp(-t)`` (docs/theory.md §2):

  ``"score"``  the output is the score;
  ``"noise"``  eps-prediction, ``score = -eps / sigma_t``;
  ``"x0"``     x0-prediction, ``score = (alpha_t x0 - x) / sigma_t^2``.

  The three differ by a factor ``-sigma_t`` or an affine map, so no default would be safe:
  the convention is stated (``output=``) or detected (:func:`detect_output`: the package's
  own networks output scores, a :class:`ScoreModel` carries its own), never assumed.
  Functions that only record attention or hidden states, never the output, wrap a model
  with :func:`as_recorded_model`, which needs no convention.

  A network with more output channels than input channels (diffusers' *learned sigma*,
  ``out_channels = 2C``) gives its first ``C`` channels.

The wrapper is validated once (:func:`validate`): a wrong output shape, a non-finite
output or a device/dtype mismatch raises :class:`~gpdtheory.errors.InvalidArgumentError`
naming the model, what was found and the fix. The wrapper is itself an ``nn.Module``
whose parameters are the network's, so :func:`gpdtheory.train.train` trains it as is
(denoising score matching on the converted score; for ``"noise"`` the ``sigma_t^2``
weighted loss is the usual noise-prediction loss).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ._torch import nn, torch
from .errors import InvalidArgumentError
from .schedule import alpha2_sigma2, alpha_sigma

__all__ = ["OUTPUTS", "LAYOUTS", "CALLS", "ScoreModel", "as_score_model", "as_recorded_model",
           "detect_output", "validate", "to_score", "model_name", "param_like",
           "count_parameters"]

OUTPUTS = ("score", "noise", "x0")
LAYOUTS = ("sequence", "video")
CALLS = ("positional", "diffusers")


def model_name(model: Any) -> str:
    """The class name of ``model`` (of the wrapped network for a :class:`ScoreModel`)."""
    if isinstance(model, ScoreModel):
        return f"ScoreModel({type(model.net).__name__}, output={model.output!r})"
    return type(model).__name__


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars of ``model``."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def param_like(model: nn.Module) -> torch.Tensor:
    """A floating parameter (or buffer) of ``model``: gives the dtype and device inputs need."""
    for p in model.parameters():
        if p.dtype.is_floating_point:
            return p
    for b in model.buffers():
        if b.dtype.is_floating_point:
            return b
    raise InvalidArgumentError("model", type(model).__name__, "has no floating parameter or "
                               "buffer to take a dtype and device from",
                               "pass a torch module with parameters")


def to_score(out: torch.Tensor, x: torch.Tensor, t: torch.Tensor, output: str) -> torch.Tensor:
    """Convert a network output ``(B, ...)`` in convention ``output`` to a score (same shape).

    ``t`` is ``(B,)``. ``"noise"``: ``-out / sigma_t``; ``"x0"``:
    ``(alpha_t out - x) / sigma_t^2``; ``"score"``: ``out``.
    """
    if output == "score":
        return out
    shape = (-1,) + (1,) * (out.ndim - 1)
    a, s2 = alpha_sigma(t)[0].reshape(shape), alpha2_sigma2(t)[1].reshape(shape)
    if output == "noise":
        return -out / torch.sqrt(s2)
    if output == "x0":
        return (a * out - x) / s2
    raise InvalidArgumentError("output", output, "is not an output convention",
                               f"pass one of {OUTPUTS}")


class ScoreModel(nn.Module):
    """A network seen through the protocol: ``(X (B, N, d), t (B,)) -> score (B, N, d)``.

    Build it with :func:`as_score_model` (which validates it and requires the output
    convention). Attributes ``net`` (the
    wrapped network, whose parameters these are), ``N``, ``d``, ``output``, ``layout``,
    ``frame_shape``, ``call``.
    """

    def __init__(self, net: nn.Module, N: int, d: int, *, output: str,
                 layout: str = "sequence", frame_shape: tuple[int, ...] | None = None,
                 call: str = "positional", timestep: Callable | None = None,
                 call_kwargs: dict | Callable | None = None):
        super().__init__()
        self.net = net
        self.N, self.d = int(N), int(d)
        self.output = _check_choice(output, "output", OUTPUTS)  # stated, never defaulted
        self.layout, self.call = layout, call
        self.frame_shape = tuple(frame_shape) if frame_shape is not None else None
        self.timestep = timestep
        self.call_kwargs = call_kwargs

    def extra_repr(self) -> str:
        return (f"N={self.N}, d={self.d}, output={self.output!r}, layout={self.layout!r}, "
                f"call={self.call!r}, frame_shape={self.frame_shape}")

    def raw(self, X: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The network's output in its own convention, as ``(B, N, d)``."""
        B = X.shape[0]
        if self.layout == "video":
            C, H, W = self.frame_shape
            x = X.reshape(B, self.N, C, H, W).permute(0, 2, 1, 3, 4)  # (B, C, F, H, W)
        else:
            x = X
        ts = self.timestep(t) if self.timestep is not None else t
        kw = self.call_kwargs(x, ts) if callable(self.call_kwargs) else dict(self.call_kwargs or {})
        if self.call == "diffusers":
            out = self.net(x, timestep=ts, **kw)
            out = out.sample if hasattr(out, "sample") else out[0]
        else:
            out = self.net(x, ts, **kw)
        if not torch.is_tensor(out):
            raise InvalidArgumentError("model", model_name(self.net),
                                       f"returned a {type(out).__name__}, not a tensor",
                                       "return a tensor (or pass call='diffusers' for a "
                                       "diffusers model returning .sample)")
        if self.layout == "video":
            C = self.frame_shape[0]
            if out.ndim == 5 and out.shape[1] > C:  # learned sigma: out_channels = 2C
                out = out[:, :C]
            if out.ndim != 5:
                return out  # validate() reports the shape
            out = out.permute(0, 2, 1, 3, 4).reshape(B, out.shape[2], -1)  # (B, F, C H W)
        return out

    def forward(self, X: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(t) or t.ndim == 0:
            t = torch.full((X.shape[0],), float(t), dtype=X.dtype, device=X.device)
        return to_score(self.raw(X, t), X, t, self.output)


def _check_choice(value, name: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidArgumentError(name, value, "is not supported", f"pass one of {allowed}")
    return value


def _own_sizes(model) -> tuple[int | None, int | None]:
    return getattr(model, "N", None), getattr(model, "d", None)


def detect_output(model: Any) -> str | None:
    """The output convention of ``model`` when it is known without being stated, else None.

    A :class:`ScoreModel` carries its own (``model.output``); a network whose class is
    defined in this package (``GPDiT``, ``SoftmaxDiT``, ``UNet1d``) outputs the score, as
    every network here is trained on the score (:func:`gpdtheory.train.train`). The class
    itself is read, not its bases: a subclass defined elsewhere may have changed
    ``forward``, so it states its convention like any other network.
    """
    if isinstance(model, ScoreModel):
        return model.output
    if type(model).__module__.partition(".")[0] == __name__.partition(".")[0]:
        return "score"
    return None


def as_score_model(model: nn.Module, *, N: int | None = None, d: int | None = None,
                   output: str | None = None, layout: str | None = None,
                   frame_shape: tuple[int, int, int] | None = None, call: str = "positional",
                   timestep: Callable | None = None, call_kwargs: dict | Callable | None = None,
                   check: bool = True) -> ScoreModel:
    """Wrap ``model`` in the protocol (and validate it once).

    Parameters
    ----------
    model : nn.Module
        The network. A :class:`ScoreModel` is returned unchanged (re-validated when
        ``check``). The package's models (``GPDiT``, ``SoftmaxDiT``, ``UNet1d``) already
        output scores and carry ``N`` and ``d``.
    N, d : int, optional
        Frames and features per frame; read from ``model.N``, ``model.d`` when absent.
        For ``layout="video"``, ``d`` defaults to ``C H W``.
    output : {"score", "noise", "x0"}, optional
        What the network predicts (see the module docstring). Required unless
        :func:`detect_output` knows it (the package's networks output scores); stating it
        for a ScoreModel that carries another convention is an error.
    layout : {"sequence", "video"}, optional
        ``(B, N, d)`` or ``(B, C, F, H, W)`` inputs and outputs (default: ``"video"`` when
        ``frame_shape`` is given, else ``"sequence"``).
    frame_shape : (C, H, W), required for ``layout="video"``
    call : {"positional", "diffusers"}
        ``model(x, t, **kw)`` or ``model(x, timestep=t, **kw).sample``.
    timestep : callable ``t (B,) tensor -> tensor``, optional
        The network's time argument as a function of the OU time (identity by default).
    call_kwargs : dict or callable ``(x, timestep) -> dict``, optional
        Extra keyword arguments of each call (e.g. diffusers' ``encoder_hidden_states``).
    check : bool
        Run :func:`validate` (one forward pass on two zero and two random inputs).

    Returns
    -------
    ScoreModel

    Raises
    ------
    InvalidArgumentError
        The convention is neither stated nor detected (naming ``output`` and the fix),
        sizes are unknown, or :func:`validate` fails.

    Examples
    --------
    >>> net = nn.Linear(3, 3, dtype=torch.float64)
    >>> f = lambda x, t: net(x)
    >>> class Eps(nn.Module):
    ...     def __init__(self): super().__init__(); self.lin = net
    ...     def forward(self, x, t): return self.lin(x)
    >>> sm = as_score_model(Eps(), N=4, d=3, output="noise")
    >>> sm(torch.zeros(2, 4, 3, dtype=torch.float64), torch.ones(2, dtype=torch.float64)).shape
    torch.Size([2, 4, 3])
    """
    if isinstance(model, ScoreModel):
        if output is not None and _check_choice(output, "output", OUTPUTS) != model.output:
            raise InvalidArgumentError("output", output, f"contradicts the wrapped model's "
                                       f"convention {model.output!r}",
                                       "omit output= for a ScoreModel, or wrap model.net anew")
        return validate(model) if check else model
    if not isinstance(model, nn.Module):
        raise InvalidArgumentError("model", type(model).__name__, "is not a torch.nn.Module",
                                   "pass a torch module called as model(x, t)")
    if output is not None:
        output = _check_choice(output, "output", OUTPUTS)
    if layout is None:
        layout = "sequence" if frame_shape is None else "video"
    layout = _check_choice(layout, "layout", LAYOUTS)
    call = _check_choice(call, "call", CALLS)
    if timestep is not None and not callable(timestep):
        raise InvalidArgumentError("timestep", timestep, "is not callable",
                                   "pass a function of the (B,) OU-time tensor, or None")
    if call_kwargs is not None and not (callable(call_kwargs) or isinstance(call_kwargs, dict)):
        raise InvalidArgumentError("call_kwargs", call_kwargs, "is not a dict or callable",
                                   "pass a dict of keyword arguments or (x, timestep) -> dict")
    own_N, own_d = _own_sizes(model)
    N = N if N is not None else own_N
    if layout == "video":
        if (not isinstance(frame_shape, (tuple, list)) or len(frame_shape) != 3
                or not all(isinstance(s, int) and s > 0 for s in frame_shape)):
            raise InvalidArgumentError("frame_shape", frame_shape, "is not (C, H, W)",
                                       "pass the per-frame shape, e.g. (2, 2, 2)")
        cd = math.prod(frame_shape)
        if d is not None and d != cd:
            raise InvalidArgumentError("d", d, f"is not C H W = {cd}", "omit d for videos")
        d = cd
    elif frame_shape is not None:
        raise InvalidArgumentError("frame_shape", frame_shape, "is given for a sequence layout",
                                   "pass layout='video' or drop frame_shape")
    d = d if d is not None else own_d
    for name, v in (("N", N), ("d", d)):
        if not (isinstance(v, int) and not isinstance(v, bool) and v > 0):
            raise InvalidArgumentError(name, v, f"is unknown or not a positive int for "
                                       f"{type(model).__name__}",
                                       f"pass {name}= (frames N, features d) to as_score_model")
    output = output if output is not None else detect_output(model)
    if output is None:
        raise InvalidArgumentError("output", None, f"is not stated for {type(model).__name__}, "
                                   "and the package cannot tell whether it predicts the score, "
                                   "the noise or x0 (each gives a different score)",
                                   "wrap it with gpdtheory.protocol.as_score_model(model, "
                                   "output='score' | 'noise' | 'x0'), whichever the network "
                                   "was trained to predict")
    sm = ScoreModel(model, N, d, output=output, layout=layout, frame_shape=frame_shape,
                    call=call, timestep=timestep, call_kwargs=call_kwargs)
    return validate(sm) if check else sm


def as_recorded_model(model: nn.Module, *, N: int | None = None, d: int | None = None,
                      **options: Any) -> ScoreModel:
    """:func:`as_score_model` for functions that read attention or hidden states only.

    Recording attention (:mod:`gpdtheory.capture`) or a layer's output runs the network
    forward but never reads what it predicts, and the conversion to a score acts after
    the network, on its output alone. So a missing convention is not an error here: the
    stated or detected one is used when there is one, else the output is passed through
    unconverted (``output="score"``). Never hand the result to a function that reads the
    score; wrap the network with :func:`as_score_model` for those.

    Parameters
    ----------
    model : nn.Module
    N, d : int, optional
    **options
        Further arguments of :func:`as_score_model` (``output``, ``layout``,
        ``frame_shape``, ``call``, ``timestep``, ``call_kwargs``, ``check``).
    """
    if (not isinstance(model, ScoreModel) and options.get("output") is None
            and detect_output(model) is None):
        options["output"] = "score"  # never read: see the docstring
    return as_score_model(model, N=N, d=d, **options)


def validate(sm: ScoreModel, *, t: float = 0.5) -> ScoreModel:
    """One forward pass on ``(4, N, d)`` inputs (two zero, two random) at time ``t``.

    Raises
    ------
    InvalidArgumentError
        No floating parameter; the forward pass raised (shape or layout mismatch, device
        or dtype mismatch); the output has the wrong shape; it is not finite; or its
        dtype/device differ from the parameters'. The message names the model.
    """
    name = model_name(sm)
    p = param_like(sm)
    gen = torch.Generator().manual_seed(0)
    X = torch.cat([torch.zeros(2, sm.N, sm.d, dtype=torch.float64),
                   torch.randn(2, sm.N, sm.d, dtype=torch.float64, generator=gen)])
    X = X.to(dtype=p.dtype, device=p.device)
    tt = torch.full((4,), float(t), dtype=p.dtype, device=p.device)
    try:
        with torch.no_grad():
            out = sm(X, tt)
    except InvalidArgumentError:
        raise
    except (RuntimeError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise InvalidArgumentError("model", name, f"failed on inputs of shape (4, {sm.N}, "
                                   f"{sm.d}), dtype {p.dtype}, device {p.device} "
                                   f"({type(exc).__name__}: {str(exc)[:200]})",
                                   "check N, d, layout/frame_shape, call and call_kwargs, and "
                                   "that every parameter and buffer is on one device and dtype "
                                   "(model.to(device, dtype))") from exc
    if tuple(out.shape) != (4, sm.N, sm.d):
        raise InvalidArgumentError("model", name, f"returned shape {tuple(out.shape)} for "
                                   f"input (4, {sm.N}, {sm.d}) (layout {sm.layout!r})",
                                   "return one value per input entry, or fix N, d, layout "
                                   "and frame_shape")
    if out.dtype != p.dtype or out.device != p.device:
        raise InvalidArgumentError("model", name, f"returned dtype {out.dtype} on "
                                   f"{out.device} for parameters of dtype {p.dtype} on "
                                   f"{p.device}", "cast the whole model with "
                                   "model.to(device, dtype) (buffers included)")
    if not bool(torch.isfinite(out).all()):
        raise InvalidArgumentError("model", name, f"returned non-finite values at t={t} "
                                   "(NaN/inf)", "check the weights (is it trained?) and the "
                                   "timestep map")
    return sm
