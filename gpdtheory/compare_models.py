"""Compare any trained score network with the construction (docs/theory.md §§3, 5, 6, 8).

Every function takes a model through the protocol (:mod:`gpdtheory.protocol`: any
``nn.Module`` called as ``model(X, t)``, or wrapped by
:func:`~gpdtheory.protocol.as_score_model` for video layouts, diffusers calls and
noise/x0 outputs) and returns a small frozen dataclass with ``to_rows()`` (rows for a
claim table: ``{"quantity", "value", ...}``).

**One normalisation everywhere** (:mod:`gpdtheory.profiles`, re-exported here): a lag
profile ``p(0..J)`` is compared after dividing it by its value at lag 0 (``p / p[0]``;
:func:`normalise_profile`). The scale-sensitive error is the relative L2 error of the
normalised profiles, ``||p / p[0] - q / q[0]|| / ||q / q[0]||`` (:func:`profile_error`),
reported beside Pearson's correlation (:func:`gpdtheory.profiles.correlation`), which is
blind to scale and offset. The same normalisation is used by ``video.attention``
(checks/video.py).

Profiles compared:

- **attention by lag** (:func:`attention_by_lag`): attention matrices recorded by
  :func:`gpdtheory.capture.capture_attention` on noised samples ``alpha_t X_0 + sigma_t
  eps`` at a few times, averaged over samples, times, heads, layers and query positions:
  ``a[m] = mean{A[i, j] : |i - j| = m}`` (both directions);
- ``rho_bar`` (the truncated correlation, docs/theory.md §3.2);
- the **constructed kernel** (docs/theory.md §5.3): block ``k`` of the construction adds
  ``K y`` with ``K[i, j] = -eta (Gamma_bar[i, j] Sigma - 1{i=j} I)``; its lag profile is
  ``-kernel_by_lag`` (the trace over features of ``K`` averaged along diagonals) with the
  identity head removed (its ``-eta`` at lag 0 is added back: ``c[m] = eta rho_bar(m)
  tr(Sigma) / d``). It is read from the built network (:func:`gpdtheory.construct.build`),
  not from the formula.

Also: per-head profiles matched to the construction's heads (:func:`match_heads_by_lag`),
linear probes of hidden states against GD iterates (:func:`probe_layers`), the effective
linear map against ``C_t^{-1}`` and the construction's map (:func:`compare_linear_map`),
the covariance and temporal-decay errors of generated samples (:func:`sample_errors`);
the figure is :func:`gpdtheory.figures.plot_attention`. :func:`exact_kl_any` says in one
sentence why the exact KL is not defined for a non-linear model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

try:
    import torch
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from ._extras import require

    require("torch", "torch")
    raise

from .compare import nearest_kronecker
from .construct.block import full_time
from .errors import InvalidArgumentError
from .profiles import (
    MIN_SPREAD,
    NORMALISATION,
    baseline_scores,
    beats,
    correlation,
    lag_profile,
    normalise_profile,
    profile_error,
    profile_spread,
)
from .protocol import ScoreModel, as_score_model, model_name, param_like
from .schedule import check_scalar_diffusion_time
from .spec import GPSpec, check_spec
from .validation import as_rng, check_positive_int, check_positive_scalar

__all__ = ["normalise_profile", "profile_error", "lag_profile", "ProfileComparison",
           "AttentionComparison", "attention_by_module", "attention_by_lag",
           "compare_attention", "constructed_profile",
           "HeadMatching", "match_heads_by_lag", "ProbeResult", "probe_layers",
           "default_layers", "probe_iterates",
           "LinearMapComparison", "compare_linear_map", "SampleErrors", "sample_errors",
           "temporal_decay_error", "exact_kl_any", "DEFAULT_TIMES",
           "NORMALISATION"]

#: Diffusion times at which attention is recorded by default.
DEFAULT_TIMES = (0.1, 0.5, 2.0)


def _model(model, spec: GPSpec | None = None) -> ScoreModel:
    sm = as_score_model(model, N=getattr(model, "N", None) or (spec.N if spec else None),
                        d=getattr(model, "d", None) or (spec.d if spec else None)) \
        if not isinstance(model, ScoreModel) else model
    if spec is not None and (sm.N, sm.d) != (spec.N, spec.d):
        raise InvalidArgumentError("model", model_name(sm), f"has N={sm.N}, d={sm.d}, the spec "
                                   f"N={spec.N}, d={spec.d}", "pass a model built for this spec")
    return sm


@dataclass(frozen=True)
class ProfileComparison:
    """A lag profile against a reference, both normalised to 1 at lag 0.

    Attributes
    ----------
    reference : str
        ``"rho_bar"`` or ``"constructed kernel"``.
    profile, ref : (J + 1,) ndarray
        The normalised profiles.
    correlation : float
        Pearson correlation (scale-blind).
    relative_error : float
        :func:`profile_error` (scale-sensitive).
    """

    reference: str
    profile: np.ndarray
    ref: np.ndarray
    correlation: float
    relative_error: float

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"quantity": f"Pearson corr(attention by lag, {self.reference})",
                 "value": self.correlation},
                {"quantity": f"rel. L2 error of normalised profiles vs {self.reference}",
                 "value": self.relative_error, "normalisation": NORMALISATION}]


def _compare(p, ref, name: str) -> ProfileComparison:
    return ProfileComparison(name, normalise_profile(p), normalise_profile(ref),
                             correlation(p, ref), profile_error(p, ref))


@dataclass(frozen=True)
class AttentionComparison:
    """Attention by lag of a model against ``rho_bar`` and against the constructed kernel.

    Attributes
    ----------
    attention : (J + 1,) ndarray
        Raw attention by lag (:func:`attention_by_lag`).
    rho_bar, constructed : (J + 1,) ndarray
        The references (raw).
    vs_rho, vs_constructed : ProfileComparison
    heads : (heads, J + 1) ndarray
        Per-head profiles (averaged over layers when their head counts agree).
    head_corr : (heads,) ndarray
        Pearson correlation of each head's profile with ``rho_bar``.
    maps : (N, N) ndarray
        The mean attention matrix (for :func:`gpdtheory.figures.plot_attention`).
    modules : list of str
    """

    attention: np.ndarray
    rho_bar: np.ndarray
    constructed: np.ndarray
    vs_rho: ProfileComparison
    vs_constructed: ProfileComparison
    heads: np.ndarray
    head_corr: np.ndarray
    maps: np.ndarray
    modules: list[str] = field(default_factory=list)
    #: Null baselines' Pearson correlation with ``rho_bar`` (the statistic of ``vs_rho``):
    #: ``identity`` (lag 0 only), ``uniform`` (constant: NaN), ``shuffled`` (the mean map
    #: with frames permuted, 95th percentile over 20 permutations).
    baselines: dict[str, float] = field(default_factory=dict)
    #: ``(max - min) / max |.|`` of the attention profile.
    spread: float = math.nan

    @property
    def too_flat(self) -> bool:
        """The profile spreads less than :data:`gpdtheory.profiles.MIN_SPREAD`: its
        correlation carries no lag information (an untrained network's often does not)."""
        return not self.spread >= MIN_SPREAD

    @property
    def beats_baselines(self) -> bool:
        """``vs_rho.correlation`` above every baseline's, on a profile that is not too flat."""
        return beats(self.vs_rho.correlation, self.baselines) and not self.too_flat

    def __str__(self) -> str:
        base = ", ".join(f"{k} {v:.3f}" for k, v in self.baselines.items())
        warn = (f"; WARNING: profile too flat to judge (spread {self.spread:.0%} < "
                f"{MIN_SPREAD:.0%})" if self.too_flat else "")
        return (f"AttentionComparison: corr with rho_bar {self.vs_rho.correlation:.3f} "
                f"(baselines: {base}; beats them: {self.beats_baselines}), normalised "
                f"profile error {self.vs_rho.relative_error:.3f}{warn}")

    def to_rows(self) -> list[dict[str, Any]]:
        rows = self.vs_rho.to_rows() + self.vs_constructed.to_rows()
        rows += [{"quantity": "Pearson corr(baseline profile, rho_bar)", "baseline": k,
                  "value": v} for k, v in self.baselines.items()]
        rows += [{"quantity": "Pearson corr(head profile, rho_bar)", "head": h, "value": float(c)}
                 for h, c in enumerate(self.head_corr)]
        return rows


def _noised(spec: GPSpec, data, n: int, t: float, rng) -> np.ndarray:
    X0 = spec.sample(n, seed=rng) if data is None else np.asarray(data, np.float64)[:n]
    return math.exp(-t / 2) * X0 + math.sqrt(-math.expm1(-t)) * rng.standard_normal(X0.shape)


def attention_by_module(model, spec: GPSpec, *, modules=None, data=None,
                        times=DEFAULT_TIMES, n: int = 128, seed=0) -> dict[str, np.ndarray]:
    """Mean attention matrix over frames of every recorded attention module of ``model``.

    Parameters
    ----------
    model : nn.Module
        Any model through the protocol (:func:`gpdtheory.protocol.as_score_model`).
    spec : GPSpec
        Gives ``N``, ``d`` and (without ``data``) the samples.
    modules : optional
        The temporal-attention modules (see :func:`gpdtheory.capture.capture_attention`);
        every recorded module whose matrices are ``N x N`` is kept.
    data : (n, N, d) array_like, optional
        Clean samples (default: ``n`` fresh draws from ``spec``).
    times : sequence of float
        Diffusion times; the inputs are ``alpha_t X_0 + sigma_t eps`` at each.
    n : int
    seed : int or Generator

    Returns
    -------
    dict of str -> (H, N, N) ndarray
        Per module name, in recording (forward) order: the attention of each head averaged
        over samples, times and calls (softmax probabilities, or ReLU weights for the
        package's ReLU heads).

    Raises
    ------
    InvalidArgumentError
        No ``N x N`` attention was recorded (name the temporal-attention modules).
    """
    return {name: m.numpy() for name, m in _module_maps(model, spec, modules, data, times, n,
                                                         seed).items()}


def _module_maps(model, spec, modules, data, times, n, seed) -> dict[str, torch.Tensor]:
    """:func:`attention_by_module` as float64 CPU tensors (the averages are taken in torch)."""
    from .capture import capture_attention

    spec = check_spec(spec)
    sm = _model(model, spec)
    n = check_positive_int(n, "n")
    rng = as_rng(seed)
    p = param_like(sm)
    per_module: dict[str, list[torch.Tensor]] = {}
    for t in times:
        t = check_scalar_diffusion_time(t, "times[i]")
        Xt = torch.as_tensor(_noised(spec, data, n, t, rng), dtype=p.dtype, device=p.device)
        with capture_attention(sm, modules) as cap, torch.no_grad():
            sm(Xt, full_time(Xt.shape[0], t, p))
        for name in cap.names:
            for A in cap.records[name]:
                if A.shape[-1] == spec.N and A.shape[-2] == spec.N:
                    per_module.setdefault(name, []).append(A)
    if not per_module:
        raise InvalidArgumentError("modules", modules, f"recorded no {spec.N} x {spec.N} "
                                   f"attention in {model_name(sm)}",
                                   "name the temporal-attention modules (attention over frames)")
    return {name: torch.cat(v).mean(0) for name, v in per_module.items()}


def attention_by_lag(model, spec: GPSpec, *, modules=None, data=None, times=DEFAULT_TIMES,
                     n: int = 128, seed=0) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Attention of ``model`` by lag over frames, averaged over its attention modules.

    Parameters are those of :func:`attention_by_module`.

    Returns
    -------
    profile : (N,) ndarray
        :func:`~gpdtheory.profiles.lag_profile` (``mean{A[i, j] : |i - j| = m}``) of the
        attention averaged over samples, times, heads and layers.
    heads : (H, N) ndarray
        Per-head profiles (heads of equal-count layers averaged over layers).
    modules : list of str
    mean_map : (N, N) ndarray
    """
    by_module = _module_maps(model, spec, modules, data, times, n, seed)
    mats = list(by_module.values())  # each (H, N, N)
    mean_map = torch.cat(mats).mean(0).numpy()
    profile = lag_profile(mean_map)
    counts = {m.shape[0] for m in mats}
    if len(counts) == 1:
        heads = np.stack([lag_profile(h) for h in torch.stack(mats).mean(0).numpy()])
    else:
        heads = np.stack([lag_profile(h) for m in mats for h in m.numpy()])
    return profile, heads, list(by_module), mean_map


def constructed_profile(spec: GPSpec, J: int | None = None, *, truncation: str = "hard"
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The constructed kernel's lag profile and ``rho_bar``, both ``(N,)``.

    Builds the network (``L = 1``), reads ``-kernel_by_lag`` and removes the identity
    head at lag 0 (adds ``eta`` back), so the profile is ``eta rho_bar(m) tr(Sigma) / d``.
    """
    from .compare import kernel_by_lag
    from .construct import build
    from .truncation import truncated_autocovariance

    spec = check_spec(spec)
    J = spec.N - 1 if J is None else min(check_positive_int(J, "J"), spec.N - 1)
    net = build(spec, J=J, L=1, truncation=truncation)
    c = -kernel_by_lag(net)
    c[0] += float(net.construction.eta)
    return c, truncated_autocovariance(spec.r, J, truncation)


def compare_attention(model, spec: GPSpec, *, J: int | None = None, modules=None, data=None,
                      times=DEFAULT_TIMES, n: int = 128, seed=0) -> AttentionComparison:
    """Attention by lag of ``model`` against ``rho_bar`` and the constructed kernel.

    All three profiles are normalised to 1 at lag 0 (:data:`NORMALISATION`); each
    comparison reports Pearson's correlation and :func:`profile_error`.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> from gpdtheory.models import SoftmaxDiT
    >>> spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=6, Sigma=np.eye(2))
    >>> cmp = compare_attention(SoftmaxDiT(6, 2, width=16, depth=1, heads=2), spec, n=8)
    >>> cmp.attention.shape, len(cmp.to_rows())
    ((6,), 6)
    """
    spec = check_spec(spec)
    prof, heads, names, mean_map = attention_by_lag(model, spec, modules=modules, data=data,
                                                    times=times, n=n, seed=seed)
    c, r_bar = constructed_profile(spec, J)
    head_corr = np.array([correlation(h, r_bar) for h in heads])
    m = len(prof)
    rng = np.random.default_rng(0)
    M = np.asarray(mean_map, dtype=np.float64)
    shuffled = []
    if M.ndim == 2 and M.shape[0] == M.shape[1] and M.shape[0] >= m:
        for _ in range(20):
            P = rng.permutation(M.shape[0])
            shuffled.append(lag_profile(M[np.ix_(P, P)])[:m])
    return AttentionComparison(prof, r_bar, c, _compare(prof, r_bar, "rho_bar"),
                               _compare(prof, c, "constructed kernel"), heads, head_corr,
                               mean_map, names, baseline_scores(r_bar, m, shuffled),
                               profile_spread(prof))


@dataclass(frozen=True)
class HeadMatching:
    """Heads of a model matched to the construction's heads by their normalised lag profiles.

    Attributes
    ----------
    pairs : list of (int, int)
        ``(model head, constructed head)``.
    correlation : (len(pairs),) ndarray
        Pearson correlation of each matched pair's lag profiles (NaN for a constant
        profile, which is matched at the cost of an uncorrelated one).
    relative_error : (len(pairs),) ndarray
        :func:`profile_error` of each pair.
    """

    pairs: list[tuple[int, int]]
    correlation: np.ndarray
    relative_error: np.ndarray

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"quantity": "matched head corr / rel. error", "head": a, "constructed_head": b,
                 "value": float(c), "relative_error": float(e)}
                for (a, b), c, e in zip(self.pairs, self.correlation, self.relative_error,
                                        strict=True)]


