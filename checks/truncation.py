"""Claims on the truncated Gamma: its error and its positive semidefiniteness (docs/theory.md §3-4).

``truncation.error``  ``||Gamma - Gamma_bar||_2 <= tau_J`` (and the tail-sum bound for
                      taper/shift); ``tau_J <= 2 * closed-form tail bound``; Lemma TR.
                      measured: the spectral norm of ``Gamma - Gamma_bar`` (dense ``eigvalsh``
                      or the engine's extreme eigenvalues); bound: the tail sum of ``|r - r_bar|``
                      (a different computation, no eigenvalues). When only the diagonal is
                      changed (the shift with nothing truncated, ``Gamma - Gamma_bar = -delta I``)
                      the bound is attained, and the row carries the round-off allowance of
                      :mod:`gpdtheory_checks.roundoff` for an eigenvalue of a diagonal matrix.
``psd.per_n``         the per-N tests (banded Cholesky, Durbin, dense eigenvalues) agree; the
                      tridiagonal ``[1, r]`` threshold ``1/(2 cos(pi/(N+1)))``.
``psd.all_n``         the exact-arithmetic certificate for every N against the per-N verdict
                      at large N; diagonal dominance implies the certificate; known facts.
``psd.frontier``      the diagonal-dominance frontier against the known constants, next to
                      the exact all-N frontier (certified on both sides).
"""

from __future__ import annotations

import math

import numpy as np

import gpdtheory as gp
from gpdtheory.errors import AssumptionViolated
from gpdtheory.gd import truncated_score
from gpdtheory.psd import (
    certify_all_n,
    diagonally_dominant,
    dominance_frontier,
    exact_frontier,
    first_failing_n,
    per_n,
    smallest_eigenvalue,
)
from gpdtheory.truncation import (
    METHODS,
    tau_J,
    truncated_autocovariance,
    truncation_error,
)

from .cases import case_params, default_kernels, grid, scenario_sigma
from .reference import (
    abs_row_sum,
    rho_column,
    tail_sum,
    theorem_s_constants,
    truncated_column,
)
from .roundoff import C0, UNIT_ROUNDOFF, allowance
from .table import CheckConfig, Measurement, claim

#: Known frontier constants (docs/theory.md §4), quoted to three decimals.
KNOWN_DOMINANCE = {0.5: 0.614, 1.0: 1.0 / math.log(3.0), 2.0: 1.273}
#: Agreement required with a constant quoted to three decimals (half a unit in the last place).
QUOTED_TOL = 5e-4
#: Agreement required with a closed form (1/ln 3, 1/ln 2): the brentq tolerance with headroom.
CLOSED_FORM_TOL = 1e-9
#: Relative offset from a frontier at which the certificate must be decisive on each side.
FRONTIER_STEP = 1e-6


@claim("truncation.error", "3", "Gamma_bar follows the documented rule (hard, taper, shift); "
       "||Gamma - Gamma_bar||_2 <= tau_J = 2 sum_{m>J} |rho(m)| (hard; |d_0| + 2 sum |d_m| for "
       "taper/shift) <= 2 * closed-form tail bound; Lemma TR: "
       "||Y* - Y_bar*||_F <= alpha^2 tau ||Sigma|| / mu_t ||Y_bar*||_F", scenario=True)
