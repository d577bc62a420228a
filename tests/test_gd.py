"""Gradient descent on the truncated objective and its bounds (docs/theory.md §3).

Every structured routine is compared with a dense ``np.kron`` oracle; Lemma GD, Lemma TR
and Theorem S are asserted on hypothesis-drawn cases (family, ell, nu, N, d, t, J, L).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory.errors import AssumptionViolated, InvalidArgumentError
from gpdtheory.gd import (
    gd_iterates,
    gd_matrix,
    l2_error,
    lemma_gd_bound,
    lemma_tr_bound,
    sizes_needed,
    step_size,
    theorem_s_bound,
    truncated_score,
)
from gpdtheory.testing import strategies as gst
from gpdtheory.truncation import truncated_autocovariance

from .helpers import rel_err

#: GD iterates against the dense recursion: both accumulate about L eps of round-off.
GD_RTOL = 1e-11
#: Solves and the closed-form GD matrix: kappa(C_bar_t) eps with kappa <= 1e4 here.
SOLVE_RTOL = 1e-9
#: Round-off allowance on bounds that can be attained exactly (eigenvector inputs).
BOUND_SLACK = 1e-10
METHODS = ("hard", "taper", "shift")


def _dense_cbar(spec, t, J, method):
    rb = truncated_autocovariance(spec.r, J, method)
    n = spec.N * spec.d
    return np.exp(-t) * np.kron(scipy.linalg.toeplitz(rb), spec.Sigma) + (-np.expm1(-t)) * np.eye(n)


def _dense_gd(spec, X, t, J, L, method):
    """Oracle: vec Y_{k+1} = vec Y_k - eta (C_bar vec Y_k - vec(X - alpha mu))."""
    Cb = _dense_cbar(spec, t, J, method)
    eta, _ = step_size(truncated_autocovariance(spec.r, J, method), spec.Sigma)
    x = (X - np.exp(-t / 2) * spec.mean_array).reshape(X.shape[:-2] + (-1,))
    y = np.zeros_like(x)
    out = [y]
    for _ in range(L):
        y = y - eta * (y @ Cb - x)
        out.append(y)
    return np.stack(out).reshape((L + 1,) + X.shape)


@pytest.mark.filterwarnings("ignore::gpdtheory.errors.DivergenceWarning")
@pytest.mark.parametrize("N", [1, 2, 3, 10, 70])
@pytest.mark.parametrize("method", METHODS)
def test_gd_iterates_match_dense_kron(N, method, rng):
    d = 2
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N, np.array([[1.5, 0.3], [0.3, 0.7]]),
                     mean=rng.standard_normal((N, d)))
    X = spec.sample(3, seed=1)
    for J in sorted({0, 1, min(3, N - 1), N - 1, N + 5}):   # N = 70: J = 69 takes the FFT path
        for t in (0.01, 0.7):
            # the arithmetic is checked on indefinite hard truncations too (opted in)
            ours = gd_iterates(spec, X, t, J, 12, method, return_all=True, on_indefinite="warn")
            ref = _dense_gd(spec, X, t, J, 12, method)
            assert ours.shape == (13, 3, N, d)
            assert rel_err(ours, ref) < GD_RTOL
            assert rel_err(gd_iterates(spec, X[0], t, J, 12, method, on_indefinite="warn"),
                           ref[-1, 0]) < GD_RTOL


def test_gd_iterates_per_sequence_t(rng):
    spec = gp.GPSpec(gp.Polynomial(1.0, 2.5), 9, np.eye(3))
    X = spec.sample(2, seed=2)
    ts = np.array([0.1, 2.0])
    both = gd_iterates(spec, X, ts, 4, 7)
    for i in range(2):
        assert rel_err(both[i], gd_iterates(spec, X[i], ts[i], 4, 7)) < 1e-14


@given(gst.specs(max_N=12, max_d=3), gst.diffusion_times(1e-2, 10.0), gst.truncation_lags(12),
       st.sampled_from(METHODS))
def test_truncated_score_and_gd_matrix_match_dense(spec, t, J, method):
    Cb = _dense_cbar(spec, t, J, method)
    assume(np.linalg.eigvalsh(Cb)[0] > 1e-8)
    X = spec.sample(2, seed=0)
    Xc = (X - np.exp(-t / 2) * spec.mean_array).reshape(2, -1)
    ref = -np.linalg.solve(Cb, Xc.T).T.reshape(X.shape)
    assert rel_err(truncated_score(spec, X, t, J, method), ref) < SOLVE_RTOL
    L = 9
    eta, _ = step_size(truncated_autocovariance(spec.r, J, method), spec.Sigma)
    M = np.eye(Cb.shape[0]) - eta * Cb
    A_ref = eta * sum(np.linalg.matrix_power(M, k) for k in range(L))
    A = gd_matrix(spec, t, J, L, method)
    assert rel_err(A, A_ref) < SOLVE_RTOL
    # -A vec(X - alpha mu) is the L-th GD iterate, negated
    Y = gd_iterates(spec, X, t, J, L, method)
    assert rel_err(Xc @ A.T, Y.reshape(2, -1)) < SOLVE_RTOL


def test_l2_error_dense_oracle(rng):
    spec = gp.GPSpec(gp.PoweredExponential(1.0, 2.0), 5, np.array([[1.0, 0.2], [0.2, 0.5]]))
    t = 0.3
    C = gp.marginal_covariance(spec, t)
    Cinv = np.linalg.inv(C)
    for A in (gd_matrix(spec, t, 2, 15), rng.standard_normal(C.shape), Cinv):
        D = A - Cinv
        assert l2_error(spec, A, t) == pytest.approx(np.trace(D @ C @ D.T), rel=1e-9, abs=1e-12)
    # Monte Carlo agreement for one estimator (independent of the trace formula)
    A = gd_matrix(spec, t, 1, 5)
    Xt = np.exp(-t / 2) * spec.sample(20_000, seed=3) + np.sqrt(-np.expm1(-t)) * \
        np.random.default_rng(4).standard_normal((20_000, 5, 2))
    s_hat = -(Xt.reshape(20_000, -1) @ A.T)
    s_star = gp.score(spec, Xt, t).reshape(20_000, -1)
    mc = np.mean(np.sum((s_hat - s_star) ** 2, axis=1))
    assert mc == pytest.approx(l2_error(spec, A, t), rel=0.05)   # ~ 1/sqrt(2e4) spread


@given(gst.specs(max_N=16, max_d=3), gst.diffusion_times(1e-3, 20.0), gst.truncation_lags(16),
       st.sampled_from(METHODS))
def test_step_size_dominates_every_t(spec, t, J, method):
    rb = truncated_autocovariance(spec.r, J, method)
    eta, Lambda = step_size(rb, spec.Sigma)
    assert eta == pytest.approx(1 / Lambda)
    lmax = np.linalg.eigvalsh(_dense_cbar(spec, t, J, method))[-1]
    assert lmax <= Lambda * (1 + 1e-12)


@settings(max_examples=20)
@given(gst.specs(max_N=14, max_d=3), gst.diffusion_times(1e-2, 10.0), gst.truncation_lags(14),
       gst.depths(80), st.sampled_from(METHODS))
def test_lemma_gd_lemma_tr_theorem_s(spec, t, J, L, method):
    try:
        c = theorem_s_bound(spec, t, J, L, method)
    except AssumptionViolated:
        assert np.linalg.eigvalsh(_dense_cbar(spec, t, J, method))[0] <= 1e-12
        return
    Cb = _dense_cbar(spec, t, J, method)
    assert c.mu_bar == pytest.approx(np.linalg.eigvalsh(Cb)[0], rel=1e-9, abs=1e-12)
    X = spec.sample(3, seed=5)
    ybar = -truncated_score(spec, X, t, J, method)
    y_star = -gp.score(spec, X, t)
    Y = gd_iterates(spec, X, t, J, L, method)
    nb = np.linalg.norm(ybar, axis=(-2, -1))
    gd_err = np.linalg.norm(Y - ybar, axis=(-2, -1))
    assert np.all(gd_err <= (lemma_gd_bound(spec, t, J, L, method) + BOUND_SLACK) * nb)
    tr_err = np.linalg.norm(y_star - ybar, axis=(-2, -1))
    assert np.all(tr_err <= (lemma_tr_bound(spec, t, J, method, tau="exact") + BOUND_SLACK) * nb)
    assert c.tr_factor >= lemma_tr_bound(spec, t, J, method, tau="exact")
    total = np.linalg.norm(Y - y_star, axis=(-2, -1))
    assert np.all(total <= (c.factor + BOUND_SLACK) * nb)
    Xc = X - np.exp(-t / 2) * spec.mean_array
    assert np.all(nb <= np.linalg.norm(Xc, axis=(-2, -1)) / c.mu_bar * (1 + 1e-10))
    # operator-norm form: sup_X ||s_GD - s*|| / ||X|| <= x_factor
    A = gd_matrix(spec, t, J, L, method)
    op = np.linalg.norm(A - np.linalg.inv(gp.marginal_covariance(spec, t)), 2)
    assert op <= c.x_factor * (1 + 1e-9) + 1e-12


def test_assumption_violated_for_indefinite_hard_truncation():
    # nu = 1, ell = 2: the J = 1 truncation is indefinite for N >= 5 (rho(1) = e^{-1/2} > 1/2)
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 40, np.eye(1))
    with pytest.raises(AssumptionViolated, match="mu_bar_t > 0"):
        theorem_s_bound(spec, 0.01, 1, 10)
    with pytest.raises(AssumptionViolated):
        truncated_score(spec, np.zeros((40, 1)), 0.01, 1)
    theorem_s_bound(spec, 0.01, 1, 10, truncation="shift")   # PSD by design
    theorem_s_bound(spec, 0.01, 2, 10)                        # J = 2 is PSD for every N


@pytest.mark.parametrize("kernel", [gp.PoweredExponential(2.0, 1.0), gp.Polynomial(1.0, 2.5),
                                    gp.Logarithmic(1.0, 1.0)])
@pytest.mark.parametrize("eps", [1e-1, 1e-4])
def test_sizes_needed_deliver_eps(kernel, eps):
    spec = gp.GPSpec(kernel, 24, np.array([[1.0, 0.3], [0.3, 2.0]]))
    t = 0.5
    s = sizes_needed(spec, t, eps)
    assert s.L <= s.L_formula
    assert s.constants.x_factor <= eps * (1 + 1e-12)
    A = gd_matrix(spec, t, s.J, s.L)
    op = np.linalg.norm(A - np.linalg.inv(gp.marginal_covariance(spec, t)), 2)
    assert op <= eps
    if s.J > 0:   # J is the smallest meeting the truncation half
        try:
            c = theorem_s_bound(spec, t, s.J - 1, 0)
        except AssumptionViolated:
            c = None  # J - 1 breaks mu_bar > 0, so J is the smallest admissible lag anyway
        if c is not None:
            assert c.tr_factor / c.mu_bar > eps / 2


def test_validation():
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.eye(2))
    with pytest.raises(InvalidArgumentError):
        gd_iterates(spec, np.zeros((4, 3)), 0.5, 1, 3)
    with pytest.raises(InvalidArgumentError):
        gd_iterates(spec, np.zeros((4, 2)), 0.0, 1, 3)
    with pytest.raises(InvalidArgumentError):
        gd_iterates(spec, np.zeros((4, 2)), 0.5, 1, -1)
    with pytest.raises(InvalidArgumentError):
        gd_iterates("spec", np.zeros((4, 2)), 0.5, 1, 3)
    with pytest.raises(InvalidArgumentError):
        gd_matrix(spec, np.array([0.1, 0.2]), 1, 3)
    with pytest.raises(InvalidArgumentError):
        l2_error(spec, np.eye(3), 0.5)


# ------------------------------------------------------------ no silent divergence
def _matern_spec(N=64):
    """scikit-learn Matérn 5/2, length_scale 6: its hard truncation at J = 3 is indefinite."""
    from sklearn.gaussian_process.kernels import Matern

    return gp.GPSpec(gp.SklearnKernel(Matern(length_scale=6.0, nu=2.5)), N, np.eye(2))


def test_indefinite_truncation_is_refused():
    from gpdtheory.psd import certify_all_n

    spec = _matern_spec()
    assert certify_all_n(spec.r, 3).verdict == "not_psd"
    X = spec.sample(1, seed=0)[0]
    for call in (lambda: gd_iterates(spec, X, 0.1, 3, 200),
                 lambda: gd_iterates(spec, np.stack([X, X]), np.array([5.0, 0.1]), 3, 200),
                 lambda: gd_matrix(spec, 0.1, 3, 200),
                 lambda: theorem_s_bound(spec, 0.1, 3, 200),
                 lambda: lemma_gd_bound(spec, 0.1, 3, 200)):
        with pytest.raises(AssumptionViolated) as info:
            call()
        msg = str(info.value)
        assert "taper" in msg and "shift" in msg and "larger J" in msg
        assert "lmin(Gamma_bar) = -1.236e+00" in msg          # the per-N verdict
        assert "min_w f_J(w) = -1.254e+00" in msg and "certify_all_n" in msg  # the all-N one


def test_indefinite_opt_in_warns_and_diverges():
    from gpdtheory.errors import DivergenceWarning, PositiveDefinitenessWarning

    spec = _matern_spec()
    X = spec.sample(1, seed=0)[0]
    with pytest.warns(DivergenceWarning, match="taper"):
        Y = gd_iterates(spec, X, 0.1, 3, 200, on_indefinite="warn")
    assert np.abs(Y).max() > 1e6                                # it does diverge
    assert issubclass(DivergenceWarning, PositiveDefinitenessWarning)
    with pytest.warns(DivergenceWarning):
        A = gd_matrix(spec, 0.1, 3, 50, on_indefinite="warn")
    assert np.isfinite(A).all()
    with pytest.raises(InvalidArgumentError, match="on_indefinite"):
        gd_iterates(spec, X, 0.1, 3, 5, on_indefinite="ignore")


def test_indefinite_gamma_bar_at_large_t_still_converges():
    # mu_bar_t = sigma^2 + alpha^2 lmin(Gamma_bar) > 0 for t > log1p(1.236): GD converges
    spec = _matern_spec()
    X = spec.sample(1, seed=0)[0]
    Y = gd_iterates(spec, X, 5.0, 3, 400)
    assert rel_err(-Y, truncated_score(spec, X, 5.0, 3)) < 1e-8


def test_psd_truncations_unaffected():
    spec = _matern_spec()
    X = spec.sample(1, seed=0)[0]
    for method in ("taper", "shift"):
        Y = gd_iterates(spec, X, 0.1, 3, 3000, method)
        assert rel_err(-Y, truncated_score(spec, X, 0.1, 3, method)) < 1e-8
        assert theorem_s_bound(spec, 0.1, 3, 10, method).mu_bar > 0
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 32, np.eye(2))  # hard, PSD (nu = 1)
    X = spec.sample(1, seed=0)[0]
    assert np.isfinite(gd_iterates(spec, X, 1e-3, 4, 50)).all()
