"""GPSpec, the exact score and the condition number against dense oracles."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory.testing import strategies as gst

from .helpers import SCORE_RTOL, dense_score, kms, kms_inverse, rel_err


@given(gst.specs(max_N=20, max_d=3), gst.diffusion_times(), st.integers(0, 2**31))
def test_score_matches_dense_oracle(spec, t, seed):
    X = spec.sample(3, seed=seed) * 1.5
    s = gp.score(spec, X, t)
    G = spec.gamma_dense()
    for x, sx in zip(X, s, strict=True):
        assert rel_err(sx, dense_score(G, spec.Sigma, x, t, spec.mean)) <= SCORE_RTOL


@pytest.mark.parametrize("N", [1, 2, 3, 7, 33])
@pytest.mark.parametrize("method", ["eig", "toeplitz", "dense"])
def test_score_methods_agree(N, method, rng):
    spec = gp.GPSpec(gp.Polynomial(2.0, 1.5), N, np.array([[2.0, 0.3], [0.3, 0.5]]),
                     mean=rng.standard_normal((N, 2)))
    X = rng.standard_normal((4, N, 2))
    t = np.array([1e-3, 0.1, 1.0, 10.0])  # one t per sequence
    s = gp.score(spec, X, t, method=method)
    for i in range(4):
        ref = dense_score(spec.gamma_dense(), spec.Sigma, X[i], t[i], spec.mean)
        assert rel_err(s[i], ref) <= SCORE_RTOL


@pytest.mark.parametrize("N", [1, 2, 3, 10, 50])
@pytest.mark.parametrize("ell", [0.5, 2.0, 10.0])
def test_kms_closed_form_inverse(N, ell):
    # nu = 1: Gamma is KMS with r = e^{-1/ell}; with Sigma = 1 and t large-ish the score
    # at t -> exact inverse check through the closed-form tridiagonal inverse
    r = np.exp(-1.0 / ell)
    spec = gp.GPSpec(gp.PoweredExponential(ell, 1.0), N, np.eye(1))
    np.testing.assert_allclose(spec.gamma_dense(), kms(N, r), rtol=1e-14)
    np.testing.assert_allclose(np.linalg.inv(spec.gamma_dense()), kms_inverse(N, r),
                               atol=1e-9 * (1 + ell))
    # small t: C_t ~ Gamma, the score approaches -Gamma^{-1} x
    x = np.linspace(-1, 1, N)[:, None]
    t = 1e-9
    s = gp.score(spec, x, t)
    assert rel_err(s[:, 0], -kms_inverse(N, r) @ x[:, 0]) <= 1e-6 * (1 + ell**2)


@given(gst.specs(max_N=24, max_d=3), gst.diffusion_times())
def test_condition_number_matches_dense_eigenvalues_and_bounds(spec, t):
    c = gp.condition_number(spec, t)
    lam = np.linalg.eigvalsh(gp.marginal_covariance(spec, t))
    assert c.kappa == pytest.approx(lam[-1] / lam[0], rel=1e-9)
    assert c.lmin_C == pytest.approx(lam[0], rel=1e-9)
    assert c.kappa <= c.bound_exp * (1 + 1e-12) <= c.bound_t * (1 + 1e-12)
    if spec.kernel.summable:
        assert c.kappa <= c.bound_symbol * (1 + 1e-12)


def test_sampling_covariance(rng):
    spec = gp.GPSpec(gp.PoweredExponential(1.5, 1.2), 5, np.array([[1.0, 0.4], [0.4, 0.8]]),
                     mean=np.arange(10.0).reshape(5, 2))
    n = 40000
    X = spec.sample(n, seed=1)
    assert X.shape == (n, 5, 2)
    V = X.reshape(n, -1)
    C = np.cov(V, rowvar=False)
    K = spec.covariance_dense()
    # entrywise standard error of a sample covariance: sqrt((K_ii K_jj + K_ij^2) / n)
    se = np.sqrt((np.outer(np.diag(K), np.diag(K)) + K**2) / n)
    assert np.max(np.abs(C - K) / se) < 5.0
    np.testing.assert_allclose(V.mean(0), spec.mean.ravel(), atol=5 * np.sqrt(np.diag(K).max() / n))
    np.testing.assert_array_equal(spec.sample(3, seed=7), spec.sample(3, seed=7))


def test_alpha_sigma_identity():
    t = np.array([1e-12, 1e-3, 1.0, 30.0])
    np.testing.assert_allclose(gp.alpha(t) ** 2 + gp.sigma2(t), 1.0, rtol=1e-15)
    assert gp.sigma2(1e-12) == pytest.approx(1e-12, rel=1e-9)


def test_non_equispaced_times_dense_fallback(rng):
    times = np.array([0.0, 0.3, 1.1, 1.5, 4.0])
    spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.5), 5, np.eye(2), times=times)
    G = np.exp(-np.abs(np.subtract.outer(times, times)) ** 1.5)
    np.testing.assert_allclose(spec.gamma_dense(), G)
    X = rng.standard_normal((5, 2))
    assert rel_err(gp.score(spec, X, 0.3), dense_score(G, np.eye(2), X, 0.3)) <= SCORE_RTOL
    with pytest.raises(gp.InvalidArgumentError, match="Toeplitz"):
        gp.score(spec, X, 0.3, method="toeplitz")


class TestBadInput:
    spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), 4, np.eye(2))

    @pytest.mark.parametrize("t", [0.0, -1.0, np.nan, np.inf])
    def test_bad_t(self, t):
        with pytest.raises(gp.InvalidArgumentError, match="^t="):
            gp.score(self.spec, np.zeros((4, 2)), t)

    @pytest.mark.parametrize("X, match", [
        (np.zeros((4, 3)), "shape"), (np.zeros(4), "dimensions"), (np.full((4, 2), np.nan), "NaN"),
        (np.zeros((4, 2), complex), "complex"), (np.zeros((0, 4, 2)), "empty"),
    ])
    def test_bad_X(self, X, match):
        with pytest.raises(gp.InvalidArgumentError, match=match):
            gp.score(self.spec, X, 1.0)

    @pytest.mark.parametrize("Sigma, exc, match", [
        (np.array([[1.0, 0.5], [0.0, 1.0]]), gp.InvalidArgumentError, "symmetric"),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), gp.NotPositiveDefiniteError, "Sigma"),
        (np.zeros((2, 3)), gp.InvalidArgumentError, "square"),
        (np.array([[np.nan]]), gp.InvalidArgumentError, "NaN"),
    ])
    def test_bad_sigma(self, Sigma, exc, match):
        with pytest.raises(exc, match=match):
            gp.GPSpec(gp.PoweredExponential(1.0, 1.0), 3, Sigma)

    @pytest.mark.parametrize("kwargs, match", [
        ({"N": 0}, "N="), ({"N": 2.5}, "N="), ({"dt": 0.0}, "dt="),
        ({"mean": np.zeros((3, 3))}, "mean"),
    ])
    def test_bad_spec_args(self, kwargs, match):
        args = {"kernel": gp.PoweredExponential(1.0, 1.0), "N": 3, "Sigma": np.eye(2), **kwargs}
        with pytest.raises(gp.InvalidArgumentError, match=match):
            gp.GPSpec(**args)

    def test_bad_kernel(self):
        with pytest.raises(gp.InvalidArgumentError, match="kernel"):
            gp.GPSpec("rbf", 3, np.eye(1))

    def test_error_message_names_fix(self):
        with pytest.raises(gp.InvalidArgumentError) as info:
            gp.score(self.spec, np.zeros((4, 2)), -1.0)
        assert "Fix:" in str(info.value) and info.value.argument == "t"
