"""Inspect a ReLU-attention model: weights by lag, per-head products, the linear map.

docs/theory.md §§5 and 8. These functions work on any :class:`GPDiT` (constructed
or trained); weights are not identifiable (heads permute, products rescale), so they
return the invariants: attention weights, ``W_Q^T W_K``, ``W_O W_V``, the y-to-y
attention kernel, the implied ``Gamma``, and the end-to-end map ``A_t`` with
``s_theta(X, t) = -A_t vec X`` (plus an offset when the model has a mean).

Any other score network (:mod:`gpdtheory.protocol`): :func:`head_weights` records its
attention (:mod:`gpdtheory.capture`) and :func:`end_to_end_map` linearises it at ``X``.
The others read the construction's parametrisation (heads acting on the token slots
``[x, y, position]``); for another model they raise an error that says why in one
sentence and names the :mod:`gpdtheory.compare` function that applies.
"""

from __future__ import annotations

import numpy as np

from .._torch import torch
from ..errors import InvalidArgumentError
from ..schedule import check_scalar_diffusion_time
from ..validation import as_real_array, check_nonnegative_int, check_positive_scalar
from .block import GPDiT, ReLUAttentionBlock, full_time

__all__ = ["head_weights", "weights_by_lag", "qk_products", "ov_products", "attention_kernel",
           "implied_gamma", "end_to_end_map"]


def check_model(model, why: str = "these invariants read ReLU-attention weights",
                fix: str = "for any other model use gpdtheory.compare "
                           "(compare_attention, match_heads_by_lag, probe_layers, "
                           "compare_linear_map)") -> GPDiT:
    """``model`` if it is a :class:`GPDiT` (the ReLU-attention class), else a documented error.

    ``why`` says in one sentence why the calling function needs a GPDiT; ``fix`` names
    what works for another model.
    """
    if not isinstance(model, GPDiT):
        raise InvalidArgumentError("model", type(model).__name__, f"is not a GPDiT: {why}",
                                   "pass a model from gpdtheory.construct.build or "
                                   f"gpdtheory.models.matching_model; {fix}")
    return model


#: Why the functions reading the y slot need a GPDiT.
_NO_Y_SLOT = ("only the construction's tokens carry a y slot, so another model has no y-to-y "
              "operator to read")
#: Why the per-head products need a GPDiT.
_NO_HEAD_PRODUCTS = ("its heads do not act on the construction's token slots [x, y, position], "
                     "so their W_Q^T W_K and W_O W_V have no counterpart in the construction")


def _point(model: GPDiT, X) -> np.ndarray:
    """The linearisation point ``X`` ``(N, d)`` (validated: finite, real, right shape)."""
    return as_real_array(X, "X", ndim=2, shape=(model.N, model.d))


def _block(model: GPDiT, block: int, why: str = _NO_HEAD_PRODUCTS,
           fix: str = "compare per-head attention by lag with gpdtheory.compare."
                      "match_heads_by_lag") -> ReLUAttentionBlock:
    model = check_model(model, why, fix)
    block = check_nonnegative_int(block, "block")
    if block >= len(model.blocks):
        raise InvalidArgumentError("block", block, f"exceeds the {len(model.blocks)} stored blocks",
                                   "pass 0 for a looped model")
    return model.blocks[block]


def _tokens(model: GPDiT, X=None, t: float = 1.0) -> torch.Tensor:
    """Input tokens ``(1, N, D)`` at ``X`` (zeros by default)."""
    p = model.pos
    t = check_scalar_diffusion_time(t)
    X = torch.zeros(1, model.N, model.d, dtype=p.dtype, device=p.device) if X is None else \
        torch.as_tensor(_point(model, X)[None], dtype=p.dtype, device=p.device)
    H, _ = model.embed(X, full_time(1, t, p))
    return H


