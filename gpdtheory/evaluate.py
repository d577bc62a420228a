"""Errors of a trained score network against the exact quantities (docs/theory.md §§3, 6, 7).

- :func:`score_error`: ``E_{p_t} ||s_theta - s*||^2`` and its ratio to ``E ||s*||^2 =
  tr(C_t^{-1})``, on a grid of ``t``. Exact for a model linear in ``X`` (the
  position-only matching model: its matrix ``A_t`` is read off by autograd and
  :func:`gpdtheory.gd.l2_error` gives ``tr(D C_t D^T)``); Monte Carlo otherwise.
- :func:`exact_kl`: ``KL(p_t0 || q_t0)`` of the reverse SDE driven by a linear model
  (its output is Gaussian; :mod:`gpdtheory.distribution`).
- :func:`polynomial_map`: ``t -> A_t`` of a position-only GPDiT without time frequencies,
  exactly, as a polynomial of degree ``L`` in ``e^{-t}`` read off at ``L + 1`` times (fast
  for the many evaluations of an ODE solver).
- :func:`covariance_error`: ``||Cov_hat - Gamma ⊗ Sigma||_F / ||Gamma ⊗ Sigma||_F`` of
  samples generated with any model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._torch import torch
from .construct.block import full_time
from .diffusion import score as exact_score
from .errors import InvalidArgumentError
from .linear import marginal_eigenvalues
from .schedule import (
    alpha2_sigma2,
    alpha_sigma,
    check_diffusion_time,
    check_scalar_diffusion_time,
)
from .spec import GPSpec, check_model_fits_spec, check_spec
from .validation import as_rng, check_positive_int, check_torch_module

__all__ = ["ScoreAccuracy", "is_linear", "linear_map", "score_error", "exact_kl",
           "covariance_error",
           "score_norm2", "polynomial_map"]


@dataclass(frozen=True, repr=False)
class ScoreAccuracy:
    """Score error on a grid of ``t``.

    Attributes
    ----------
    t : (K,) ndarray
    mse : (K,) ndarray
        ``E_{p_t} ||s_theta - s*||_F^2``.
    relative : (K,) ndarray
        ``sqrt(mse / E ||s*||^2)``, the relative L2(p_t) error.
    exact : bool
        True when computed in closed form (linear model), False for Monte Carlo.
    stderr : (K,) ndarray
        Standard error of ``relative`` (0 when exact).
    """

    t: np.ndarray
    mse: np.ndarray
    relative: np.ndarray
    exact: bool
    stderr: np.ndarray

    def __str__(self) -> str:
        how = "exact" if self.exact else "Monte Carlo"
        pairs = ", ".join(f"t={t:g}: {r:.4g}" for t, r in zip(self.t[:6], self.relative[:6],
                                                               strict=True))
        more = ", ..." if self.t.size > 6 else ""
        return f"ScoreAccuracy ({how}): relative L2(p_t) error {pairs}{more}"

    __repr__ = __str__  # a summary at the prompt, not the arrays


def _score_network(model):
    """``model`` if its output is known to be a score, else an error naming the fix.

    These functions call ``model(X, t)`` and read the result as the score; a network that
    predicts the noise or ``x0`` would be scored wrongly, so its convention is never assumed
    (:func:`gpdtheory.protocol.detect_output`: a ScoreModel's own, or the package's networks).
    """
    from .protocol import detect_output

    model = check_torch_module(model)
    if detect_output(model) is None:  # a ScoreModel converts any convention to the score
        raise InvalidArgumentError("model", type(model).__name__, "has no stated output "
                                   "convention, and its output is read as the score",
                                   "wrap it with gpdtheory.protocol.as_score_model(model, N=..., "
                                   "d=..., output='score' | 'noise' | 'x0')")
    return model


def is_linear(model) -> bool:
    """True for a model known to be linear (affine) in ``X``: a position-only GPDiT without FFN."""
    from .construct.block import GPDiT

    return isinstance(model, GPDiT) and model.position_only and all(
        b.ffn_hidden == 0 for b in model.blocks)


def linear_map(model, t: float) -> np.ndarray:
    """``A_t`` with ``s_theta(X, t) = -A_t vec(X - alpha_t mu)`` (linear models): ``(Nd, Nd)``."""
    from .construct.inspect import end_to_end_map

    if not is_linear(model):
        raise InvalidArgumentError("model", type(model).__name__,
                                   "is not linear in X, so it has no single matrix A_t",
                                   "use a position-only GPDiT without FFN, or "
                                   "gpdtheory.compare.compare_linear_map (the Jacobian "
                                   "at X = 0) for any model")
    return end_to_end_map(model, check_scalar_diffusion_time(t))


def polynomial_map(model, t_lo: float, t_hi: float):
    """``t -> A_t`` of a linear GPDiT with the time features ``[e^{-t}, 1 - e^{-t}]``, exactly.

    Parameters
    ----------
    model : GPDiT
        Linear (:func:`is_linear`), ``n_frequencies = 0``.
    t_lo, t_hi : float
        The times the map will be asked for (``0 < t_lo < t_hi``); outside them the
        polynomial is still exact in exact arithmetic, but extrapolated in floating point.

    Returns
    -------
    fn : callable ``t -> (Nd, Nd) ndarray``
    check : float
        ``max |fn(t) - linear_map(model, t)| / max |linear_map(model, t)|`` at the two
        midpoints between the first and last pair of nodes (a round-off check).

    Notes
    -----
    Each block maps the content slots by ``H <- H + diag(g(t)) attn(H) + W_lin H``, with the
    attention weights fixed (position-only) and the gate ``g`` affine in its time features
    ``[u, 1 - u]``, ``u = e^{-t}``: every block is affine in ``u``, so ``A_t`` is a polynomial
    of degree ``L`` in ``u``. It is interpolated at ``L + 1`` Chebyshev nodes in
    ``[e^{-t_hi}, e^{-t_lo}]`` (barycentric form), each read by :func:`linear_map`.
    """
    import scipy.interpolate

    from .construct.block import GPDiT

    if not (isinstance(model, GPDiT) and is_linear(model) and model.n_frequencies == 0):
        raise InvalidArgumentError("model", type(model).__name__,
                                   "is not a linear GPDiT with n_frequencies = 0",
                                   "use linear_map at each t instead")
    t_lo, t_hi = check_scalar_diffusion_time(t_lo), check_scalar_diffusion_time(t_hi)
    if not t_lo < t_hi:
        raise InvalidArgumentError("t_lo", t_lo, f"is not below t_hi = {t_hi}",
                                   "pass 0 < t_lo < t_hi")
    deg = model.L
    # the polynomial's variable is alpha_t^2 = e^{-t} (numpy's exp, as the nodes' inverse)
    u_lo, u_hi = alpha2_sigma2(np.asarray(t_hi))[0], alpha2_sigma2(np.asarray(t_lo))[0]
    k = np.arange(deg + 1)
    nodes = 0.5 * (u_lo + u_hi) + 0.5 * (u_hi - u_lo) * np.cos(np.pi * (k + 0.5) / (deg + 1))
    vals = np.stack([linear_map(model, float(-np.log(u))) for u in nodes])  # (deg + 1, n, n)
    interp = scipy.interpolate.BarycentricInterpolator(nodes, vals, axis=0)

    def fn(t: float) -> np.ndarray:
        return np.asarray(interp(alpha2_sigma2(np.asarray(float(t)))[0]))

    probe = np.sort(nodes)
    mids = [0.5 * (probe[0] + probe[1]), 0.5 * (probe[-2] + probe[-1])] if deg else [u_lo]
    check = 0.0
    for u in mids:
        ref = linear_map(model, float(-np.log(u)))
        check = max(check, float(np.max(np.abs(fn(-np.log(u)) - ref)) / np.max(np.abs(ref))))
    return fn, check


def score_norm2(spec: GPSpec, t: float) -> float:
    """``E_{p_t} ||s*||^2 = tr(C_t^{-1})`` (exact, by the eigenvalues of Gamma and Sigma)."""
    spec, t = check_spec(spec), check_scalar_diffusion_time(t)
    g, _ = spec.gamma_eigh
    lam, _ = spec.sigma_eigh
    c = marginal_eigenvalues(g, lam, t)
    with np.errstate(over="ignore", divide="ignore"):
        out = float(np.sum(1.0 / c))
    if not np.isfinite(out):
        raise InvalidArgumentError("t", t, f"makes tr(C_t^-1) overflow (smallest eigenvalue of "
                                   f"C_t {float(np.min(c)):.3g})", "pass a larger t (>= 1e-300)")
    return out


@torch.no_grad()
def _mc(model, spec: GPSpec, t: float, n_mc: int, rng: np.random.Generator):
    p = next(model.parameters())
    x0 = spec.sample(n_mc, seed=rng)
    a, s = alpha_sigma(np.asarray(t))
    xt = a * x0 + s * rng.standard_normal(x0.shape)
    out = model(torch.as_tensor(xt, dtype=p.dtype, device=p.device),
                full_time(n_mc, t, p)).double().cpu().numpy()
    sq = np.sum((out - exact_score(spec, xt, t)) ** 2, axis=(1, 2))
    return sq.mean(), sq.std(ddof=1) / np.sqrt(n_mc)


def score_error(model, spec: GPSpec, t, *, n_mc: int = 4096, seed=0, exact: bool | None = None
                ) -> ScoreAccuracy:
    """The L2(p_t) score error of ``model`` on the grid ``t``.

    Parameters
    ----------
    model : nn.Module
        ``model(X, t) -> score``: a network of this package, or any network wrapped by
        :func:`gpdtheory.protocol.as_score_model` (which states its output convention).
    spec : GPSpec
    t : float or (K,) array_like
        Diffusion times, ``> 0``.
    n_mc : int
        Monte Carlo draws per ``t`` (nonlinear models).
    seed : int or Generator
    exact : bool, optional
        Force the exact formula (requires a linear model) or Monte Carlo; by default
        exact when :func:`is_linear`.

    Returns
    -------
    ScoreAccuracy

    Notes
    -----
    Exact: ``E ||s_hat - s*||^2 = tr(D C_t D^T)``, ``D = A_t - C_t^{-1}`` (docs/theory.md
    §3, L2 version). Monte Carlo: ``X_t = alpha_t X_0 + sigma_t eps`` with
    ``X_0 ~ spec``; the relative standard error is reported.

    Examples
    --------
    >>> import gpdtheory as gp
    >>> from gpdtheory.construct import build
    >>> spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), N=6, Sigma=np.eye(2))
    >>> float(score_error(build(spec, J=5, L=200), spec, 0.5).relative[0]) < 1e-6
    True
    """
    model, spec = _score_network(model), check_spec(spec)
    ts = np.atleast_1d(check_diffusion_time(t)).astype(np.float64)
    if ts.ndim != 1:
        raise InvalidArgumentError("t", t, "is not a scalar or a 1-D grid", "pass (K,) times")
    if exact is not None and not isinstance(exact, (bool, np.bool_)):
        raise InvalidArgumentError("exact", exact, "is not a bool or None", "pass True/False/None")
    exact = is_linear(model) if exact is None else bool(exact)
    rng = as_rng(seed)
    if not exact and check_positive_int(n_mc, "n_mc") < 2:
        raise InvalidArgumentError("n_mc", n_mc, "is below 2: no standard error",
                                   "pass n_mc >= 2 (4096 by default)")
    mse, se = np.empty(ts.size), np.zeros(ts.size)
    for i, tk in enumerate(ts):
        if exact:
            from .gd import l2_error

            mse[i] = l2_error(spec, linear_map(model, float(tk)), float(tk))
        else:
            mse[i], se[i] = _mc(model, spec, float(tk), check_positive_int(n_mc, "n_mc"), rng)
    ref = np.array([score_norm2(spec, float(tk)) for tk in ts])
    rel = np.sqrt(np.maximum(mse, 0.0) / ref)
    # delta method: d sqrt(m) = dm / (2 sqrt(m))
    rel_se = np.where(mse > 0, se / (2.0 * np.sqrt(np.maximum(mse, 1e-300) * ref)), 0.0)
    return ScoreAccuracy(ts, mse, rel, exact, rel_se)


def exact_kl(model, spec: GPSpec, T: float, t0: float, *, matrix_fn=None) -> float:
    """``KL(p_t0 || q_t0)`` of the reverse SDE from ``N(0, I)`` at ``T`` driven by a linear model.

    Parameters
    ----------
    model : nn.Module
        Linear in ``X`` (:func:`is_linear`); mean-zero spec.
    spec : GPSpec
    T, t0 : float
        Horizon and early stopping, ``0 < t0 < T``.
    matrix_fn : callable ``t -> (Nd, Nd)``, optional
        The model's ``A_t`` by another route (e.g. :func:`polynomial_map`); by default
        :func:`linear_map` at each ODE time.

    Returns
    -------
    float

    Notes
    -----
    docs/theory.md §6: the output covariance solves ``dP/dtau = M P + P M^T + I``,
    ``M = I/2 - A_{T - tau}``; the target is ``C_t0``. ``A_t`` is re-read from the model
    at each ODE time (dense; small ``N d`` only).
    """
    from .diffusion import marginal_covariance
    from .distribution.estimators import dense_estimator
    from .distribution.gaussian import gaussian_kl
    from .distribution.lyapunov import output_covariance

    model, spec = check_torch_module(model), check_spec(spec)
    if not is_linear(model):
        raise InvalidArgumentError("model", type(model).__name__,
                                   "is not linear in X, so the reverse SDE it drives does not "
                                   "output a Gaussian and the closed-form KL of docs/theory.md "
                                   "§6.2 does not exist",
                                   "use a position-only GPDiT without FFN, or compare generated "
                                   "samples with gpdtheory.compare.sample_errors")
    check_model_fits_spec(model, spec)
    if spec.mean is not None:
        raise InvalidArgumentError("spec", spec, "has a mean", "use a mean-zero spec for exact KL")
    if matrix_fn is not None and not callable(matrix_fn):
        raise InvalidArgumentError("matrix_fn", matrix_fn, "is not callable",
                                   "pass a function t -> A_t, or None")
    fn = matrix_fn if matrix_fn is not None else (lambda s: linear_map(model, s))
    est = dense_estimator(spec.N, spec.d, fn, name="trained")
    P = output_covariance(est, T, t0)
    return float(gaussian_kl(marginal_covariance(spec, t0), P))


def covariance_error(model, spec: GPSpec, n: int = 1000, *, T: float = 8.0, t0: float = 1e-2,
                     steps: int = 200, seed=0) -> float:
    """``||Cov_hat - Gamma ⊗ Sigma||_F / ||Gamma ⊗ Sigma||_F`` of ``n`` generated samples.

    Samples are drawn with the exponential integrator from ``N(0, I)`` at ``T`` down to
    ``t0`` (docs/theory.md §6). The empirical covariance includes Monte Carlo error
    of order ``sqrt(N d / n)``; compare models at equal ``n``.
    """
    from .sampling import reverse_sample

    model, spec = _score_network(model), check_spec(spec)
    p = next(model.parameters())

    @torch.no_grad()
    def fn(y, t):
        y_t = torch.as_tensor(y, dtype=p.dtype, device=p.device)
        t_t = full_time(y_t.shape[0], t, p)
        return model(y_t, t_t).double().cpu().numpy()

    Y = reverse_sample(fn, n, spec.N, spec.d, T=T, t0=t0, steps=steps, seed=seed)
    V = Y.reshape(Y.shape[0], -1) - spec.mean_array.ravel()
    with np.errstate(over="ignore", invalid="ignore"):
        S = V.T @ V / V.shape[0]
        C = spec.covariance_dense()
        out = float(np.linalg.norm(S - C) / np.linalg.norm(C))
    if not np.isfinite(out):
        raise InvalidArgumentError("model", type(model).__name__,
                                   f"drives the sampler to samples of size {np.abs(V).max():.3g},"
                                   " whose covariance overflows float64",
                                   "check the model (is it trained?) or use a smaller T")
    return out
