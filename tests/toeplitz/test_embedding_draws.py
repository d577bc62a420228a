"""Draws from a circulant embedding: their law, and that they depend on the seed only."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import gpdtheory as gp
from gpdtheory.toeplitz.embedding_draws import CHUNK_POINTS, embedding_draws


def _root(kernel, N):
    spec = gp.GPSpec(kernel, N, np.eye(1))
    return spec._circulant_sqrt  # (M, root)


@pytest.mark.parametrize(("N", "columns"), [(1, 1), (2, 3), (3, 2), (30, 7), (5000, 5),
                                            (CHUNK_POINTS, 3)])
def test_draws_do_not_depend_on_the_thread_count(N, columns):
    M, root = _root(gp.PoweredExponential(2.0, 1.0), N)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = embedding_draws(M, root, N, columns, np.random.default_rng(3))
    finally:
        numba.set_num_threads(before)
    many = embedding_draws(M, root, N, columns, np.random.default_rng(3))
    assert one.shape == (columns, N)
    np.testing.assert_array_equal(one, many)
    other = embedding_draws(M, root, N, columns, np.random.default_rng(4))
    assert not np.array_equal(one, other)


def test_long_rows_have_the_kernel_autocovariance():
    """One row per chunk (``M > CHUNK_POINTS``): the sample autocovariance of 8 draws of
    ``2^17`` frames at lags 0-4, pooled, within 5 standard errors of ``rho``. The standard
    error is Bartlett's, ``sqrt(sum_k rho_k^2 / (n_points))`` for a fast-decaying kernel."""
    kernel = gp.PoweredExponential(2.0, 1.0)
    N = 2**17
    M, root = _root(kernel, N)
    assert M > CHUNK_POINTS
    X = embedding_draws(M, root, N, 8, np.random.default_rng(11))
    rho = kernel.autocovariance(64)
    se = np.sqrt(2 * np.sum(rho**2) / (X.size))
    for lag in range(5):
        est = np.mean(X[:, :N - lag] * X[:, lag:])
        assert abs(est - rho[lag]) < 5 * se, (lag, est, rho[lag], se)
    # independent columns (the two of a transform, and those of different chunks): every
    # cross-covariance at lag 0 is 0
    for i in range(8):
        for j in range(i):
            assert abs(np.mean(X[i] * X[j])) < 5 * np.sqrt(np.sum(rho**2) * 2 / N), (i, j)


def test_the_callers_generator_advances_once():
    M, root = _root(gp.Polynomial(2.0, 1.5), 100)
    rng = np.random.default_rng(5)
    a = embedding_draws(M, root, 100, 4, rng)
    b = embedding_draws(M, root, 100, 4, rng)
    assert not np.array_equal(a, b)
    rng2 = np.random.default_rng(5)
    rng2.integers(0, 2**63, size=4)
    np.testing.assert_array_equal(embedding_draws(M, root, 100, 4, rng2), b)
