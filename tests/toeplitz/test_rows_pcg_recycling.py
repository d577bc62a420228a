"""Recycling in the rows PCG: a reference system's Ritz vectors deflate the others.

Oracles: dense ``numpy.linalg.solve`` of every system, the same solve without recycling,
and the Lanczos matrix ``V^T A V`` formed densely from the harvested vectors.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import gpdtheory as gp
from gpdtheory.toeplitz import rows_pcg

KERNELS = [gp.PoweredExponential(2.0, 1.0), gp.Polynomial(2.0, 0.8), gp.Logarithmic(2.0, 1.0)]
#: ten systems: the score's rotated systems with scales spread over a decade
SCALES = np.geomspace(0.2, 2.0, 10)


def dense_solutions(r, B, scale, shift):
    T = scipy.linalg.toeplitz(r)
    return np.array([np.linalg.solve(scale[k] * T + shift[k] * np.eye(r.size), B[k])
                     for k in range(B.shape[0])])


# The dense oracle (ten solves and residuals at N = 2000, 3-4 s a kernel) makes the largest
# size integration; N = 300 already recycles (the slowly decaying kernels deflate 6-8
# vectors there, 7-8 at N = 2000).
@pytest.mark.parametrize("kernel", KERNELS, ids=repr)
@pytest.mark.parametrize("N", [1, 2, 3, 17, 300, pytest.param(2000, marks=pytest.mark.integration)])
def test_recycled_solutions_match_dense(kernel, N):
    rng = np.random.default_rng(N)
    r = kernel.autocovariance(N)
    B = rng.standard_normal((10, N))
    B[3] = 0.0  # a zero right-hand side is solved by zero and never chosen as reference
    shift = np.full(10, 0.4)
    shift[7] = 0.0
    res = rows_pcg.pcg_rows(r, B, SCALES, shift, tol=1e-12)
    T = scipy.linalg.toeplitz(r)
    for k in range(10):
        A = SCALES[k] * T + shift[k] * np.eye(N)
        assert np.linalg.norm(A @ res.x[k] - B[k]) <= 1e-11 * max(np.linalg.norm(B[k]), 1e-300)
    np.testing.assert_array_equal(res.x[3], 0.0)
    x = dense_solutions(r, B, SCALES, shift)
    assert np.linalg.norm(res.x - x) <= 1e-8 * np.linalg.norm(x)
    assert res.residual <= 1e-12
    assert res.row_iterations.shape == (10,) and res.row_iterations[3] == 0


def test_recycling_halves_the_other_systems_iterations(monkeypatch):
    """Logarithmic decay at N = 2^14: the reference takes the plain iteration count, every
    deflated system at least 4 fewer than the fastest plain one (measured: 11-12 plain,
    7 deflated), and the solutions agree with the plain solve. With ``REFERENCE_STEPS``
    set, the reference stops alone after that many and finishes deflated, in no more than
    its plain count."""
    N = 2**14
    r = gp.Logarithmic(2.0, 1.0).autocovariance(N)
    B = np.random.default_rng(0).standard_normal((10, N))
    shift = np.full(10, 0.4)
    plain = rows_pcg.pcg_rows(r, B, SCALES, shift, recycle=False)
    recycled = rows_pcg.pcg_rows(r, B, SCALES, shift)
    ref = int(np.argmin(shift / SCALES))
    assert plain.deflated == 0 and recycled.deflated >= 4
    others = np.delete(recycled.row_iterations, ref)
    assert recycled.row_iterations[ref] == plain.row_iterations[ref]
    assert others.max() <= plain.row_iterations.min() - 4
    assert np.linalg.norm(recycled.x - plain.x) <= 1e-9 * np.linalg.norm(plain.x)
    monkeypatch.setattr(rows_pcg, "REFERENCE_STEPS", 6)
    early = rows_pcg.pcg_rows(r, B, SCALES, shift)
    assert early.deflated >= 3 and early.residual <= 1e-12
    assert 6 < early.row_iterations[ref] <= plain.row_iterations[ref]
    assert np.linalg.norm(early.x - plain.x) <= 1e-9 * np.linalg.norm(plain.x)


def test_too_few_systems_or_fast_reference_do_not_recycle():
    N = 4096
    B = np.random.default_rng(1).standard_normal((10, N))
    r_slow = gp.Logarithmic(2.0, 1.0).autocovariance(N)
    few = rows_pcg.pcg_rows(r_slow, B[:rows_pcg.RECYCLE_MIN_ROWS - 1],
                            SCALES[:rows_pcg.RECYCLE_MIN_ROWS - 1], 0.4)
    assert few.deflated == 0
    fast = rows_pcg.pcg_rows(gp.PoweredExponential(2.0, 1.0).autocovariance(N), B, SCALES, 0.4)
    assert fast.iterations < rows_pcg.RECYCLE_MIN_ITERATIONS and fast.deflated == 0


def test_harvested_lanczos_matrix_is_v_a_v():
    """The tridiagonal read off the CG coefficients equals ``V^T A V`` for the harvested
    ``M``-orthonormal vectors ``v_j = (-1)^j z_j / sqrt(r_j . z_j)`` (first steps, before
    orthogonality is lost), and ``T V`` is ``T`` times them."""
    N = 512
    r = gp.Logarithmic(2.0, 1.0).autocovariance(N)
    s, h = np.array([0.8]), np.array([0.3])
    b = np.random.default_rng(2).standard_normal((1, N))
    ops = rows_pcg._Operators(r, s, h)
    store = np.zeros((2, 8, N))
    harvest = rows_pcg._Harvest(s[0], h[0], store[0], store[1])
    state = (np.zeros((1, N)), b.copy(), np.zeros((1, N)), np.zeros((1, N)))
    rows_pcg._iterate(ops, state, np.array([0]), np.linalg.norm(b, axis=1), 1e-12, 6,
                      np.zeros(1, dtype=np.int64), harvest=harvest)
    j = 6
    V = store[0][:j] * harvest.scale[:j, None]
    T = scipy.linalg.toeplitz(r)
    A = s[0] * T + h[0] * np.eye(N)
    a, beta = np.array(harvest.alpha[:j]), np.array(harvest.beta[:j - 1])
    diag = 1.0 / a
    diag[1:] += beta / a[:-1]
    off = np.sqrt(beta) / a[:-1]
    lanczos = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
    VAV = V @ A @ V.T
    assert np.abs(lanczos - VAV).max() <= 1e-10 * np.abs(VAV).max()
    TV = (store[1][:j] - h[0] * store[0][:j]) / s[0]
    assert np.abs(TV - store[0][:j] @ T).max() <= 1e-12 * np.abs(TV).max()


def test_a_useless_deflation_space_is_abandoned(monkeypatch):
    """A deflation space inconsistent with ``T`` (``T W`` replaced by noise) must not break
    the solve: the deflated pass gives up after twice the reference's iterations and the
    systems start over without it."""
    # N = 512 takes the same path as larger N (the broken space is used, the deflated pass
    # gives up after 2 x 10 iterations and restarts) at a sixty-fourth of the dense oracle
    N = 512
    r = gp.Logarithmic(2.0, 1.0).autocovariance(N)
    B = np.random.default_rng(3).standard_normal((10, N))
    noise = np.random.default_rng(4)

    def broken(self, out=None):
        W = np.linalg.qr(noise.standard_normal((N, 4)))[0].T
        return np.vstack([W, 50.0 * noise.standard_normal((4, N))])

    monkeypatch.setattr(rows_pcg._Harvest, "deflation_space", broken)
    res = rows_pcg.pcg_rows(r, B, SCALES, 0.4)
    x = dense_solutions(r, B, SCALES, np.full(10, 0.4))
    assert res.residual <= 1e-12
    assert np.linalg.norm(res.x - x) <= 1e-8 * np.linalg.norm(x)


@pytest.mark.parametrize("N", [2**14, 2**14 + 1])
def test_a_system_does_not_depend_on_its_block_companions(N):
    """Each system's arithmetic is its own: solved alone or among nine others (one block),
    its solution and iteration count are bit for bit the same (per-row dots in a fixed
    order; numpy.einsum's per-row sums change in the last bits with the block's shape)."""
    r = gp.Logarithmic(2.0, 1.0).autocovariance(N)
    B = np.random.default_rng(5).standard_normal((10, N))
    together = rows_pcg.pcg_rows(r, B, SCALES, 0.4, recycle=False)
    alone = rows_pcg.pcg_rows(r, B[9:], SCALES[9:], 0.4, recycle=False)
    np.testing.assert_array_equal(together.x[9], alone.x[0])
    assert together.row_iterations[9] == alone.row_iterations[0]
