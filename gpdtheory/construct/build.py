"""Load the constructed weights into a :class:`~gpdtheory.construct.block.GPDiT`.

docs/theory.md §5: block ``k`` of the built model computes gradient-descent
iterate ``k`` of docs/theory.md §3 exactly (up to round-off):

    Y_{k+1} = (1 - eta) Y_k + eta X  -  eta alpha_t^2 (Gamma_bar Y_k Sigma - Y_k)
              \\_____ token-wise ____/     \\___________ gated attention ___________/

Heads ``m = 0..J`` (query ``[cos, sin, 1]``, key ``[cos, sin, -c_{m+1}]``) carry
``-eta s_m Sigma`` from the y slot into the y slot; the identity head (query and key
scaled by ``(1 - c_1)^{-1/2}``, weight ``1{i = j}``) carries ``+eta y``; the adaLN gate
reads ``e^{-t} = alpha_t^2`` from the time embedding; the token-wise path adds
``eta (x - y)`` to the y slot (``ffn="relu"`` writes it as ``ReLU(z) - ReLU(-z)``).
"""

from __future__ import annotations

import math

import numpy as np

from .._torch import torch
from ..errors import InvalidArgumentError
from ..spec import GPSpec
from ..validation import check_nonnegative_int
from .block import N_POS, GPDiT
from .weights import ConstructedWeights, construct_weights

__all__ = ["build", "load_construction"]


def build(spec: GPSpec, J: int, L: int, truncation: str = "hard", dtype=torch.float64,
          device=None, tied: bool = True, position_only: bool = True,
          ffn: str = "linear", on_indefinite: str = "raise") -> GPDiT:
    """The explicit transformer whose block ``k`` is gradient-descent step ``k``.

    Parameters
    ----------
    spec : GPSpec
        Equispaced spec (its mean, if any, is subtracted as ``alpha_t mu``).
    J : int
        Truncation lag (clipped to ``N - 1``); the model has ``M = J + 2`` heads.
    L : int
        Number of blocks (gradient-descent steps).
    truncation : {"hard", "taper", "shift"}
        Which truncated correlation the heads interpolate (docs/theory.md §4).
    dtype : torch.dtype
        float64 by default. float32 is opt-in and loses accuracy like ``N^2 eps32``
        (the coefficients ``s_m`` grow like ``N^2``; see ``gpdtheory.construct.sizes``).
    device : torch device, optional
        ``"cpu"``, ``"cuda"``, ``"cuda:0"``, ``"mps"`` or ``"auto"``; one torch reports
        unavailable here is refused before any work.
    tied : bool
        Looped (one shared block) or ``L`` untied copies of the same weights.
    position_only : bool
        Queries/keys read only ``[cos, sin, 1]`` (the constructed weights never read x, y).
    ffn : {"linear", "relu"}
        Token-wise path as a linear map, or as a ReLU FFN of hidden width ``2d``.
    on_indefinite : {"raise", "warn"}
        What to do when ``Gamma_bar`` is indefinite (see Raises); ``"warn"`` builds the
        diverging network with a :class:`~gpdtheory.errors.DivergenceWarning`, to study it.

    Returns
    -------
    GPDiT
        With the attribute ``construction`` (:class:`ConstructedWeights`).

    Raises
    ------
    InvalidArgumentError
        Bad ``L``, ``ffn``, ``on_indefinite``, truncation or spec, or a ``device`` that is
        not available (e.g. ``"cuda"`` on a machine without CUDA).
    AssumptionViolated
        ``Gamma_bar`` is indefinite (a hard truncation, e.g. Matérn 5/2 at small J): the
        network is evaluated at every t, and for ``t <= log1p(-lmin(Gamma_bar) lmax(Sigma))``
        ``mu_bar_t <= 0`` and its blocks diverge geometrically with L. The message gives
        ``lmin(Gamma_bar)`` and the all-N symbol verdict; use ``truncation='taper'`` or
        ``'shift'`` (PSD for every N) or a larger J.

    Notes
    -----
    ``model(X, t)`` equals ``-Y_L`` of :func:`gpdtheory.gd.gd_iterates` with the same
    ``(J, L, truncation)``, and Theorem S bounds its distance to the exact score.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=6, Sigma=np.eye(2))
    >>> model = build(spec, J=2, L=50)
    >>> X = torch.as_tensor(spec.sample(3, seed=0)); t = torch.full((3,), 0.5, dtype=torch.float64)
    >>> err = np.linalg.norm(model(X, t).detach().numpy() - gp.score(spec, X.numpy(), 0.5))
    """
    L = check_nonnegative_int(L, "L")
    if device is not None:
        from ..train.device import resolve_device

        device = resolve_device(device)
    if ffn not in ("linear", "relu"):
        raise InvalidArgumentError("ffn", ffn, "is not 'linear' or 'relu'",
                                   "pass ffn='linear' or 'relu'")
    cw = construct_weights(spec, J, truncation)
    from ..gd import check_definite

    check_definite(spec, cw.J, truncation, None, on_indefinite,
                   r_bar=cw.r_bar, where="the built network (GD for small t)")
    model = GPDiT(spec.N, spec.d, L, heads=cw.heads, key_dim=N_POS, value_dim=spec.d, tied=tied,
                  position_only=position_only, ffn_hidden=2 * spec.d if ffn == "relu" else 0,
                  n_frequencies=0, mean=spec.mean, dtype=dtype, device=device)
    load_construction(model, cw)
    return model


