"""``gpdtheory.linear``: the linear-Gaussian model and its spectral score estimators."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import gpdtheory as gp
from gpdtheory.errors import AssumptionViolated
from gpdtheory.gd import gd_matrix, l2_error, truncated_score
from gpdtheory.linear import (
    LinearScore,
    diffuse_eigenvalues,
    marginal_eigenvalues,
    noisy_batch,
    truncated_r,
)

from .helpers import rel_err


def _spec(N=6, d=2, seed=3):
    A = np.random.default_rng(seed).standard_normal((d, d))
    return gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=N, Sigma=A @ A.T + d * np.eye(d))


def test_marginal_eigenvalues_are_those_of_c_t():
    spec, t = _spec(), 0.4
    c = marginal_eigenvalues(spec.gamma_eigh[0], spec.sigma_eigh[0], t)
    dense = np.linalg.eigvalsh(gp.marginal_covariance(spec, t))
    assert rel_err(np.sort(c.ravel()), dense) < 1e-13
    assert diffuse_eigenvalues(1.0, 1e-300) == 1.0


@pytest.mark.parametrize("kind", ["exact", "truncated", "gd"])
def test_matrix_apply_and_dense_oracle(kind):
    spec, t, J, L = _spec(), 0.3, 2, 7
    make = {"exact": lambda: LinearScore.exact(spec),
            "truncated": lambda: LinearScore.truncated(spec, J, "taper"),
            "gd": lambda: LinearScore.gd(spec, J, L, "taper")}[kind]
    s = make()
    rb = truncated_r(spec, J, "taper")
    Cb = np.exp(-t) * np.kron(scipy.linalg.toeplitz(rb), spec.Sigma) - np.expm1(-t) * np.eye(12)
    if kind == "exact":
        oracle = np.linalg.inv(gp.marginal_covariance(spec, t))
    elif kind == "truncated":
        oracle = np.linalg.inv(Cb)
    else:
        oracle = gd_matrix(spec, t, J, L, "taper")
    A = s.matrix(t)
    assert rel_err(A, oracle) < 1e-12
    X = spec.sample(3, seed=0)
    assert rel_err(s.apply(X, t), (X.reshape(3, -1) @ A.T).reshape(X.shape)) < 1e-12


def test_truncated_apply_is_truncated_score_bit_for_bit():
    spec, t = _spec(), 0.2
    X = spec.sample(2, seed=1)
    np.testing.assert_array_equal(-LinearScore.truncated(spec, 3).apply(X, t),
                                  truncated_score(spec, X, t, 3))


def test_l2_error_routes_agree():
    spec, t = _spec(), 0.25
    truth = LinearScore.exact(spec)
    assert truth.l2_error(t, truth) == 0.0  # closed form in Gamma's basis
    for s in (LinearScore.gd(spec, 2, 5), LinearScore.truncated(spec, 1, "shift")):
        dense = l2_error(spec, s.matrix(t), t)
        assert rel_err(s.l2_error(t, truth), dense) < 1e-11   # Sigma's basis: O(d N^3) route
        # a rotated spatial basis takes the dense route
        Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((2, 2)))
        a = s.eigenvalues(t)
        direct = truth.spectral_l2_error(t, s.V, Q, a)
        A = np.kron(s.V, Q) * a.ravel() @ np.kron(s.V, Q).T
        assert rel_err(direct, l2_error(spec, A, t)) < 1e-12


def test_truncated_refuses_an_indefinite_model():
    spec = gp.GPSpec(gp.PoweredExponential(8.0, 2.0), N=40, Sigma=np.eye(1))
    s = LinearScore.truncated(spec, 1, "hard")
    with pytest.raises(AssumptionViolated, match="mu_bar_t > 0"):
        s.eigenvalues(1e-3)
    assert np.all(LinearScore.gd(spec, 1, 3).eigenvalues(1e-3) != 0)  # GD: no test


def test_noisy_batch_broadcasts_times():
    spec = _spec()
    X, a2, s2 = noisy_batch(spec, np.zeros((4, 6, 2)), 0.5)
    assert X.shape == (4, 6, 2) and a2.shape == s2.shape == (4,)
    assert np.all(a2 + s2 == 1.0)
