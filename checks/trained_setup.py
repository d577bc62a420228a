"""The trained.* claims' setting: the data, the matching model trained once per process, and
what every trained.* row records (how the model is trained: :mod:`gpdtheory_checks.training`'s
docstring).

Shared by :mod:`gpdtheory_checks.training` (the trained.* claims),
:mod:`gpdtheory_checks.looped_layers` and :mod:`gpdtheory_checks.training_slope`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

try:
    import torch
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from gpdtheory._extras import require

    require("torch", "torch")
    raise

import gpdtheory as gp
from gpdtheory.train import torch_threads

from .cases import training_device
from .table import CheckConfig

__all__ = ["SCORE_BOUND", "SCORE_BOUND_FULL", "SCORE_MARGIN", "SHUFFLES", "T_EVAL", "T_MIN",
           "T_MAX", "SIGMA", "MAX_LBFGS", "MAX_LBFGS_FULL", "HELDOUT", "families",
           "train_config", "trained_matching_model", "map_error", "untrained_matching_model"]

#: Trained matching model's relative score error at t = 0.5 (default / --full).
SCORE_BOUND, SCORE_BOUND_FULL = 0.2, 0.05
#: trained.score: least margin of the best null baseline's relative score error over the
#: model's: 5% of the score's norm, a quarter of the default absolute bound SCORE_BOUND
#: (which the time-ignoring score nearly meets on its own: 0.244 / 0.121 / 0.416).
SCORE_MARGIN = 0.05
#: Frame permutations of the shuffled-positions baseline (its score: the 95% best of them).
SHUFFLES = 20
T_EVAL = 0.5
#: Training range of diffusion times; trained.kl runs the sampler over exactly this range.
T_MIN, T_MAX = 0.1, 4.0
SIGMA = np.array([[1.0, 0.3], [0.3, 0.6]])
#: Cap on the L-BFGS iterations of the trained.* models (default / --full): training stops
#: earlier when the held-out loss has not improved for 4 evaluations (the convergence rule).
MAX_LBFGS, MAX_LBFGS_FULL = 3000, 6000
#: Held-out sequences for trained.layers (a fresh draw, not the training samples).
HELDOUT = 4096


def families(full: bool = False) -> list[gp.Kernel]:
    """One kernel per decay family (``--full``: the same; the sizes grow instead)."""
    return [gp.PoweredExponential(1.0, 1.0), gp.Polynomial(1.0, 2.5), gp.Logarithmic(1.0, 1.0)]


def _setting(full: bool) -> dict:
    if full:
        return {"N": 8, "L": 4, "n": 16384, "steps": MAX_LBFGS_FULL, "n_times": 8}
    return {"N": 8, "L": 4, "n": 4096, "steps": MAX_LBFGS, "n_times": 4}


def train_config(full: bool, seed: int, holdout: float = 0.1):
    from gpdtheory.train import TrainConfig

    s = _setting(full)
    return TrainConfig(steps=s["steps"], optimizer="lbfgs", marginalize=True, lr=1.0,
                       n_times=s["n_times"], t0=T_MIN, T=T_MAX, eval_every=50, patience=4,
                       holdout=holdout, seed=seed)


@functools.lru_cache(maxsize=8)
def trained_matching_model(full: bool, seed: int, family: int = 0):
    """``(spec, model, construct, J, L)``: the looped matching model trained once per process.

    Trained on :func:`~gpdtheory_checks.cases.training_device` (``--device``), then moved to the
    CPU:
    the trained.* claims read it as float64 linear maps against exact numpy quantities.
    """
    from gpdtheory.construct import build
    from gpdtheory.models import matching_model
    from gpdtheory.train import train

    s = _setting(full)
    spec = gp.GPSpec(families(full)[family], s["N"], SIGMA)
    J, L = s["N"] - 1, s["L"]
    with torch.random.fork_rng(), torch_threads(1):
        model = matching_model(spec, L=L, J=J, tied=True, seed=seed)
        res = train(model, spec.sample(s["n"], seed=seed + 1), train_config(full, seed),
                    device=training_device())
    model = model.cpu()
    # the convergence record, read by _case (a plain attribute: not a parameter or buffer)
    model.convergence = {"steps_run": int(res.history["eval_step"][-1]),
                         "best_step": int(res.best_step), "converged": bool(res.stopped_early),
                         "heldout_loss": round(float(res.best_val), 6)}
    return spec, model, build(spec, J, L), J, L


def map_error(spec, M: np.ndarray, t: float = T_EVAL) -> float:
    """Relative ``L2(p_t)`` error of the linear score ``s(x) = -M x``, exactly: the trace
    identity (:func:`gpdtheory.gd.l2_error`) over ``E||s*||^2``
    (:func:`gpdtheory.evaluate.score_norm2`)."""
    from gpdtheory.evaluate import score_norm2
    from gpdtheory.gd import l2_error

    return math.sqrt(max(l2_error(spec, M, t), 0.0) / score_norm2(spec, t))


def untrained_matching_model(spec, J: int, L: int, seed: int):
    """The trained.* claims' architecture at initialisation (same seed): a null baseline."""
    from gpdtheory.models import matching_model

    with torch.random.fork_rng():
        return matching_model(spec, L=L, J=J, tied=True, seed=seed)


def _permutations(cfg: CheckConfig, salt: str, N: int) -> list[np.ndarray]:
    """``SHUFFLES`` frame permutations for the shuffled-positions baseline (claim's generator)."""
    rng = cfg.rng(salt + ".shuffle")
    return [rng.permutation(N) for _ in range(SHUFFLES)]



def _case(spec, J, L, cfg: CheckConfig, net=None, **extra) -> dict:
    """The case of a trained.* row; ``net``: the trained model, whose convergence record
    (iterations run, best iteration, held-out loss) joins the case."""
    s = _setting(cfg.full)
    return {"family": spec.kernel.family, **spec.kernel.params, "N": spec.N, "d": spec.d,
            "J": J, "L": L, "t": T_EVAL, "model": "looped", "n": s["n"], "steps": s["steps"],
            **getattr(net, "convergence", {}), "seed": cfg.seed, "data_seed": cfg.seed + 1,
            "Sigma": "SIGMA", **extra}

