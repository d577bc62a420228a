"""Compare trained and constructed weights by invariants only (docs/theory.md §8).

Weights are not identifiable (heads permute, ``W_Q^T W_K`` and ``W_O W_V`` rescale
against each other), so every comparison here is of an invariant:

- :func:`kernel_by_lag`: the total y-to-y attention kernel averaged along diagonals,
  against ``rho_bar`` (correlation and relative error after the best scale);
- :func:`match_heads`: per-head ``W_Q^T W_K`` and ``W_O W_V``, matched by the Hungarian
  algorithm (invariant under head permutations and under ``qk -> c qk, ov -> ov / c``);
- :func:`nearest_kronecker`: Van Loan–Pitsianis nearest Kronecker product, and
  :func:`kronecker_correlation` of temporal factors (trained map against ``C_t^{-1}``);
- :func:`jacobian`, :func:`jacobian_cosine`: sensitivity of any model;
- :func:`layers_vs_gd`: layer ``k`` of a model against gradient-descent iterate ``k``;
- :func:`warm_start`: training from the constructed weights, distance tracked.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.optimize

try:
    import torch
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from ._extras import require

    require("torch", "torch")
    raise

from .construct.block import full_time
from .errors import InvalidArgumentError
from .validation import (
    as_real_array,
    check_positive_int,
    check_scalar_diffusion_time,
    check_torch_module,
)

__all__ = ["nearest_kronecker", "kronecker_correlation", "kernel_by_lag", "KernelComparison",
           "compare_kernel", "HeadMatch", "match_heads", "jacobian", "jacobian_cosine",
           "layers_vs_gd", "parameter_distance", "warm_start", "correlation"]


def _pair(a, b, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Two finite real arrays of equal size, flattened (documented errors otherwise)."""
    a = np.ravel(as_real_array(a, names[0]))
    b = np.ravel(as_real_array(b, names[1]))
    if a.size != b.size:
        raise InvalidArgumentError(names[1], f"array of {b.size} entries",
                                   f"does not match the {a.size} entries of {names[0]}",
                                   "compare arrays of the same size")
    return a, b


def _norm_ratio(num: float, na: float, nb: float) -> float:
    """``num / (na nb)`` in [-1, 1], 0 when a norm is 0 (scaled: no overflow for huge entries)."""
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(np.clip(num / na / nb, -1.0, 1.0))


def _unit_scaled(a: np.ndarray) -> np.ndarray:
    """``a / max|a|`` (unchanged when 0): sums and norms of the result cannot overflow."""
    m = float(np.max(np.abs(a), initial=0.0))
    return a / m if m > 0 else a


def correlation(a, b) -> float:
    """Pearson correlation of two arrays of equal size (flattened); 0 when one is constant."""
    a, b = _pair(a, b, ("a", "b"))
    a, b = _unit_scaled(a), _unit_scaled(b)
    a, b = _unit_scaled(a - a.mean()), _unit_scaled(b - b.mean())
    return _norm_ratio(float(a @ b), float(np.linalg.norm(a)), float(np.linalg.norm(b)))


def _shape2(shape, name: str) -> tuple[int, int]:
    """A ``(rows, columns)`` pair of positive ints, or a documented error."""
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise InvalidArgumentError(name, shape, "is not a pair (rows, columns)",
                                   "pass a tuple of two positive ints, e.g. (N, N)")
    return (check_positive_int(shape[0], f"{name}[0]"), check_positive_int(shape[1], f"{name}[1]"))