def match_heads_by_lag(heads, spec: GPSpec, J: int | None = None) -> HeadMatching:
    """Match per-head lag profiles ``(H, N)`` to the constructed heads' (Hungarian, 1 - corr).

    The construction's head ``m`` has ReLU weights ``ReLU(c_k - c_{m+1})`` by lag ``k``
    (:func:`gpdtheory.construct.inspect.weights_by_lag`); heads with an all-zero profile
    are skipped. Works for any number of model heads (a rectangular assignment).
    """
    import scipy.optimize

    from .construct import build
    from .construct.inspect import weights_by_lag

    spec = check_spec(spec)
    H = np.asarray(heads, dtype=np.float64)
    if H.ndim != 2 or H.shape[1] != spec.N:
        raise InvalidArgumentError("heads", f"array of shape {H.shape}",
                                   f"is not (heads, N={spec.N})", "pass per-head lag profiles")
    J = spec.N - 1 if J is None else min(check_positive_int(J, "J"), spec.N - 1)
    W = weights_by_lag(build(spec, J=J, L=1))
    keep = np.flatnonzero(np.abs(W).max(axis=1) > 0)
    W = W[keep]
    corr_all = np.array([[correlation(h, w) for w in W] for h in H])
    # a constant profile has no correlation (NaN): it costs as much as an uncorrelated one
    cost = 1.0 - np.nan_to_num(corr_all, nan=0.0)
    rows, cols = scipy.optimize.linear_sum_assignment(cost)
    pairs = [(int(r), int(keep[c])) for r, c in zip(rows, cols, strict=True)]
    corr = np.array([corr_all[r, c] for r, c in zip(rows, cols, strict=True)])
    err = np.array([profile_error(H[r], W[c]) for r, c in zip(rows, cols, strict=True)])
    return HeadMatching(pairs, corr, err)


