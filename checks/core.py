"""Claims on the exact Gaussian-process core (docs/theory.md §§1-2).

``score.exact``  the fast score equals the dense oracle ``-C_t^{-1} vec(X - alpha mu)``.
``kappa.bound``  ``kappa_t <= 1 + lmax(Gamma) lmax(Sigma)/(e^t - 1) <= 1 + lmax/t`` and,
                 N-free, ``<= 1 + (1 + 2 sum|rho|) lmax(Sigma)/(e^t - 1)``, with ``kappa_t``
                 from dense eigenvalues (see the claim's docstring for each side's route).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

import gpdtheory as gp

from .cases import (
    case_params,
    default_kernels,
    grid,
    scenario_d,
    scenario_mean,
    scenario_sigma,
    sigma_with_spectrum,
)
from .reference import marginal_covariance_dense, rho_column
from .roundoff import allowance
from .table import CheckConfig, Measurement, claim

#: Relative agreement required between the fast score and the dense oracle.
SCORE_RTOL = 1e-10


@claim("score.exact", "2",
       "the structured score equals the dense oracle -C_t^{-1} vec(X - alpha mu) "
       f"to {SCORE_RTOL:g} relative", scenario=True)
def score_exact(cfg: CheckConfig):
    """Fast score against the dense oracle (docs/theory.md §2).

    measured: relative Frobenius distance between :func:`gpdtheory.score` (Toeplitz solves
    per eigenvector of ``Sigma``) and ``scipy.linalg.solve`` with the dense ``N d x N d``
    matrix ``C_t = e^-t toeplitz(rho) ⊗ Sigma + (1 - e^-t) I`` built here from the kernel's
    values (:func:`gpdtheory_checks.reference.marginal_covariance_dense`), with the mean subtracted
    as ``X - e^{-t/2} mu``. bound: the fixed tolerance ``SCORE_RTOL`` (a tolerance row: both sides
    are computations of the same quantity; 1e-10 is far above their ``kappa_t u`` error).
    """
    rng = cfg.rng("score.exact")
    sizes = grid(cfg, "N", [1, 2, 3, 17, 64] + ([150] if cfg.full else []))
    for kernel in default_kernels(cfg):
        for N in sizes:
            d = scenario_d(cfg, rng)
            Sigma = scenario_sigma(cfg, rng, d)
            spec = gp.GPSpec(kernel, N, Sigma, mean=scenario_mean(cfg, rng, N, d))
            X = spec.sample(2, seed=rng)
            r = rho_column(kernel, N)
            for t in grid(cfg, "t", (1e-3, 0.5, 5.0)):
                s = gp.score(spec, X, t)
                a = math.exp(-t / 2)
                C = marginal_covariance_dense(r, Sigma, t)
                oracle = np.stack([-scipy.linalg.solve(C, (x - a * spec.mean_array).ravel())
                                   .reshape(N, d) for x in X])
                err = np.linalg.norm(s - oracle) / np.linalg.norm(oracle)
                yield Measurement(case_params(kernel, N=N, d=d, t=t), err, SCORE_RTOL,
                                  kind="tolerance")


#: Sizes of ``kappa.bound``: dense ``eigvalsh`` of the ``N d x N d`` matrix is the
#: independent route, so N stays where that is cheap.
KAPPA_SIZES = (8, 32, 128, 512)


@claim("kappa.bound", "2", "kappa_t <= 1 + lmax(Gamma) lmax(Sigma)/(e^t - 1) <= 1 + lmax/t; "
       "N-free: <= 1 + (1 + 2 sum|rho|) lmax(Sigma)/(e^t - 1); gp.condition_number agrees "
       "with dense eigenvalues", scenario=True)
def kappa_bound(cfg: CheckConfig):
    """Condition number of ``C_t`` against its three upper bounds (docs/theory.md §2).

    measured: ``kappa_t`` from a dense ``eigvalsh`` of ``Gamma ⊗ Sigma`` (the ``N d x N d``
    matrix, never used by the library's own route), mapped to ``C_t`` through
    ``alpha^2 lambda + sigma^2``.
    bound: ``1 + lmax(Gamma) lmax(Sigma) / expm1(t)`` and ``1 + lmax(Gamma) lmax(Sigma) / t``
    from the Toeplitz engine's largest eigenvalue of ``Gamma`` and ``eigh(Sigma)``; the
    N-free ``1 + (1 + 2 sum |rho|) lmax(Sigma) / expm1(t)`` from the kernel's absolute sum
    (summable kernels only).
    A tolerance row compares :func:`gpdtheory.condition_number` (engine route) with the
    dense ``kappa_t``: a symmetric eigensolver's eigenvalues carry an absolute error of about
    ``n u ||C_t||``, so the relative error of ``kappa_t`` is at most ``C0 n u kappa_t``.

    None of these bounds is attained (``kappa_t / bound_exp = sigma^2 / lmin(C_t) < 1``), so
    no row has a round-off allowance. Each kernel keeps one ``Sigma`` for every N, so that
    ``kappa_t`` is one process seen at growing N; its spectrum is recorded in the row.
    """
    rng = cfg.rng("kappa.bound")
    sizes = grid(cfg, "N", KAPPA_SIZES + ((1024,) if cfg.full else ()))
    for kernel in default_kernels(cfg):
        if cfg.scenario is None:
            eigs = np.round(np.exp(rng.uniform(-1.15, 1.15, size=2)), 3)
            Sigma = sigma_with_spectrum(rng, eigs)
        else:
            Sigma = scenario_sigma(cfg, rng, cfg.scenario.d)
            eigs = np.round(np.linalg.eigvalsh(Sigma), 4)
        sig_text = ",".join(f"{e:g}" for e in np.sort(eigs))
        for N in sizes:
            spec = gp.GPSpec(kernel, N, Sigma)
            lam_K = np.linalg.eigvalsh(np.kron(scipy.linalg.toeplitz(spec.r), Sigma))
            n = lam_K.size
            for t in grid(cfg, "t", (1e-3, 0.1, 2.0)):
                a2, s2 = np.exp(-t), -np.expm1(-t)
                kappa = (a2 * lam_K[-1] + s2) / (a2 * lam_K[0] + s2)
                c = gp.condition_number(spec, t)
                case = case_params(kernel, N=N, t=t, Sigma_eig=sig_text, quantity="kappa_t")
                yield Measurement({**case, "bound": "engine route"},
                                  abs(c.kappa - kappa) / kappa, allowance(n, kappa, 1.0),
                                  kind="tolerance",
                                  note="|condition_number - dense| / dense vs C0 n u kappa")
                yield Measurement({**case, "bound": "exp"}, kappa, c.bound_exp)
                yield Measurement({**case, "bound": "1+lmax/t"}, kappa, c.bound_t)
                if np.isfinite(c.bound_symbol):
                    yield Measurement({**case, "bound": "symbol"}, kappa, c.bound_symbol)
