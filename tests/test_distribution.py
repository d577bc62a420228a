"""Distribution error: estimators, Lyapunov covariance, Gaussian distances, Girsanov bound.

Every fast routine is compared with an independent dense oracle: matrix inverses of
``C_t`` / ``C_bar_t``, the GD iteration itself on unit vectors, Van Loan's block-matrix
exponential for the Lyapunov equation with a constant drift, an explicit dense loop for
the sampler recursions, textbook KL/W2 formulas, scipy.stats Monte Carlo and quadrature.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

import gpdtheory as gp
from gpdtheory import distribution as dist
from gpdtheory.errors import (
    AssumptionViolated,
    DivergenceWarning,
    InvalidArgumentError,
    NotPositiveDefiniteError,
)
from gpdtheory.gd import gd_iterates, l2_error
from gpdtheory.sampling import SAMPLERS, time_grid
from gpdtheory.testing import strategies as gst
from gpdtheory.truncation import truncated_autocovariance

from .helpers import rel_err

#: Dense inverse / eigenbasis reconstructions of matrices with kappa <~ 1e4: kappa * eps * 100.
MATRIX_RTOL = 1e-9
#: solve_ivp (DOP853, rtol 1e-11) against an exact oracle: two orders above the ODE tolerance.
ODE_RTOL = 1e-9
#: Exact recursions evaluated two ways (eigenbasis vs dense loop): round-off over <= 200 steps.
RECURSION_RTOL = 1e-11


def _spec(N, d, kernel=None, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    S = (Q * np.exp(rng.uniform(-1, 1, d))) @ Q.T
    return gp.GPSpec(kernel or gp.PoweredExponential(2.0, 1.0), N, 0.5 * (S + S.T))


def _dense_cov(spec, t):
    return np.exp(-t) * spec.covariance_dense() - np.expm1(-t) * np.eye(spec.N * spec.d)


# ----------------------------------------------------------------------------- estimators
@pytest.mark.parametrize("N, d", [(1, 1), (1, 3), (2, 2), (3, 1), (3, 2), (7, 3)])
@pytest.mark.parametrize("t", [1e-3, 0.4, 6.0])
def test_exact_score_estimator_is_inverse_covariance(N, d, t):
    spec = _spec(N, d)
    est = dist.exact_score_estimator(spec)
    assert rel_err(est.matrix(t), np.linalg.inv(_dense_cov(spec, t))) < MATRIX_RTOL


@pytest.mark.parametrize("N, d, J", [(1, 2, 0), (2, 1, 1), (3, 2, 1), (6, 2, 2), (9, 1, 4)])
@pytest.mark.parametrize("truncation", ["hard", "taper", "shift"])
def test_truncated_score_estimator_is_inverse_truncated_covariance(N, d, J, truncation):
    spec = _spec(
        N, d, gp.PoweredExponential(2.0, 1.0) if J != 1 else gp.PoweredExponential(0.8, 1.0)
    )
    est = dist.truncated_score_estimator(spec, J, truncation)
    Gb = scipy.linalg.toeplitz(truncated_autocovariance(spec.r, J, truncation))
    for t in (0.01, 1.0):
        Cb = np.exp(-t) * np.kron(Gb, spec.Sigma) - np.expm1(-t) * np.eye(N * d)
        assert rel_err(est.matrix(t), np.linalg.inv(Cb)) < MATRIX_RTOL


def test_truncated_score_estimator_refuses_indefinite_truncation():
    # nu = 1, ell = 2, J = 1 is not PSD (docs/theory.md §4): C_bar_t is indefinite at small t
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 16, np.eye(1))
    est = dist.truncated_score_estimator(spec, 1)
    with pytest.raises(AssumptionViolated):
        est.eigenvalues(1e-3)


@settings(max_examples=15)
@given(
    spec=gst.specs(max_N=6, max_d=2, with_mean=False),
    J=gst.truncation_lags(4),
    L=gst.depths(30),
    t=gst.diffusion_times(1e-2, 5.0),
)
@example(spec=gp.GPSpec(gp.PoweredExponential(4.0, 1.0), 4, np.array([[7.96026256]])), J=1,
         L=30, t=1.0)   # hard truncation indefinite at N = 4: mu_bar_t = -0.13
def test_gd_estimator_matches_gd_iterates(spec, J, L, t):
    # oracle: run the GD iteration itself on every unit vector (columns of A_t); where the
    # hard truncation is indefinite the estimator is the diverging iterate (documented), so
    # the oracle runs with on_indefinite="warn" and its warning is the expected one
    est = dist.gd_estimator(spec, J, L)
    n = spec.N * spec.d
    E = np.eye(n).reshape(n, spec.N, spec.d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        A = gd_iterates(spec, E, t, J, L, on_indefinite="warn").reshape(n, n).T
    assert rel_err(est.matrix(t), A) < MATRIX_RTOL * max(1.0, L / 10)


@pytest.mark.parametrize("N, d", [(1, 1), (2, 3), (3, 2)])
def test_score_applies_the_matrix(N, d, rng):
    spec = _spec(N, d)
    Y = rng.standard_normal((4, 2, N, d))
    for est in (dist.gd_estimator(spec, 1, 7), dist.exact_score_estimator(spec)):
        dense = dist.dense_estimator(N, d, est.matrix)
        want = -(Y.reshape(4, 2, -1) @ est.matrix(0.3).T).reshape(Y.shape)
        assert rel_err(est.score(Y, 0.3), want) < 1e-12
        assert rel_err(dense.score(Y, 0.3), want) < 1e-12


def test_estimator_validation():
    spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), 3, np.eye(2), mean=np.ones(2))
    with pytest.raises(InvalidArgumentError, match="mean"):
        dist.exact_score_estimator(spec)
    with pytest.raises(InvalidArgumentError):
        dist.LinearEstimator(2, 2)
    with pytest.raises(InvalidArgumentError):
        dist.exact_score_estimator(_spec(2, 1)).matrix(-1.0)


# ----------------------------------------------------------------------------- Lyapunov ODE
def _van_loan(M, P0, tau, noise):
    """``P(tau)`` for ``dP = M P + P M^T + noise I`` with constant M (block matrix exponential)."""
    n = M.shape[0]
    H = np.block([[-M, noise * np.eye(n)], [np.zeros((n, n)), M.T]]) * tau
    F = scipy.linalg.expm(H)
    Phi = F[n:, n:].T
    return Phi @ P0 @ Phi.T + Phi @ F[:n, n:]


@pytest.mark.parametrize("N, d", [(1, 1), (2, 2), (3, 1), (3, 2)])
@pytest.mark.parametrize("dynamics", ["sde", "ode"])
def test_constant_estimator_matches_van_loan(N, d, dynamics, rng):
    spec = _spec(N, d, seed=N + d)
    A = np.linalg.inv(_dense_cov(spec, 0.5)) + 0.1 * np.eye(N * d)  # constant in time
    g, V = np.linalg.eigh(A)
    T, t0 = 3.0, 0.2
    M = 0.5 * np.eye(N * d) - (A if dynamics == "sde" else 0.5 * A)
    want = _van_loan(M, np.eye(N * d), T - t0, 1.0 if dynamics == "sde" else 0.0)
    dense = dist.dense_estimator(N, d, lambda t: A)
    assert rel_err(dist.output_covariance(dense, T, t0, dynamics=dynamics), want) < ODE_RTOL
    # spectral path with the same A (eigenbasis on the temporal factor when d = 1)
    if d == 1:
        spectral = dist.LinearEstimator(
            N, 1, temporal_basis=V, spatial_basis=np.eye(1), eigenvalue_fn=lambda t: g[:, None]
        )
        assert rel_err(dist.output_covariance(spectral, T, t0, dynamics=dynamics), want) < ODE_RTOL


@pytest.mark.parametrize("N, d", [(1, 2), (2, 1), (3, 3), (8, 2)])
@pytest.mark.parametrize("dynamics", ["sde", "ode"])
def test_exact_score_carries_CT_to_Ct0(N, d, dynamics):
    spec = _spec(N, d, gp.Polynomial(1.0, 2.5))
    est = dist.exact_score_estimator(spec)
    for T, t0 in ((8.0, 0.01), (1.0, 1e-3)):
        P = dist.output_covariance(est, T, t0, dynamics=dynamics, P0=_dense_cov(spec, T))
        assert rel_err(P, _dense_cov(spec, t0)) < ODE_RTOL


@pytest.mark.parametrize("N, d", [(1, 1), (3, 2), (5, 2)])
def test_spectral_and_dense_lyapunov_agree(N, d):
    spec = _spec(N, d)
    est = dist.gd_estimator(spec, 1, 6)
    dense = dist.dense_estimator(N, d, est.matrix)
    for dyn in ("sde", "ode"):
        a = dist.output_covariance(est, 5.0, 0.02, dynamics=dyn)
        b = dist.output_covariance(dense, 5.0, 0.02, dynamics=dyn)
        assert rel_err(a, b) < ODE_RTOL
    # a P0 that is not diagonal in the estimator's basis takes the dense path
    P0 = _dense_cov(spec, 0.7)
    assert (
        rel_err(
            dist.output_covariance(est, 5.0, 0.02, P0=P0),
            dist.output_covariance(dense, 5.0, 0.02, P0=P0),
        )
        < ODE_RTOL
    )


def _dense_recursion(est, times, method, P0):
    """Oracle: the sampler's linear map written out with dense matrices, step by step."""
    n = est.n
    eye = np.eye(n)
    P = P0.copy()
    for k in range(len(times) - 1):
        h = times[k] - times[k + 1]
        A, An = est.matrix(times[k]), est.matrix(times[k + 1])
        if method == "euler_maruyama":
            F, q = eye + h * (0.5 * eye - A), h
        elif method == "exponential_integrator":
            F = scipy.linalg.expm(0.5 * h * eye) - 2 * (math.exp(h / 2) - 1) * A
            q = math.exp(h) - 1
        else:
            B, Bn = 0.5 * (eye - A), 0.5 * (eye - An)
            F = eye + h / 2 * (B + Bn @ (eye + h * B))
            q = 0.0
        P = F @ P @ F.T + q * eye
    return P


