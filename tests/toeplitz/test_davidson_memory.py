"""The memory of the sine-Davidson route (counted by ``tracemalloc``, not timed) and the
in-place pieces it is built from, each against a plain NumPy oracle.

The route's budget, in doubles (``gpdtheory.toeplitz.davidson`` module notes): the basis
and its products (``2 max_space(N) N``), the residual (``N``), one thread's transform
buffers and the set-up's vectors (``q``, the embedding's spectrum, the sine table). The
test derives that sum from the route's own transform lengths and allows the one block of
the in-place restart and 1% for the small arrays (Ritz vectors, projected matrices).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.linalg

import gpdtheory as gp
import gpdtheory.toeplitz as tz
from gpdtheory.toeplitz import davidson
from gpdtheory.toeplitz.fft import embedding_column
from gpdtheory.toeplitz.lengths import embedding_length, fast_sine_length
from gpdtheory.toeplitz.sine import _SINE_BLOCK, sine_rows

FAMILIES = [gp.PoweredExponential(2.0, 1.0), gp.Polynomial(2.0, 1.5), gp.Logarithmic(2.0, 1.0)]


def _budget(n: int) -> float:
    """The route's doubles at order ``n`` (module notes), from its transform lengths."""
    n_pre, m = fast_sine_length(n), embedding_length(n)
    real_row = max(m, 2 * (n_pre + 1))
    spectrum = 2 * max(m // 2 + 1, n_pre + 2)          # complex entries, two doubles each
    vectors = (n_pre + 2) + (m // 2 + 1) + (n_pre + 1)  # q, the symbol, the sine table
    space = 2 * davidson.max_space(n) * n + davidson.EXPAND * n
    return space + real_row + spectrum + vectors


@pytest.mark.parametrize("kernel", FAMILIES, ids=repr)
def test_both_ends_stay_within_the_stated_memory(kernel):
    """``extreme_eigenvalues`` at ``N = 2^18`` (past ``LARGE_N``): peak traced memory within
    the budget plus one restart block, about ``16.8 N`` doubles; the route of the last
    release kept a second thread's buffers, six-row spaces and temporary rows (``33 N``)."""
    N = 2**18
    r = kernel.autocovariance(N)
    tz.extreme_eigenvalues(r)  # compile and warm up outside the trace
    tracemalloc.start()
    try:
        tz.extreme_eigenvalues(r)
        peak = tracemalloc.get_traced_memory()[1] / 8
    finally:
        tracemalloc.stop()
    allowed = _budget(N) + 3 * davidson._RESTART_COLUMNS + 0.01 * N
    assert peak <= allowed, (peak / N, allowed / N)
    assert peak <= 17 * N


@pytest.mark.parametrize("kernel", FAMILIES, ids=repr)
def test_extremes_share_a_negated_set_up_bit_for_bit(kernel):
    """Both ends from one set-up equal the two separate calls on ``r`` and ``-r`` exactly:
    the set-up is linear in ``r`` and rounds symmetrically, so negating it is exact."""
    for N in (davidson.DENSE_MAX_N + 1, 4096, davidson.LARGE_N):  # the smallest iterates
        r = kernel.autocovariance(N)
        low, top = davidson.davidson_extremes(r)
        assert low == davidson.davidson_min(r), N
        assert top == -davidson.davidson_min(-r), N


def test_scale_inside_the_set_up_equals_the_scaled_copy():
    """A power of two applied to the set-up equals the set-up of ``r / scale`` (no
    subnormal entries here), so the copy ``r / scale`` need not be made."""
    r = gp.Polynomial(2.0, 1.5).autocovariance(5000) * 3.0
    for scale in (0.25, 8.0, 2.0**40):
        assert davidson.davidson_min(r, scale=scale) == davidson.davidson_min(r / scale)
        assert davidson.davidson_extremes(r, scale=scale) == davidson.davidson_extremes(
            r / scale)


@pytest.mark.parametrize("n", [1, 2, 3, 17, 1000])
def test_smallest_indices_match_a_stable_argsort(n):
    rng = np.random.default_rng(n)
    for few in {1, min(3, n), n}:
        for f in (rng.standard_normal(n), rng.integers(0, 4, n).astype(float)):  # ties
            np.testing.assert_array_equal(davidson._smallest_numba(f, few),
                                          np.argsort(f, kind="stable")[:few])


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 1, 3), (4, 1, 50), (4, 2, 7), (3, 3, 33)])
def test_in_place_row_algebra_matches_numpy(shape):
    """Residuals, projections and Gram combinations, done a column at a time in place,
    against the same products formed with temporaries (round-off of ``s`` terms)."""
    s, e, n = shape
    rng = np.random.default_rng(sum(shape))
    V, AV = rng.standard_normal((s, n)), rng.standard_normal((s, n))
    Y, theta = rng.standard_normal((s, e)), rng.standard_normal(e)
    R = np.empty((e, n))
    davidson._residuals_numba(Y, theta, V, AV, R)
    np.testing.assert_allclose(R, Y.T @ AV - theta[:, None] * (Y.T @ V), rtol=1e-13,
                               atol=1e-13 * s)
    W = rng.standard_normal((e, n))
    C = rng.standard_normal((e, s))
    expect = W - C @ V
    davidson._subtract_combination_numba(W, C, V)
    np.testing.assert_allclose(W, expect, rtol=1e-13, atol=1e-13 * s)
    C = rng.standard_normal((max(e - 1, 1), e))
    expect = C @ W
    davidson._combine_rows_numba(C, W)
    np.testing.assert_allclose(W[:C.shape[0]], expect, rtol=1e-13, atol=1e-13 * e)


def test_orthonormal_new_rows_are_orthonormal_to_the_space():
    rng = np.random.default_rng(3)
    n = 300
    V = scipy.linalg.qr(rng.standard_normal((n, 3)), mode="economic")[0].T.copy()
    W = rng.standard_normal((2, n))
    span = np.vstack((V, W))
    out = np.zeros((4, n))
    new = davidson._orthonormal_new(W.copy(), V, out)
    assert new is not None and new.shape == (2, n)
    np.testing.assert_allclose(new @ new.T, np.eye(2), atol=1e-14)
    np.testing.assert_allclose(new @ V.T, 0.0, atol=1e-14)
    # the new rows lie in the span of V and W
    coef = np.linalg.lstsq(span.T, new.T, rcond=None)[0]
    np.testing.assert_allclose(span.T @ coef, new.T, atol=1e-12)
    assert davidson._orthonormal_new(np.zeros((1, n)), V, out) is None  # nothing new


@pytest.mark.parametrize("n", [1, 2, 3, 40, _SINE_BLOCK + 5])
def test_sine_rows_in_blocks_match_the_formula(n):
    index = np.array([0, n // 2, n - 1])
    j = np.arange(1, n + 1)
    expect = np.sqrt(2.0 / (n + 1)) * np.sin(np.outer(index + 1, j) * np.pi / (n + 1))
    out = np.full((3, n), np.nan)
    got = sine_rows(n, index, n, out=out)
    assert got is out
    np.testing.assert_allclose(got, expect, rtol=0, atol=1e-15 * max(n, 1) ** 0.5 + 1e-15)


@pytest.mark.parametrize("n", [1, 2, 3, 10])
def test_embedding_column_into_a_dirty_buffer(n):
    r = np.arange(1.0, n + 1)
    m = embedding_length(n) + 3
    out = np.full(m, np.nan)
    np.testing.assert_array_equal(embedding_column(r, m, out), embedding_column(r, m))
