"""Claims on gradient descent and the score approximation (docs/theory.md §3).

``gd.rate``    Lemma GD: ``||Y_L - Y_bar*||_F <= (1 - mu_bar_t/Lambda)^L ||Y_bar*||_F``.
               measured: ``L`` explicit GD steps (:func:`gpdtheory.gd.gd_iterates`) against
               the Toeplitz solve for ``Y_bar*``; bound: the extreme eigenvalues of
               ``Gamma_bar`` (engine) and ``Sigma`` (``eigh``), raised to the power ``L``.
``theorem_s``  Theorem S: the GD network's error against the exact score, per sample,
               in operator norm (every X) and in ``L2(p_t)``, against the explicit bound.
               measured: GD iterates / the dense GD matrix against the exact score (Toeplitz
               solves) and the dense inverse of ``C_t``; bound: the spectral constants of
               :func:`gpdtheory.gd.theorem_s_bound` (extreme eigenvalues and tail sums).

Attained rows (docs/theory.md §11) get a round-off allowance from :mod:`checks.roundoff`:
Lemma GD when ``C_bar_t`` has a single eigenvalue (``Gamma_bar = I`` and ``d = 1``), where
every ``Y_bar*`` is an extreme eigenvector; the operator-norm row of Theorem S when its
truncation part is below the round-off of the GD part, because ``max_c (1 - eta c)^L / c``
over the spectrum of ``C_bar_t`` is attained at ``c = mu_bar_t``. The per-sample and
``L2(p_t)`` rows of Theorem S get the allowance where their bound is below what float64
resolves (both its GD and truncation parts under ``C0 n u (L + kappa_t)``, e.g. a Gaussian
kernel at J = 8 after L = 200 steps): the measured side is then round-off alone. The
``L2(p_t)`` allowance follows from ``||E||_2 <= floor`` for the computed ``D = A - C_t^-1``:
``tr((D + E) C (D + E)^T) <= (x_factor + floor)^2 tr(C)``.
"""

from __future__ import annotations

import numpy as np

import gpdtheory as gp
from gpdtheory.errors import AssumptionViolated
from gpdtheory.gd import gd_iterates, gd_matrix, l2_error, theorem_s_bound, truncated_score
from gpdtheory.truncation import METHODS

from .cases import case_params, default_kernels, grid, scenario_d, scenario_mean, scenario_sigma
from .roundoff import allowance
from .table import CheckConfig, Measurement, claim

#: Lemma GD is checked only where its bound is above this floor: below it the measured
#: error is float64 round-off of ``Y_bar*`` (about ``kappa eps``), not the GD error.
GD_BOUND_FLOOR = 1e-9


def _single_eigenvalue(c, d: int) -> bool:
    """True when ``C_bar_t`` is a multiple of ``I``: ``Gamma_bar = I`` (J = 0 or N = 1), d = 1."""
    return d == 1 and c.lmin_gamma_bar == c.lmax_gamma_bar


def _kappa_bar(c) -> float:
    """Condition number of ``C_bar_t``: the solve for ``Y_bar*`` rounds at ``kappa u``."""
    top = c.sigma2 + c.alpha2 * max(c.lmax_gamma_bar * c.lmax_sigma,
                                    c.lmin_gamma_bar * c.lmin_sigma)
    return max(1.0, top / c.mu_bar)


def _case_of(kernel, **extra):
    return case_params(kernel, **{k: (round(v, 4) if isinstance(v, float) else v)
                            for k, v in extra.items()})


@claim("gd.rate", "3", "Lemma GD: ||Y_L - Y_bar*||_F <= (1 - mu_bar_t/Lambda)^L ||Y_bar*||_F "
       "with eta = 1/Lambda, for every truncation with mu_bar_t > 0", scenario=True)
def gd_rate(cfg: CheckConfig):
    """Lemma GD (docs/theory.md §3): see the module docstring for both sides' routes."""
    rng = cfg.rng("gd.rate")
    sizes = grid(cfg, "N", (1, 3, 16, 48) + ((160,) if cfg.full else ()))
    for kernel in default_kernels(cfg):
        for N in sizes:
            d = scenario_d(cfg, rng)
            Sigma = scenario_sigma(cfg, rng, d)
            spec = gp.GPSpec(kernel, N, Sigma, mean=scenario_mean(cfg, rng, N, d))
            X = spec.sample(3, seed=rng)
            for truncation in grid(cfg, "truncation", METHODS):
                Js = ([int(rng.integers(0, N))] if cfg.scenario is None
                      else sorted({min(J, N - 1) for J in cfg.scenario.J}))
                for J, t in ((J, t) for J in Js for t in grid(cfg, "t", (0.01, 1.0))):
                    try:
                        c = theorem_s_bound(spec, t, J, 0, truncation)
                    except AssumptionViolated:
                        continue  # the hypothesis mu_bar_t > 0 fails (indefinite hard truncation)
                    ybar = -truncated_score(spec, X, t, J, truncation)
                    L_cap = int(np.log(GD_BOUND_FLOOR) / np.log(c.rate)) if c.rate > 0 else 1
                    Ls = ({1, min(10, L_cap), min(60, L_cap)} if cfg.scenario is None
                          else {max(1, min(L, L_cap)) for L in cfg.scenario.L})
                    for L in sorted(Ls):
                        if L < 1:
                            continue
                        Y = gd_iterates(spec, X, t, J, L, truncation)
                        err = np.linalg.norm(Y - ybar) / np.linalg.norm(ybar)
                        # relative to ||Y_bar*||: L contracting steps and one solve round at
                        # (L + kappa_bar) u of ||Y_bar*||, whatever the size of the error
                        allow = (allowance(N * d, L + _kappa_bar(c), 1.0)
                                 if _single_eigenvalue(c, d) else 0.0)
                        case = _case_of(kernel, N=N, d=d, J=J, truncation=truncation, t=t, L=L,
                                        quantity="||Y_L - Y_bar*||/||Y_bar*||")
                        yield Measurement(case, err, c.rate**L, allowance=allow,
                                          note="attained: C_bar_t = c I" if allow else "")