@pytest.mark.parametrize("N, d", [(1, 1), (2, 2), (3, 1), (4, 2)])
@pytest.mark.parametrize("method", list(SAMPLERS))
@pytest.mark.parametrize("grid", ["log", "uniform"])
def test_discrete_covariance_matches_dense_loop(N, d, method, grid):
    spec = _spec(N, d)
    times = time_grid(4.0, 0.05, 30, grid)
    for est in (dist.gd_estimator(spec, 1, 5), dist.exact_score_estimator(spec)):
        want = _dense_recursion(est, times, method, np.eye(N * d))
        assert rel_err(dist.discrete_covariance(est, times, method), want) < RECURSION_RTOL
        dense = dist.dense_estimator(N, d, est.matrix)
        assert rel_err(dist.discrete_covariance(dense, times, method), want) < RECURSION_RTOL


def test_exponential_integrator_is_exact_for_the_OU_part():
    zero = dist.LinearEstimator(
        3,
        2,
        temporal_basis=np.eye(3),
        spatial_basis=np.eye(2),
        eigenvalue_fn=lambda t: np.zeros((3, 2)),
    )
    for grid in ("log", "uniform"):
        for K in (1, 7):
            P = dist.discrete_covariance(
                zero, time_grid(5.0, 0.1, K, grid), "exponential_integrator"
            )
            assert rel_err(P, (2 * math.exp(4.9) - 1) * np.eye(6)) < 1e-13