@torch.no_grad()
def load_construction(model: GPDiT, cw: ConstructedWeights) -> GPDiT:
    """Overwrite every block of ``model`` with the constructed weights ``cw`` (in place).

    Parameters
    ----------
    model : GPDiT
        ``N``, ``d`` as in ``cw``; ``heads = J + 2``, ``key_dim = 3``, ``value_dim = d``;
        any ``tied``, ``position_only``, ``ffn_hidden in {0, 2d}``, ``n_frequencies``.
    cw : ConstructedWeights

    Returns
    -------
    GPDiT
        ``model``, with ``model.construction = cw``.
    """
    if not isinstance(cw, ConstructedWeights):
        raise InvalidArgumentError("cw", type(cw).__name__, "is not ConstructedWeights",
                                   "pass gpdtheory.construct.construct_weights(spec, J)")
    if not isinstance(model, GPDiT):
        raise InvalidArgumentError("model", type(model).__name__, "is not a GPDiT",
                                   "create it with gpdtheory.construct.build")
    d, N, M = cw.d, cw.N, cw.heads
    ok = (model.N == N and model.d == d and model.heads == M
          and all(b.key_dim == N_POS and b.value_dim == d for b in model.blocks))
    if not ok:
        raise InvalidArgumentError("model", model, f"does not have the shape of the construction "
                                   f"(N={N}, d={d}, heads={M}, key_dim=3, value_dim={d})",
                                   "create it with gpdtheory.construct.build")
    D = 2 * d + N_POS
    y = slice(d, 2 * d)
    x = slice(0, d)
    W_q = np.zeros((M, N_POS, N_POS))
    W_k = np.zeros((M, N_POS, N_POS))
    W_v = np.zeros((M, d, D))
    W_o = np.zeros((M, D, d))
    for m in range(cw.J + 1):
        W_q[m] = np.eye(N_POS)
        W_k[m] = np.diag([1.0, 1.0, -cw.c[m + 1]])
        W_v[m][:, y] = cw.Sigma
        W_o[m][y, :] = -cw.eta * cw.s[m] * np.eye(d)
    # identity head: ReLU(c_{|i-j|} - c_1) / (1 - c_1) = 1{i = j}; split the scale over q and k
    scale = 1.0 / math.sqrt(1.0 - cw.c[1])
    W_q[M - 1] = scale * np.eye(N_POS)
    W_k[M - 1] = scale * np.diag([1.0, 1.0, -cw.c[1]])
    W_v[M - 1][:, y] = np.eye(d)
    W_o[M - 1][y, :] = cw.eta * np.eye(d)
    P = np.zeros((d, D))  # token-wise update of the y slot: eta (x - y)
    P[:, x] = cw.eta * np.eye(d)
    P[:, y] = -cw.eta * np.eye(d)
    for blk in model.blocks:
        din = blk.W_q.shape[-1]

        def put(param, value, qk=False, din=din):
            full = np.zeros(tuple(param.shape))
            if qk:
                full[..., din - N_POS:] = value  # position slots are the last three
            else:
                # value is written in full-width coordinates; a position-only block keeps the
                # leading content slots [x, y] only (the construction is zero elsewhere)
                value = np.broadcast_to(value, np.broadcast_shapes(np.shape(value), full.shape)
                                        if np.ndim(value) == 0 else np.shape(value))
                full[...] = value[tuple(slice(0, n) for n in full.shape)]
            param.copy_(torch.as_tensor(full, dtype=param.dtype, device=param.device))

        put(blk.W_q, W_q, qk=True)
        put(blk.W_k, W_k, qk=True)
        put(blk.W_v, W_v)
        put(blk.W_o, W_o)
        gate = np.zeros(tuple(blk.gate.weight.shape))
        gate[:, 0] = 1.0  # g(t) = e^{-t} = alpha_t^2 on every channel
        put(blk.gate.weight, gate)
        put(blk.gate.bias, 0.0)
        lin = np.zeros((D, D))
        if blk.ffn_in is None:
            lin[y, :] = P
            put(blk.ffn_lin.weight, lin)
        else:
            if blk.ffn_hidden != 2 * d:
                raise InvalidArgumentError("model", model, f"has ffn_hidden={blk.ffn_hidden}",
                                           f"use ffn_hidden=0 or {2 * d} for the construction")
            put(blk.ffn_lin.weight, lin)
            put(blk.ffn_in.weight, np.vstack([P, -P]))  # z = P h; ReLU(z) - ReLU(-z) = z
            put(blk.ffn_in.bias, 0.0)
            out = np.zeros((D, 2 * d))
            out[y, :d] = np.eye(d)
            out[y, d:] = -np.eye(d)
            put(blk.ffn_out.weight, out)
    model.construction = cw
    return model
