"""Heads of two models matched by their invariants (docs/theory.md §§5.2, 8).

Heads are not identifiable: they permute, and ``W_Q^T W_K`` and ``W_O W_V`` rescale
against each other. :func:`match_heads` matches the per-head products of two ReLU-attention
models (GPDiTs) under both symmetries; :func:`match_heads_by_lag` matches any model's
per-head attention lag profiles to the construction's heads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize

from ..construct import build
from ..construct.inspect import check_model, ov_products, qk_products, weights_by_lag
from ..errors import InvalidArgumentError
from ..profiles import correlation, profile_error
from ..spec import GPSpec, check_spec
from ..validation import check_positive_int
from .summary import Summarised

__all__ = ["HeadMatch", "match_heads", "HeadMatching", "match_heads_by_lag"]


@dataclass(frozen=True, repr=False)
class HeadMatch(Summarised):
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

    def __str__(self) -> str:
        return (f"HeadMatch of {self.perm.size} heads: mean cost {self.cost:.4f}, min qk "
                f"cosine {float(np.min(self.qk_cosine)):.3f}, max gain error "
                f"{float(np.max(self.gain_error)):.3f}")

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"quantity": "matched head qk cosine / gain error", "head": h,
                 "matched_head": int(p), "value": float(c), "gain_error": float(g)}
                for h, (p, c, g) in enumerate(zip(self.perm, self.qk_cosine, self.gain_error,
                                                  strict=True))]


def _signatures(model, block: int):
    check_model(model, "its heads are not ReLU heads on the construction's token slots, so "
                "W_Q^T W_K and W_O W_V have no counterpart in the construction (and softmax "
                "attention is not invariant to rescaling them)",
                "match heads by their attention lag profiles: gpdtheory.compare."
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


@dataclass(frozen=True, repr=False)
class HeadMatching(Summarised):
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

    def __str__(self) -> str:
        with np.errstate(invalid="ignore"):
            corr = float(np.nanmean(self.correlation)) if np.any(np.isfinite(self.correlation)) \
                else float("nan")
        err = float(np.mean(self.relative_error)) if self.relative_error.size else float("nan")
        return (f"HeadMatching of {len(self.pairs)} heads to the construction's: mean corr "
                f"{corr:.3f}, mean normalised profile error {err:.3f}")

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