@pytest.mark.parametrize(
    "method, order", [("euler_maruyama", 1), ("exponential_integrator", 1), ("probability_flow", 2)]
)
def test_discrete_converges_to_continuous_at_documented_order(method, order):
    spec = _spec(4, 2)
    est = dist.gd_estimator(spec, 2, 8)
    Pc = dist.output_covariance(est, 4.0, 0.05, dynamics="ode" if order == 2 else "sde")
    errs = [
        rel_err(dist.discrete_covariance(est, time_grid(4.0, 0.05, K), method), Pc)
        for K in (100, 200, 400)
    ]
    slopes = -np.diff(np.log(errs)) / np.log(2)
    assert np.all(np.abs(slopes - order) < 0.1), slopes


# ----------------------------------------------------------------------------- Gaussian distances
def _random_spd(rng, n):
    B = rng.standard_normal((n, n))
    return B @ B.T + 0.5 * np.eye(n)


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_gaussian_kl_textbook_formula(n, rng):
    S0, S1 = _random_spd(rng, n), _random_spd(rng, n)
    m0, m1 = rng.standard_normal(n), rng.standard_normal(n)
    inv = np.linalg.inv(S1)
    want = 0.5 * (
        np.trace(inv @ S0)
        + (m1 - m0) @ inv @ (m1 - m0)
        - n
        + np.linalg.slogdet(S1)[1]
        - np.linalg.slogdet(S0)[1]
    )
    assert abs(dist.gaussian_kl(S0, S1, m0, m1) - want) < 1e-12 * max(1.0, want)
    assert dist.gaussian_kl(S0, S0) == pytest.approx(0.0, abs=1e-13)