def nearest_kronecker(M, shape_a: tuple[int, int], shape_b: tuple[int, int]):
    """Van Loan–Pitsianis: ``argmin ||M - A ⊗ B||_F`` over ``A`` of shape_a, ``B`` of shape_b.

    Parameters
    ----------
    M : (m1 m2, n1 n2) array_like
    shape_a : (m1, n1)
    shape_b : (m2, n2)

    Returns
    -------
    A : (m1, n1) ndarray
    B : (m2, n2) ndarray
        Normalised so that ``||B||_F = 1`` and ``trace(B) >= 0`` (the factors are defined
        up to ``(c A) ⊗ (B / c)``).
    residual : float
        ``||M - A ⊗ B||_F / ||M||_F`` (0 exactly when ``M`` is a Kronecker product).

    Notes
    -----
    Rearrange ``M`` into ``R`` with row ``(i, j)`` = ``vec(M block (i, j))``; then
    ``||M - A ⊗ B||_F = ||R - vec(A) vec(B)^T||_F`` and the best rank-one
    approximation (top singular pair) solves it (Van Loan & Pitsianis 1993).

    Examples
    --------
    >>> A0, B0 = np.arange(4.).reshape(2, 2) + 1, np.eye(3) * 2
    >>> A, B, res = nearest_kronecker(np.kron(A0, B0), (2, 2), (3, 3))
    >>> bool(np.allclose(np.kron(A, B), np.kron(A0, B0))) and res < 1e-12
    True
    """
    m1, n1 = _shape2(shape_a, "shape_a")
    m2, n2 = _shape2(shape_b, "shape_b")
    M = as_real_array(M, "M", ndim=2, shape=(m1 * m2, n1 * n2))
    R = M.reshape(m1, m2, n1, n2).transpose(0, 2, 1, 3).reshape(m1 * n1, m2 * n2)
    U, s, Vt = np.linalg.svd(R, full_matrices=False)
    A = (s[0] * U[:, 0]).reshape(m1, n1)
    B = Vt[0].reshape(m2, n2)
    if np.trace(B) < 0 or (np.trace(B) == 0 and B.ravel()[np.argmax(np.abs(B))] < 0):
        A, B = -A, -B
    nm = np.linalg.norm(M)
    res = float(np.linalg.norm(M - np.kron(A, B)) / nm) if nm > 0 else 0.0
    return A, B, res


def kronecker_correlation(M, M_ref, N: int, d: int) -> float:
    """Correlation of the temporal (``N x N``) nearest-Kronecker factors of two maps."""
    N, d = check_positive_int(N, "N"), check_positive_int(d, "d")
    A, _, _ = nearest_kronecker(M, (N, N), (d, d))
    A_ref, _, _ = nearest_kronecker(M_ref, (N, N), (d, d))
    return correlation(A, A_ref)


def kernel_by_lag(model, block: int = 0) -> np.ndarray:
    """Total y-to-y attention kernel of a position-only model, as a function of the lag.

    Returns
    -------
    (N,) ndarray
        ``k[m] = mean_i <K[i, i + m], Sigma_dir>``: the kernel of
        :func:`gpdtheory.construct.inspect.attention_kernel` (``(N, N, d, d)``) projected
        on the identity direction ``I / sqrt(d)`` of its ``d x d`` blocks and averaged
        along the m-th diagonal. For the construction ``k[m] = -eta rho_bar(m) tr(Sigma)/d``
        for ``m >= 1`` (lag 0 also carries the identity head).
    """
    from .construct.inspect import attention_kernel, check_model

    K = attention_kernel(check_model(model), block)  # (N, N, d, d)
    d = K.shape[-1]
    Ks = np.einsum("ijaa->ij", K) / d  # (N, N)
    N = Ks.shape[0]
    return np.array([np.mean(np.diagonal(Ks, m)) for m in range(N)])


@dataclass(frozen=True)
class KernelComparison:
    """Attention kernel by lag against ``rho_bar`` (lags ``1..N-1``, where no identity head acts).

    Attributes
    ----------
    kernel : (N,) ndarray
        :func:`kernel_by_lag`.
    scale : float
        Least-squares ``c`` in ``rho_bar ≈ c * kernel`` on lags ``>= 1``.
    correlation : float
        Pearson correlation of ``-kernel`` and ``rho_bar`` on lags ``>= 1`` (a GD
        step subtracts ``eta Gamma_bar``, so the sign is negative).
    relative_error : float
        ``||c kernel - rho_bar|| / ||rho_bar||`` on lags ``>= 1``.
    """

    kernel: np.ndarray
    scale: float
    correlation: float
    relative_error: float


