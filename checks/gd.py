"""Claims on gradient descent and the score approximation (docs/theory.md §3).

``gd.rate``    Lemma GD: ``||Y_L - Y_bar*||_F <= (1 - mu_bar_t/Lambda)^L ||Y_bar*||_F``, and the
               library's iterates against the documented iteration (closed form).
``theorem_s``  Theorem S: the GD network's error against the exact score, per sample,
               in operator norm (every X) and in ``L2(p_t)``, against the explicit bound.
               Both claims take their bounds from :mod:`gpdtheory_checks.reference` (the statement's
               inputs, dense spectra), never from :mod:`gpdtheory.bounds`.

Attained rows (docs/theory.md §11) get a round-off allowance from :mod:`gpdtheory_checks.roundoff`:
Lemma GD when ``C_bar_t`` has a single eigenvalue (``Gamma_bar = I`` and ``d = 1``), where
every ``Y_bar*`` is an extreme eigenvector; the operator-norm row of Theorem S when its
truncation part is below the round-off of the GD part, because ``max_c (1 - eta c)^L / c``
over the spectrum of ``C_bar_t`` is attained at ``c = mu_bar_t``. The per-sample and
``L2(p_t)`` rows of Theorem S whose bound is below what float64 resolves (the GD forward-error
bound plus the solve for ``s*``; e.g. a Gaussian kernel at J = 8 after L = 200 steps) are
``unresolved``: the measured side is then round-off alone, and the row FAILS only above
bound + floor. The
``L2(p_t)`` allowance follows from ``||E||_2 <= floor`` for the computed ``D = A - C_t^-1``:
``tr((D + E) C (D + E)^T) <= (x_factor + floor)^2 tr(C)``.
"""

from __future__ import annotations

import numpy as np

import gpdtheory as gp
from gpdtheory.errors import AssumptionViolated
from gpdtheory.gd import gd_iterates, gd_matrix, l2_error, truncated_score
from gpdtheory.truncation import METHODS

from .cases import case_params, default_kernels, grid, scenario_d, scenario_mean, scenario_sigma
from .reference import (
    abs_norm,
    abs_row_sum,
    gd_reference,
    marginal_covariance_dense,
    power_of_rate,
    rho_column,
    theorem_s_constants,
)
from .roundoff import allowance, gd_floor
from .table import CheckConfig, Measurement, claim

#: Lemma GD is checked only where its bound is above this floor: below it the measured
#: error is float64 round-off of ``Y_bar*`` (about ``kappa eps``), not the GD error.
GD_BOUND_FLOOR = 1e-9


def _single_eigenvalue(c, N: int, d: int) -> bool:
    """True when ``C_bar_t`` is a multiple of ``I``: ``Gamma_bar = I`` (J = 0 or N = 1), d = 1."""
    return d == 1 and (N == 1 or not np.any(c.r_bar[1:]))


def _case_of(kernel, **extra):
    return case_params(kernel, **{k: (round(v, 4) if isinstance(v, float) else v)
                            for k, v in extra.items()})


def _gd_floor(c, J: int, N: int, Sigma: np.ndarray, steps: int) -> float:
    """:func:`gpdtheory_checks.roundoff.gd_floor` of ``steps`` GD steps for the constants ``c``."""
    d = Sigma.shape[0]
    magnitude = c.eta * c.alpha2 * abs_row_sum(c.r_bar) * abs_norm(Sigma) + 3.0
    return gd_floor(2 * min(J, N - 1) + d + 3, magnitude, min(steps, c.Lambda / c.mu_bar))


def _centred(spec, X, t):
    """``X - alpha_t mu`` (the GD and score act on the centred input)."""
    if spec.mean is None:
        return X
    return X - np.exp(-t / 2) * np.asarray(spec.mean_array)


@claim("gd.rate", "3", "Lemma GD: ||Y_L - Y_bar*||_F <= (1 - mu_bar_t/Lambda)^L ||Y_bar*||_F "
       "with eta = 1/Lambda, for every truncation with mu_bar_t > 0; the library's iterates "
       "are the documented iteration", scenario=True)