@dataclass(frozen=True)
class ProbeResult:
    """Linear probes from layer ``k``'s hidden state to GD iterate ``Y_k``.

    Attributes
    ----------
    layers : list of str
    r2 : (K,) ndarray
        Held-out ``R^2 = 1 - ||Y - Y_hat||^2 / ||Y - mean Y||^2`` of layer ``k`` against
        ``Y_{k+1}`` (the iterate after ``k + 1`` steps).
    r2_input : float
        The same probe fitted on the raw input ``X_t`` against ``Y_1`` (a baseline: ``Y_1 =
        eta X_t`` is linear in the input, so this is 1).
    n_train, n_test : int
    t : float
    """

    layers: list[str]
    r2: np.ndarray
    r2_input: float
    n_train: int
    n_test: int
    t: float

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"quantity": "held-out R^2 of linear probe to GD iterate", "layer": name,
                 "iterate": k + 1, "value": float(v)}
                for k, (name, v) in enumerate(zip(self.layers, self.r2, strict=True))]


def _check_ridge(ridge) -> float:
    """The probe's relative ridge: finite and ``> 0`` (it keeps the normal equations PD)."""
    return check_positive_scalar(ridge, "ridge", fix="pass a small positive float, e.g. 1e-6")


def _fit_probe(F, Y, ridge: float) -> np.ndarray:
    """Ridge least squares ``[F, 1] W ≈ Y`` (ridge ``ridge * tr(G) / p``): ``W`` ``(p + 1, q)``."""
    F = np.hstack([F, np.ones((F.shape[0], 1))])
    G = F.T @ F
    lam = ridge * np.trace(G) / G.shape[0]
    return np.linalg.solve(G + lam * np.eye(G.shape[0]), F.T @ Y)


