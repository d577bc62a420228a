"""Size accounting of the explicit transformer, and what float32 costs.

docs/theory.md §5 reports the construction's sizes: width ``D = 2d + 3``, depth
``L``, heads ``M = J + 2`` and ``B``, the largest weight norm. The head coefficients
solve a triangular system with diagonal ``c_m - c_{m+1} ~ pi^2 (2m+1) / (2 N^2)``,
so ``max |s_m|`` (hence ``B``) grows like ``N^2``; the identity head's query/key
scale ``(1 - c_1)^{-1/2} ~ sqrt(2) N / pi`` grows like ``N``.

Why float32 hurts: the weight ``ReLU(q_i^T k_j)`` of head ``m`` is a difference
``c_{|i-j|} - c_{m+1}`` of numbers near 1 that are ``~ 1/N^2`` apart. In float32 each
is off by ``~ eps32 = 6e-8``, and multiplying by ``s_m ~ N^2`` turns that into an
error ``~ N^2 eps32`` in the kernel ``Gamma_bar`` -- ``0.1%`` at ``N ~ 100``, order one
near ``N ~ 4000``. :func:`float32_error` measures it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._torch import torch
from ..errors import InvalidArgumentError
from ..schedule import check_scalar_diffusion_time, noised
from ..spec import GPSpec, check_spec
from ..validation import as_rng, check_nonnegative_int, check_positive_int
from .block import GPDiT, full_time

__all__ = ["ModelSizes", "model_sizes", "weight_growth", "float32_error"]

#: Largest N measured by :func:`weight_growth` (it builds dense models up to that size).
MAX_GROWTH_N = 4096


@dataclass(frozen=True)
class ModelSizes:
    """Sizes of a :class:`GPDiT`.

    Attributes
    ----------
    D, L, M : int
        Token width, depth (blocks applied), heads per block.
    B : float
        Largest spectral norm of any weight matrix: per-head ``W_q, W_k, W_v, W_o``,
        the gate and the token-wise layers.
    B_product : float
        Largest spectral norm of a per-head product ``W_O W_V`` or ``W_Q^T W_K``
        (invariant under rescaling ``W_Q -> a W_Q, W_K -> W_K / a``).
    n_params : int
        Stored parameters (a looped model stores one block).
    """

    D: int
    L: int
    M: int
    B: float
    B_product: float
    n_params: int


@torch.no_grad()
def model_sizes(model: GPDiT) -> ModelSizes:
    """The ``D, L, M, B`` of a model (docs/theory.md §5).

    Examples
    --------
    >>> m = GPDiT(N=4, d=2, L=3, heads=5)
    >>> s = model_sizes(m); (s.D, s.L, s.M)
    (7, 3, 5)
    """
    from .inspect import check_model

    model = check_model(model)

    def norm2(W):
        return float(torch.linalg.matrix_norm(W.double(), ord=2).max()) if W.numel() else 0.0

    B, Bp = 0.0, 0.0
    for b in model.blocks:
        mats = [b.W_q, b.W_k, b.W_v, b.W_o, b.gate.weight, b.ffn_lin.weight]
        if b.ffn_in is not None:
            mats += [b.ffn_in.weight, b.ffn_out.weight]
        B = max(B, *(norm2(W) for W in mats))
        if b.heads:
            Bp = max(Bp, norm2(b.W_o @ b.W_v), norm2(b.W_q.transpose(-1, -2) @ b.W_k))
    n = sum(p.numel() for p in model.parameters())
    return ModelSizes(D=model.D, L=model.L, M=model.heads, B=B, B_product=Bp, n_params=n)


def weight_growth(kernel, Ns, J=None, Sigma=None, truncation: str = "hard") -> dict:
    """How ``B`` and ``max |s_m|`` grow with N, with fitted log-log exponents.

    Parameters
    ----------
    kernel : Kernel
    Ns : sequence of int
        Frame counts (at least two distinct).
    J : int, optional
        Fixed truncation lag (clipped to ``N - 1``); ``None`` means ``J = N - 1``.
    Sigma : (d, d) array_like, optional
        Identity (``d = 1``) by default.

    Returns
    -------
    dict
        ``N``, ``B``, ``s_max`` (arrays) and ``slope_B``, ``slope_s`` (least-squares slopes
        of ``log`` against ``log N``; about 2).
    """
    from .build import build

    if not (isinstance(Ns, (list, tuple, range)) or (isinstance(Ns, np.ndarray) and Ns.ndim == 1)):
        raise InvalidArgumentError("Ns", Ns, "is not a 1-D sequence of frame counts",
                                   "pass e.g. [8, 16, 32, 64]")
    Ns = np.array([check_positive_int(n, "Ns[i]") for n in Ns], dtype=np.int64)
    if np.unique(Ns[Ns >= 2]).size < 2:
        raise InvalidArgumentError("Ns", Ns.tolist(), "has fewer than two distinct N >= 2",
                                   "pass at least two frame counts >= 2 to fit a slope")
    if Ns.max() > MAX_GROWTH_N:
        raise InvalidArgumentError("Ns", int(Ns.max()), f"exceeds {MAX_GROWTH_N} frames "
                                   "(J = N - 1 builds N + 1 heads of N x N weights)",
                                   f"pass frame counts <= {MAX_GROWTH_N}")
    Sigma = np.eye(1) if Sigma is None else Sigma
    B, s = [], []
    for N in Ns:
        spec = GPSpec(kernel, int(N), Sigma)
        m = build(spec, int(N) - 1 if J is None else J, 1, truncation)
        B.append(model_sizes(m).B)
        s.append(float(np.abs(m.construction.s).max()))
    B, s = np.array(B), np.array(s)
    return {"N": Ns, "B": B, "s_max": s,
            "slope_B": float(np.polyfit(np.log(Ns), np.log(B), 1)[0]),
            "slope_s": float(np.polyfit(np.log(Ns), np.log(s), 1)[0])}


def float32_error(spec: GPSpec, J: int, L: int, t: float, truncation: str = "hard",
                  n: int = 4, seed=0) -> dict:
    """Accuracy lost by running the constructed model in float32.

    Parameters
    ----------
    spec : GPSpec
    J, L : int
        Truncation lag and depth.
    t : float
        Diffusion time.
    n : int
        Sequences drawn from ``spec`` (times ``alpha_t`` plus noise: samples of ``p_t``).

    Returns
    -------
    dict
        ``output``: ``||s_32 - s_64||_F / ||s_64||_F`` of the network output;
        ``kernel``: ``max |Gamma_32 - Gamma_bar| / max |Gamma_bar|`` of the total
        attention kernel the float32 heads implement; ``N``: frames.
    """
    from .build import build
    from .inspect import implied_gamma

    check_spec(spec)
    J = check_nonnegative_int(J, "J")
    t = check_scalar_diffusion_time(t)
    n = check_positive_int(n, "n")
    rng = as_rng(seed)
    X = noised(spec.sample(n, seed=rng), t, rng.standard_normal((n, spec.N, spec.d)))
    out = {}
    for dt in (torch.float64, torch.float32):
        m = build(spec, J, L, truncation, dtype=dt)
        tt = full_time(n, t, torch.empty(0, dtype=dt))
        out[dt] = (m(torch.as_tensor(X, dtype=dt), tt).double().detach().numpy(), m)
    s64, m64 = out[torch.float64]
    s32, m32 = out[torch.float32]
    cw = m64.construction
    G_ref = implied_gamma(m64, cw.Sigma, cw.eta)
    G_32 = implied_gamma(m32, cw.Sigma, cw.eta)
    def rel(err: float, ref: float) -> float:  # 0 / 0 (L = 0: both outputs zero) is 0
        return float(err / ref) if ref > 0 else float(err)

    return {"N": spec.N,
            "output": rel(np.linalg.norm(s32 - s64), np.linalg.norm(s64)),
            "kernel": rel(np.abs(G_32 - G_ref).max(), np.abs(G_ref).max())}
