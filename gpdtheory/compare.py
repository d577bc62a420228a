"""Compare trained and constructed weights by invariants only (docs/theory.md §8).

Weights are not identifiable (heads permute, ``W_Q^T W_K`` and ``W_O W_V`` rescale
against each other), so every comparison here is of an invariant:

- :func:`kernel_by_lag`: the total y-to-y attention kernel of a GPDiT averaged along
  diagonals, or, for any other model (:mod:`gpdtheory.protocol`), its recorded attention
  (:mod:`gpdtheory.capture`) averaged the same way; :func:`compare_kernel` against
  ``rho_bar`` (correlation and relative error after the best scale);
- :func:`match_heads`: per-head ``W_Q^T W_K`` and ``W_O W_V`` of two ReLU-attention
  models, matched by the Hungarian algorithm (invariant under head permutations and
  under ``qk -> c qk, ov -> ov / c``); any other model's heads are matched by their lag
  profiles (:func:`gpdtheory.compare_models.match_heads_by_lag`);
- :func:`nearest_kronecker`: Van Loan–Pitsianis nearest Kronecker product, and
  :func:`kronecker_correlation` of temporal factors (trained map against ``C_t^{-1}``);
- :func:`jacobian`, :func:`jacobian_cosine`: sensitivity of any model;
- :func:`layers_vs_gd`: layer ``k`` of a model against gradient-descent iterate ``k``
  (the y slot of a GPDiT; a linear probe of any other model's hidden state);
- :func:`warm_start`: training from the constructed weights, distance tracked.

:func:`correlation` is :func:`gpdtheory.profiles.correlation` (NaN on a constant input).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

try:
    import torch
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from ._extras import require

    require("torch", "torch")
    raise

from .construct.block import GPDiT, full_time
from .errors import InvalidArgumentError
from .profiles import MIN_SPREAD, beats, correlation, cosine, lag_profile, profile_spread
from .schedule import check_scalar_diffusion_time
from .spec import check_spec
from .validation import as_real_array, check_positive_int, check_torch_module

__all__ = ["nearest_kronecker", "kronecker_correlation", "kernel_by_lag", "KernelComparison",
           "compare_kernel", "HeadMatch", "match_heads", "jacobian", "jacobian_cosine",
           "layers_vs_gd", "parameter_distance", "warm_start", "correlation"]


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


def kernel_by_lag(model, block: int = 0, *, direction: str = "forward", spec=None,
                  modules=None, data=None, times=(0.1, 0.5, 2.0), n: int = 128,
                  seed=0) -> np.ndarray:
    """Attention kernel of ``model`` as a function of the lag: ``(N,)`` ndarray.

    Parameters
    ----------
    model : nn.Module
        A :class:`~gpdtheory.construct.block.GPDiT` (its kernel is read from its weights),
        or any other model through the protocol (its attention is recorded).
    block : int
        GPDiT: the stored block (0 for a looped model). Any other model: the ``block``-th
        attention module over frames, in forward order
        (:func:`gpdtheory.compare_models.attention_by_module`).
    direction : {"forward", "both", "backward"}
        Which diagonals are averaged (:func:`gpdtheory.profiles.lag_profile`):
        ``"forward"`` averages ``M[i, i + m]``, ``"both"`` every ``|i - j| = m``.
    spec : GPSpec, optional
        Required for a model that is not a GPDiT: its attention depends on the input, and
        is recorded on noised samples of ``spec`` (with ``modules``, ``data``, ``times``,
        ``n``, ``seed`` as in :func:`gpdtheory.compare_models.attention_by_module`).

    Returns
    -------
    (N,) ndarray
        GPDiT: ``k[m] = mean_i <K[i, i + m], I / d>``, the kernel of
        :func:`gpdtheory.construct.inspect.attention_kernel` (``(N, N, d, d)``) projected
        on the identity of its ``d x d`` blocks and averaged along the m-th diagonal. For
        the construction ``k[m] = -eta rho_bar(m) tr(Sigma)/d`` for ``m >= 1`` (lag 0 also
        carries the identity head). Any other model: the attention probabilities (ReLU
        weights for ReLU heads), averaged over samples, times and heads, by lag; they
        carry no value map, so their sign is positive.
    """
    from .construct.inspect import attention_kernel

    if isinstance(model, GPDiT):
        K = attention_kernel(model, block)  # (N, N, d, d)
        return lag_profile(np.einsum("ijaa->ij", K) / K.shape[-1], direction)
    from .compare_models import attention_by_module
    from .validation import check_nonnegative_int

    if spec is None:
        raise InvalidArgumentError("spec", None, f"is needed for a {type(model).__name__}: "
                                   "its attention depends on the input and is recorded on "
                                   "noised samples of spec", "pass spec=gpdtheory.GPSpec(...)")
    maps = attention_by_module(model, check_spec(spec), modules=modules, data=data,
                               times=times, n=n, seed=seed)
    block = check_nonnegative_int(block, "block")
    if block >= len(maps):
        raise InvalidArgumentError("block", block, f"exceeds the {len(maps)} attention "
                                   f"modules recorded ({list(maps)})",
                                   f"pass 0..{len(maps) - 1}, or name them with modules=")
    return lag_profile(list(maps.values())[block].mean(0), direction)


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
        Pearson correlation of ``sign * kernel`` and ``rho_bar`` on lags ``>= 1``, with
        ``sign = -1`` for a GPDiT (a GD step subtracts ``eta Gamma_bar``) and ``+1`` for
        recorded attention (its sign sits in the value maps). NaN when the kernel is
        constant on these lags (:func:`gpdtheory.profiles.correlation`).
    relative_error : float
        ``||c kernel - rho_bar|| / ||rho_bar||`` on lags ``>= 1``.
    """

    kernel: np.ndarray
    scale: float
    correlation: float
    relative_error: float
    #: Null baselines' ``correlation`` (lags ``>= 1``): ``identity`` (no weight off lag 0:
    #: constant, NaN) and ``uniform`` (constant, NaN) carry no lag information; ``shuffled``
    #: (the kernel's lags permuted, 95th percentile over 20 permutations).
    baselines: dict = field(default_factory=dict)
    #: ``(max - min) / max |.|`` of the kernel on lags ``>= 1``.
    spread: float = math.nan

    @property
    def too_flat(self) -> bool:
        """The kernel spreads less than :data:`gpdtheory.profiles.MIN_SPREAD` on lags >= 1."""
        return not self.spread >= MIN_SPREAD

    @property
    def beats_baselines(self) -> bool:
        """``correlation`` above every finite baseline's, on a kernel that is not too flat."""
        return beats(self.correlation, self.baselines) and not self.too_flat

    def __str__(self) -> str:
        base = ", ".join(f"{k} {v:.3f}" for k, v in self.baselines.items())
        warn = (f"; WARNING: kernel too flat to judge (spread {self.spread:.0%})"
                if self.too_flat else "")
        return (f"KernelComparison: corr with r_bar (lags >= 1) {self.correlation:.3f} "
                f"(baselines: {base}; beats them: {self.beats_baselines}), rel. error "
                f"{self.relative_error:.3f}{warn}")


