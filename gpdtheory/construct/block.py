"""A DiT-style block with ReLU attention, and the looped model built from it.

docs/theory.md §5. These classes are shared by the *constructed* transformer
(:func:`gpdtheory.construct.build`) and the *trained* matching model
(``gpdtheory.train``), so that constructed and learned weights live in one
parameter space and can be compared weight by weight.

Tokens (width ``D = 2d + 3``), frame ``i`` of ``N``, ``theta = pi / N``::

    h_i = [x_i (d), y_i (d), cos(i theta), sin(i theta), 1]

so ``e_i^T e_j = c_{|i-j|}``, ``c_m = cos(m theta)`` (strictly decreasing on ``0..N-1``).

A block (:class:`ReLUAttentionBlock`) maps ``H -> H + g(t) * attn(H) + ffn(H)`` with

    attn(H)_i = sum_h sum_j ReLU(q_{h,i}^T k_{h,j}) W_o[h] W_v[h] h_j      (no softmax, no norm)
    q_{h,i} = W_q[h] u_i,  k_{h,j} = W_k[h] u_j,   u_i = h_i[2d:] (position_only) or h_i
    g(t)    = adaLN gate: a per-channel linear function of the time embedding phi(t)
    ffn(h)  = W_lin h + W_2 ReLU(W_1 h + b_1)                             (hidden width >= 0)

With ``position_only=True`` the position slots are fixed features: queries and keys
read only them, while values, outputs, the gate and the FFN read and write only the
content slots ``[x, y]`` (width ``Dc = D - 3``). The model is then exactly linear in
``X`` when ``ffn_hidden = 0`` (affine with a mean). With ``position_only=False`` every
map reads and writes all ``D`` slots (``Dc = D``).

Parameter names and shapes (``M`` heads, key width ``Dk``, value width ``Dv``,
``Din = 3`` and ``Dc = D - 3`` when ``position_only``, else ``Din = Dc = D``;
``T`` time features):

=============  ====================  ==================================================
name           shape                 role
=============  ====================  ==================================================
``W_q``        ``(M, Dk, Din)``      queries
``W_k``        ``(M, Dk, Din)``      keys
``W_v``        ``(M, Dv, Dc)``       values
``W_o``        ``(M, Dc, Dv)``       outputs
``gate``       ``nn.Linear(T, Dc)``  adaLN gate ``g(t) = gate(phi(t))`` (per channel)
``ffn_lin``    ``nn.Linear(Dc, Dc)`` token-wise linear path, no bias
``ffn_in``     ``nn.Linear(Dc, F)``  FFN hidden layer (only when ``ffn_hidden = F > 0``)
``ffn_out``    ``nn.Linear(F, Dc)``  FFN output layer, no bias
=============  ====================  ==================================================

The time embedding :func:`time_features` is ``phi(t) = [e^{-t}, 1 - e^{-t},
cos/sin(2^k log t) for k < n_frequencies]``; a gate reading only its first entry
gives ``g(t) = alpha_t^2 = e^{-t}`` exactly, which is what gradient descent needs.

Constructor summary::

    GPDiT(N, d, L, heads, key_dim=3, value_dim=None, tied=True, position_only=True,
          ffn_hidden=0, n_frequencies=0, mean=None, dtype=torch.float64, device=None)
    model(X, t)                    # X (B, N, d), t (B,) -> score estimate (B, N, d) = -y_L
    model(X, t, return_all=True)   # y slot after every block: (L + 1, B, N, d), [0] = y_0 = 0

With ``position_only=True`` (and ``ffn_hidden=0``) the model is linear in ``X``
(affine when ``mean`` is set). Float64 by default; inputs
are cast to the parameters' dtype and device.
"""

from __future__ import annotations

import math

import numpy as np

from .._torch import nn, torch
from ..errors import InvalidArgumentError
from ..schedule import alpha2_sigma2, alpha_sigma
from ..validation import as_real_array, check_nonnegative_int, check_positive_int

