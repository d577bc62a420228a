"""A looped linear model's hidden states after every block, against GD's iterates: the
distances ``trained.layers`` grades (:mod:`gpdtheory_checks.training`)."""

from __future__ import annotations

import numpy as np

try:
    import torch
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from gpdtheory._extras import require

    require("torch", "torch")
    raise

import gpdtheory as gp

from . import baselines
from .trained_setup import HELDOUT

__all__ = ["hidden_states", "layer_distances", "null_layer_distances"]


def hidden_states(model, X: np.ndarray, t: float) -> np.ndarray:
    """Content slots ``[x, y]`` after every block: ``(L + 1, B, N, 2 d)`` ndarray."""
    from gpdtheory.construct.block import full_time

    p = next(model.parameters())
    with torch.no_grad():
        H, temb = model.embed(torch.as_tensor(X, dtype=p.dtype), full_time(X.shape[0], t, p))
        out = [H[..., : 2 * model.d]]
        for k in range(model.L):
            H = model.block(k)(H, temb)
            out.append(H[..., : 2 * model.d])
    return torch.stack(out).double().numpy()


def _noised(spec, n: int, t: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X0 = spec.sample(n, seed=rng)
    return np.exp(-t / 2) * X0 + np.sqrt(-np.expm1(-t)) * rng.standard_normal(X0.shape)


def layer_distances(model, spec, J: int, t: float, heldout_seed: int, probe_seed: int,
                    n: int = HELDOUT) -> dict:
    """Layer ``k`` of a looped linear model against GD iterate ``k``, on held-out samples.

    Returns a dict of ``(L,)`` arrays over ``k = 1..L``:

    - ``direct``: ``||y_k - Y_k||_F / ||Y_k||_F`` (the model's y slot against GD iterate k);
    - ``probe``: the same after a token-wise least-squares probe ``[x_k, y_k] -> Y_k``
      (``2d -> d``, shared by all frames, so it cannot mix frames) fitted on ``n`` other
      noised samples (``probe_seed``) and evaluated on the held-out ones;
    - ``model_to_score``, ``gd_to_score``: ``||y_k - Y*||_F / ||Y*||_F`` and
      ``||Y_k - Y*||_F / ||Y*||_F``, ``Y* = -s*`` the exact score (:func:`gpdtheory.score`);
    - ``final``: ``||y_L - Y_L||_F / ||Y*||_F`` (a float).
    """
    from gpdtheory.gd import gd_iterates

    L, d = model.L, spec.d
    Xh = _noised(spec, n, t, heldout_seed)
    Xp = _noised(spec, n, t, probe_seed)
    Hh, Hp = hidden_states(model, Xh, t), hidden_states(model, Xp, t)
    Gh = gd_iterates(spec, Xh, t, J, L, return_all=True)
    Gp = gd_iterates(spec, Xp, t, J, L, return_all=True)
    Ystar = -gp.score(spec, Xh, t)
    ns = np.linalg.norm(Ystar)
    out = {k: np.empty(L) for k in ("direct", "probe", "model_to_score", "gd_to_score")}
    for k in range(1, L + 1):
        y = Hh[k][..., d:]
        out["direct"][k - 1] = np.linalg.norm(y - Gh[k]) / np.linalg.norm(Gh[k])
        R, *_ = np.linalg.lstsq(Hp[k].reshape(-1, 2 * d), Gp[k].reshape(-1, d), rcond=None)
        fit = Hh[k].reshape(-1, 2 * d) @ R
        out["probe"][k - 1] = np.linalg.norm(fit - Gh[k].reshape(-1, d)) / np.linalg.norm(Gh[k])
        out["model_to_score"][k - 1] = np.linalg.norm(y - Ystar) / ns
        out["gd_to_score"][k - 1] = np.linalg.norm(Gh[k] - Ystar) / ns
    out["final"] = float(np.linalg.norm(Hh[L][..., d:] - Gh[L]) / ns)
    return out


def null_layer_distances(spec, J: int, L: int, t: float, heldout_seed: int) -> dict:
    """``||Y_0 - Y_L||_F / ||Y*||_F`` for the scores that learn nothing temporal, on the
    held-out samples of :func:`layer_distances` (same ``heldout_seed``, same draw).

    ``time-ignoring``: ``Y_0 = A x`` with :func:`gpdtheory_checks.baselines.time_ignoring_map`;
    ``zero``: ``Y_0 = 0`` (a network whose y slot stays empty), i.e. ``||Y_L|| / ||Y*||``.
    """
    from gpdtheory.gd import gd_iterates

    Xh = _noised(spec, HELDOUT, t, heldout_seed)
    YL = gd_iterates(spec, Xh, t, J, L)
    ns = np.linalg.norm(gp.score(spec, Xh, t))
    A = baselines.time_ignoring_map(spec, t)
    Yti = (Xh.reshape(len(Xh), -1) @ A.T).reshape(Xh.shape)
    return {"time-ignoring": float(np.linalg.norm(Yti - YL) / ns),
            "zero": float(np.linalg.norm(YL) / ns)}


def _worst_contraction(e: np.ndarray) -> float:
    """``max_k e(k+1) / e(k)``: the worst block's contraction of the distance to the score."""
    return float(np.max(e[1:] / e[:-1]))

