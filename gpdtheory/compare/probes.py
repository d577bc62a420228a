"""Linear probes of a model's hidden states against GD iterates (docs/theory.md §§3.1, 8).

A model without the construction's y slot is compared with GD layer by layer through
linear probes: probe ``k`` maps the output of layer ``k`` to GD iterate ``Y_k`` of
:func:`gpdtheory.gd.gd_iterates`. ``Y_k`` is linear in the input, so a probe measures
whether the iterate is *linearly decodable* from the layer, which any layer that keeps
``X`` decodable passes; :class:`ProbeResult` therefore reports the raw input probed the
same way as its baseline.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._torch import torch
from ..capture import capture_attention, capture_outputs
from ..construct.block import full_time
from ..errors import InvalidArgumentError
from ..gd import gd_iterates
from ..protocol import ScoreModel, model_name, param_like
from ..schedule import check_scalar_diffusion_time
from ..spec import GPSpec, check_spec
from ..validation import as_real_array, as_rng, check_positive_int, check_positive_scalar
from .recording import noised, recorded_model
from .summary import Summarised

__all__ = ["ProbeResult", "probe_layers", "default_layers", "probe_iterates"]

#: Inputs per forward pass while recording layer outputs (bounds the memory of a batch).
CHUNK = 512
#: A baseline ``R^2`` within this of 1 leaves no room to beat it: the probes cannot judge.
SATURATION = 1e-3


@dataclass(frozen=True, repr=False)
class ProbeResult(Summarised):
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
    #: Null baseline of the last layer's ``R^2`` (same statistic, same target ``Y_K``):
    #: ``input``, the raw input ``X_t`` probed against ``Y_K``. Every iterate is linear in
    #: ``X_t``, so it is 1 up to the ridge: a layer cannot beat it, only match it.
    baselines: dict[str, float] = field(default_factory=dict)

    @property
    def saturated(self) -> bool:
        """A baseline's ``R^2`` is within :data:`SATURATION` of 1: nothing can beat it."""
        return any(v > 1.0 - SATURATION for v in self.baselines.values())

    @property
    def beats_baselines(self) -> bool:
        """The last layer's ``R^2`` above every finite baseline's, which is not saturated."""
        finite = [v for v in self.baselines.values() if np.isfinite(v)]
        return bool(self.r2.size and np.isfinite(self.r2[-1]) and not self.saturated
                    and all(self.r2[-1] > v for v in finite))

    def __str__(self) -> str:
        base = ", ".join(f"{k} {v:.4f}" for k, v in self.baselines.items())
        r2 = ", ".join(f"{v:.4f}" for v in self.r2[:8]) + (", ..." if self.r2.size > 8 else "")
        warn = ("; WARNING: the raw input already decodes the iterate (R^2 ~ 1), so a probe "
                "cannot tell a layer that computes it from one that keeps X"
                if self.saturated else "")
        return (f"ProbeResult at t={self.t:g} ({self.n_train} train / {self.n_test} test): "
                f"held-out R^2 by layer [{r2}] (baselines: {base}; beats them: "
                f"{self.beats_baselines}){warn}")

    def to_rows(self) -> list[dict[str, Any]]:
        rows = [{"quantity": "held-out R^2 of linear probe to GD iterate", "layer": name,
                 "iterate": k + 1, "value": float(v)}
                for k, (name, v) in enumerate(zip(self.layers, self.r2, strict=True))]
        return rows + [{"quantity": "held-out R^2 of baseline probe to GD iterate",
                        "baseline": k, "iterate": len(self.layers), "value": v}
                       for k, v in self.baselines.items()]


def _check_ridge(ridge) -> float:
    """The probe's relative ridge: finite and ``> 0`` (it keeps the normal equations PD)."""
    return check_positive_scalar(ridge, "ridge", fix="pass a small positive float, e.g. 1e-6")


def _fit_probe(F, Y, ridge: float) -> np.ndarray:
    """Ridge least squares ``[F, 1] W ≈ Y`` (ridge ``ridge * tr(G) / p``): ``W`` ``(p + 1, q)``."""
    F = np.hstack([F, np.ones((F.shape[0], 1))])
    G = F.T @ F
    try:
        if ridge <= 1.0:
            lam = ridge * np.trace(G) / G.shape[0]
            return np.linalg.solve(G + lam * np.eye(G.shape[0]), F.T @ Y)
        # the same equations divided by ridge * scale, which may exceed float64 (any finite
        # ridge is accepted): W tends to 0 as the ridge grows, and nothing overflows
        scale = np.trace(G) / G.shape[0]
        return np.linalg.solve((G / scale) / ridge + np.eye(G.shape[0]),
                               (F.T @ Y / scale) / ridge)
    except np.linalg.LinAlgError:
        # a ridge below the round-off of G (about eps p of it) adds nothing in float64: with
        # fewer samples than features the equations are then exactly singular
        raise InvalidArgumentError(
            "ridge", ridge, f"is too small for {F.shape[0]} training samples of "
            f"{G.shape[0] - 1} features: the probe's normal equations are singular in float64",
            "pass a larger ridge (e.g. 1e-6) or a larger n_train") from None


def _apply_probe(F, W) -> np.ndarray:
    return np.hstack([F, np.ones((F.shape[0], 1))]) @ W


def _r2(F_tr, Y_tr, F_te, Y_te, ridge: float) -> float:
    res = Y_te - _apply_probe(F_te, _fit_probe(F_tr, Y_tr, ridge))
    return float(1.0 - np.sum(res**2) / np.sum((Y_te - Y_te.mean(0)) ** 2))