def _apply_probe(F, W) -> np.ndarray:
    return np.hstack([F, np.ones((F.shape[0], 1))]) @ W


def _r2(F_tr, Y_tr, F_te, Y_te, ridge: float) -> float:
    res = Y_te - _apply_probe(F_te, _fit_probe(F_tr, Y_tr, ridge))
    return float(1.0 - np.sum(res**2) / np.sum((Y_te - Y_te.mean(0)) ** 2))


def _layer_features(sm: ScoreModel, layers: list[str], X: np.ndarray, t: float
                    ) -> dict[str, np.ndarray]:
    """Outputs of ``layers`` on inputs ``X`` ``(n, N, d)`` at time ``t``, as ``(n, p)`` arrays."""
    from .capture import capture_outputs

    p = param_like(sm)
    with capture_outputs(sm, layers) as cap, torch.no_grad():
        for lo in range(0, X.shape[0], 512):
            xb = torch.as_tensor(X[lo:lo + 512], dtype=p.dtype, device=p.device)
            sm(xb, full_time(xb.shape[0], t, p))
    feats = {}
    for name in layers:
        hits = [k for k in cap.records if k == name or _match(k, name)]
        if not hits:
            raise InvalidArgumentError("layers", name, "recorded no output",
                                       "name modules that run in the forward pass")
        chunks = cap.records[hits[0]]
        if len(chunks) != -(-X.shape[0] // 512):
            raise InvalidArgumentError("layers", name, f"ran {len(chunks)} times for "
                                       f"{-(-X.shape[0] // 512)} batches",
                                       "probe modules that run once per forward pass (for a "
                                       "looped GPDiT use gpdtheory.compare.layers_vs_gd)")
        F = np.concatenate([c.reshape(min(512, X.shape[0] - 512 * i), -1).numpy()
                            for i, c in enumerate(chunks)])
        if not np.all(np.isfinite(F)):
            raise InvalidArgumentError("layers", name, f"gave non-finite outputs (NaN/inf) in "
                                       f"{model_name(sm)}", "check the model's weights, or "
                                       "probe another layer")
        feats[name] = F
    return feats


def default_layers(model, spec: GPSpec | None = None) -> list[str]:
    """The layers probed when none are named: the blocks holding the attention modules.

    One forward pass (two zero inputs at ``t = 0.5``) under
    :func:`gpdtheory.capture.capture_attention` finds the attention modules, by type and
    by their calls of ``scaled_dot_product_attention``; each is mapped to its nearest
    enclosing numbered block (the ancestor-or-self whose name ends in an index, e.g.
    ``blocks.0.attn -> blocks.0``), else to itself. Names are those of the network
    (``model.net`` for a :class:`~gpdtheory.protocol.ScoreModel`), in forward order.

    Raises
    ------
    InvalidArgumentError
        The model has no attention module to capture (name the layers yourself).
    """
    from .capture import capture_attention

    sm = _model(model, spec)
    p = param_like(sm)
    X = torch.zeros(2, sm.N, sm.d, dtype=p.dtype, device=p.device)
    with capture_attention(sm) as cap, torch.no_grad():
        sm(X, full_time(2, 0.5, p))
    out: list[str] = []
    for name in cap.names:
        parts = name.split(".")
        block = next((".".join(parts[:k + 1]) for k in range(len(parts) - 1, -1, -1)
                      if parts[k].isdigit()), name)
        if block not in out:
            out.append(block)
    if not out:
        raise InvalidArgumentError("model", model_name(sm), "has no attention module to capture "
                                   "(no nn.MultiheadAttention, diffusers Attention or "
                                   "scaled_dot_product_attention call)",
                                   "name the layers to probe: layers=['blocks.0', ...]")
    return out


def _layer_list(sm: ScoreModel, spec: GPSpec, layers) -> list[str]:
    if layers is None:
        return default_layers(sm, spec)
    return [layers] if isinstance(layers, str) else list(layers)


def probe_iterates(model, spec: GPSpec, X, t: float, J: int | None = None,
                   truncation: str = "hard", *, layers=None, n_train: int = 2048,
                   ridge: float = 1e-6, seed=0) -> np.ndarray:
    """Layer ``k`` against GD iterate ``k`` at one input ``X``, through linear probes: ``(K,)``.

    The counterpart of :func:`gpdtheory.compare.layers_vs_gd` for a model without the
    construction's ``y`` slot. Probe ``k`` (ridge least squares with intercept) maps the
    output of ``layers[k - 1]`` to ``Y_k`` of :func:`gpdtheory.gd.gd_iterates` (same ``J``
    and ``truncation``); it is fitted on ``n_train`` fresh noised samples
    ``alpha_t X_0 + sigma_t eps`` of ``spec`` (never ``X``), then applied at ``X``.

    Parameters
    ----------
    model : nn.Module
        Through the protocol.
    spec : GPSpec
    X : (N, d) array_like
        The input state at time ``t``.
    t : float
    J : int, optional
        Truncation lag of the GD iterates (default ``N - 1``).
    truncation : {"hard", "taper", "shift"}
    layers : list of str, optional
        Module names or patterns in forward order (default :func:`default_layers`).
    n_train : int
    ridge : float
        Relative ridge ``> 0``: ``ridge * tr(G) / p`` is added to the normal equations.
    seed : int or Generator
        Draws the probe's training samples.

    Returns
    -------
    (K,) ndarray
        ``||probe_k(layer_k(X)) - Y_k(X)|| / ||Y_k(X)||`` for ``k = 1..K``.

    Notes
    -----
    ``Y_k`` is linear in ``X``, so a layer from which ``X`` can be decoded linearly (a
    wide, nearly invertible one, trained or not: an untrained 2-block MHA model of width
    32 on ``N = 8``, ``d = 2`` gives about 1e-3) scores near 0 at every ``k``. A small
    distance says the iterate is linearly decodable from the layer, not that the layer
    computes it; a large one says the layer lost what the iterate needs. The exact
    comparison of a GPDiT's y slot (:func:`gpdtheory.compare.layers_vs_gd`) has no such
    freedom.
    """
    from .gd import gd_iterates
    from .validation import as_real_array

    spec = check_spec(spec)
    sm = _model(model, spec)
    X = as_real_array(X, "X", ndim=2, shape=(spec.N, spec.d))
    t = check_scalar_diffusion_time(t)
    J = spec.N - 1 if J is None else J  # validated by gd_iterates
    layers = _layer_list(sm, spec, layers)
    n_train = check_positive_int(n_train, "n_train")
    ridge = _check_ridge(ridge)
    Xtr = _noised(spec, None, n_train, t, as_rng(seed))
    Xall = np.concatenate([Xtr, X[None]])
    Y = gd_iterates(spec, Xall, t, J, len(layers), truncation, return_all=True)
    feats = _layer_features(sm, layers, Xall, t)
    out = []
    for k, name in enumerate(layers, start=1):
        Yk = Y[k].reshape(Xall.shape[0], -1)
        W = _fit_probe(feats[name][:n_train], Yk[:n_train], ridge)
        pred = _apply_probe(feats[name][n_train:], W)[0]
        out.append(np.linalg.norm(pred - Yk[n_train]) / max(np.linalg.norm(Yk[n_train]), 1e-300))
    out = np.array(out)
    if not np.all(np.isfinite(out)):
        raise InvalidArgumentError("X", "input", "gives a relative distance that is not "
                                   "finite (a GD iterate of norm ~0 at X, or an ill-conditioned "
                                   "probe)", "pass a non-zero X, or a larger ridge")
    return out


def probe_layers(model, spec: GPSpec, layers=None, *, J: int | None = None, t: float = 0.5,
                 n_train: int = 2048, n_test: int = 512, ridge: float = 1e-6, seed=0
                 ) -> ProbeResult:
    """Layer ``k``'s hidden state against GD iterate ``k + 1`` through a linear probe.

    Parameters
    ----------
    model : nn.Module
        Through the protocol.
    spec : GPSpec
    layers : list of str, optional
        Module names (or patterns) in forward order (default :func:`default_layers`, the
        blocks holding the attention modules): the output of ``layers[k]`` is probed
        against ``Y_{k+1}`` of :func:`gpdtheory.gd.gd_iterates` (same ``J``). Each must run
        once per forward pass with a batch-major output (a looped GPDiT's one block runs
        ``L`` times: probe its ``return_all`` iterates with
        :func:`gpdtheory.compare.layers_vs_gd` instead).
    J : int, optional
        Truncation lag of the GD iterates (default ``N - 1``).
    t : float
    n_train, n_test : int
        Samples for fitting (least squares, ridge ``ridge * tr(G) / p``) and for the
        held-out ``R^2`` (fresh samples, never used in the fit).
    seed : int or Generator

    Returns
    -------
    ProbeResult
    """
    from .gd import gd_iterates

    spec = check_spec(spec)
    sm = _model(model, spec)
    t = check_scalar_diffusion_time(t)
    J = spec.N - 1 if J is None else min(check_positive_int(J, "J"), spec.N - 1)
    layers = _layer_list(sm, spec, layers)
    n_train, n_test = check_positive_int(n_train, "n_train"), check_positive_int(n_test, "n_test")
    ridge = _check_ridge(ridge)
    rng = as_rng(seed)
    X = _noised(spec, None, n_train + n_test, t, rng)
    Y = gd_iterates(spec, X, t, J, len(layers), return_all=True)  # (K + 1, n, N, d)
    feats = _layer_features(sm, layers, X, t)
    r2 = []
    for k, name in enumerate(layers):
        Fm = feats[name]
        Yk = Y[k + 1].reshape(X.shape[0], -1)
        r2.append(_r2(Fm[:n_train], Yk[:n_train], Fm[n_train:], Yk[n_train:], ridge))
    Xf = X.reshape(X.shape[0], -1)
    Y1 = Y[1].reshape(X.shape[0], -1)
    base = _r2(Xf[:n_train], Y1[:n_train], Xf[n_train:], Y1[n_train:], ridge)
    return ProbeResult(layers, np.array(r2), base, n_train, n_test, t)


def _match(name: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(name, pattern)


@dataclass(frozen=True)
class LinearMapComparison:
    """The model's effective linear map at ``X = 0`` against ``C_t^{-1}`` and the construction.

    Attributes
    ----------
    t : float
    A : (Nd, Nd) ndarray
        ``-d s_theta / d vec X`` at ``X = 0`` (``torch.func.jacrev``).
    error_exact : float
        ``||A - C_t^{-1}||_F / ||C_t^{-1}||_F``.
    error_constructed : float
        ``||A - A_constructed||_F / ||A_constructed||_F``.
    cosine_exact, kron_corr_exact : float
        Cosine with ``C_t^{-1}``; correlation of the temporal nearest-Kronecker factors.
        Both NaN for a zero map (a zero-initialised output layer): it has no direction.
    """

    t: float
    A: np.ndarray
    error_exact: float
    error_constructed: float
    cosine_exact: float
    kron_corr_exact: float
    #: Null baselines' ``error_exact`` (the same statistic): ``time-ignoring`` (the exact
    #: score of independent frames, ``I_N ⊗ (alpha_t^2 Sigma + sigma_t^2 I)^{-1}``) and
    #: ``zero`` (the zero map, error 1).
    baselines: dict[str, float] = field(default_factory=dict)

    @property
    def beats_baselines(self) -> bool:
        """``error_exact`` below every baseline's."""
        return bool(all(self.error_exact < v for v in self.baselines.values()))

    def __str__(self) -> str:
        base = ", ".join(f"{k} {v:.3f}" for k, v in self.baselines.items())
        return (f"LinearMapComparison at t={self.t:g}: rel. error vs C_t^-1 "
                f"{self.error_exact:.4f} (baselines: {base}; beats them: "
                f"{self.beats_baselines}), vs constructed {self.error_constructed:.4f}")

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"quantity": "rel. error of linear map vs C_t^-1", "t": self.t,
                 "value": self.error_exact},
                {"quantity": "rel. error of linear map vs constructed map", "t": self.t,
                 "value": self.error_constructed},
                {"quantity": "cosine(linear map, C_t^-1)", "t": self.t, "value": self.cosine_exact},
                {"quantity": "corr of temporal Kronecker factors vs C_t^-1", "t": self.t,
                 "value": self.kron_corr_exact}] + [
                {"quantity": "rel. error of baseline map vs C_t^-1", "baseline": k,
                 "t": self.t, "value": v} for k, v in self.baselines.items()]


