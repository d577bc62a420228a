"""The split circulant embedding (gpdtheory.toeplitz.rows_split) against the dense product
``(s toeplitz(r) + h I) @ x`` (scipy.linalg.toeplitz), at small and large even N, with the
complex transforms in one piece and in four steps; and the rows PCG's products through it
against the same oracle and against the Strang corners they replace for even N."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import gpdtheory as gp
from gpdtheory.toeplitz import fourstep
from gpdtheory.toeplitz.rows_operators import _Operators, _StrangCorners, _Workspace
from gpdtheory.toeplitz.rows_split import SplitEmbedding

EPS = np.finfo(float).eps


@pytest.fixture(params=["one piece", "four steps"])
def complex_route(request, monkeypatch):
    monkeypatch.setattr(fourstep, "FOUR_STEP_MIN_LENGTH",
                        1 << 62 if request.param == "one piece" else 1)
    return request.param


def _allowance(r: np.ndarray, x: np.ndarray, s: float, h: float) -> float:
    # an FFT product's error: O(eps log N) times ||r||_1 ||x||_inf, plus the shift's rounding
    n = r.shape[0]
    return 64 * EPS * np.log2(2 * n) * (s * np.abs(r).sum() + h) * np.abs(x).max()


@pytest.mark.parametrize("N", [2, 4, 6, 8, 10, 64, 250, 4096])
@pytest.mark.parametrize("kernel", [gp.Logarithmic(2.0, 1.0), gp.PoweredExponential(2.0, 1.0),
                                    gp.Polynomial(8.0, 0.8)], ids=repr)
def test_product_matches_the_dense_product(N, kernel, complex_route):
    r = kernel.autocovariance(N)
    x = np.random.default_rng(N).standard_normal(N)
    s, h = 0.7, 0.3
    out = np.empty(N)
    got = SplitEmbedding(r, _Workspace()).product(x, s, h, out)
    assert got is out
    exact = s * (scipy.linalg.toeplitz(r) @ x) + h * x
    assert np.max(np.abs(got - exact)) <= _allowance(r, x, s, h)


def test_products_at_the_ends_of_the_float_range():
    r = gp.Polynomial(2.0, 1.5).autocovariance(64)
    rng = np.random.default_rng(1)
    for scale in (1e-300, 1e300):
        x = scale * rng.standard_normal(64)
        got = SplitEmbedding(r, _Workspace()).product(x, 1.0, 0.0, np.empty(64))
        exact = scipy.linalg.toeplitz(r) @ x
        assert np.all(np.isfinite(got))
        assert np.max(np.abs(got - exact)) <= _allowance(r, x, 1.0, 0.0)


@pytest.mark.parametrize("N", [4096, 6000])
def test_rows_pcg_products_use_it_and_agree_with_the_corners(N, complex_route):
    """For even N the CG's preconditioned residuals and their products come from the split
    embedding: Z is the preconditioner's solve, AZ the dense product of Z, and both agree
    with Strang's corner identity (A z = r + s E z) to round-off."""
    r = gp.Logarithmic(2.0, 1.0).autocovariance(N)
    s, h = np.array([0.5, 2.0, 1.0]), np.array([0.4, 0.1, 1.5])
    ops = _Operators(r, s, h)
    assert ops.split is not None and ops.corners is None
    R = np.random.default_rng(2).standard_normal((3, N))
    rows = np.arange(3)
    Z, AZ = ops.precondition_and_product(R, rows)
    Z, AZ = Z.copy(), AZ.copy()
    T = scipy.linalg.toeplitz(r)
    for k in range(3):
        exact = s[k] * (T @ Z[k]) + h[k] * Z[k]
        assert np.max(np.abs(AZ[k] - exact)) <= _allowance(r, Z[k], s[k], h[k])
    Z2 = ops.precondition(R, rows)
    np.testing.assert_allclose(Z2, Z, rtol=0, atol=1e-13 * np.abs(Z).max())
    corners = _StrangCorners(r, _Workspace()).apply(R, Z, s, np.empty_like(R))
    assert np.max(np.abs(corners - AZ)) <= 1e-11 * np.abs(AZ).max()
    X = np.random.default_rng(3).standard_normal((3, N))
    exact_rows = ops.exact(X, rows)
    for k in range(3):
        assert np.max(np.abs(exact_rows[k] - (s[k] * (T @ X[k]) + h[k] * X[k]))) \
            <= _allowance(r, X[k], s[k], h[k])


def test_odd_lengths_keep_the_corners():
    ops = _Operators(gp.Logarithmic(2.0, 1.0).autocovariance(4097), np.ones(2), np.ones(2))
    assert ops.split is None and ops.corners is not None
