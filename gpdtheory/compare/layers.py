"""Layer ``k`` of a model against gradient-descent iterate ``k`` (docs/theory.md §§3.1, 8).

:func:`layers_vs_gd` is the reader (the ``(L,)`` distances at one input);
:func:`compare_layers` is the judged comparison: per-layer distances on a batch, the final
layer's distance to GD's ``L``-th iterate on the scale of the exact score, the same
statistic for null scores (:mod:`gpdtheory.compare.nulls`), and the interval the triangle
inequality allows any score (:class:`LayersComparison`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import numpy as np

from .._torch import torch
from ..construct.block import GPDiT, full_time
from ..diffusion import score as exact_score
from ..errors import InvalidArgumentError
from ..gd import gd_iterates
from ..protocol import param_like
from ..schedule import check_scalar_diffusion_time
from ..spec import GPSpec, check_model_fits_spec, check_spec
from ..validation import as_real_array, as_rng, check_positive_int
from .nulls import time_ignoring_iterate
from .probes import CHUNK, probe_distances, probe_iterates
from .recording import noised, score_model
from .summary import Summarised

__all__ = ["layers_vs_gd", "LayersComparison", "compare_layers"]

#: Norms below this are treated as zero when dividing (an all-zero iterate or score).
_TINY = 1e-300


def _check_gpdit(model: GPDiT, spec: GPSpec, probe: dict) -> GPDiT:
    if probe:
        raise InvalidArgumentError("probe", sorted(probe), "are probe options, and a GPDiT is "
                                   "compared through its y slot, without a probe",
                                   "drop them, or probe its blocks with "
                                   "gpdtheory.compare.probe_iterates")
    check_model_fits_spec(model, spec)
    return model


def _y_slots(model: GPDiT, X: np.ndarray, t: float) -> np.ndarray:
    """The y slot after every block on a batch ``X`` ``(n, N, d)``: ``(L + 1, n, N, d)``."""
    p = next(model.parameters())
    with torch.no_grad():
        ys = model(torch.as_tensor(X, dtype=p.dtype, device=p.device),
                   full_time(X.shape[0], t, p), return_all=True)
    return ys.double().cpu().numpy()


def _distances(ys: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """``||ys[k] - ref[k]||_F / ||ref[k]||_F`` for ``k = 1..L``."""
    return np.array([np.linalg.norm(ys[k] - ref[k]) / max(np.linalg.norm(ref[k]), _TINY)
                     for k in range(1, ys.shape[0])])


def layers_vs_gd(model, spec, X, t: float, J: int, truncation: str = "hard", **probe
                 ) -> np.ndarray:
    """Relative distance of layer ``k`` to GD iterate ``k``, ``k = 1..L``: ``(L,)``.

    A reader: it returns the distances and judges nothing. :func:`compare_layers` is the
    judged version (a batch of inputs, null baselines, the triangle-inequality interval).

    GPDiT: the y slot of the state after block ``k`` (``return_all``), against
    :func:`gpdtheory.gd.gd_iterates` with the same ``J`` and ``L = model.L``; exact for
    the construction, while a looped *trained* model need not follow GD. Any other model
    (through the protocol) has no y slot: layer ``k``'s hidden state is read through a
    linear probe fitted on fresh samples
    (:func:`gpdtheory.compare.probe_iterates`; ``probe`` takes its ``layers``,
    ``n_train``, ``ridge`` and ``seed``), and ``L`` is the number of layers probed. A
    probe measures whether the iterate is linearly decodable from the layer, which any
    layer that keeps ``X`` decodable passes (see that function's notes).
    """
    spec = check_spec(spec)
    if not isinstance(model, GPDiT):
        return probe_iterates(model, spec, X, t, J, truncation, **probe)
    model = _check_gpdit(model, spec, probe)
    X = as_real_array(X, "X", ndim=2, shape=(spec.N, spec.d))
    t = check_scalar_diffusion_time(t)
    ys = _y_slots(model, X[None], t)[:, 0]  # (L + 1, N, d)
    ref = gd_iterates(spec, X, t, J, model.L, truncation, return_all=True)
    return _distances(ys, ref)


@dataclass(frozen=True, repr=False)
class LayersComparison(Summarised):
    """A model's layers against GD's iterates, its output against null scores.

    With ``y`` the model's output in the sign of GD's iterates (``y = -s_theta``; the y
    slot of a GPDiT), ``Y_k`` GD iterate ``k`` and ``Y* = -s*`` (the exact score), all
    on the same inputs and with Frobenius norms over the whole batch:

    Attributes
    ----------
    distances : (L,) ndarray
        ``||y_k - Y_k||_F / ||Y_k||_F``, ``k = 1..L``: a GPDiT's y slot after block ``k``
        (exact), or layer ``k`` through a linear probe (:func:`probe_iterates`).
    final : float
        ``||y - Y_L||_F / ||Y*||_F``: the output's distance to GD's ``L``-th iterate on the
        scale of the exact score (the judged statistic).
    score_error : float
        ``e = ||y - Y*||_F / ||Y*||_F``, the output's relative error.
    gd_error : float
        ``e_GD(L) = ||Y_L - Y*||_F / ||Y*||_F``, GD's own relative error after ``L`` steps.
    baselines : dict of str -> float
        ``final`` of null scores on the same inputs: ``time-ignoring`` (``y = (I_N ⊗
        (alpha_t^2 Sigma + sigma_t^2 I)^{-1}) vec X``), ``zero`` (``y = 0``, so
        ``||Y_L|| / ||Y*||``) and, when given, ``untrained`` (the user's model at
        initialisation).
    t : float
    J, L, n : int
        GD's truncation lag and steps; the number of inputs.
    via : str
        ``"y slot"`` (GPDiT) or ``"probe"`` (any other model).
    """

    distances: np.ndarray
    final: float
    score_error: float
    gd_error: float
    baselines: dict[str, float] = field(default_factory=dict)
    t: float = math.nan
    J: int = 0
    L: int = 0
    n: int = 0
    via: str = "y slot"

    @property
    def bounds(self) -> tuple[float, float]:
        """``(|e_GD(L) - e|, e_GD(L) + e)``: where the triangle inequality puts ``final``."""
        return abs(self.gd_error - self.score_error), self.gd_error + self.score_error

    @property
    def gd_far_from_score(self) -> bool:
        """GD's ``L``-th iterate is farther from the exact score than the model's output.

        Then ``final >= e_GD(L) - e > 0`` whatever route the model takes, and a null score
        whose error lies between the two can be closer to ``Y_L``: beating the baselines
        at tracking GD's iterate is not expected of a model better than ``L`` GD steps.
        """
        return self.gd_error > self.score_error

    @property
    def beats_baselines(self) -> bool:
        """``final`` below every finite baseline's (closer to GD's ``L``-th iterate)."""
        finite = [v for v in self.baselines.values() if math.isfinite(v)]
        return bool(math.isfinite(self.final) and all(self.final < v for v in finite))

    def __str__(self) -> str:
        base = ", ".join(f"{k} {v:.4f}" for k, v in self.baselines.items())
        lo, hi = self.bounds
        note = (f"; NOTE: GD's iterate is farther from the score (e_GD(L) {self.gd_error:.4f})"
                f" than the model (e {self.score_error:.4f}), so any such score sits "
                f"{lo:.4f}..{hi:.4f} from it: beating the baselines is not expected"
                if self.gd_far_from_score else "")
        worst = float(np.max(self.distances)) if self.distances.size else math.nan
        return (f"LayersComparison at t={self.t:g} (J={self.J}, L={self.L}, n={self.n}, "
                f"{self.via}): max_k layer distance {worst:.4f}; ||y - Y_L|| / ||Y*|| "
                f"{self.final:.4f} (baselines: {base}; beats them: {self.beats_baselines})"
                f"{note}")

    def to_rows(self) -> list[dict[str, Any]]:
        rows = [{"quantity": "||y_k - Y_k||_F / ||Y_k||_F", "k": k, "via": self.via,
                 "t": self.t, "value": float(v)} for k, v in enumerate(self.distances, 1)]
        lo, hi = self.bounds
        rows += [{"quantity": "||y_L - Y_L||_F / ||Y*||_F", "k": self.L, "t": self.t,
                  "n": self.n, "value": self.final, "triangle_low": lo, "triangle_high": hi},
                 {"quantity": "||y_L - Y*||_F / ||Y*||_F", "t": self.t, "n": self.n,
                  "value": self.score_error},
                 {"quantity": "||Y_L - Y*||_F / ||Y*||_F (GD)", "t": self.t, "n": self.n,
                  "value": self.gd_error}]
        return rows + [{"quantity": "||y_L - Y_L||_F / ||Y*||_F (baseline)", "baseline": k,
                        "t": self.t, "n": self.n, "value": v}
                       for k, v in self.baselines.items()]


def _inputs(spec: GPSpec, X, t: float, seed) -> np.ndarray:
    """``X`` as a batch ``(n, N, d)``; an int ``n`` draws ``n`` noised samples of ``spec``."""
    if isinstance(X, Integral) and not isinstance(X, bool):
        return noised(spec, None, check_positive_int(X, "X"), t, as_rng(seed))
    X = as_real_array(X, "X", min_ndim=2, shape=(spec.N, spec.d))
    if X.ndim > 3:
        raise InvalidArgumentError("X", f"array of shape {X.shape}", "is not (N, d) or (n, N, d)",
                                   "pass one input, a batch of inputs, or an int n to draw n "
                                   "noised samples")
    return X[None] if X.ndim == 2 else X


def _output_iterate(model, spec: GPSpec, X: np.ndarray, t: float) -> np.ndarray:
    """``-s_theta(X, t)`` on a batch ``(n, N, d)``, through the protocol (the score is read,
    so the output convention must be stated or detected)."""
    sm = score_model(model, spec)
    p = param_like(sm)
    out = []
    with torch.no_grad():
        for lo in range(0, X.shape[0], CHUNK):
            xb = torch.as_tensor(X[lo:lo + CHUNK], dtype=p.dtype, device=p.device)
            out.append(-sm(xb, full_time(xb.shape[0], t, p)).double().cpu().numpy())
    return np.concatenate(out)


def compare_layers(model, spec: GPSpec, X, t: float, J: int, *, truncation: str = "hard",
                   untrained=None, seed=0, **probe) -> LayersComparison:
    """Layers of ``model`` against GD's iterates, and its output against null scores.

    Parameters
    ----------
    model : nn.Module
        A GPDiT (its y slot after every block is read exactly, ``L = model.L``), or any
        model through the protocol (layer ``k`` through a linear probe; ``L`` layers
        probed). Its output is read as a score: a network that predicts the noise or
        ``x0`` is wrapped with :func:`gpdtheory.protocol.as_score_model` first.
    spec : GPSpec
    X : (N, d) or (n, N, d) array_like, or int
        Inputs at time ``t``; an int ``n`` draws ``n`` noised samples ``alpha_t X_0 +
        sigma_t eps`` of ``spec`` (``seed``).
    t : float
        Diffusion time.
    J : int
        Truncation lag of GD (:func:`gpdtheory.gd.gd_iterates`, with ``truncation``).
    truncation : {"hard", "taper", "shift"}
    untrained : nn.Module, optional
        The same architecture at initialisation (e.g. :func:`gpdtheory.models.matching_model`
        with the training seed): its output becomes the ``untrained`` baseline.
    seed : int or Generator
        Draws the inputs when ``X`` is an int.
    **probe
        ``layers``, ``n_train``, ``ridge``, ``seed`` of the probes, for a model that is not
        a GPDiT (an error for a GPDiT, which needs none).

    Returns
    -------
    LayersComparison

    Notes
    -----
    Write ``y = -s_theta(X, t)``, ``Y* = -s*(X, t) = C_t^{-1} vec(X - alpha_t mu)`` and
    ``Y_L`` for GD's ``L``-th iterate (docs/theory.md §3.1; ``Y_L -> Y*`` as ``L`` grows
    when ``J >= N - 1``). For any score with relative error ``e = ||y - Y*|| / ||Y*||``,
    the triangle inequality gives

        ``|e_GD(L) - e| <= ||y - Y_L|| / ||Y*|| <= e_GD(L) + e``,

    ``e_GD(L) = ||Y_L - Y*|| / ||Y*||``. The construction follows GD exactly (``final`` at
    round-off, below every baseline). A *trained* loop is fitted at its output only: its
    intermediate y slots are not in the loss, and when it is closer to the score than
    ``L`` GD steps are (``e < e_GD(L)``, :attr:`LayersComparison.gd_far_from_score`) its
    ``final`` is about ``e_GD(L)``, which a time-ignoring score with ``e_0`` between ``e``
    and ``e_GD(L)`` can undercut: beating the time-ignoring baseline at tracking GD's
    iterate is then not expected, and its failure says the loop solves for the score by
    another route than GD's iterates (docs/theory.md §8.2). The statistic is decisive where
    ``e_GD(L)`` is small (GD has converged) or the model's error is large.

    Examples
    --------
    >>> import numpy as np, gpdtheory as gp
    >>> from gpdtheory.construct import build
    >>> spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), N=5, Sigma=np.eye(2))
    >>> cmp = compare_layers(build(spec, J=4, L=6), spec, 8, 0.5, 4)
    >>> bool(cmp.final < 1e-10 and cmp.beats_baselines), cmp.distances.shape
    (True, (6,))
    """
    spec = check_spec(spec)
    t = check_scalar_diffusion_time(t)
    Xb = _inputs(spec, X, t, seed)
    if isinstance(model, GPDiT):
        model = _check_gpdit(model, spec, probe)
        ys = _y_slots(model, Xb, t)
        L = model.L
        ref = gd_iterates(spec, Xb, t, J, L, truncation, return_all=True)
        dist, y, YL, via = _distances(ys, ref), ys[L], ref[L], "y slot"
    else:
        dist = probe_distances(model, spec, Xb, t, J, truncation, **probe)
        L = dist.size
        YL = gd_iterates(spec, Xb, t, J, L, truncation)
        y, via = _output_iterate(model, spec, Xb, t), "probe"
    Ystar = -exact_score(spec, Xb, t)
    ns = max(float(np.linalg.norm(Ystar)), _TINY)

    def to_gd(v: np.ndarray) -> float:
        return float(np.linalg.norm(v - YL) / ns)

    base = {"time-ignoring": to_gd(time_ignoring_iterate(spec, Xb, t)),
            "zero": float(np.linalg.norm(YL) / ns)}
    if untrained is not None:
        base["untrained"] = to_gd(_output_iterate(untrained, spec, Xb, t))
    out = LayersComparison(dist, to_gd(y), float(np.linalg.norm(y - Ystar) / ns),
                           float(np.linalg.norm(YL - Ystar) / ns), base, t, int(J), L,
                           Xb.shape[0], via)
    if not all(math.isfinite(v) for v in (out.final, out.score_error, out.gd_error)):
        raise InvalidArgumentError("model", type(model).__name__, "gives a distance that is not "
                                   "finite (its output overflows, or X is ~0)",
                                   "check the model's weights, or pass inputs of order 1")
    return out