def compare_kernel(model, r_bar, block: int = 0, **capture) -> KernelComparison:
    """:func:`kernel_by_lag` of ``model`` against the truncated correlation ``r_bar`` ``(N,)``.

    ``capture`` (``spec`` required, ``modules``, ``data``, ``times``, ``n``, ``seed``) is
    passed to :func:`kernel_by_lag` for a model that is not a GPDiT. The profiles are
    compared after the best scale ``c``; :func:`gpdtheory.compare_models.compare_attention`
    compares them normalised to 1 at lag 0 instead.
    """
    k = kernel_by_lag(model, block, **capture)
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
    sign = -1.0 if isinstance(model, GPDiT) else 1.0
    rng = np.random.default_rng(0)
    shuffled = [correlation(sign * a[rng.permutation(a.size)], b) for _ in range(20)]
    shuffled = [v for v in shuffled if math.isfinite(v)]
    # on lags >= 1 the identity kernel (no weight off lag 0) and the uniform one are constant
    base = {"identity": math.nan, "uniform": math.nan,
            "shuffled": float(np.quantile(shuffled, 0.95)) if shuffled else math.nan}
    return KernelComparison(k, c, correlation(sign * a, b), rel, base,
                            profile_spread(sign * a))


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
    from .construct.inspect import check_model, ov_products, qk_products

    check_model(model, "its heads are not ReLU heads on the construction's token slots, so "
                "W_Q^T W_K and W_O W_V have no counterpart in the construction (and softmax "
                "attention is not invariant to rescaling them)",
                "match heads by their attention lag profiles: gpdtheory.compare_models."
                "match_heads_by_lag(compare_attention(model, spec).heads, spec)")
    qk = qk_products(model, block)  # (M, Din, Din)
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
    """Cosine ``<J1, J2>_F / (||J1|| ||J2||)`` of two Jacobians (1: same up to scale).

    :func:`gpdtheory.profiles.cosine`: NaN when a Jacobian is zero (no direction).
    """
    return cosine(J1, J2, ("J1", "J2"))


def layers_vs_gd(model, spec, X, t: float, J: int, truncation: str = "hard", **probe
                 ) -> np.ndarray:
    """Relative distance of layer ``k`` to GD iterate ``k``, ``k = 1..L``: ``(L,)``.

    GPDiT: the y slot of the state after block ``k`` (``return_all``), against
    :func:`gpdtheory.gd.gd_iterates` with the same ``J`` and ``L = model.L``; exact for
    the construction, while a looped *trained* model need not follow GD. Any other model
    (through the protocol) has no y slot: layer ``k``'s hidden state is read through a
    linear probe fitted on fresh samples
    (:func:`gpdtheory.compare_models.probe_iterates`; ``probe`` takes its ``layers``,
    ``n_train``, ``ridge`` and ``seed``), and ``L`` is the number of layers probed. A
    probe measures whether the iterate is linearly decodable from the layer, which any
    layer that keeps ``X`` decodable passes (see that function's notes).
    """
    from .gd import gd_iterates

    spec = check_spec(spec)
    if not isinstance(model, GPDiT):
        from .compare_models import probe_iterates

        return probe_iterates(model, spec, X, t, J, truncation, **probe)
    if probe:
        raise InvalidArgumentError("probe", sorted(probe), "are probe options, and a GPDiT is "
                                   "compared through its y slot, without a probe",
                                   "drop them, or probe its blocks with "
                                   "gpdtheory.compare_models.probe_iterates")
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