def compare_linear_map(model, spec: GPSpec, t: float, *, J: int | None = None, L: int = 50
                       ) -> LinearMapComparison:
    """Jacobian of the score at ``X = 0`` against ``C_t^{-1}`` and the constructed ``A_t``.

    The constructed network is :func:`gpdtheory.construct.build` with ``J`` (default
    ``N - 1``) and ``L`` blocks; its map is exact (it is linear).
    """
    from .compare import jacobian, jacobian_cosine, kronecker_correlation
    from .construct import build
    from .construct.inspect import end_to_end_map
    from .diffusion import marginal_covariance

    spec = check_spec(spec)
    sm = _model(model, spec)
    t = check_scalar_diffusion_time(t)
    J = spec.N - 1 if J is None else min(check_positive_int(J, "J"), spec.N - 1)
    A = -jacobian(sm, np.zeros((spec.N, spec.d)), t)
    Cinv = np.linalg.inv(marginal_covariance(spec, t))
    Ac = end_to_end_map(build(spec, J=J, L=check_positive_int(L, "L")), t)
    a2, s2 = math.exp(-t), -math.expm1(-t)
    A0 = np.kron(np.eye(spec.N), np.linalg.inv(a2 * np.asarray(spec.Sigma, dtype=np.float64)
                                               + s2 * np.eye(spec.d)))
    nC = np.linalg.norm(Cinv)
    return LinearMapComparison(t, A, float(np.linalg.norm(A - Cinv) / nC),
                               float(np.linalg.norm(A - Ac) / np.linalg.norm(Ac)),
                               jacobian_cosine(A, Cinv),
                               kronecker_correlation(A, Cinv, spec.N, spec.d),
                               {"time-ignoring": float(np.linalg.norm(A0 - Cinv) / nC),
                                "zero": 1.0})