@claim("theorem_s", "3", "Theorem S: ||s_GD - s*||_F <= [(1 - mu_bar/Lambda)^L + alpha^2 tau "
       "||Sigma||/mu_t] ||Y_bar*||_F <= that / mu_bar ||X||_F; per sample, worst X (operator "
       "norm) and L2(p_t); tau = tau_J (hard) or |d_0| + 2 sum |d_m| (taper, shift)",
       scenario=True)
def theorem_s(cfg: CheckConfig):
    """Theorem S (docs/theory.md §3): see the module docstring for both sides' routes."""
    rng = cfg.rng("theorem_s")
    N, d = (20, 2) if not cfg.full else (48, 2)
    if cfg.scenario is not None:  # dense N d x N d matrices: the scenario's smallest N
        N, d = min(cfg.scenario.N), cfg.scenario.d
    Ls = grid(cfg, "L", (5, 40) + ((200,) if cfg.full else ()))
    for kernel in default_kernels(cfg):
        spec = gp.GPSpec(kernel, N, scenario_sigma(cfg, rng, d))
        X0 = spec.sample(3, seed=rng)
        for J in (J for J in grid(cfg, "J", (2, 8)) if J <= N - 1):
            for truncation in grid(cfg, "truncation", METHODS):
                for t in grid(cfg, "t", (0.05, 1.0)):
                    try:
                        theorem_s_bound(spec, t, J, 0, truncation)
                    except AssumptionViolated:
                        continue  # mu_bar_t <= 0: Theorem S does not apply
                    a2 = np.exp(-t)
                    X = np.sqrt(a2) * X0 + np.sqrt(1 - a2) * rng.standard_normal(X0.shape)  # ~ p_t
                    s_star = gp.score(spec, X, t)
                    ybar_norm = np.linalg.norm(truncated_score(spec, X, t, J, truncation),
                                               axis=(-2, -1))
                    C = gp.marginal_covariance(spec, t)
                    Cinv = np.linalg.inv(C)
                    kappa_t = float(np.linalg.cond(C))
                    star_norm = np.linalg.norm(s_star, axis=(-2, -1))
                    for L in Ls:
                        c = theorem_s_bound(spec, t, J, L, truncation)
                        Y = gd_iterates(spec, X, t, J, L, truncation)
                        err = np.linalg.norm(-Y - s_star, axis=(-2, -1))
                        case = _case_of(kernel, N=N, J=J, truncation=truncation, t=t, L=L)
                        # L rounded GD steps and the kappa_t solve for s*, relative to ||Y_bar*||
                        scale = float(np.max(np.maximum(star_norm, np.linalg.norm(
                            Y, axis=(-2, -1))) / ybar_norm))
                        floor_s = allowance(N * d, L + kappa_t, max(scale, 1.0))
                        below_s = c.factor <= floor_s
                        yield Measurement({**case, "quantity": "sample"},
                                          float(np.max(err / ybar_norm)), c.factor,
                                          allowance=floor_s if below_s else 0.0,
                                          note="max over 3 samples of err/||Y_bar*||"
                                          + ("; bound below round-off" if below_s else ""))
                        A = gd_matrix(spec, t, J, L, truncation)
                        op = float(np.linalg.norm(A - Cinv, 2))
                        # rounding of A (L products), of inv(C_t) (kappa_t) and of the norm,
                        # on the scale of ||A|| <= 1/mu_bar and ||C_t^-1|| = 1/mu_t
                        floor = allowance(N * d, L + kappa_t, 1.0 / min(c.mu_bar, c.mu))
                        attained = c.tr_factor / c.mu_bar <= floor
                        yield Measurement({**case, "quantity": "operator"}, op, c.x_factor,
                                          allowance=floor if attained else 0.0,
                                          note="sup_X ||s_GD - s*|| / ||X||"
                                          + ("; attained: tail below round-off" if attained
                                             else ""))
                        # D = A - C_t^-1 is computed with an error E, ||E||_2 <= floor, so
                        # tr((D + E) C (D + E)^T) <= (x_factor + floor)^2 tr(C)
                        l2 = l2_error(spec, A, t)
                        trace = float(np.trace(C))
                        below_l2 = c.x_factor <= floor
                        yield Measurement({**case, "quantity": "L2(p_t)"}, l2,
                                          c.x_factor**2 * trace,
                                          allowance=((2 * c.x_factor + floor) * floor * trace
                                                     if below_l2 else 0.0),
                                          note="E||s_GD - s*||^2 vs x_factor^2 E||X||^2"
                                          + ("; bound below round-off" if below_l2 else ""))