@torch.no_grad()
def head_weights(model, block: int = 0, X=None, t: float = 1.0) -> np.ndarray:
    """Attention weights of every head.

    Parameters
    ----------
    model : GPDiT or nn.Module
        A GPDiT: ``ReLU(q_{h,i}^T k_{h,j})`` from its weights. Any other model through
        the protocol (:func:`gpdtheory.protocol.as_score_model`): the attention recorded by
        :func:`gpdtheory.capture.capture_attention` on the input ``X`` (softmax
        probabilities for softmax attention).
    block : int
        GPDiT: the stored block index (0 for a looped model). Another model: the
        ``block``-th attention module over the ``N`` frames, in forward order.
    X : (N, d) array_like, optional
        Input (zeros by default); for a GPDiT needed only when queries/keys read x or y
        (``position_only=False``), where the weights are those of the *first* application
        of the block.
    t : float
        Diffusion time (for a GPDiT only the mean shift depends on it).

    Returns
    -------
    (M, N, N) ndarray of float64
    """
    if not isinstance(model, GPDiT):
        return _captured_head_weights(model, block, X, t)
    blk = _block(model, block)
    return blk.attention_weights(_tokens(model, X, t))[0].double().cpu().numpy()


def _sizes(X) -> dict:
    """``N`` and ``d`` read from an ``(N, d)`` input (the model's own when X is absent)."""
    try:
        shape = np.shape(X)
    except ValueError:  # ragged: as_real_array reports it once the sizes are known
        return {}
    return dict(zip(("N", "d"), shape, strict=True)) if len(shape) == 2 else {}


def _captured_head_weights(model, block: int, X, t: float) -> np.ndarray:
    """:func:`head_weights` of any model: its attention recorded on one input."""
    from ..capture import capture_attention
    from ..protocol import as_recorded_model, model_name, param_like

    sm = as_recorded_model(model, **_sizes(X))  # attention only: no output convention needed
    t = check_scalar_diffusion_time(t)
    p = param_like(sm)
    X = np.zeros((sm.N, sm.d)) if X is None else as_real_array(X, "X", ndim=2,
                                                               shape=(sm.N, sm.d))
    with capture_attention(sm) as cap:
        sm(torch.as_tensor(X[None], dtype=p.dtype, device=p.device), full_time(1, t, p))
    # the first call of each module; its batch axis holds the one input, or the spatial
    # positions of a video model's temporal attention: averaged
    maps = [cap.records[n][0].mean(0) for n in cap.names
            if tuple(cap.records[n][0].shape[-2:]) == (sm.N, sm.N)]
    block = check_nonnegative_int(block, "block")
    if block >= len(maps):
        raise InvalidArgumentError("block", block, f"exceeds the {len(maps)} attention modules "
                                   f"over {sm.N} frames recorded in {model_name(sm)}",
                                   f"pass a block below {len(maps)}" if maps else
                                   "give the model attention over its N frames")
    return maps[block].numpy()


def weights_by_lag(model: GPDiT, block: int = 0) -> np.ndarray:
    """Attention weight of every head as a function of the lag ``j - i >= 0`` (row ``i = 0``).

    Returns
    -------
    (M, N) ndarray of float64
        ``W[h, k]`` = weight of head ``h`` between frames 0 and ``k``. For a
        position-only model built on the sinusoidal embedding the weights are
        functions of ``|i - j|`` (Toeplitz), so row 0 says everything.
    """
    model = check_model(model, "another model's attention depends on its input, so it has no "
                        "weights by lag independent of X",
                        "use gpdtheory.compare.attention_by_lag (per-head profiles on "
                        "noised samples) or head_weights(model, X=...)")
    if not model.position_only:
        raise InvalidArgumentError("model", model, "has queries/keys that read x or y",
                                   "use head_weights(model, X=...) for a given input")
    return head_weights(model, block)[:, 0, :]


@torch.no_grad()
def qk_products(model: GPDiT, block: int = 0) -> np.ndarray:
    """Per-head bilinear forms ``W_Q^T W_K``: ``q_i^T k_j = u_i^T (W_Q^T W_K) u_j``.

    Returns
    -------
    (M, Din, Din) ndarray of float64
        ``Din = 3`` (``[cos, sin, 1]``) for position-only models, ``D`` otherwise.
    """
    b = _block(model, block)
    return torch.einsum("hki,hkj->hij", b.W_q, b.W_k).double().cpu().numpy()


@torch.no_grad()
def ov_products(model: GPDiT, block: int = 0) -> np.ndarray:
    """Per-head value-output maps ``W_O W_V``.

    Returns
    -------
    (M, Dc, Dc) ndarray of float64
        ``Dc = 2d`` (the content slots ``[x, y]``) for position-only models, ``D`` otherwise.
    """
    b = _block(model, block)
    return torch.einsum("hcv,hvj->hcj", b.W_o, b.W_v).double().cpu().numpy()