def gd_rate(cfg: CheckConfig):
    """Lemma GD (docs/theory.md §3.1).

    measured: ``L`` GD steps of the library (:func:`gpdtheory.gd.gd_iterates`) against the
    library's ``Y_bar*`` (:func:`gpdtheory.gd.truncated_score`); and, as a tolerance row,
    against the documented iteration recomputed by :func:`gpdtheory_checks.reference.gd_reference`
    (closed form in the eigenbasis of ``C_bar_t``, built from ``rho`` by the documented
    truncation rule). bound: ``(1 - mu_bar/Lambda)^L`` from dense spectra of the rule's
    ``Gamma_bar`` and ``Sigma`` (:func:`gpdtheory_checks.reference.theorem_s_constants`).

    Round-off (docs/theory.md §11): the iterate row's tolerance is the GD forward-error bound
    :func:`gpdtheory_checks.roundoff.gd_floor` plus ``C0 n u (kappa_bar + L)`` of the closed form.
    Lemma GD is attained when ``C_bar_t`` is a multiple of ``I`` (``Gamma_bar = I``, ``d = 1``);
    those rows carry the same GD floor.
    """
    rng = cfg.rng("gd.rate")
    sizes = grid(cfg, "N", (1, 3, 16, 48) + ((160,) if cfg.full else ()))
    for kernel in default_kernels(cfg):
        for N in sizes:
            d = scenario_d(cfg, rng)
            Sigma = scenario_sigma(cfg, rng, d)
            spec = gp.GPSpec(kernel, N, Sigma, mean=scenario_mean(cfg, rng, N, d))
            r = rho_column(kernel, N)
            X = spec.sample(3, seed=rng)
            for truncation in grid(cfg, "truncation", METHODS):
                Js = ([int(rng.integers(0, N))] if cfg.scenario is None
                      else sorted({min(J, N - 1) for J in cfg.scenario.J}))
                for J, t in ((J, t) for J in Js for t in grid(cfg, "t", (0.01, 1.0))):
                    c = theorem_s_constants(r, Sigma, t, J, 0, truncation)
                    if c.mu_bar <= 0:
                        continue  # the hypothesis mu_bar_t > 0 fails (indefinite hard truncation)
                    try:
                        ybar = -truncated_score(spec, X, t, J, truncation)
                    except AssumptionViolated:
                        continue
                    L_cap = int(np.log(GD_BOUND_FLOOR) / np.log(c.rate)) if c.rate > 0 else 1
                    Ls = ({1, min(10, L_cap), min(60, L_cap)} if cfg.scenario is None
                          else {max(1, min(L, L_cap)) for L in cfg.scenario.L})
                    Ls = sorted(L for L in Ls if L >= 1)
                    ref = gd_reference(c.r_bar, Sigma, _centred(spec, X, t), t, Ls)
                    kappa_bar = c.lmax_c_bar / c.mu_bar
                    for L in Ls:
                        Y = gd_iterates(spec, X, t, J, L, truncation)
                        err = np.linalg.norm(Y - ybar) / np.linalg.norm(ybar)
                        floor = _gd_floor(c, J, N, Sigma, L) + allowance(
                            N * d, kappa_bar + min(L, c.Lambda / c.mu_bar), 1.0)
                        case = _case_of(kernel, N=N, d=d, J=J, truncation=truncation, t=t, L=L)
                        yield Measurement({**case, "quantity": "Y_L vs documented iteration"},
                                          float(np.linalg.norm(Y - ref[L])
                                                / np.linalg.norm(ybar)), floor,
                                          kind="tolerance",
                                          note="relative to ||Y_bar*||; GD floor + closed form")
                        attained = _single_eigenvalue(c, N, d)
                        yield Measurement({**case, "quantity": "||Y_L - Y_bar*||/||Y_bar*||"},
                                          err, power_of_rate(c.mu_bar / c.Lambda, L),
                                          allowance=floor if attained else 0.0,
                                          note="attained: C_bar_t = c I" if attained else "")


@claim("theorem_s", "3", "Theorem S: ||s_GD - s*||_F <= [(1 - mu_bar/Lambda)^L + alpha^2 tau "
       "||Sigma||/mu_t] ||Y_bar*||_F <= that / mu_bar ||X||_F; per sample, worst X (operator "
       "norm) and L2(p_t); tau = tau_J (hard) or |d_0| + 2 sum |d_m| (taper, shift)",
       scenario=True)