__all__ = ["time_features", "position_embedding", "ReLUAttentionBlock", "GPDiT", "N_POS",
           "check_dtype", "full_time", "model_inputs"]

#: Number of position slots at the end of a token: ``[cos(i theta), sin(i theta), 1]``.
N_POS = 3


def check_dtype(dtype) -> torch.dtype:
    """``dtype`` if it is a real floating torch dtype, else a documented error."""
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise InvalidArgumentError("dtype", dtype, "is not a real floating torch dtype",
                                   "pass torch.float64 (default) or torch.float32")
    return dtype


def _as_tensor(value, name: str, like: torch.Tensor) -> torch.Tensor:
    """A real tensor of ``like``'s dtype and device (numpy input validated as arrays are)."""
    if not torch.is_tensor(value):
        value = torch.as_tensor(as_real_array(value, name, allow_empty=True))
    elif value.is_complex():
        raise InvalidArgumentError(name, f"tensor of dtype {value.dtype}", "is complex",
                                   "pass real values")
    return value.to(dtype=like.dtype, device=like.device)


def full_time(n: int, t: float, like: torch.Tensor) -> torch.Tensor:
    """``(n,)`` tensor of the time ``t`` in ``like``'s dtype and device.

    Built in float64 and then cast, so a time beyond float32's range becomes ``inf``
    (which :func:`model_inputs` refuses with a documented error) instead of making
    ``torch.full`` raise a bare ``RuntimeError``.
    """
    return torch.full((n,), float(t), dtype=torch.float64, device=like.device).to(like.dtype)