def compare_kernel(model, r_bar, block: int = 0) -> KernelComparison:
    """:func:`kernel_by_lag` of ``model`` against the truncated correlation ``r_bar`` ``(N,)``."""
    k = kernel_by_lag(model, block)
    if k.size < 3:
        raise InvalidArgumentError("model", model, "has fewer than 3 frames",
                                   "compare kernels on N >= 3")
    r = as_real_array(r_bar, "r_bar", ndim=1, shape=(k.size,))
    a, b = k[1:], r[1:]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        aa = float(a @ a)
        c = float(a @ b / aa) if aa > 0 else 0.0
        nb = np.linalg.norm(b)
        rel = float(np.linalg.norm(c * a - b) / nb) if nb > 0 else float(np.linalg.norm(c * a))
    if not (np.isfinite(c) and np.isfinite(rel)):
        raise InvalidArgumentError("r_bar", f"array of shape {r.shape}",
                                   "is too large against the model's kernel: the fitted scale "
                                   "overflows", "pass a correlation (entries of order 1)")
    return KernelComparison(k, c, correlation(-a, b), rel)


@dataclass(frozen=True)
class HeadMatch:
    """Heads of two models matched by the Hungarian algorithm.

    Attributes
    ----------
    perm : (M,) ndarray of int
        Head ``h`` of the first model is matched with head ``perm[h]`` of the second.
    qk_cosine : (M,) ndarray
        Cosine of the matched ``W_Q^T W_K`` (scale-free).
    gain_error : (M,) ndarray
        Relative distance of the matched gains ``||W_Q^T W_K||_F W_O W_V``.
    cost : float
        Mean matched cost ``1 - cos + gain_error``.
    """

    perm: np.ndarray
    qk_cosine: np.ndarray
    gain_error: np.ndarray
    cost: float


def _signatures(model, block: int):
    from .construct.inspect import ov_products, qk_products

    qk = qk_products(model, block)  # checks that model is a GPDiT  # (M, Din, Din)
    ov = ov_products(model, block)  # (M, Dc, Dc)
    nq = np.linalg.norm(qk.reshape(qk.shape[0], -1), axis=1)
    qk_dir = qk / np.where(nq > 0, nq, 1.0)[:, None, None]
    return qk_dir.reshape(qk.shape[0], -1), (ov * nq[:, None, None]).reshape(ov.shape[0], -1)


def match_heads(model_a, model_b, block: int = 0) -> HeadMatch:
    """Match the heads of two ReLU-attention models (equal head counts) by their invariants.

    Notes
    -----
    A head contributes ``ReLU(u_i^T B u_j) V`` with ``B = W_Q^T W_K``, ``V = W_O W_V``; it
    is unchanged by ``B -> c B``, ``V -> V / c`` (``c > 0``) and by permuting heads.
    So each head is described by ``B / ||B||`` and the gain ``||B|| V``; the cost
    ``1 - cos(B_a, B_b) + ||G_a - G_b|| / (||G_a|| + ||G_b||)`` is minimised over
    permutations by :func:`scipy.optimize.linear_sum_assignment`.
    """
    qa, ga = _signatures(model_a, block)
    qb, gb = _signatures(model_b, block)
    if qa.shape != qb.shape or ga.shape != gb.shape:
        raise InvalidArgumentError("model_b", model_b, "has other head count or widths",
                                   "compare models of the same shape")
    cos = qa @ qb.T
    na, nb = np.linalg.norm(ga, axis=1), np.linalg.norm(gb, axis=1)
    diff = np.linalg.norm(ga[:, None, :] - gb[None, :, :], axis=2)
    den = na[:, None] + nb[None, :]
    gerr = np.where(den > 0, diff / np.where(den > 0, den, 1.0), 0.0)
    cost = 1.0 - cos + gerr
    rows, cols = scipy.optimize.linear_sum_assignment(cost)
    perm = cols[np.argsort(rows)]
    idx = np.arange(len(perm))
    return HeadMatch(perm, cos[idx, perm], gerr[idx, perm], float(cost[idx, perm].mean()))


def jacobian(model, X, t: float) -> np.ndarray:
    """``d s_theta / d vec X`` at ``X`` ``(N, d)`` for any ``model(X, t)``: ``(Nd, Nd)`` ndarray."""
    model = check_torch_module(model)
    p = next(model.parameters())
    shape = (getattr(model, "N", None), getattr(model, "d", None))
    X0 = torch.as_tensor(as_real_array(X, "X", ndim=2, shape=shape), dtype=p.dtype, device=p.device)
    N, d = X0.shape
    tt = full_time(1, check_scalar_diffusion_time(t), p)
    with warnings.catch_warnings():  # torch: "performance drop" (no batching rule), harmless
        warnings.filterwarnings("ignore", message="There is a performance drop",
                                category=UserWarning)
        Jac = torch.func.jacrev(lambda x: model(x[None], tt)[0].reshape(-1))(X0)
    return Jac.reshape(N * d, N * d).detach().double().cpu().numpy()