def truncation_error_claim(cfg: CheckConfig):
    """Lemma TR and the tail bounds (docs/theory.md §3).

    measured: the library's ``Gamma_bar`` column (:func:`gpdtheory.truncation.
    truncated_autocovariance`) against the documented rule; ``||Gamma - Gamma_bar||_2`` of
    the library's ``Gamma_bar`` from eigenvalues (dense or engine); the ratio
    ``||Y* - Y_bar*|| / ||Y_bar*||`` from two library scores; ``tau_J`` as the library's sum.
    bound: from the statement's inputs only (:mod:`gpdtheory_checks.reference`): the rule's column
    recomputed from ``rho`` (the shift's ``min f_J`` by a grid and Brent, not Chebyshev
    roots), the absolute tail sum of ``r - r_bar`` of *that* column (no eigenvalues), twice
    the kernel's closed-form tail bound (an integral bound: loose by design), Lemma TR's
    factor ``alpha^2 tau ||Sigma|| / mu_t`` from dense spectra.

    Round-off (docs/theory.md §11): the column row compares two computations of the same
    numbers: ``C0 (J + 2) u 2 (|r_0| + 2 sum_{1<=m<=J} |r_m|)`` (the two symbol minima; hard
    and taper round once per entry). Rows where theory says the bound is attained
    (``Gamma - Gamma_bar = d_0 I``) carry ``C0 N u |d_0|`` plus that discrepancy. Lemma TR
    rows whose factor is below the round-off ``C0 N d u kappa_t`` of the two solves cannot
    be resolved in float64: their allowance exceeds the bound and the verdict is
    ``unresolved`` (``FAILS`` above bound + allowance).
    """
    rng = cfg.rng("truncation.error")
    sizes = grid(cfg, "N", (2, 16, 96) + ((700,) if cfg.full else ()))
    methods = grid(cfg, "truncation", METHODS)
    for kernel in default_kernels(cfg):
        for N in sizes:
            r = rho_column(kernel, N)
            lags = ({0, 1, 4, N // 2, N - 1} if cfg.scenario is None
                    else {J for J in cfg.scenario.J if J <= N - 1})
            for J in sorted(lags):
                head = 2.0 * abs_row_sum(r[: J + 1])
                rule_tol = C0 * (J + 2) * UNIT_ROUNDOFF * head
                for method in methods:
                    ref = truncated_column(r, J, method)
                    impl = truncated_autocovariance(r, J, method)
                    case = case_params(kernel, N=N, J=J, truncation=method)
                    yield Measurement({**case, "quantity": "Gamma_bar column vs rule"},
                                      float(np.max(np.abs(impl - ref))), rule_tol,
                                      kind="tolerance",
                                      note="library column against the documented rule")
                    diff = r - ref
                    bound = abs(float(diff[0])) + tail_sum(diff, 0)
                    if bound == 0.0:
                        continue  # nothing truncated (J >= N - 1): Gamma_bar = Gamma exactly
                    exact = truncation_error(r, J, method)
                    # a multiple of I: its norm |d_0| is the bound, attained to round-off of a
                    # symmetric eigensolver on an N x N diagonal matrix
                    attained = not np.any(diff[1:])
                    yield Measurement({**case, "quantity": "||G - Gb||_2"}, exact, bound,
                                      allowance=(allowance(N, 1.0, bound) + rule_tol
                                                 if attained else 0.0),
                                      note="attained: Gamma - Gamma_bar = d_0 I" if attained
                                      else "")
                if math.isfinite(kernel.tail_bound(J)) and J < N - 1:
                    yield Measurement(
                        case_params(kernel, N=N, J=J, quantity="tau_J vs closed form"),
                        tau_J(r, J), 2.0 * kernel.tail_bound(J), loose=True,
                        note="integral tail bound: loose by design")
        N, d = (24, 2) if cfg.scenario is None else (max(cfg.scenario.N), cfg.scenario.d)
        Sigma = scenario_sigma(cfg, rng, d)
        spec = gp.GPSpec(kernel, N, Sigma)
        r = rho_column(kernel, N)
        X = spec.sample(3, seed=rng)
        for J in grid(cfg, "J", (1, 4, 12)):
            for method in methods:
                for t in grid(cfg, "t", (0.05, 0.5)):
                    c = theorem_s_constants(r, Sigma, t, J, 0, method)
                    if c.mu_bar <= 0:
                        continue  # Lemma TR's Y_bar* needs C_bar_t > 0
                    try:
                        ybar = truncated_score(spec, X, t, J, method)
                    except AssumptionViolated:
                        continue
                    s_star = gp.score(spec, X, t)
                    ratio = np.linalg.norm(ybar - s_star, axis=(-2, -1)) / np.linalg.norm(
                        ybar, axis=(-2, -1))
                    # two solves with C_t and C_bar_t round at kappa u relative to ||Y_bar*||:
                    # a Lemma TR factor below that cannot be resolved
                    floor = allowance(N * d, c.lmax_c / c.mu, 1.0)
                    below = c.tr_factor <= floor
                    case = case_params(kernel, N=N, J=J, truncation=method, t=t,
                                       quantity="Lemma TR")
                    yield Measurement(case, float(ratio.max()), c.tr_factor,
                                      allowance=floor if below else 0.0,
                                      note="tail below round-off" if below else "")


def _tridiagonal_threshold(N: int) -> float:
    return 0.5 / math.cos(math.pi / (N + 1))


@claim("psd.per_n", "4", "for one N the banded-Cholesky, Durbin and dense-eigenvalue verdicts on "
       "Gamma_bar_N agree; tridiagonal [1, r] is PD iff |r| < 1/(2 cos(pi/(N+1)))",
       scenario=True)
def psd_per_n(cfg: CheckConfig):
    """Per-N PSD verdicts agree (docs/theory.md §4).

    measured: the number of per-N methods (banded Cholesky, Durbin's reflection
    coefficients) whose verdict differs from dense ``eigvalsh``, and for the tridiagonal
    ``[1, r]`` family the banded verdict just below and above the threshold. bound: 0 (a
    tolerance row); the closed form ``1/(2 cos(pi/(N+1)))`` is an independent formula.
    """
    kernels = default_kernels(cfg) + ([gp.PoweredExponential(8.0, 2.0)]
                                      if cfg.scenario is None else [])
    sizes = grid(cfg, "N", (1, 2, 3, 8, 40, 120) + ((600,) if cfg.full else ()))
    for kernel in kernels:
        for N in sizes:
            lags = ({0, 1, 2, 5, N - 1} if cfg.scenario is None
                    else {J for J in cfg.scenario.J if J <= N - 1} | {N - 1})
            for J in sorted(lags):
                if J > N - 1:
                    continue
                dense = per_n(kernel, J, N, "dense")
                others = [per_n(kernel, J, N, m) for m in ("banded", "durbin")]
                # agreement is decidable only away from the boundary lmin = 0
                if abs(dense.lmin) < 1e-10:
                    continue
                mismatch = sum(o.positive_definite != dense.positive_definite for o in others)
                yield Measurement(case_params(kernel, N=N, J=J, lmin=round(dense.lmin, 6)),
                                  mismatch, 0.0, kind="tolerance",
                                  note="number of per-N methods disagreeing with eigvalsh")
    for N in (2, 3, 5, 10, 50, 400):
        thr = _tridiagonal_threshold(N)
        for side, r1 in (("below", thr * (1 - 1e-9)), ("above", thr * (1 + 1e-9))):
            res = per_n(np.array([1.0, r1]), 1, N, "banded")
            expected = side == "below"
            yield Measurement({"family": "tridiagonal", "N": N, "r": round(r1, 9), "side": side},
                              float(res.positive_definite != expected), 0.0, kind="tolerance",
                              note="PD iff r < 1/(2 cos(pi/(N+1)))")
    # the smallest failing N, from one Cholesky of size 400, matches the closed form
    for r1 in (0.51, 0.55, 0.6065306597126334, 0.7):
        N_cf = next(n for n in range(1, 10**6) if r1 >= _tridiagonal_threshold(n))
        yield Measurement({"family": "tridiagonal", "r": r1, "quantity": "first failing N"},
                          abs(first_failing_n(np.array([1.0, r1]), 1, 400) - N_cf), 0.0,
                          kind="tolerance", note=f"closed form N = {N_cf}")


#: Relative width (to the Gershgorin radius) of the bisection for lmin(Gamma_bar_N).
LMIN_TOL = 1e-13


def _cert_vs_large_n(kernel, J: int, N: int):
    """(certificate, lmin(Gamma_bar_N)) for one kernel and J."""
    return certify_all_n(kernel, J), smallest_eigenvalue(kernel, J, N, tol=LMIN_TOL)


@claim("psd.all_n", "4", "the exact-arithmetic certificate f_J >= 0 (every N) agrees with the "
       "per-N verdict at large N: lmin(Gamma_bar_N) >= 0 when certified PSD, < 0 when refuted; "
       "lmin(Gamma_bar_N) >= min f_J; diagonal dominance implies the certificate",
       scenario=True)
def psd_all_n(cfg: CheckConfig):
    """The exact all-N certificate against large-N numerics (docs/theory.md §4).

    measured: ``lmin(Gamma_bar_N)`` at large N from the Toeplitz engine, and the
    certificate's verdict on known cases. bound: the sign predicted by the sympy
    certificate ``f_J >= 0`` (exact rational arithmetic) and its ``min f_J``.
    """
    N_big = 4096 if not cfg.full else 16384
    kernels = [gp.PoweredExponential(2.0, 1.0), gp.PoweredExponential(1.0, 2.0),
               gp.PoweredExponential(0.6, 0.5), gp.PoweredExponential(3.0, 0.5),
               gp.PoweredExponential(0.5, 1.0), gp.Polynomial(1.0, 2.5), gp.Polynomial(2.0, 0.8),
               gp.Logarithmic(1.0, 1.0)]
    Js = (1, 2, 3, 6) + ((12, 24) if cfg.full else ())
    if cfg.scenario is not None:  # the user's kernel at the largest N its data allows
        kernels, Js = [cfg.scenario.kernel], tuple(cfg.scenario.J)
        N_big = int(min(N_big, cfg.scenario.kernel.max_lag + 1))
    for kernel in kernels:
        for J in Js:
            cert, lmin = _cert_vs_large_n(kernel, J, N_big)
            case = case_params(kernel, J=J, N=N_big, certificate=cert.verdict)
            if cert.verdict == "psd":
                yield Measurement({**case, "quantity": "lmin (certified PSD)"}, lmin, 0.0,
                                  sense=">=", kind="tolerance")
            elif cert.verdict == "not_psd":
                yield Measurement({**case, "quantity": "lmin (refuted)"}, lmin, 0.0,
                                  kind="tolerance", note=f"witness w = {cert.witness_w:.4f}")
            elif cfg.scenario is not None:  # a user's kernel may sit on the boundary f_J = 0
                yield Measurement({**case, "quantity": "lmin (inconclusive certificate)"}, lmin,
                                  math.nan, kind="info",
                                  note="|min f_J| is within the certificate's rounding slack")
            else:
                yield Measurement(case, math.nan, 0.0, note="inconclusive certificate")
            # symbol bound lmin(T_N) >= min f_J: the bisection brackets lmin to
            # LMIN_TOL (|r_0| + R), the symbol's minimum is an exact evaluation at a point
            # (an upper bound on min f_J) rounded like a sum of J + 1 terms
            radius = abs_row_sum(rho_column(kernel, J + 1))
            slack = LMIN_TOL * radius + C0 * (J + 2) * UNIT_ROUNDOFF * radius
            yield Measurement({**case, "quantity": "lmin - min f_J"}, lmin - cert.min_value,
                              0.0, sense=">=", kind="tolerance", allowance=slack,
                              note="bisection width + rounding of f_J at its minimiser")
            if diagonally_dominant(kernel, J):
                yield Measurement({**case, "quantity": "dominance => certificate"},
                                  float(cert.verdict != "psd"), 0.0, kind="tolerance")
    if cfg.scenario is not None:
        return  # the known facts below are about fixed kernels, not the user's
    # known facts: nu = 1, ell = 2 fails dominance, J = 1 refuted, every J >= 2 certified
    k = gp.PoweredExponential(2.0, 1.0)
    for J in range(1, 17 if not cfg.full else 41):
        cert = certify_all_n(k, J)
        expected = "not_psd" if J == 1 else "psd"
        yield Measurement(case_params(k, J=J, dominant=diagonally_dominant(k, J),
                                      certificate=cert.verdict, quantity="known fact"),
                          float(cert.verdict != expected), 0.0, kind="tolerance",
                          note=f"expected {expected}")
    for r1, expected in ((0.5, "psd"), (0.5 + 2.0**-40, "not_psd"), (0.5 - 2.0**-40, "psd")):
        cert = certify_all_n(np.array([1.0, r1]), 1)
        yield Measurement({"family": "tridiagonal", "r": r1, "certificate": cert.verdict},
                          float(cert.verdict != expected), 0.0, kind="tolerance",
                          note="PSD for every N iff |r| <= 1/2 (exact data, zero slack)")


@claim("psd.frontier", "4", "largest ell with 2 sum_{m>=1} rho(m) <= 1 (powered exponential): "
       "0.614 (nu=0.5), 1/ln 3 (nu=1), 1.273 (nu=2); it lies below the exact all-N frontier, "
       "which the certificate confirms on both sides")
def psd_frontier(cfg: CheckConfig):
    """Frontiers of diagonal dominance and of the exact certificate (docs/theory.md §4).

    measured: the dominance frontier found by root-finding on ``2 sum rho(m) = 1``.
    bound: the quoted constants (0.614, 1/ln 3, 1.273), and the exact all-N frontier found
    by bisection on the sympy certificate, confirmed on both sides.
    """
    J_max = 4 if not cfg.full else 16
    for nu, known in KNOWN_DOMINANCE.items():
        dd = dominance_frontier(nu)
        tol = CLOSED_FORM_TOL if nu == 1.0 else QUOTED_TOL
        yield Measurement({"nu": nu, "quantity": "dominance frontier", "value": round(dd, 6),
                           "c": round(dd ** (1 / nu), 4)}, abs(dd - known), tol,
                          kind="tolerance", note=f"known {known:.6g}")
        per = {J: exact_frontier(nu, J) for J in range(1, J_max + 1)}
        bJ = min(per, key=per.get)
        yield Measurement({"nu": nu, "quantity": "dominance <= exact frontier", "binding_J": bJ},
                          dd, per[bJ], note=f"exact all-N frontier over J <= {J_max}")
        yield Measurement({"nu": nu, "J": 1, "quantity": "exact frontier J=1 vs 1/ln 2"},
                          abs(per[1] - 1 / math.log(2.0)), CLOSED_FORM_TOL, kind="tolerance")
        for J in (1, 2):
            ell = per[J]
            below = certify_all_n(gp.PoweredExponential(ell * (1 - FRONTIER_STEP), nu), J).verdict
            above = certify_all_n(gp.PoweredExponential(ell * (1 + FRONTIER_STEP), nu), J).verdict
            yield Measurement({"nu": nu, "J": J, "ell_J": round(ell, 6), "below": below,
                               "above": above, "quantity": "certified frontier"},
                              float(below != "psd") + float(above != "not_psd"), 0.0,
                              kind="tolerance")