def temporal_decay_error(samples, spec: GPSpec) -> tuple[float, np.ndarray]:
    """Relative error of the temporal decay of ``samples`` ``(n, N, d)`` against ``rho``.

    The temporal factor ``A`` of the nearest Kronecker product ``A ⊗ B`` to the samples'
    covariance (:func:`gpdtheory.compare.nearest_kronecker`) is averaged along diagonals
    (:func:`lag_profile`) and compared with ``rho(0..N-1)`` by :func:`profile_error`
    (both normalised to 1 at lag 0).

    Returns
    -------
    error : float
    profile : (N,) ndarray
        The normalised lag profile of the samples.
    """
    spec = check_spec(spec)
    Y = np.asarray(samples, dtype=np.float64)
    V = (Y - spec.mean_array).reshape(Y.shape[0], -1)
    S = V.T @ V / V.shape[0]
    A, _, _ = nearest_kronecker(S, (spec.N, spec.N), (spec.d, spec.d))
    prof = lag_profile(A)
    return profile_error(prof, spec.r), normalise_profile(prof)


@dataclass(frozen=True)
class SampleErrors:
    """Errors of ``n`` generated samples.

    Attributes
    ----------
    covariance_error : float
        ``||Cov_hat - Gamma ⊗ Sigma||_F / ||Gamma ⊗ Sigma||_F``.
    temporal_decay_error : float
        :func:`temporal_decay_error`.
    profile : (N,) ndarray
        The samples' normalised temporal lag profile.
    data_decay_error : float
        The same estimator on ``n`` exact samples of ``spec`` (its Monte Carlo floor).
    n : int
    """

    covariance_error: float
    temporal_decay_error: float
    profile: np.ndarray
    data_decay_error: float
    n: int

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"quantity": "covariance rel. error of samples", "n": self.n,
                 "value": self.covariance_error},
                {"quantity": "temporal-decay rel. error of samples", "n": self.n,
                 "value": self.temporal_decay_error, "normalisation": NORMALISATION,
                 "data_floor": self.data_decay_error}]


