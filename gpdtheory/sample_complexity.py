"""Score error against the number of samples ``n`` (docs/theory.md §7).

- :func:`plugin_covariance`: estimate ``Gamma`` (Toeplitz) and ``Sigma`` from ``n``
  samples, using the Kronecker structure; :func:`plugin_error` plugs them into the exact
  score formula and returns its exact relative L2(p_t) error (the estimator is linear).
- :func:`fit_slope`: least-squares slope of ``log error`` against ``log n`` with a
  confidence interval (Student t); :func:`rate_test`: the two-sided test of that interval
  against a predicted range of slopes (CI excludes 0 and overlaps the range).
- :func:`population_samples`: ``N d`` sequences whose second moment is exactly
  ``Gamma ⊗ Sigma`` (training on them is training on the population: the error floor).
- :func:`sweep_n`, :func:`sweep_decay`: the sweeps, run by :func:`gpdtheory.sweeps.run_sweep`
  on any executor of its protocol (:class:`~gpdtheory.sweeps.SequentialExecutor`, in this
  process, by default; a process pool or a Dask client), returning arrays ready to plot.

Theory: the paper's rate is ``error ∝ n^{-1/2}``; the plug-in's error is driven by the
covariance estimation error, which is ``O(n^{-1/2})``, so its slope is about -1/2.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.stats

from .errors import InvalidArgumentError
from .linear import marginal_eigenvalues
from .schedule import alpha2_sigma2, check_diffusion_time
from .spec import GPSpec, check_spec
from .sweeps import SequentialExecutor, run_sweep
from .validation import (
    SYMMETRY_RTOL,
    as_real_array,
    as_rng,
    check_positive_int,
    check_seed,
)

__all__ = ["plugin_covariance", "plugin_matrix", "plugin_error", "SlopeFit", "fit_slope",
           "RateTest", "rate_test", "SequentialExecutor", "SweepResult", "sweep_n", "sweep_decay",
           "trained_error", "population_samples"]


def plugin_covariance(samples, mean=None) -> tuple[np.ndarray, np.ndarray]:
    """Kronecker/Toeplitz estimate ``(r_hat, Sigma_hat)`` from samples ``(n, N, d)``.

    Parameters
    ----------
    samples : (n, N, d) array_like
    mean : (N, d) array_like, optional
        Known mean (zero by default); it is subtracted, not estimated.

    Returns
    -------
    r_hat : (N,) ndarray
        ``r_hat[m] = sum_{s,i} <x_i, x_{i+m}> / (n (N - m) tr(Sigma_hat))``, ``r_hat[0] = 1``.
    Sigma_hat : (d, d) ndarray
        ``(1 / (n N)) sum_{s,i} x_i x_i^T`` (``rho(0) = 1``).

    Notes
    -----
    ``E <x_i, x_{i+m}> = rho(m) tr(Sigma)``: each lag is averaged over every sample and
    position (unbiased up to the ratio with ``tr(Sigma_hat)``). The Toeplitz matrix of
    ``r_hat`` need not be positive semidefinite; :func:`plugin_matrix` clips it.
    """
    X = as_real_array(samples, "samples", ndim=3)
    n, N, d = X.shape
    if mean is not None:
        mu = as_real_array(mean, "mean")
        if mu.shape not in ((N, d), (d,)):
            raise InvalidArgumentError("mean", f"array of shape {mu.shape}",
                                       f"does not match samples of shape {X.shape}",
                                       f"pass a mean of shape ({N}, {d}) or ({d},)")
        X = X - mu
    Sig = np.einsum("sia,sib->ab", X, X) / (n * N)
    tr = np.trace(Sig)
    if not (np.isfinite(tr) and tr > 0):
        raise InvalidArgumentError("samples", f"array of shape {X.shape}",
                                   f"has second moment tr(Sigma_hat) = {tr:.3g} "
                                   "(zero: no variation; inf: entries too large to square)",
                                   "pass samples that vary, with entries below 1e150")
    r = np.array([np.einsum("sia,sia->", X[:, : N - m], X[:, m:]) / (n * (N - m) * tr)
                  for m in range(N)])
    r[0] = 1.0
    return r, Sig


def _scalar_time(t) -> float:
    arr = check_diffusion_time(t)
    if arr.ndim:
        raise InvalidArgumentError("t", t, "must be a scalar", "pass one diffusion time")
    return float(arr)


def plugin_matrix(r_hat, Sigma_hat, t: float) -> np.ndarray:
    """``A_t = (alpha^2 Gamma_hat_+ ⊗ Sigma_hat + sigma^2 I)^{-1}``: ``(Nd, Nd)`` ndarray.

    ``Gamma_hat_+`` is the Toeplitz matrix of ``r_hat`` with negative eigenvalues set to 0.
    """
    import scipy.linalg

    t = _scalar_time(t)
    g, V = np.linalg.eigh(scipy.linalg.toeplitz(as_real_array(r_hat, "r_hat", ndim=1)))
    S = as_real_array(Sigma_hat, "Sigma_hat", ndim=2)
    scale = float(np.max(np.abs(S))) or 1.0
    if S.shape[0] != S.shape[1] or np.max(np.abs(S - S.T)) > SYMMETRY_RTOL * scale:
        raise InvalidArgumentError("Sigma_hat", f"array of shape {S.shape}",
                                   "is not a symmetric square matrix",
                                   "pass the (d, d) second moment from plugin_covariance")
    lam, U = np.linalg.eigh(S)
    c = marginal_eigenvalues(np.maximum(g, 0.0), np.maximum(lam, 0.0), t)
    Q = np.kron(V, U)
    with np.errstate(over="ignore", invalid="ignore"):
        A = (Q / c.ravel()) @ Q.T
    if not np.all(np.isfinite(A)):
        s2 = alpha2_sigma2(t)[1]
        raise InvalidArgumentError("t", t, f"is so small that sigma_t^2 = {s2:.3g} "
                                   "makes the inverse overflow", "pass t >= 1e-300")
    return A


def plugin_error(spec: GPSpec, n: int, seed=0, t: float = 0.5) -> float:
    """Relative L2(p_t) error of the plug-in score estimated from ``n`` samples of ``spec``.

    Returns
    -------
    float
        ``sqrt(E ||s_hat - s*||^2 / E ||s*||^2)``, exact (:func:`gpdtheory.gd.l2_error`).

    Examples
    --------
    >>> import gpdtheory as gp
    >>> spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), N=8, Sigma=np.eye(2))
    >>> plugin_error(spec, 10000, seed=0) < plugin_error(spec, 100, seed=0)
    True
    """
    from .evaluate import score_norm2
    from .gd import l2_error

    spec, t = check_spec(spec), _scalar_time(t)
    X = spec.sample(check_positive_int(n, "n"), seed=seed)
    r, S = plugin_covariance(X, spec.mean)
    return float(np.sqrt(l2_error(spec, plugin_matrix(r, S, t), t) / score_norm2(spec, t)))


def trained_error(spec: GPSpec, n: int, seed=0, t: float = 0.5, L: int = 6, cfg=None,
                  tied: bool = True, device: Any = "cpu") -> float:
    """Relative L2(p_t) error of the matching model trained on ``n`` samples (exact).

    ``device`` is where it trains (:func:`gpdtheory.train.train`); the error is computed
    in float64 against the exact score wherever the model lives.
    """
    from .evaluate import score_error
    from .models import matching_model
    from .train import train

    spec, t = check_spec(spec), _scalar_time(t)
    init_seed = int(as_rng(seed).integers(2**31))
    model = matching_model(spec, L=L, tied=tied, seed=init_seed)
    train(model, spec.sample(check_positive_int(n, "n"), seed=seed), cfg, device=device)
    return float(score_error(model, spec, t).relative[0])


@dataclass(frozen=True)
class SlopeFit:
    """``log err = intercept + slope log n``; ``ci`` is the ``level`` confidence interval."""

    slope: float
    intercept: float
    ci: tuple[float, float]
    stderr: float
    level: float


def fit_slope(n, err, level: float = 0.95) -> SlopeFit:
    """Ordinary least squares of ``log err`` on ``log n`` (every replicate a point).

    Parameters
    ----------
    n, err : (K,) array_like
        Sample sizes and errors (``> 0``); repeat ``n`` for replicates.
    level : float

    Returns
    -------
    SlopeFit
        The interval is ``slope ± t_{K-2} stderr`` (needs ``K >= 3`` points).
    """
    n = as_real_array(n, "n", ndim=1)
    e = as_real_array(err, "err", ndim=1, shape=(n.size,))
    lv = float(as_real_array(level, "level", ndim=0))
    if not 0.0 < lv < 1.0:
        raise InvalidArgumentError("level", level, "is not in (0, 1)", "pass e.g. 0.95")
    if n.size < 3 or np.any(n <= 0) or np.any(e <= 0) or np.unique(n).size < 2:
        raise InvalidArgumentError("n/err", (n.size,), "need >= 3 positive points at >= 2 sizes",
                                   "sweep more sample sizes")
    x, y = np.log(n), np.log(e)
    res = scipy.stats.linregress(x, y)
    stderr = float(res.stderr)
    if not np.isfinite(stderr):  # scipy gives nan for an exact fit of constant errors
        resid = y - (res.intercept + res.slope * x)
        stderr = float(np.sqrt(resid @ resid / (n.size - 2) / np.sum((x - x.mean()) ** 2)))
    q = scipy.stats.t.ppf(0.5 + lv / 2, n.size - 2)
    return SlopeFit(float(res.slope), float(res.intercept),
                    (float(res.slope - q * stderr), float(res.slope + q * stderr)), stderr, lv)


@dataclass(frozen=True)
class RateTest:
    """A slope's confidence interval tested against a predicted range ``[lo, hi]`` (both < 0).

    Attributes
    ----------
    fit : SlopeFit
    rate_range : (float, float)
    decreasing : bool
        ``ci[1] < 0``: the interval excludes 0 (the error falls with n).
    overlaps : bool
        ``ci[0] <= hi`` and ``ci[1] >= lo``: the interval meets the predicted range.
    distance : float
        Distance from the interval to the range (0 when they overlap).
    """

    fit: SlopeFit
    rate_range: tuple[float, float]
    decreasing: bool
    overlaps: bool
    distance: float

    @property
    def holds(self) -> bool:
        return self.decreasing and self.overlaps


def rate_test(fit: SlopeFit, rate_range: tuple[float, float] = (-0.75, -0.25)) -> RateTest:
    """Test ``fit.ci`` two-sidedly: it must exclude 0 and overlap ``rate_range``.

    A slope near the prediction with a wide interval that also covers 0 fails (no evidence
    of decrease); a tight interval away from the range fails (another rate).

    Examples
    --------
    >>> n = np.repeat([10., 30., 100., 300.], 2); e = n ** -0.5 * np.array([1.02, 0.98] * 4)
    >>> rate_test(fit_slope(n, e)).holds
    True
    """
    if not isinstance(fit, SlopeFit):
        raise InvalidArgumentError("fit", fit, "is not a SlopeFit", "pass fit_slope(...)")
    lo, hi = (float(v) for v in rate_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InvalidArgumentError("rate_range", rate_range, "is not an interval lo < hi",
                                   "pass e.g. (-0.75, -0.25)")
    c0, c1 = fit.ci
    dist = max(0.0, c0 - hi, lo - c1)
    return RateTest(fit, (lo, hi), bool(c1 < 0.0), bool(c0 <= hi and c1 >= lo), float(dist))


def population_samples(spec: GPSpec) -> np.ndarray:
    """``N d`` sequences ``(N d, N, d)`` whose second moment is exactly ``Gamma ⊗ Sigma``.

    Row ``j`` is ``sqrt(N d)`` times column ``j`` of the symmetric square root of the
    covariance, so ``(1/(N d)) sum_j vec x_j vec x_j^T = C``. The marginalised DSM loss
    (:func:`gpdtheory.train.marginal_dsm_loss`) sees only this second moment, so training
    on these rows (``holdout=0``) is training on the population: what remains of the score
    error is the model's and the optimiser's, not the sample's.
    """
    spec = check_spec(spec)
    if spec.mean is not None:
        raise InvalidArgumentError("spec", spec, "has a mean", "use a mean-zero spec")
    C = spec.covariance_dense()
    w, V = np.linalg.eigh(C)
    R = (V * np.sqrt(np.maximum(w, 0.0))) @ V.T
    n = C.shape[0]
    return (np.sqrt(n) * R.T).reshape(n, spec.N, spec.d)


@dataclass(frozen=True)
class SweepResult:
    """Errors of a sweep over ``n`` (arrays for plotting) and the fitted slope.

    Attributes
    ----------
    n : (K,) ndarray
        Sample sizes.
    errors : (K, R) ndarray
        Relative errors, ``R`` replicates (seeds) per size.
    fit : SlopeFit
    """

    n: np.ndarray
    errors: np.ndarray
    fit: SlopeFit


def _sweep_point(error_fn: Callable[..., float], spec: GPSpec, kwargs: dict, n: int,
                 seed: int) -> float:
    """One task of :func:`sweep_n` (module level: picklable for process pools and Dask)."""
    return error_fn(spec, n, seed=seed, **kwargs)


def sweep_n(error_fn: Callable[..., float], spec: GPSpec, ns: Sequence[int], replicates: int = 3,
            seed: int = 0, executor=None, **kwargs) -> SweepResult:
    """Run ``error_fn(spec, n, seed=..., **kwargs)`` over sizes and seeds; fit the slope.

    Parameters
    ----------
    error_fn : callable
        :func:`plugin_error`, :func:`trained_error` or any picklable function with that
        signature (module-level, for process pools).
    spec : GPSpec
    ns : sequence of int
        At least 2 sizes (the issue asks 5 spanning 30x).
    replicates : int
        Seeds per size.
    seed : int
    executor : optional
        Where the tasks run, any executor of :func:`gpdtheory.sweeps.run_sweep` (e.g. a
        ``ProcessPoolExecutor``, a Dask ``Client`` or its ``get_executor()``);
        :class:`~gpdtheory.sweeps.SequentialExecutor` (in this process) by default.

    Returns
    -------
    SweepResult
    """
    if not callable(error_fn):
        raise InvalidArgumentError("error_fn", error_fn, "is not callable",
                                   "pass plugin_error, trained_error or a function like them")
    if not (isinstance(ns, (list, tuple, range)) or (isinstance(ns, np.ndarray) and ns.ndim == 1)):
        raise InvalidArgumentError("ns", ns, "is not a 1-D sequence of sample sizes",
                                   "pass e.g. [100, 300, 1000, 3000]")
    ns = np.array([check_positive_int(v, "ns[i]") for v in ns], dtype=np.int64)
    if np.unique(ns).size < 2:
        raise InvalidArgumentError("ns", ns.tolist(), "has fewer than 2 distinct sizes",
                                   "sweep at least 2 sample sizes (5 spanning 30x is better)")
    R = check_positive_int(replicates, "replicates")
    seed = check_seed(seed)
    if isinstance(seed, (np.random.Generator, np.random.BitGenerator)):
        raise InvalidArgumentError("seed", seed, "is a generator: the sweep derives one seed per "
                                   "task from a SeedSequence", "pass an int (or None)")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    seeds = ss.generate_state(ns.size * R).reshape(ns.size, R)
    grid = [{"n": int(n), "seed": int(seeds[i, r])} for i, n in enumerate(ns) for r in range(R)]
    task = functools.partial(_sweep_point, error_fn, spec, kwargs)
    err = np.array(run_sweep(task, grid, SequentialExecutor() if executor is None else executor,
                             desc="sweep_n")).reshape(ns.size, R)
    if err.dtype.kind not in "iuf" or not np.all(np.isfinite(err)) or np.any(err <= 0):
        raise InvalidArgumentError("error_fn", getattr(error_fn, "__name__", error_fn),
                                   "returned errors that are not finite positive floats",
                                   "return the relative error, a float > 0, for every (n, seed)")
    return SweepResult(ns, err, fit_slope(np.repeat(ns, R), err.ravel()))


def sweep_decay(error_fn: Callable[..., float], make_spec: Callable[[float, float], GPSpec],
                regimes: Sequence[tuple[float, float]], ns: Sequence[int], replicates: int = 3,
                seed: int = 0, executor=None, **kwargs
                ) -> dict[tuple[float, float], SweepResult]:
    """:func:`sweep_n` for every decay regime ``(nu, ell)``; ``make_spec(nu, ell) -> GPSpec``."""
    if not callable(make_spec):
        raise InvalidArgumentError("make_spec", make_spec, "is not callable",
                                   "pass a function (nu, ell) -> GPSpec")
    if isinstance(regimes, (str, bytes)) or not hasattr(regimes, "__iter__"):
        raise InvalidArgumentError("regimes", regimes, "is not a sequence of (nu, ell) pairs",
                                   "pass e.g. [(1.0, 2.0), (2.0, 4.0)]")
    out = {}
    for regime in regimes:
        if not isinstance(regime, (tuple, list)) or len(regime) != 2:
            raise InvalidArgumentError("regimes", regime, "holds an entry that is not a pair",
                                       "pass (nu, ell) pairs")
        nu, ell = regime
        spec = make_spec(nu, ell)
        if not isinstance(spec, GPSpec):
            raise InvalidArgumentError("make_spec", make_spec,
                                       f"returned a {type(spec).__name__} for {regime}, "
                                       "not a GPSpec", "return gpdtheory.GPSpec(...)")
        out[(nu, ell)] = sweep_n(error_fn, spec, ns, replicates, seed, executor, **kwargs)
    return out