def test_gaussian_kl_monte_carlo(rng):
    n, m = 3, 200_000
    S0, S1 = _random_spd(rng, n), _random_spd(rng, n)
    p, q = (
        scipy.stats.multivariate_normal(np.zeros(n), S0),
        scipy.stats.multivariate_normal(np.ones(n), S1),
    )
    x = p.rvs(m, random_state=rng)
    llr = p.logpdf(x) - q.logpdf(x)
    se = llr.std() / math.sqrt(m)
    assert abs(dist.gaussian_kl(S0, S1, None, np.ones(n)) - llr.mean()) < 5 * se


@pytest.mark.parametrize("n", [1, 2, 4])
def test_gaussian_w2(n, rng):
    S0, S1 = _random_spd(rng, n), _random_spd(rng, n)
    r0 = scipy.linalg.sqrtm(S0).real
    want = np.trace(S0) + np.trace(S1) - 2 * np.trace(scipy.linalg.sqrtm(r0 @ S1 @ r0).real)
    assert dist.gaussian_w2(S0, S1) ** 2 == pytest.approx(want, rel=1e-10, abs=1e-12)
    # commuting covariances: ||S0^{1/2} - S1^{1/2}||_F; 1-D: |s0 - s1| and the mean shift
    D0, D1 = np.diag(rng.uniform(0.5, 2, n)), np.diag(rng.uniform(0.5, 2, n))
    assert dist.gaussian_w2(D0, D1) == pytest.approx(
        np.linalg.norm(np.sqrt(D0) - np.sqrt(D1)), rel=1e-12
    )
    assert dist.gaussian_w2([[4.0]], [[1.0]], [0.0], [3.0]) == pytest.approx(
        math.sqrt(1 + 9), rel=1e-14
    )


def test_pinsker_bounds_numerical_tv():
    for s1, m1 in ((1.5, 0.0), (1.0, 0.7), (0.6, -0.3)):
        p, q = scipy.stats.norm(0, 1), scipy.stats.norm(m1, s1)
        tv = (
            0.5
            * quad(
                lambda x, p=p, q=q: abs(p.pdf(x) - q.pdf(x)), -30, 30, limit=200, points=[0, m1]
            )[0]
        )
        kl = dist.gaussian_kl([[1.0]], [[s1 * s1]], [0.0], [m1])
        assert tv <= dist.pinsker_tv(kl) + 1e-12
    assert dist.pinsker_tv(100.0) == 1.0


def test_gaussian_validation():
    with pytest.raises(NotPositiveDefiniteError):
        dist.gaussian_kl(np.eye(2), -np.eye(2))
    with pytest.raises(InvalidArgumentError):
        dist.gaussian_kl(np.eye(2), np.eye(3))
    with pytest.raises(InvalidArgumentError):
        dist.pinsker_tv(-1.0)


# ----------------------------------------------------------------------------- Girsanov bound
@pytest.mark.parametrize("N, d", [(1, 1), (2, 2), (3, 2), (6, 1)])
def test_score_l2_error_matches_dense(N, d):
    spec = _spec(N, d)
    for est in (dist.gd_estimator(spec, 1, 4), dist.truncated_score_estimator(spec, 2)):
        for t in (0.01, 0.5, 3.0):
            want = l2_error(spec, est.matrix(t), t)
            assert dist.score_l2_error(spec, est, t) == pytest.approx(want, rel=1e-9, abs=1e-14)
    assert dist.score_l2_error(spec, dist.exact_score_estimator(spec), 0.2) < 1e-18