def attention_kernel(model: GPDiT, block: int = 0, X=None) -> np.ndarray:
    """The y-to-y linear operator of the (ungated) attention branch.

    ``K[i, j] = sum_h ReLU(q_{h,i}^T k_{h,j}) [W_O W_V]_h[y, y]`` so that
    ``attn(H)_i[y] = sum_j K[i, j] y_j`` (plus terms reading x and position slots).

    Returns
    -------
    (N, N, d, d) ndarray of float64
    """
    check_model(model, _NO_Y_SLOT, "compare its attention by lag with rho_bar and the "
                "constructed kernel: gpdtheory.compare.compare_attention")
    A = head_weights(model, block, X)  # (M, N, N)
    d = model.d
    V = ov_products(model, block)[:, d:2 * d, d:2 * d]  # (M, d, d)
    return np.einsum("hij,hab->ijab", A, V)


def implied_gamma(model: GPDiT, Sigma, eta: float, block: int = 0) -> np.ndarray:
    """The temporal kernel the attention implements, read as a gradient-descent step.

    A GD step needs ``K[i, j] = -eta (Gamma_bar[i, j] Sigma - 1{i=j} I)``; this
    returns the least-squares ``Gamma`` entry by entry:
    ``G[i, j] = <1{i=j} I - K[i, j] / eta, Sigma>_F / ||Sigma||_F^2``.

    Parameters
    ----------
    model : GPDiT
    Sigma : (d, d) array_like
    eta : float
        The step size (``model.construction.eta`` for a constructed model).

    Returns
    -------
    (N, N) ndarray of float64
        Equals ``Gamma_bar`` for the constructed model (to round-off times ``N^2``).
    """
    model = check_model(model, _NO_Y_SLOT + " and no step size eta to read Gamma from",
                        "compare its attention by lag with rho_bar: "
                        "gpdtheory.compare.compare_attention")
    Sigma = as_real_array(Sigma, "Sigma", ndim=2, shape=(model.d, model.d))
    if not np.any(Sigma):
        raise InvalidArgumentError("Sigma", "zero matrix", "is zero: nothing to project on",
                                   "pass the spec's Sigma (model.construction.Sigma)")
    eta = check_positive_scalar(eta, "eta")
    K = attention_kernel(model, block)
    N, d = model.N, model.d
    S = Sigma / np.max(np.abs(Sigma))  # <., S>/||S||^2 = (<., Sigma>/||Sigma||^2) max|Sigma|
    with np.errstate(over="ignore", invalid="ignore"):
        R = np.eye(N)[:, :, None, None] * np.eye(d) - K / eta
        G = np.einsum("ijab,ab->ij", R, S) / np.sum(S * S) / np.max(np.abs(Sigma))
    if not np.all(np.isfinite(G)):
        raise InvalidArgumentError("eta", eta, "is so small (or Sigma so large) that K / eta "
                                   "overflows", "pass the construction's step size "
                                   "(model.construction.eta) and Sigma")
    return G


def end_to_end_map(model, t: float, X=None) -> np.ndarray:
    """The linear map ``A_t`` with ``s_theta(X, t) = -A_t vec X`` (row-major vec).

    Parameters
    ----------
    model : GPDiT or nn.Module
        Any model through the protocol; a non-linear one is linearised at ``X``. Its output
        is read as a score, so another network's convention must be stated
        (:func:`gpdtheory.protocol.as_score_model`) unless it is detected.
    t : float
        Diffusion time.
    X : (N, d) array_like, optional
        Point of linearisation (zeros by default). A position-only GPDiT is affine in
        ``X``, so the map does not depend on it.

    Returns
    -------
    (N d, N d) ndarray of float64
        ``-d s_theta / d vec X`` by ``torch.func.jacrev``; compare with
        :func:`gpdtheory.gd.gd_matrix` and with ``C_t^{-1}``
        (:func:`gpdtheory.compare.compare_linear_map` does both).
    """
    from ..jacobians import jacobian

    if not isinstance(model, GPDiT):
        from ..protocol import as_score_model

        model = as_score_model(model, **_sizes(X))
    t = check_scalar_diffusion_time(t)
    return -jacobian(model, np.zeros((model.N, model.d)) if X is None else X, t)