def generate(model, spec: GPSpec, n: int, *, T: float = 6.0, t0: float = 1e-2, steps: int = 60,
             seed=0) -> np.ndarray:
    """``n`` samples ``(n, N, d)`` of the reverse SDE (exponential integrator) driven by a model."""
    from .sampling import reverse_sample

    spec = check_spec(spec)
    sm = _model(model, spec)
    p = param_like(sm)

    @torch.no_grad()
    def fn(y, t):
        y_t = torch.as_tensor(y, dtype=p.dtype, device=p.device)
        return sm(y_t, full_time(y_t.shape[0], t, p)).double().cpu().numpy()

    return reverse_sample(fn, check_positive_int(n, "n"), spec.N, spec.d, T=T, t0=t0,
                          steps=steps, seed=seed)


def sample_errors(model, spec: GPSpec, n: int = 2000, *, T: float = 6.0, t0: float = 1e-2,
                  steps: int = 60, seed=0) -> SampleErrors:
    """Covariance and temporal-decay errors of ``n`` samples generated with ``model``."""
    spec = check_spec(spec)
    Y = generate(model, spec, n, T=T, t0=t0, steps=steps, seed=seed)
    V = (Y - spec.mean_array).reshape(n, -1)
    C = spec.covariance_dense()
    cov = float(np.linalg.norm(V.T @ V / n - C) / np.linalg.norm(C))
    err, prof = temporal_decay_error(Y, spec)
    floor, _ = temporal_decay_error(spec.sample(n, seed=as_rng(seed)), spec)
    return SampleErrors(cov, err, prof, floor, n)


def exact_kl_any(model, spec: GPSpec, T: float, t0: float) -> float:
    """``KL(p_t0 || q_t0)`` in closed form: only for a model linear in ``X``.

    Raises
    ------
    InvalidArgumentError
        For any other model, with the one-sentence reason.
    """
    from .evaluate import exact_kl, is_linear

    if isinstance(model, ScoreModel):
        model = model.net
    if not is_linear(model):
        raise InvalidArgumentError(
            "model", model_name(model),
            "is not linear in X, so the reverse SDE it drives does not output a Gaussian and "
            "the closed-form KL of docs/theory.md §6.2 does not exist",
            "compare generated samples with sample_errors (covariance and temporal decay)")
    return exact_kl(model, spec, T, t0)