@pytest.mark.parametrize("N, d", [(1, 2), (3, 1), (4, 2)])
def test_girsanov_bound_terms_match_oracles(N, d):
    spec = _spec(N, d)
    est = dist.gd_estimator(spec, 1, 5)
    T, t0 = 4.0, 0.05
    b = dist.girsanov_bound(spec, est, T, t0)
    # oracle: plain-t quadrature of the dense L2 error, and the dense KL of C_T against I
    integral = quad(
        lambda t: l2_error(spec, est.matrix(t), t),
        t0,
        T,
        epsabs=0,
        epsrel=1e-11,
        limit=400,
        points=[0.1, 0.5],
    )[0]
    assert b.score_term == pytest.approx(0.5 * integral, rel=1e-8)
    assert b.prior == pytest.approx(dist.gaussian_kl(_dense_cov(spec, T), np.eye(N * d)), rel=1e-8)
    assert dist.distribution_error(spec, est, T, t0).kl <= b.bound


def test_girsanov_exact_score_only_prior():
    spec = _spec(3, 2)
    est = dist.exact_score_estimator(spec)
    b = dist.girsanov_bound(spec, est, 3.0, 0.01)
    assert b.score_term < 1e-18
    assert dist.distribution_error(spec, est, 3.0, 0.01).kl <= b.prior


#: docs/theory.md §6 case (N=8, d=2, nu=1, ell=2, exact truncated score J=2, T=8, t0=0.01)
#: with Sigma = I, as computed here (KL by DOP853 at rtol 1e-11, bound by quad at rtol 1e-10).
REGRESSION_KL = 1.5323986547
REGRESSION_BOUND = 1.5323990359


def test_girsanov_regression_case_sigma_identity():
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 8, np.eye(2))
    est = dist.truncated_score_estimator(spec, 2)
    kl = dist.distribution_error(spec, est, 8.0, 0.01).kl
    b = dist.girsanov_bound(spec, est, 8.0, 0.01).bound
    assert kl == pytest.approx(REGRESSION_KL, rel=1e-9)
    assert b == pytest.approx(REGRESSION_BOUND, rel=1e-9)
    assert kl <= b and (b - kl) / b < 1e-6  # the bound is tight to 6 digits here


#: The older figure 1.45835 of docs/theory.md §6.4 belongs to Sigma = diag(1, 0.49392): KL
#: 1.4583510987 (closed form; DOP853 agrees to 6e-12), bound 1.4583513934.
REGRESSION_KL_DIAG = 1.4583510987
REGRESSION_BOUND_DIAG = 1.4583513934


def test_girsanov_regression_case_sigma_diag():
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 8, np.diag([1.0, 0.49392]))
    est = dist.truncated_score_estimator(spec, 2)
    kl = dist.distribution_error(spec, est, 8.0, 0.01).kl
    b = dist.girsanov_bound(spec, est, 8.0, 0.01).bound
    assert round(kl, 5) == 1.45835 and round(b, 5) == 1.45835
    assert kl == pytest.approx(REGRESSION_KL_DIAG, rel=1e-9)
    assert b == pytest.approx(REGRESSION_BOUND_DIAG, rel=1e-9)
    assert kl <= b and (b - kl) / b < 1e-6


@pytest.mark.parametrize(
    "Sigma, kl_want, bound_want",
    [(np.eye(2), REGRESSION_KL, REGRESSION_BOUND),
     (np.diag([1.0, 0.49392]), REGRESSION_KL_DIAG, REGRESSION_BOUND_DIAG)],
)
def test_closed_form_girsanov_regression_cases(Sigma, kl_want, bound_want):
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 8, Sigma)
    cf = dist.closed_form_girsanov(spec, dist.truncated_score_estimator(spec, 2), 8.0, 0.01)
    assert cf.kl == pytest.approx(kl_want, rel=1e-9)
    assert cf.bound == pytest.approx(bound_want, rel=1e-9)
    assert cf.prior + cf.score_term == cf.bound


