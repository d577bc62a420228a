"""The fast routes' cost, counted in work (transforms, steps, O(N^2) kernel calls), not time.

A count is exact and machine-independent, so these tests cannot flake on a shared machine.
Each count is checked at several N: near-linear cost means the number of transforms and
Davidson steps does not grow with N, and no O(N^2) kernel runs.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import scipy.linalg

import gpdtheory as gp
import gpdtheory.toeplitz as tz
from gpdtheory.toeplitz import davidson, sine
from gpdtheory.toeplitz.lengths import embedding_length, fast_sine_length
from gpdtheory.toeplitz.work import count, counting

FAMILIES = [gp.Polynomial(2.0, 1.5), gp.Logarithmic(2.0, 1.0), gp.PoweredExponential(2.0, 1.0),
            gp.Polynomial(2.0, 0.8)]


def test_counting_collects_only_inside_the_block():
    count("x", 5)  # no block open: dropped
    with counting() as outer:
        count("x", 2)
        with counting() as inner:
            count("x", 3)
    count("x", 7)
    assert outer["x"] == 5 and inner["x"] == 3


@pytest.mark.parametrize("kernel", FAMILIES, ids=repr)
def test_min_and_max_eig_work_does_not_grow_with_n(kernel):
    """Per call: a bounded number of Davidson steps and transforms at every N, no Lanczos
    start and no O(N^2) kernel (measured at 2^16: 3-9 steps, 26-74 transforms)."""
    for N in (2**16, 2**17):  # (below 2^15 the Logarithmic bottom needs the Lanczos start)
        r = kernel.autocovariance(N)
        for f in (tz.min_eig, tz.max_eig):
            with counting() as work:
                f(r)
            assert work["quadratic_kernel"] == 0, (N, f.__name__)
            assert work["lanczos_step"] == 0, (N, f.__name__)
            assert 1 <= work["davidson_step"] <= davidson.KRYLOV_AFTER, (N, f.__name__, work)
            # set-up 2 + BLOCK products + per step EXPAND products and 2 EXPAND DSTs
            limit = 2 + 2 * davidson.BLOCK + 4 * davidson.EXPAND * work["davidson_step"]
            assert work["transform"] <= limit, (N, f.__name__, work)
            # every transform has length at most ~2N (no length-8N grids, no Bluestein)
            assert work["transform_length"] <= work["transform"] * 2.2 * N


def test_no_transform_of_length_2n_plus_2():
    """The sine route avoids the exact DST lengths ``N + 1`` and ``2(N+1)`` when they are
    slow (N = 2^16: 65537 is prime): the preconditioner's basis is padded to an order whose
    transforms have fast lengths."""
    N = 2**16
    assert fast_sine_length(N) > N
    assert scipy.fft.next_fast_len(2 * (N + 1), real=True) != 2 * (N + 1)
    lengths = []
    original = sine.count_transforms

    def spy(rows, length):
        lengths.append(length)
        original(rows, length)

    sine.count_transforms = spy
    try:
        tz.min_eig(gp.Polynomial(2.0, 1.5).autocovariance(N))
    finally:
        sine.count_transforms = original
    assert lengths and 2 * (N + 1) not in lengths and N + 1 not in lengths
    assert all(scipy.fft.next_fast_len(x, real=True) == x for x in lengths)


def test_products_count_two_transforms_per_row():
    r = gp.Polynomial(2.0, 1.5).autocovariance(1000)
    with counting() as work:
        tz.matvec(r, np.ones((1000, 3)))
    assert work["transform"] == 6
    assert work["transform_length"] == 6 * embedding_length(1000)


def test_krylov_vectors_join_only_an_unconverged_run():
    """White noise (eigenvectors not sine-like) needs the Lanczos start; it joins after
    KRYLOV_AFTER steps, once."""
    r = np.random.default_rng(2000).standard_normal(2000)
    with counting() as work:
        lo = tz.min_eig(r, method="davidson")
    ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
    assert abs(lo - ev[0]) <= 1e-13 * np.abs(ev).max()
    assert work["davidson_step"] > davidson.KRYLOV_AFTER
    assert work["lanczos_step"] == davidson.KRYLOV_STEPS


def test_certified_route_counts_its_quadratic_kernels():
    r = gp.Polynomial(2.0, 1.5).autocovariance(1024)
    with counting() as work:
        tz.min_eig(r, method="bisection")
    assert work["quadratic_kernel"] >= 3


@pytest.mark.parametrize("N", [1, 2, 3, 4, 5, 17, 24, 25, 26, 64, 255, 256, 257, 1000])
def test_sine_pieces_match_dense(N):
    """DST-I, sine rows and Rayleigh quotients against their dense definitions."""
    rng = np.random.default_rng(N)
    j = np.arange(1, N + 1)
    S = np.sqrt(2.0 / (N + 1)) * np.sin(np.pi * np.outer(j, j) / (N + 1))
    X = rng.standard_normal((3, N))
    np.testing.assert_allclose(sine.dst(X), X @ S, rtol=0, atol=1e-13 * np.sqrt(N))
    idx = np.unique(np.array([0, N // 2, N - 1]))
    # the dense S carries the error of sin at arguments ~N^2 (about eps N)
    np.testing.assert_allclose(sine.sine_rows(N, idx, N), S[idx], rtol=0, atol=1e-15 * N)
    r = rng.standard_normal(N) / (1.0 + np.arange(N))
    q = np.diag(S @ scipy.linalg.toeplitz(r) @ S)
    np.testing.assert_allclose(sine.rayleigh_quotients(r), q, rtol=0,
                               atol=1e-13 * max(np.abs(r).sum(), 1.0))


@pytest.mark.parametrize("N", [1, 2, 3, 25, 26, 31, 100, 257, 1000])
def test_min_and_max_eig_match_dense_at_many_sizes(N):
    rng = np.random.default_rng(N + 1)
    m = np.arange(N, dtype=float)
    for r in (gp.Polynomial(2.0, 0.8).autocovariance(N), rng.standard_normal(N),
              np.exp(-m / 6.0) * np.cos(0.9 * m)):
        ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
        scale = max(np.abs(ev).max(), np.finfo(float).tiny)
        for method in ("davidson", "auto"):
            assert abs(tz.min_eig(r, method=method) - ev[0]) <= 1e-13 * scale
            assert abs(tz.max_eig(r, method=method) - ev[-1]) <= 1e-13 * scale


@pytest.mark.parametrize("kernel", [gp.Logarithmic(8.0, 0.5), gp.Logarithmic(20.0, 0.3)],
                         ids=repr)
def test_tight_bottom_cluster_converges_without_the_quadratic_route(kernel):
    """Slowly decaying correlations put the bottom eigenvalues in a cluster of width
    ~1e-12 ||T|| at N = 2^14 (at 2^22 for Logarithmic(2, 1)). A restart that keeps only the
    block's Ritz vectors stagnated there until MAXIT, and ``min_eig`` handed over to the
    ``O(N^2)`` certified route (which at 2^22 never finishes). With the thick restart and
    the stop at the dense solver's accuracy the Davidson answers itself, within a few
    ``eps ||T||`` of the Durbin-certified value (the accuracy of any route through FFT
    products, whose round-off is ``O(eps ||T||)`` absolute)."""
    r = kernel.autocovariance(2**14)
    with counting() as work:
        lam = davidson.davidson_min(r)
    assert lam is not None, work
    assert work["davidson_step"] <= davidson.KRYLOV_AFTER and work["lanczos_step"] == 0
    ref = tz.min_eig(r, method="lanczos")
    assert abs(lam - ref) <= 8 * np.finfo(float).eps * tz.max_eig(r), (lam, ref)
