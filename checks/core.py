"""Claims on the exact Gaussian-process core (THEORY.md sections 1-2).

``score.exact``  the fast score equals the dense oracle ``-C_t^{-1} vec(X - alpha mu)``.
``kappa.bound``  ``kappa_t <= 1 + lmax(Gamma) lmax(Sigma)/(e^t - 1)`` and, N-free,
                 ``<= 1 + (1 + 2 sum|rho|) lmax(Sigma)/(e^t - 1)``.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

import gpdtheory as gp

from .table import CheckConfig, Measurement, claim

#: Relative agreement required between the fast score and the dense oracle.
SCORE_RTOL = 1e-10


def default_kernels(cfg: CheckConfig) -> list[gp.Kernel]:
    """One kernel per decay regime: fast, medium and slow decay."""
    ks = [gp.PoweredExponential(2.0, 1.0), gp.PoweredExponential(1.0, 2.0),
          gp.PoweredExponential(0.6, 0.5), gp.Polynomial(1.0, 2.5), gp.Polynomial(2.0, 0.8),
          gp.Logarithmic(1.0, 1.0)]
    if cfg.full:
        ks += [gp.PoweredExponential(8.0, 1.5), gp.Polynomial(4.0, 1.5), gp.Logarithmic(4.0, 2.0)]
    return ks


def _case(kernel: gp.Kernel, **extra) -> dict:
    return {"family": kernel.family, **kernel.params, **extra}


def random_sigma(rng: np.random.Generator, d: int) -> np.ndarray:
    """An SPD ``Sigma`` with condition number at most 10."""
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    lam = np.exp(rng.uniform(-1.15, 1.15, size=d))
    S = (Q * lam) @ Q.T
    return 0.5 * (S + S.T)


@claim("score.exact", "2",
       "the structured score equals the dense oracle -C_t^{-1} vec(X - alpha mu) "
       f"to {SCORE_RTOL:g} relative")
def score_exact(cfg: CheckConfig):
    rng = cfg.rng("score.exact")
    sizes = [1, 2, 3, 17, 64] + ([150] if cfg.full else [])
    for kernel in default_kernels(cfg):
        for N in sizes:
            d = int(rng.integers(1, 4))
            spec = gp.GPSpec(kernel, N, random_sigma(rng, d), mean=rng.standard_normal((N, d)))
            X = spec.sample(2, seed=rng)
            for t in (1e-3, 0.5, 5.0):
                s = gp.score(spec, X, t)
                a = np.exp(-t / 2)
                C = gp.marginal_covariance(spec, t)
                oracle = np.stack([-scipy.linalg.solve(C, (x - a * spec.mean_array).ravel())
                                   .reshape(N, d) for x in X])
                err = np.linalg.norm(s - oracle) / np.linalg.norm(oracle)
                yield Measurement(_case(kernel, N=N, d=d, t=t), err, SCORE_RTOL, kind="tolerance")


@claim("kappa.bound", "2", "kappa_t <= 1 + lmax(Gamma) lmax(Sigma)/(e^t - 1) <= 1 + lmax/t; "
       "N-free: <= 1 + (1 + 2 sum|rho|) lmax(Sigma)/(e^t - 1)")
def kappa_bound(cfg: CheckConfig):
    rng = cfg.rng("kappa.bound")
    for kernel in default_kernels(cfg):
        for N in (8, 128) + ((1024,) if cfg.full else ()):
            spec = gp.GPSpec(kernel, N, random_sigma(rng, 2))
            for t in (1e-3, 0.1, 2.0):
                c = gp.condition_number(spec, t)
                yield Measurement(_case(kernel, N=N, t=t, bound="exp"), c.kappa, c.bound_exp)
                if np.isfinite(c.bound_symbol):
                    yield Measurement(_case(kernel, N=N, t=t, bound="symbol"), c.kappa,
                                      c.bound_symbol)