@pytest.mark.parametrize("kernel", [gp.PoweredExponential(0.6, 0.5), gp.Polynomial(1.0, 2.5),
                                    gp.Logarithmic(1.0, 1.0)])
@pytest.mark.parametrize("N, d, J", [(6, 2, 2), (5, 3, 3), (1, 2, 0)])
def test_closed_form_girsanov_matches_ode_and_quadrature(kernel, N, d, J):
    spec = _spec(N, d, kernel, seed=N + d)
    est = dist.truncated_score_estimator(spec, J)
    # every case here has a PSD Gamma_bar, so the truncated score is a Gaussian's exact score
    assert est.model_eigenvalues is not None
    for T, t0 in ((4.0, 0.05), (10.0, 1e-3)):
        cf = dist.closed_form_girsanov(spec, est, T, t0)
        kl = dist.distribution_error(spec, est, T, t0).kl
        b = dist.girsanov_bound(spec, est, T, t0, rtol=1e-12)
        assert cf.kl == pytest.approx(kl, rel=1e-8, abs=1e-13)
        assert cf.score_term == pytest.approx(b.score_term, rel=1e-9, abs=1e-13)
        assert cf.prior == b.prior
        assert cf.kl <= cf.bound + 1e-12 and cf.cond >= 1.0


def test_closed_form_output_covariance_matches_lyapunov():
    # the closed-form per-mode solution behind closed_form_girsanov, against the ODE
    spec = _spec(4, 2, gp.Polynomial(1.0, 2.5))
    est = dist.truncated_score_estimator(spec, 1)
    m, T, t0 = est.model_eigenvalues.ravel(), 6.0, 0.02
    cb = lambda t: np.exp(-t) * m - np.expm1(-t)  # noqa: E731
    p = cb(t0) + np.exp(-T) * (1 - m) * np.exp(t0 - T) * (cb(t0) / cb(T)) ** 2
    Q = est.basis
    P = dist.output_covariance(est, T, t0)
    assert np.diag(Q.T @ P @ Q) == pytest.approx(p, rel=1e-9)


def test_closed_form_girsanov_needs_a_gaussian_model():
    spec = _spec(8, 2)  # powered exponential (2, 1): Gamma_bar at J = 1 is indefinite at N = 8
    assert dist.truncated_score_estimator(spec, 1).model_eigenvalues is None
    with pytest.raises(InvalidArgumentError):
        dist.closed_form_girsanov(spec, dist.truncated_score_estimator(spec, 1), 4.0, 0.05)
    with pytest.raises(InvalidArgumentError):
        dist.closed_form_girsanov(spec, dist.gd_estimator(spec, 2, 5), 4.0, 0.05)
    ex = dist.exact_score_estimator(spec)
    cf = dist.closed_form_girsanov(spec, ex, 4.0, 0.05)
    assert cf.score_term == pytest.approx(0.0, abs=1e-14)
    assert cf.bound == pytest.approx(dist.prior_kl(spec, 4.0), abs=1e-14)


@settings(max_examples=10)
@given(
    spec=gst.specs(max_N=6, max_d=2, with_mean=False),
    J=st.integers(1, 4),
    L=st.integers(1, 40),
    T=st.floats(2.0, 10.0),
    t0=st.floats(1e-3, 0.2),
)
def test_girsanov_bound_holds(spec, J, L, T, t0):
    est = dist.gd_estimator(spec, J, L)
    kl = dist.distribution_error(spec, est, T, t0).kl
    assert kl <= dist.girsanov_bound(spec, est, T, t0).bound * (1 + 1e-9)


def test_distribution_error_discrete_and_validation():
    spec = _spec(3, 2)
    est = dist.gd_estimator(spec, 1, 5)
    e = dist.distribution_error(spec, est, 4.0, 0.05, sampler="probability_flow", steps=200)
    c = dist.distribution_error(spec, est, 4.0, 0.05, sampler="ode")
    assert e.kl == pytest.approx(c.kl, rel=1e-3)
    assert 0 <= e.tv_bound <= 1 and e.w2 > 0
    with pytest.raises(InvalidArgumentError):
        dist.distribution_error(spec, est, 4.0, 0.05, sampler="euler_maruyama")
    with pytest.raises(InvalidArgumentError):
        dist.girsanov_bound(spec, est, 0.05, 4.0)
    with pytest.raises(InvalidArgumentError):
        dist.girsanov_bound(_spec(2, 2), est, 4.0, 0.05)


