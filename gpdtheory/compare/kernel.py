"""The attention kernel by lag, read or recorded, judged against ``rho_bar`` (docs/theory.md §8).

:func:`kernel_by_lag` reads the kernel (a GPDiT's from its weights, any other model's
recorded attention); :func:`compare_kernel` judges it against the truncated correlation
``rho_bar``, beside null baselines (:class:`KernelComparison`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..construct.block import GPDiT
from ..construct.inspect import attention_kernel
from ..errors import InvalidArgumentError
from ..profiles import MIN_SPREAD, beats, correlation, lag_profile, profile_spread
from ..spec import check_spec
from ..validation import as_real_array, check_nonnegative_int
from .recording import DEFAULT_TIMES, attention_by_module
from .summary import Summarised

__all__ = ["kernel_by_lag", "KernelComparison", "compare_kernel"]


def kernel_by_lag(model, block: int = 0, *, direction: str = "forward", spec=None,
                  modules=None, data=None, times=DEFAULT_TIMES, n: int = 128,
                  seed=0) -> np.ndarray:
    """Attention kernel of ``model`` as a function of the lag: ``(N,)`` ndarray.

    A reader: it returns the profile and judges nothing. :func:`compare_kernel` is the
    judged version (against ``rho_bar``, beside null baselines, with a too-flat warning).

    Parameters
    ----------
    model : nn.Module
        A :class:`~gpdtheory.construct.block.GPDiT` (its kernel is read from its weights),
        or any other model through the protocol (its attention is recorded).
    block : int
        GPDiT: the stored block (0 for a looped model). Any other model: the ``block``-th
        attention module over frames, in forward order
        (:func:`gpdtheory.compare.attention_by_module`).
    direction : {"forward", "both", "backward"}
        Which diagonals are averaged (:func:`gpdtheory.profiles.lag_profile`):
        ``"forward"`` averages ``M[i, i + m]``, ``"both"`` every ``|i - j| = m``.
    spec : GPSpec, optional
        Required for a model that is not a GPDiT: its attention depends on the input, and
        is recorded on noised samples of ``spec`` (with ``modules``, ``data``, ``times``,
        ``n``, ``seed`` as in :func:`gpdtheory.compare.attention_by_module`).

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
    if isinstance(model, GPDiT):
        K = attention_kernel(model, block)  # (N, N, d, d)
        return lag_profile(np.einsum("ijaa->ij", K) / K.shape[-1], direction)
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


@dataclass(frozen=True, repr=False)
class KernelComparison(Summarised):
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
    baselines: dict[str, float] = field(default_factory=dict)
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

    def to_rows(self) -> list[dict[str, Any]]:
        rows = [{"quantity": "Pearson corr(kernel by lag, r_bar), lags >= 1",
                 "value": self.correlation},
                {"quantity": "rel. L2 error of scaled kernel vs r_bar, lags >= 1",
                 "value": self.relative_error, "scale": self.scale}]
        return rows + [{"quantity": "Pearson corr(baseline kernel, r_bar), lags >= 1",
                        "baseline": k, "value": v} for k, v in self.baselines.items()]


def compare_kernel(model, r_bar, block: int = 0, **capture) -> KernelComparison:
    """:func:`kernel_by_lag` of ``model`` against the truncated correlation ``r_bar`` ``(N,)``.

    ``capture`` (``spec`` required, ``modules``, ``data``, ``times``, ``n``, ``seed``) is
    passed to :func:`kernel_by_lag` for a model that is not a GPDiT. The profiles are
    compared after the best scale ``c``; :func:`gpdtheory.compare.compare_attention`
    compares them normalised to 1 at lag 0 instead.

    Parameters
    ----------
    model : nn.Module
        A GPDiT, or any model through the protocol (with ``spec=`` in ``capture``).
    r_bar : (N,) array_like
        The truncated correlation (``model.construction.r_bar`` of a built model).
    block : int
    **capture
        Recording options of :func:`kernel_by_lag`.

    Returns
    -------
    KernelComparison
        With null baselines (identity, uniform, shuffled lags) and the too-flat flag.
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
