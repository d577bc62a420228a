"""Record attention probabilities (and hidden states) of real models without changing them.

docs/theory.md §8. :func:`capture_attention` is a context manager that records, for every
attention call inside a model's forward pass, the attention matrix of every head,
``(batch, heads, N_query, N_key)``:

- ``torch.nn.MultiheadAttention``: a forward hook re-runs the module's own ``forward``
  with ``need_weights=True, average_attn_weights=False`` (in eval mode, without autograd)
  *after* the real call and keeps its weights. The real call is left exactly as the
  caller made it: forcing ``need_weights=True`` on it would switch MHA from its fused
  kernel (``scaled_dot_product_attention`` / the native fast path) to the explicit
  ``softmax(QK^T) V`` route, whose output differs in the last bits. Probabilities are
  before dropout.
- callers of ``torch.nn.functional.scaled_dot_product_attention`` (the package's
  :class:`~gpdtheory.models.SoftmaxDiT`, diffusers' ``AttnProcessor2_0``, user code):
  within the context the function is replaced by a wrapper that returns the original
  function's output unchanged and computes ``softmax(Q K^T * scale + mask)`` beside it
  (float64; ``is_causal``, boolean and additive masks, ``enable_gqa`` honoured). The
  call is attributed to the innermost running module (module hooks keep a stack).
- diffusers ``Attention``: its processor is replaced, for the context only, by a
  recording processor that delegates to the original processor (the processor's math is
  unchanged: diffusers users inspect attention this way) and records what it computes:
  the ``scaled_dot_product_attention`` probabilities, or the output of
  ``attn.get_attention_scores`` for the classic ``AttnProcessor``.
- the package's ReLU heads (:class:`~gpdtheory.construct.block.ReLUAttentionBlock` of a
  GPDiT): ``ReLU(q_i^T k_j)`` by a forward pre-hook (kind ``"relu"``: weights, not
  probabilities; a looped model records one entry per application).

``modules`` names the temporal-attention modules (names as in ``model.named_modules()``,
``fnmatch`` patterns such as ``"temporal_transformer_blocks.*.attn1"``, or the module
objects); by default every module of the types above, and every module that calls
``scaled_dot_product_attention``, is recorded. Capturing never changes an output bit
(``tests/test_model_protocol.py`` checks ``torch.equal``) and every hook, patch and processor
is removed on exit, also when the forward pass raises.

:func:`capture_outputs` records the outputs of named modules (hidden states for the
linear probes of :func:`gpdtheory.compare_models.probe_layers`).
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from ._torch import nn, torch
from .errors import InvalidArgumentError

__all__ = ["AttentionCapture", "capture_attention", "capture_outputs", "OutputCapture",
           "attention_modules", "softmax_probabilities"]


def _diffusers_attention_type():
    try:
        from diffusers.models.attention_processor import Attention
    except Exception:  # diffusers absent or broken: no such modules can exist
        return None
    return Attention


def _relu_block_type():
    from .construct.block import ReLUAttentionBlock

    return ReLUAttentionBlock


def attention_modules(model: nn.Module) -> list[str]:
    """Names of the attention modules :func:`capture_attention` finds by type in ``model``.

    ``nn.MultiheadAttention``, diffusers ``Attention`` and the package's ReLU attention
    blocks (modules calling ``scaled_dot_product_attention`` are found only while running).
    """
    types = tuple(t for t in (nn.MultiheadAttention, _diffusers_attention_type(),
                              _relu_block_type()) if t is not None)
    return [n for n, m in model.named_modules() if isinstance(m, types)]


@dataclass
class AttentionCapture:
    """What :func:`capture_attention` recorded.

    Attributes
    ----------
    records : dict of str -> list of tensor
        Per module name, one ``(batch, heads, N_query, N_key)`` float64 CPU tensor per call.
    kinds : dict of str -> str
        ``"softmax"`` (rows sum to 1) or ``"relu"`` (ReLU weights).
    """

    records: dict[str, list[torch.Tensor]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, probs: torch.Tensor, kind: str) -> None:
        p = probs.detach().to("cpu", torch.float64)
        if p.ndim == 3:  # unbatched
            p = p[None]
        self.records.setdefault(name, []).append(p)
        self.kinds[name] = kind

    @property
    def names(self) -> list[str]:
        """Module names with at least one record, in recording order."""
        return list(self.records)

    def maps(self, name: str | None = None) -> torch.Tensor:
        """Records of ``name`` (default: the only name, or all names) concatenated on batch.

        Returns
        -------
        (calls x batch, heads, N_query, N_key) tensor

        Raises
        ------
        InvalidArgumentError
            Nothing recorded, an unknown name, or records of different shapes.
        """
        if not self.records:
            raise InvalidArgumentError("capture", "no records", "recorded no attention call",
                                       "run the model inside the context; check `modules`")
        names = self.names if name is None else [name]
        for n in names:
            if n not in self.records:
                raise InvalidArgumentError("name", n, "has no records",
                                           f"pass one of {self.names}")
        items = [p for n in names for p in self.records[n]]
        shapes = {tuple(p.shape[1:]) for p in items}
        if len(shapes) != 1:
            raise InvalidArgumentError("name", name, f"has records of shapes {sorted(shapes)}",
                                       "pass one module name whose calls share a shape")
        return torch.cat(items)


def softmax_probabilities(query, key, attn_mask=None, is_causal: bool = False, scale=None,
                          enable_gqa: bool = False) -> torch.Tensor:
    """``softmax(Q K^T * scale + mask)`` as ``scaled_dot_product_attention`` computes it.

    ``query (..., L, E)``, ``key (..., S, E)``; float64 result ``(..., L, S)``.
    """
    q, k = query.detach().double(), key.detach().double()
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        k = k.repeat_interleave(q.shape[-3] // k.shape[-3], dim=-3)
    s = (1.0 / math.sqrt(q.shape[-1])) if scale is None else float(scale)
    scores = (q @ k.transpose(-2, -1)) * s
    L, S = scores.shape[-2], scores.shape[-1]
    if is_causal:
        keep = torch.ones(L, S, dtype=torch.bool, device=scores.device).tril()
        scores = scores.masked_fill(~keep, -math.inf)
    if attn_mask is not None:
        m = attn_mask.detach()
        if m.dtype == torch.bool:
            scores = scores.masked_fill(~m, -math.inf)
        else:
            scores = scores + m.double()
    return torch.softmax(scores, dim=-1)


_SDPA_ARGS = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale",
              "enable_gqa")


class _RecordingProcessor:
    """A diffusers attention processor that delegates to ``orig`` and records probabilities."""

    def __init__(self, orig, name: str, state: _State):
        self.orig, self.name, self.state = orig, name, state
        # Attention.forward filters its kwargs by the processor's __call__ signature: expose
        # the original's, so the same keyword arguments reach the original processor
        def call(attn, *args, **kwargs):
            return self._call(attn, *args, **kwargs)

        self.__dict__["__call__"] = functools.update_wrapper(call, orig.__call__)

    def _call(self, attn, *args, **kwargs):
        orig_scores = attn.__dict__.get("get_attention_scores")
        bound = attn.get_attention_scores

        def scores(query, key, attention_mask=None):
            probs = bound(query, key, attention_mask)
            if self.state.active:
                b = probs.shape[0] // attn.heads
                self.state.cap.add(self.name, probs.reshape(b, attn.heads, *probs.shape[1:]),
                                   "softmax")
            return probs

        attn.__dict__["get_attention_scores"] = scores
        try:
            return self.orig(attn, *args, **kwargs)
        finally:
            if orig_scores is None:
                attn.__dict__.pop("get_attention_scores", None)
            else:
                attn.__dict__["get_attention_scores"] = orig_scores

    def __call__(self, attn, *args, **kwargs):
        return self._call(attn, *args, **kwargs)


class _State:
    def __init__(self, cap: AttentionCapture, targets: set[str] | None, names: dict):
        self.cap, self.targets, self.names = cap, targets, names
        self.stack: list[str] = []
        self.active = True  # False while a capture-internal recomputation runs

    def wanted(self, name: str) -> bool:
        return self.targets is None or name in self.targets

    def owner(self) -> str | None:
        """The innermost running module to attribute an SDPA call to (None: not recorded)."""
        for name in reversed(self.stack):
            if self.targets is None or name in self.targets:
                return name
        return None


def _unwrap(model):
    """The network inside a :class:`~gpdtheory.protocol.ScoreModel` (names relative to it)."""
    from .protocol import ScoreModel

    return model.net if isinstance(model, ScoreModel) else model


def _resolve(model: nn.Module, modules) -> set[str] | None:
    if modules is None:
        return None
    names = {m: n for n, m in model.named_modules()}
    all_names = list(names.values())
    if isinstance(modules, (str, nn.Module)):
        modules = [modules]
    out: set[str] = set()
    for item in modules:
        if isinstance(item, nn.Module):
            if item not in names:
                raise InvalidArgumentError("modules", type(item).__name__,
                                           "is not a submodule of the model",
                                           "pass modules of this model or their names")
            out.add(names[item])
        elif isinstance(item, str):
            hit = [n for n in all_names if n == item or fnmatch.fnmatchcase(n, item)]
            if not hit:
                raise InvalidArgumentError("modules", item, "matches no module name",
                                           "pass names from model.named_modules(), e.g. "
                                           f"{[n for n in all_names if n][:5]}")
            out.update(hit)
        else:
            raise InvalidArgumentError("modules", item, "is not a module or a name",
                                       "pass names, fnmatch patterns or modules")
    return out


@contextlib.contextmanager
def capture_attention(model: nn.Module, modules=None) -> Iterator[AttentionCapture]:
    """Record attention matrices of ``model``'s forward passes inside the context.

    Parameters
    ----------
    model : nn.Module
        Any model; for a :class:`~gpdtheory.protocol.ScoreModel` the names are those of
        its network (``model.net``).
    modules : str, nn.Module or list of them, optional
        The temporal-attention modules (names, ``fnmatch`` patterns or objects). Default:
        every attention module found by type and every caller of
        ``scaled_dot_product_attention``.

    Yields
    ------
    AttentionCapture

    Examples
    --------
    >>> mha = nn.MultiheadAttention(4, 2, batch_first=True, dtype=torch.float64)
    >>> x = torch.randn(3, 5, 4, dtype=torch.float64)
    >>> with capture_attention(mha) as cap:
    ...     y, _ = mha(x, x, x, need_weights=False)
    >>> A = cap.maps()
    >>> tuple(A.shape), bool(torch.allclose(A.sum(-1), torch.ones(3, 2, 5).double()))
    ((3, 2, 5, 5), True)
    """
    if not isinstance(model, nn.Module):
        raise InvalidArgumentError("model", type(model).__name__, "is not a torch.nn.Module",
                                   "pass the network whose attention to record")
    model = _unwrap(model)
    targets = _resolve(model, modules)
    cap = AttentionCapture()
    names = {m: n for n, m in model.named_modules()}
    state = _State(cap, targets, names)
    handles: list = []
    processors: list = []
    F = torch.nn.functional
    orig_sdpa = F.scaled_dot_product_attention
    DiffAttention = _diffusers_attention_type()
    ReLUBlock = _relu_block_type()

    def sdpa(*args, **kwargs):
        out = orig_sdpa(*args, **kwargs)
        if state.active:
            owner = state.owner()
            if owner is not None:
                bound = dict(zip(_SDPA_ARGS, args, strict=False))
                bound.update(kwargs)
                probs = softmax_probabilities(bound["query"], bound["key"],
                                              bound.get("attn_mask"),
                                              bool(bound.get("is_causal", False)),
                                              bound.get("scale"),
                                              bool(bound.get("enable_gqa", False)))
                cap.add(owner, probs, "softmax")
        return out

    def push(mod, args):
        state.stack.append(names[mod])

    def pop(mod, args, out):
        if state.stack:
            state.stack.pop()

    def mha_hook(mod, args, kwargs, out):
        if not state.active:
            return None
        name = names[mod]
        kw = dict(kwargs)
        kw["need_weights"], kw["average_attn_weights"] = True, False
        was_training, state.active = mod.training, False
        try:
            mod.train(False)
            with torch.no_grad():
                _, w = mod.forward(*args, **kw)
        finally:
            mod.train(was_training)
            state.active = True
        cap.add(name, w, "softmax")
        return None

    def relu_hook(mod, args, kwargs):
        if not state.active:
            return None
        H = args[0] if args else kwargs["H"]
        with torch.no_grad():
            cap.add(names[mod], mod.attention_weights(H), "relu")
        return None

    try:
        for mod, name in names.items():
            handles.append(mod.register_forward_pre_hook(push))
            handles.append(mod.register_forward_hook(pop, always_call=True))
            if not state.wanted(name):
                continue
            if isinstance(mod, nn.MultiheadAttention):
                handles.append(mod.register_forward_hook(mha_hook, with_kwargs=True))
            elif isinstance(mod, ReLUBlock):
                handles.append(mod.register_forward_pre_hook(relu_hook, with_kwargs=True))
            elif DiffAttention is not None and isinstance(mod, DiffAttention):
                orig = mod.processor
                processors.append((mod, orig))
                mod.set_processor(_RecordingProcessor(orig, name, state))
        # MHA's own SDPA call is recorded by its hook: keep the SDPA wrapper off inside MHA
        for mod in names:
            if isinstance(mod, nn.MultiheadAttention):
                handles.append(mod.register_forward_pre_hook(
                    lambda m, a: setattr(state, "active", False)))
                handles.append(mod.register_forward_hook(
                    lambda m, a, o: setattr(state, "active", True), always_call=True,
                    prepend=True))
        F.scaled_dot_product_attention = sdpa
        yield cap
    finally:
        F.scaled_dot_product_attention = orig_sdpa
        for h in handles:
            h.remove()
        for mod, orig in reversed(processors):
            mod.set_processor(orig)


@dataclass
class OutputCapture:
    """Outputs of named modules: ``records[name]`` is one detached float64 CPU tensor per call."""

    records: dict[str, list[torch.Tensor]] = field(default_factory=dict)

    def features(self, name: str, batch: int) -> torch.Tensor:
        """All calls of ``name``, ``(calls, batch, features)``: outputs reshaped ``(batch, -1)``."""
        if name not in self.records:
            raise InvalidArgumentError("name", name, "has no records",
                                       f"pass one of {list(self.records)}")
        outs = []
        for o in self.records[name]:
            if o.numel() % batch:
                raise InvalidArgumentError("batch", batch, f"does not divide the output of "
                                           f"{name} ({tuple(o.shape)})",
                                           "probe modules whose output is batch-major")
            outs.append(o.reshape(batch, -1))
        return torch.stack(outs)


@contextlib.contextmanager
def capture_outputs(model: nn.Module, modules) -> Iterator[OutputCapture]:
    """Record the output tensors of ``modules`` (names, patterns or objects) inside the context.

    A tuple output records its first tensor. Hooks are removed on exit, also on error.
    """
    if not isinstance(model, nn.Module):
        raise InvalidArgumentError("model", type(model).__name__, "is not a torch.nn.Module",
                                   "pass the network whose hidden states to record")
    if modules is None:
        raise InvalidArgumentError("modules", None, "names no module",
                                   "pass the layers to probe (names or patterns)")
    model = _unwrap(model)
    targets = _resolve(model, modules)
    cap = OutputCapture()
    handles = []

    def hook_for(name):
        def hook(mod, args, out):
            o = out[0] if isinstance(out, (tuple, list)) else out
            if torch.is_tensor(o):
                cap.records.setdefault(name, []).append(o.detach().to("cpu", torch.float64))
        return hook

    try:
        for name, mod in model.named_modules():
            if name in targets:
                handles.append(mod.register_forward_hook(hook_for(name)))
        yield cap
    finally:
        for h in handles:
            h.remove()