def model_inputs(X, t, like: torch.Tensor, shape: tuple[int | None, ...] | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate a model's ``(X, t)``: ``X`` ``(B, N, d)`` and ``t`` ``(B,)`` (or a scalar).

    Both are cast to ``like``'s dtype and device; ``X`` must match ``shape`` (``None``
    entries match anything), be finite in that dtype (a float64 ``1e50`` overflows
    float32), and every ``t`` must be finite and ``> 0``.

    Raises
    ------
    InvalidArgumentError
        Complex, misshaped, NaN/inf (after the cast) input or ``t <= 0``.
    """
    X = _as_tensor(X, "X", like)
    t = _as_tensor(t, "t", like)
    want = shape or (None, None, None)
    if X.ndim != 3 or any(w is not None and w != s for w, s in zip(want, X.shape, strict=True)):
        shown = "(B, " + ", ".join("*" if w is None else str(w) for w in want[1:]) + ")"
        raise InvalidArgumentError("X", f"tensor of shape {tuple(X.shape)}", f"expected {shown}",
                                   "pass a batch of sequences (B, N, d)")
    if t.ndim == 0:
        t = t.expand(X.shape[0])
    if t.shape != (X.shape[0],):
        raise InvalidArgumentError("t", f"tensor of shape {tuple(t.shape)}",
                                   f"expected ({X.shape[0]},) or a scalar",
                                   "pass one diffusion time per sequence")
    # one reduction, one host sync: cheap next to the forward pass it guards
    ok = torch.stack([torch.isfinite(X).all(), torch.isfinite(t).all(), (t > 0).all()])
    if not bool(ok.all()):
        x_ok, t_finite, t_pos = (bool(v) for v in ok)
        if not x_ok:
            raise InvalidArgumentError("X", f"tensor of shape {tuple(X.shape)}",
                                       f"has NaN or infinite entries (in {like.dtype})",
                                       "pass finite inputs (float32 overflows above 3e38)")
        raise InvalidArgumentError("t", f"tensor of shape {tuple(t.shape)}",
                                   "has NaN or infinite entries" if not t_finite else
                                   "has entries <= 0", "pass diffusion times t > 0")
    return X, t


def time_features(t: torch.Tensor, n_frequencies: int = 0) -> torch.Tensor:
    """The diffusion-time embedding ``phi(t)``.

    Parameters
    ----------
    t : (B,) tensor
        Diffusion times, ``t > 0``.
    n_frequencies : int
        Number of sinusoidal pairs ``cos/sin(2^k log t)`` appended (0 by default).

    Returns
    -------
    (B, 2 + 2 n_frequencies) tensor
        ``[e^{-t}, 1 - e^{-t}, cos(log t), sin(log t), cos(2 log t), ...]``.

    Notes
    -----
    ``e^{-t} = alpha_t^2`` and ``1 - e^{-t} = sigma_t^2`` (docs/theory.md §2), so the
    GD gate of section 5 is an exact linear read-out of this embedding.

    Examples
    --------
    >>> time_features(torch.tensor([0.0], dtype=torch.float64))[0, :2].tolist()
    [1.0, 0.0]
    """
    if not torch.is_tensor(t) or not t.dtype.is_floating_point or t.ndim != 1:
        raise InvalidArgumentError("t", t, "is not a real floating (B,) tensor",
                                   "pass a (B,) float tensor")
    n_frequencies = check_nonnegative_int(n_frequencies, "n_frequencies")
    low = (t > 0) if n_frequencies else (t >= 0)  # log t needs t > 0
    if not bool((low & torch.isfinite(t)).all()):
        raise InvalidArgumentError("t", f"tensor of shape {tuple(t.shape)}",
                                   "has non-finite or negative entries (0 too with frequencies: "
                                   "log t)", "pass diffusion times t > 0")
    return _time_features(t, n_frequencies)


def _time_features(t: torch.Tensor, n_frequencies: int) -> torch.Tensor:
    a2 = alpha2_sigma2(t)[0]
    # the second feature is 1 - alpha_t^2 exactly as every trained network and checkpoint
    # saw it; sigma_t^2 = -expm1(-t) differs from it in the last bits, enough to change
    # every training trajectory
    feats = [a2, 1.0 - a2]
    if n_frequencies:
        logt = torch.log(t)
        for k in range(n_frequencies):
            feats += [torch.cos(2.0**k * logt), torch.sin(2.0**k * logt)]
    return torch.stack(feats, dim=-1)  # (B, T)


def position_embedding(N: int, dtype=torch.float64, device=None) -> torch.Tensor:
    """The 2-D sinusoidal frame embedding with the constant slot.

    Returns
    -------
    (N, 3) tensor
        Row ``i`` is ``[cos(i theta), sin(i theta), 1]`` with ``theta = pi / N``.
    """
    N = check_positive_int(N, "N")
    dtype = check_dtype(dtype)
    i = torch.arange(N, dtype=torch.float64)
    theta = math.pi / N
    e = torch.stack([torch.cos(i * theta), torch.sin(i * theta), torch.ones_like(i)], dim=-1)
    return e.to(dtype=dtype, device=device)


class ReLUAttentionBlock(nn.Module):
    """One DiT-style block: ``H <- H + g(t) * attn(H) + ffn(H)`` with ReLU attention.

    Parameters
    ----------
    D : int
        Token width (``2d + 3`` in the GP model).
    heads : int
        Number of attention heads ``M`` (may be 0: no attention).
    key_dim : int
        Query/key width ``Dk`` per head.
    value_dim : int
        Value width ``Dv`` per head.
    position_only : bool
        Queries and keys read only the last three slots ``[cos, sin, 1]``.
    ffn_hidden : int
        Hidden width of the ReLU FFN (0: the token-wise path is linear only).
    n_time : int
        Width ``T`` of the time embedding.
    dtype, device
        Of the parameters (float64 by default).

    Notes
    -----
    Parameters are initialised small and random (for training);
    :func:`gpdtheory.construct.build` overwrites them with the constructed ones.
    See the module docstring for names and shapes.
    """

    def __init__(self, D: int, heads: int, key_dim: int = 3, value_dim: int = 1,
                 position_only: bool = True, ffn_hidden: int = 0, n_time: int = 2,
                 dtype=torch.float64, device=None):
        super().__init__()
        self.D = check_positive_int(D, "D")
        self.heads = check_nonnegative_int(heads, "heads")
        self.key_dim = check_positive_int(key_dim, "key_dim")
        self.value_dim = check_positive_int(value_dim, "value_dim")
        self.position_only = bool(position_only)
        self.ffn_hidden = check_nonnegative_int(ffn_hidden, "ffn_hidden")
        self.n_time = check_positive_int(n_time, "n_time")
        dtype = check_dtype(dtype)
        if self.position_only and self.D <= N_POS:
            raise InvalidArgumentError("D", D, f"leaves no content slot after the {N_POS} "
                                       "position slots", "use D = 2d + 3")
        din = N_POS if self.position_only else D
        #: Width of the slots that values, outputs, gate and FFN touch.
        self.Dc = Dc = D - N_POS if self.position_only else D
        kw = {"dtype": dtype, "device": device}
        M, Dk, Dv = self.heads, self.key_dim, self.value_dim
        self.W_q = nn.Parameter(torch.randn(M, Dk, din, **kw) / math.sqrt(din))
        self.W_k = nn.Parameter(torch.randn(M, Dk, din, **kw) / math.sqrt(din))
        self.W_v = nn.Parameter(torch.randn(M, Dv, Dc, **kw) / math.sqrt(Dc))
        self.W_o = nn.Parameter(torch.randn(M, Dc, Dv, **kw) * (0.1 / math.sqrt(max(Dv * M, 1))))
        self.gate = nn.Linear(self.n_time, Dc, **kw)
        self.ffn_lin = nn.Linear(Dc, Dc, bias=False, **kw)
        with torch.no_grad():
            self.ffn_lin.weight.mul_(0.1)
        if self.ffn_hidden:
            self.ffn_in = nn.Linear(Dc, self.ffn_hidden, **kw)
            self.ffn_out = nn.Linear(self.ffn_hidden, Dc, bias=False, **kw)
        else:
            self.ffn_in = self.ffn_out = None

    def extra_repr(self) -> str:
        return (f"D={self.D}, heads={self.heads}, key_dim={self.key_dim}, "
                f"value_dim={self.value_dim}, position_only={self.position_only}, "
                f"ffn_hidden={self.ffn_hidden}")

    def qk_input(self, H: torch.Tensor) -> torch.Tensor:
        """The slots that queries and keys read: ``(..., N, Din)``."""
        return H[..., -N_POS:] if self.position_only else H

    def attention_weights(self, H: torch.Tensor) -> torch.Tensor:
        """``ReLU(q_{h,i}^T k_{h,j})`` for every head.

        Parameters
        ----------
        H : (B, N, D) tensor

        Returns
        -------
        (B, M, N, N) tensor
        """
        A = self._weights(H, slice(0, self.heads))  # (B or 1, M, N, N)
        return A.expand(H.shape[0], -1, -1, -1)  # (B, M, N, N)

    def _weights(self, H: torch.Tensor, heads: slice) -> torch.Tensor:
        """Weights of a range of heads: ``(B, m, N, N)``, or ``(1, m, N, N)`` when position-only."""
        U = self.qk_input(H)  # (B, N, Din)
        if self.position_only:
            U = U[:1]  # every sequence has the same position slots  # (1, N, 3)
        Q = torch.einsum("hkc,bnc->bhnk", self.W_q[heads], U)  # (B, m, N, Dk)
        K = torch.einsum("hkc,bnc->bhnk", self.W_k[heads], U)  # (B, m, N, Dk)
        return torch.relu(Q @ K.transpose(-1, -2))  # (B, m, N, N)

    #: Largest number of attention weights held at once (heads are processed in chunks).
    CHUNK_ELEMENTS = 2**24

    def attention(self, H: torch.Tensor) -> torch.Tensor:
        """The ungated attention branch on the content slots: ``(B, N, D) -> (B, N, Dc)``."""
        Bn, N, _ = H.shape
        per_head = N * N * (1 if self.position_only else Bn)
        step = max(1, self.CHUNK_ELEMENTS // max(per_head, 1))
        Hc = H[..., :self.Dc]  # (B, N, Dc)
        out = torch.zeros_like(Hc)  # (B, N, Dc)
        for h0 in range(0, self.heads, step):
            hs = slice(h0, min(h0 + step, self.heads))
            A = self._weights(H, hs)  # (B, m, N, N); (1, m, N, N) when position-only
            V = torch.einsum("hvc,bnc->bhnv", self.W_v[hs], Hc)  # (B, m, N, Dv)
            if self.position_only:
                Z = torch.einsum("hij,bhjv->bhiv", A[0], V)  # (B, m, N, Dv), A not copied
            else:
                Z = A @ V  # (B, m, N, Dv)
            out = out + torch.einsum("hcv,bhnv->bnc", self.W_o[hs], Z)  # (B, N, Dc)
        return out

    def ffn(self, H: torch.Tensor) -> torch.Tensor:
        """The token-wise path ``W_lin h + W_2 ReLU(W_1 h + b_1)``: ``(B, N, D) -> (B, N, Dc)``."""
        Hc = H[..., :self.Dc]  # (B, N, Dc)
        out = self.ffn_lin(Hc)  # (B, N, Dc)
        if self.ffn_in is not None:
            out = out + self.ffn_out(torch.relu(self.ffn_in(Hc)))  # (B, N, Dc)
        return out

    def forward(self, H: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        """Apply the block.

        Parameters
        ----------
        H : (B, N, D) tensor
            Tokens.
        temb : (B, T) tensor
            Time embedding :func:`time_features`.

        Returns
        -------
        (B, N, D) tensor
        """
        g = self.gate(temb)[:, None, :]  # (B, 1, Dc)
        update = g * self.attention(H) + self.ffn(H)  # (B, N, Dc)
        if self.Dc == self.D:
            return H + update  # (B, N, D)
        return torch.cat([H[..., :self.Dc] + update, H[..., self.Dc:]], dim=-1)  # (B, N, D)


class GPDiT(nn.Module):
    """A stack of :class:`ReLUAttentionBlock` on GP tokens: ``(X, t) -> score estimate``.

    Parameters
    ----------
    N, d : int
        Frames and features; tokens have width ``D = 2d + 3``.
    L : int
        Number of blocks applied (depth). ``L = 0`` returns ``-y_0 = 0``.
    heads : int
        Heads per block.
    key_dim, value_dim : int
        Per-head widths (``value_dim`` defaults to ``d``).
    tied : bool
        Weight-tied (looped: one block applied ``L`` times) or ``L`` untied blocks.
    position_only : bool
        Queries/keys read only ``[cos, sin, 1]``; the model is then linear in ``X``.
    ffn_hidden, n_frequencies : int
        FFN hidden width; sinusoidal pairs in the time embedding.
    mean : (N, d) array_like, optional
        Data mean ``mu``: the x slot carries ``X - alpha_t mu`` (docs/theory.md §2).
    dtype, device
        Of the parameters; float64 by default.

    Examples
    --------
    >>> m = GPDiT(N=4, d=2, L=3, heads=2)
    >>> X = torch.zeros(5, 4, 2, dtype=torch.float64); t = torch.ones(5, dtype=torch.float64)
    >>> m(X, t).shape, m(X, t, return_all=True).shape
    (torch.Size([5, 4, 2]), torch.Size([4, 5, 4, 2]))
    """

    def __init__(self, N: int, d: int, L: int, heads: int, key_dim: int = 3,
                 value_dim: int | None = None, tied: bool = True, position_only: bool = True,
                 ffn_hidden: int = 0, n_frequencies: int = 0, mean=None,
                 dtype=torch.float64, device=None):
        super().__init__()
        self.N = check_positive_int(N, "N")
        self.d = check_positive_int(d, "d")
        self.L = check_nonnegative_int(L, "L")
        self.tied = bool(tied)
        self.position_only = bool(position_only)
        self.n_frequencies = check_nonnegative_int(n_frequencies, "n_frequencies")
        dtype = check_dtype(dtype)
        if device is not None:  # a device torch lacks: the project's error, not an assert
            from ..train.device import resolve_device

            device = resolve_device(device)
        if value_dim is not None:
            value_dim = check_positive_int(value_dim, "value_dim")
        self.D = 2 * self.d + N_POS
        n_time = 2 + 2 * self.n_frequencies
        n_blocks = 1 if self.tied else max(self.L, 1)
        self.blocks = nn.ModuleList([
            ReLUAttentionBlock(self.D, heads, key_dim, value_dim or self.d, position_only,
                               ffn_hidden, n_time, dtype=dtype, device=device)
            for _ in range(n_blocks)])
        self.register_buffer("pos", position_embedding(self.N, dtype=dtype, device=device))
        if mean is None:
            self.register_buffer("mean", None)
        else:
            mu = as_real_array(mean, "mean")
            if mu.shape not in ((self.N, self.d), (self.d,), ()):
                raise InvalidArgumentError("mean", f"array of shape {mu.shape}",
                                           f"does not broadcast to ({self.N}, {self.d})",
                                           f"pass a mean of shape ({self.N}, {self.d}) or "
                                           f"({self.d},)")
            mu = np.broadcast_to(mu, (self.N, self.d))
            self.register_buffer("mean", torch.as_tensor(mu.copy(), dtype=dtype, device=device))

    @property
    def heads(self) -> int:
        return self.blocks[0].heads

    def block(self, k: int) -> ReLUAttentionBlock:
        """The block applied at step ``k = 0..L-1`` (the same object for a looped model)."""
        return self.blocks[0 if self.tied else k]

    def embed(self, X: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens ``H_0 = [x, 0, cos, sin, 1]`` and the time embedding.

        Parameters
        ----------
        X : (B, N, d) tensor
        t : (B,) tensor

        Returns
        -------
        H : (B, N, D) tensor
        temb : (B, T) tensor
        """
        p = self.pos
        X, t = model_inputs(X, t, p, (None, self.N, self.d))
        if self.mean is not None:
            X = X - alpha_sigma(t)[0][:, None, None] * self.mean  # (B, N, d)
        B = X.shape[0]
        H = torch.cat([X, torch.zeros_like(X), p.expand(B, -1, -1)], dim=-1)  # (B, N, D)
        return H, _time_features(t, self.n_frequencies)  # (B, N, D), (B, T)

    def forward(self, X: torch.Tensor, t: torch.Tensor, return_all: bool = False) -> torch.Tensor:
        """Score estimate ``s_theta(X, t) = -y_L``.

        Parameters
        ----------
        X : (B, N, d) tensor
        t : (B,) tensor or scalar
        return_all : bool
            Return the y slot after every block instead, ``y_0 = 0`` first.

        Returns
        -------
        (B, N, d) tensor, or (L + 1, B, N, d) tensor when ``return_all``
        """
        H, temb = self.embed(X, t)  # (B, N, D), (B, T)
        d = self.d
        ys = [H[..., d:2 * d]]
        for k in range(self.L):
            H = self.block(k)(H, temb)  # (B, N, D)
            if return_all:
                ys.append(H[..., d:2 * d])
        if return_all:
            return torch.stack(ys)  # (L + 1, B, N, d)
        return -H[..., d:2 * d]  # (B, N, d)