def jacobian_cosine(J1, J2) -> float:
    """Cosine ``<J1, J2>_F / (||J1|| ||J2||)`` of two Jacobians (1: same up to scale)."""
    a, b = _pair(J1, J2, ("J1", "J2"))
    a, b = _unit_scaled(a), _unit_scaled(b)
    return _norm_ratio(float(a @ b), float(np.linalg.norm(a)), float(np.linalg.norm(b)))


def layers_vs_gd(model, spec, X, t: float, J: int, truncation: str = "hard") -> np.ndarray:
    """Relative distance of layer ``k``'s y slot to GD iterate ``k``, ``k = 1..L``: ``(L,)``.

    Uses :func:`gpdtheory.gd.gd_iterates` with the same ``J`` and ``L = model.L``.
    A looped *trained* model need not follow GD; the constructed one does exactly.
    """
    from .construct.inspect import check_model
    from .gd import gd_iterates
    from .spec import GPSpec

    model = check_model(model)
    if not isinstance(spec, GPSpec):
        raise InvalidArgumentError("spec", spec, "is not a GPSpec",
                                   "build one with gpdtheory.GPSpec")
    if (model.N, model.d) != (spec.N, spec.d):
        raise InvalidArgumentError("model", f"N={model.N}, d={model.d}",
                                   f"does not match the spec (N={spec.N}, d={spec.d})",
                                   "pass a model built for this spec")
    X = as_real_array(X, "X", ndim=2, shape=(spec.N, spec.d))
    t = check_scalar_diffusion_time(t)
    p = next(model.parameters())
    with torch.no_grad():
        ys = model(torch.as_tensor(X[None], dtype=p.dtype, device=p.device),
                   full_time(1, t, p),
                   return_all=True)[:, 0].double().cpu().numpy()  # (L + 1, N, d)
    ref = gd_iterates(spec, X, t, J, model.L, truncation, return_all=True)
    return np.array([np.linalg.norm(ys[k] - ref[k]) / max(np.linalg.norm(ref[k]), 1e-300)
                     for k in range(1, model.L + 1)])


def parameter_distance(model, reference: dict[str, torch.Tensor]) -> float:
    """``||theta - theta_ref|| / ||theta_ref||`` over all parameters (flattened)."""
    model = check_torch_module(model)
    names = dict(model.named_parameters())
    if not isinstance(reference, dict) or set(reference) != set(names):
        raise InvalidArgumentError("reference", type(reference).__name__,
                                   "does not hold exactly the model's parameter names",
                                   "pass {k: v.detach().clone() for k, v in "
                                   "model.named_parameters()}")
    num = den = 0.0
    for name, p in names.items():
        r = reference[name]
        if not torch.is_tensor(r) or r.shape != p.shape:
            raise InvalidArgumentError(f"reference[{name!r}]", type(r).__name__,
                                       f"is not a tensor of shape {tuple(p.shape)}",
                                       "pass the parameters of a model of the same shape")
        r = r.to(p.device, p.dtype)
        num += float(((p.detach() - r) ** 2).sum())
        den += float((r**2).sum())
    out = float(np.sqrt(num / den)) if den > 0 else float(np.sqrt(num))
    if not np.isfinite(out):
        raise InvalidArgumentError("reference", "parameters",
                                   "give a non-finite distance (NaN/inf or overflowing weights)",
                                   "pass finite parameters")
    return out


def warm_start(constructed, data, cfg=None, **kwargs):
    """Train a copy of the constructed model on ``data``; track its distance to the start.

    Parameters
    ----------
    constructed : GPDiT
        From :func:`gpdtheory.construct.build` (left unchanged).
    data : (n, N, d) array_like
    cfg : TrainConfig, optional
    **kwargs
        Passed to :func:`gpdtheory.train.train`.

    Returns
    -------
    TrainResult
        ``history["track"]`` holds :func:`parameter_distance` at every evaluation.
    """
    import copy

    from .train import train

    constructed = check_torch_module(constructed)
    model = copy.deepcopy(constructed)
    ref = {k: v.detach().clone() for k, v in constructed.named_parameters()}
    return train(model, data, cfg, track=lambda m: parameter_distance(m, ref), **kwargs)