# ----------------------------------------------------------------------------- sample metrics
def test_wishart_noise_floor_matches_replicates(rng):
    spec = _spec(2, 2)
    K = spec.covariance_dense()
    n, reps = 400, 300
    sq = np.array(
        [
            dist.covariance_relative_error(spec.sample(n, seed=rng), spec, n_boot=0).rel_error ** 2
            for _ in range(reps)
        ]
    )
    floor = dist.wishart_noise_floor(K, n)
    # E[err^2] = floor^2 exactly for Gaussian samples; allow 5 standard errors of the mean
    assert abs(sq.mean() - floor**2) < 5 * sq.std() / math.sqrt(reps)


def test_covariance_relative_error_detects_a_wrong_covariance(rng):
    spec = _spec(3, 2)
    X = spec.sample(20_000, seed=rng)
    good = dist.covariance_relative_error(X, spec, seed=1)
    bad = dist.covariance_relative_error(1.1 * X, spec, seed=1)
    assert good.rel_error < 4 * good.noise_floor
    assert bad.rel_error > 10 * good.noise_floor
    assert 0 < good.std_error < good.noise_floor * 3
    t = dist.covariance_relative_error(X.reshape(len(X), -1), spec.covariance_dense(), n_boot=0)
    assert t.rel_error == pytest.approx(good.rel_error, rel=1e-14) and math.isnan(t.std_error)
    with pytest.raises(InvalidArgumentError):
        dist.covariance_relative_error(X[:, :2], spec)


def test_diverging_estimator_stays_exact():
    # GD on an indefinite Gamma_bar (nu = 1, ell = 2, J = 1) diverges: eigenvalues of A_t grow
    # like (1 + eta |c|)^L and some eigenvalues of P fall far below the dense round-off floor.
    # The log-variable integration keeps them relatively accurate; oracle for the PF-ODE:
    # log p = int_{t0}^{T} (1 - a_t) dt (p(0) = 1), by quadrature.
    from gpdtheory.distribution.lyapunov import output_covariance_spectral

    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 6, np.eye(1))
    est = dist.gd_estimator(spec, 1, 200)
    T, t0 = 4.0, 0.01
    _, p = output_covariance_spectral(est, T, t0, "ode", None, 1e-11, 1e-14)
    logp = [
        quad(
            lambda t, j=j: 1 - est.eigenvalues(t).ravel()[j],
            t0,
            T,
            epsabs=0,
            epsrel=1e-13,
            limit=200,
        )[0]
        for j in range(6)
    ]
    assert np.min(p) < 1e-30  # the regime the dense path cannot represent
    assert np.allclose(np.log(p), logp, rtol=1e-9, atol=1e-9)
    e = dist.distribution_error(spec, est, T, t0)
    b = dist.girsanov_bound(spec, est, T, t0)
    assert np.isfinite(e.kl) and 0 < e.kl <= b.bound


def test_output_covariance_keeps_the_estimators_warnings_and_not_radaus():
    """At a long horizon the exact score's SDE is stiff (Radau) and its step-size controller
    divides by a zero previous step at the span's end: no warning reaches the caller. A
    division by zero inside a user's estimator still warns."""
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.array([[1.5, 0.2], [0.2, 0.7]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = dist.output_covariance(dist.exact_score_estimator(spec), 484.0, 0.05)
    # from N(0, I) at T = 484 the exact reverse SDE reaches the data's marginal at t0
    assert rel_err(P, gp.marginal_covariance(spec, 0.05)) < 1e-9

    def user_matrix(t):
        np.float64(1.0) / np.float64(0.0)   # the user's own division by zero, result unused
        return np.eye(8)

    with pytest.warns(RuntimeWarning, match="divide by zero"):
        dist.output_covariance(dist.dense_estimator(4, 2, user_matrix), 3.0, 0.05)