def _layer_features(sm: ScoreModel, layers: list[str], X: np.ndarray, t: float
                    ) -> dict[str, np.ndarray]:
    """Outputs of ``layers`` on inputs ``X`` ``(n, N, d)`` at time ``t``, as ``(n, p)`` arrays."""
    p = param_like(sm)
    n = X.shape[0]
    batches = -(-n // CHUNK)
    with capture_outputs(sm, layers) as cap, torch.no_grad():
        for lo in range(0, n, CHUNK):
            xb = torch.as_tensor(X[lo:lo + CHUNK], dtype=p.dtype, device=p.device)
            sm(xb, full_time(xb.shape[0], t, p))
    feats = {}
    for name in layers:
        hits = [k for k in cap.records if k == name or fnmatch.fnmatchcase(k, name)]
        if not hits:
            raise InvalidArgumentError("layers", name, "recorded no output",
                                       "name modules that run in the forward pass")
        chunks = cap.records[hits[0]]
        if len(chunks) != batches:
            raise InvalidArgumentError("layers", name, f"ran {len(chunks)} times for "
                                       f"{batches} batches",
                                       "probe modules that run once per forward pass (for a "
                                       "looped GPDiT use gpdtheory.compare.layers_vs_gd)")
        F = np.concatenate([c.reshape(min(CHUNK, n - CHUNK * i), -1).numpy()
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
    sm = recorded_model(model, spec)
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


def probe_distances(model, spec: GPSpec, X: np.ndarray, t: float, J: int, truncation: str,
                    *, layers=None, n_train: int = 2048, ridge: float = 1e-6, seed=0
                    ) -> np.ndarray:
    """:func:`probe_iterates` on a batch ``X`` ``(n, N, d)`` (validated by the caller):
    ``||probe_k(layer_k(X)) - Y_k(X)||_F / ||Y_k(X)||_F`` over the whole batch, ``(K,)``."""
    sm = recorded_model(model, spec)
    layers = _layer_list(sm, spec, layers)
    n_train = check_positive_int(n_train, "n_train")
    ridge = _check_ridge(ridge)
    Xtr = noised(spec, None, n_train, t, as_rng(seed))
    Xall = np.concatenate([Xtr, X])
    Y = gd_iterates(spec, Xall, t, J, len(layers), truncation, return_all=True)
    feats = _layer_features(sm, layers, Xall, t)
    out = []
    for k, name in enumerate(layers, start=1):
        Yk = Y[k].reshape(Xall.shape[0], -1)
        W = _fit_probe(feats[name][:n_train], Yk[:n_train], ridge)
        pred = _apply_probe(feats[name][n_train:], W)
        out.append(np.linalg.norm(pred - Yk[n_train:])
                   / max(np.linalg.norm(Yk[n_train:]), 1e-300))
    out = np.array(out)
    if not np.all(np.isfinite(out)):
        raise InvalidArgumentError("X", "input", "gives a relative distance that is not "
                                   "finite (a GD iterate of norm ~0 at X, or an ill-conditioned "
                                   "probe)", "pass a non-zero X, or a larger ridge")
    return out


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
        Through the protocol (only hidden states are read: no output convention needed).
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
    spec = check_spec(spec)
    X = as_real_array(X, "X", ndim=2, shape=(spec.N, spec.d))
    t = check_scalar_diffusion_time(t)
    J = spec.N - 1 if J is None else J  # validated by gd_iterates
    return probe_distances(model, spec, X[None], t, J, truncation, layers=layers,
                           n_train=n_train, ridge=ridge, seed=seed)


def probe_layers(model, spec: GPSpec, layers=None, *, J: int | None = None, t: float = 0.5,
                 n_train: int = 2048, n_test: int = 512, ridge: float = 1e-6, seed=0
                 ) -> ProbeResult:
    """Layer ``k``'s hidden state against GD iterate ``k + 1`` through a linear probe.

    Parameters
    ----------
    model : nn.Module
        Through the protocol (only hidden states are read: no output convention needed).
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
        With the raw input's ``R^2`` against the last iterate as its baseline.
    """
    spec = check_spec(spec)
    sm = recorded_model(model, spec)
    t = check_scalar_diffusion_time(t)
    J = spec.N - 1 if J is None else min(check_positive_int(J, "J"), spec.N - 1)
    layers = _layer_list(sm, spec, layers)
    n_train, n_test = check_positive_int(n_train, "n_train"), check_positive_int(n_test, "n_test")
    ridge = _check_ridge(ridge)
    rng = as_rng(seed)
    X = noised(spec, None, n_train + n_test, t, rng)
    Y = gd_iterates(spec, X, t, J, len(layers), return_all=True)  # (K + 1, n, N, d)
    feats = _layer_features(sm, layers, X, t)
    r2 = []
    for k, name in enumerate(layers):
        Fm = feats[name]
        Yk = Y[k + 1].reshape(X.shape[0], -1)
        r2.append(_r2(Fm[:n_train], Yk[:n_train], Fm[n_train:], Yk[n_train:], ridge))
    Xf = X.reshape(X.shape[0], -1)
    Y1 = Y[1].reshape(X.shape[0], -1)
    YK = Y[len(layers)].reshape(X.shape[0], -1)
    base = _r2(Xf[:n_train], Y1[:n_train], Xf[n_train:], Y1[n_train:], ridge)
    last = _r2(Xf[:n_train], YK[:n_train], Xf[n_train:], YK[n_train:], ridge)
    return ProbeResult(layers, np.array(r2), base, n_train, n_test, t, {"input": last})