def theorem_s(cfg: CheckConfig):
    """Theorem S (docs/theory.md §3.3, §3.5).

    measured: the library's GD iterates (:func:`gpdtheory.gd.gd_iterates`) against the
    library's exact score (per sample), the library's dense GD matrix
    (:func:`gpdtheory.gd.gd_matrix`) against the inverse of the dense ``C_t`` built here
    from ``rho`` (operator norm), and the library's ``L2(p_t)`` error
    (:func:`gpdtheory.gd.l2_error`). bound: the constants of
    :func:`gpdtheory_checks.reference.theorem_s_constants` (dense spectra of the documented
    ``Gamma_bar``, ``Gamma`` and ``Sigma``; ``tau`` from the rule's column).

    Round-off (docs/theory.md §11): the per-sample rows carry the GD forward-error bound
    :func:`gpdtheory_checks.roundoff.gd_floor` plus ``C0 n u kappa_t`` of the solve for ``s*``;
    where
    the bound is below that floor the row is ``unresolved`` (and ``FAILS`` above bound +
    floor). The operator row is attained when the truncation part is below the round-off
    of the GD part (``max_c (1 - eta c)^L / c`` is attained at ``c = mu_bar``), with
    ``C0 n u (L + kappa_t) / min(mu_bar, mu_t)``. The ``L2(p_t)`` row follows from
    ``||E||_2 <= floor`` for the computed ``D = A - C_t^-1``:
    ``tr((D + E) C (D + E)^T) <= (x_factor + floor)^2 tr(C)``.
    """
    rng = cfg.rng("theorem_s")
    N, d = (20, 2) if not cfg.full else (48, 2)
    if cfg.scenario is not None:  # dense N d x N d matrices: the scenario's smallest N
        N, d = min(cfg.scenario.N), cfg.scenario.d
    Ls = grid(cfg, "L", (5, 40) + ((200,) if cfg.full else ()))
    for kernel in default_kernels(cfg):
        Sigma = scenario_sigma(cfg, rng, d)
        spec = gp.GPSpec(kernel, N, Sigma)
        r = rho_column(kernel, N)
        X0 = spec.sample(3, seed=rng)
        for J in (J for J in grid(cfg, "J", (2, 8)) if J <= N - 1):
            for truncation in grid(cfg, "truncation", METHODS):
                for t in grid(cfg, "t", (0.05, 1.0)):
                    if theorem_s_constants(r, Sigma, t, J, 0, truncation).mu_bar <= 0:
                        continue  # mu_bar_t <= 0: Theorem S does not apply
                    a2 = np.exp(-t)
                    X = np.sqrt(a2) * X0 + np.sqrt(1 - a2) * rng.standard_normal(X0.shape)  # ~ p_t
                    try:
                        s_star = gp.score(spec, X, t)
                        ybar_norm = np.linalg.norm(truncated_score(spec, X, t, J, truncation),
                                                   axis=(-2, -1))
                    except AssumptionViolated:
                        continue
                    C = marginal_covariance_dense(r, Sigma, t)
                    Cinv = np.linalg.inv(C)
                    kappa_t = float(np.linalg.cond(C))
                    star_norm = np.linalg.norm(s_star, axis=(-2, -1))
                    for L in Ls:
                        c = theorem_s_constants(r, Sigma, t, J, L, truncation)
                        Y = gd_iterates(spec, X, t, J, L, truncation)
                        err = np.linalg.norm(-Y - s_star, axis=(-2, -1))
                        case = _case_of(kernel, N=N, J=J, truncation=truncation, t=t, L=L)
                        # L rounded GD steps and the kappa_t solve for s*, relative to ||Y_bar*||
                        scale = float(np.max(np.maximum(star_norm, np.linalg.norm(
                            Y, axis=(-2, -1))) / ybar_norm))
                        floor_s = (_gd_floor(c, J, N, Sigma, L)
                                   + allowance(N * d, kappa_t, max(scale, 1.0)))
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
