"""The half-shifted cosine grid and the certified bracket built on it, against independent
oracles: scipy's DCT-III, mpmath at 50 digits, dense eigenvalues and direct sums."""

from __future__ import annotations

import math
import threading

import mpmath
import numpy as np
import pytest
import scipy.fft
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory.testing import strategies as gst
from gpdtheory.toeplitz.bracket import _symbol_sums, eigenvalue_bounds
from gpdtheory.toeplitz.cosine_grid import cosine_extremes, cosine_sums

EPS = float(np.finfo(float).eps)
rng = np.random.default_rng(20261207)


def _cases():
    for K in [*range(1, 20), 64, 65, 1000, 1001]:
        for n in sorted({1, 2, 3, K // 2, K - 1, K} & set(range(1, K + 1))):
            yield K, n


@pytest.mark.parametrize(("K", "n"), list(_cases()))
def test_cosine_sums_are_scipy_dct_type_3(K, n):
    x = rng.standard_normal(n)
    ref = scipy.fft.dct(np.concatenate((x, np.zeros(K - n))), type=3)
    y = cosine_sums(x, K)
    norm = abs(x[0]) + 2.0 * np.abs(x[1:]).sum()
    # both sides float64: each within the stated allowance, so within twice of each other
    assert np.max(np.abs(y - ref)) <= 2 * 8 * EPS * math.log2(2 * K) * norm


@pytest.mark.parametrize(("K", "n"), [(1, 1), (2, 1), (2, 2), (3, 2), (3, 3), (8, 5), (12, 12),
                                      (17, 9), (40, 20), (64, 64), (96, 33)])
def test_cosine_sums_within_the_stated_allowance_of_mpmath(K, n):
    """The module's round-off statement, ``8 eps log2(2K)`` of the 1-norm, against values
    exact to 50 digits; decaying and alternating rows with a dominant ``x_0``."""
    mpmath.mp.dps = 50
    rows = [rng.standard_normal(n), 0.9 ** np.arange(n) * (-1.0) ** np.arange(n),
            np.r_[1e3, rng.uniform(-1, 1, n - 1)]]
    for x in rows:
        y = cosine_sums(x, K)
        norm = abs(x[0]) + 2.0 * np.abs(x[1:]).sum()
        for k in range(K):
            exact = mpmath.mpf(x[0]) + 2 * mpmath.fsum(
                mpmath.mpf(x[m]) * mpmath.cos(mpmath.pi * m * (2 * k + 1) / (2 * K))
                for m in range(1, n))
            assert abs(float(y[k] - exact)) <= 8 * EPS * math.log2(2 * K) * norm


@pytest.mark.parametrize("K", [2**19, 2**20 + 2**18, 2**21])
def test_cosine_sums_at_packed_lengths(K):
    """Lengths from the engine's packed (and four-step) transforms on."""
    n = K // 2
    x = rng.standard_normal(n) * np.exp(-np.arange(n) / 50.0)
    ref = scipy.fft.dct(np.concatenate((x, np.zeros(K - n))), type=3)
    y = cosine_sums(x, K)
    norm = abs(x[0]) + 2.0 * np.abs(x[1:]).sum()
    assert np.max(np.abs(y - ref)) <= 2 * 8 * EPS * math.log2(2 * K) * norm


@pytest.mark.parametrize(("K", "n"), [(1, 1), (2, 2), (7, 3), (1000, 400), (4096, 2048)])
def test_cosine_extremes_are_those_of_the_sums_bit_for_bit(K, n):
    rows = rng.standard_normal((3, n))
    got = cosine_extremes(rows, K)
    for row, (lo, hi) in zip(rows, got, strict=True):
        y = cosine_sums(row, K)
        assert (lo, hi) == (y.min(), y.max())


@pytest.mark.parametrize("K", [2**19, 2**21, 3 * 2**18])
def test_a_lone_row_keeps_its_bits_on_every_thread(K):
    """One row: its transform is split among the threads (powers of two), and the
    extremes are still, bit for bit, those of the one-thread sums."""
    x = rng.standard_normal(K // 2)
    y = cosine_sums(x, K)
    assert tuple(cosine_extremes(x[None, :], K)[0]) == (y.min(), y.max())


def test_cosine_extremes_do_not_depend_on_the_thread_or_caller():
    rows = rng.standard_normal((4, 3000))
    ref = cosine_extremes(rows, 8192)
    out = []
    workers = [threading.Thread(target=lambda: out.append(cosine_extremes(rows, 8192)))
               for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert all(np.array_equal(o, ref) for o in out)


# --------------------------------------------------------------------------- the sums
@pytest.mark.parametrize("n", [1, 2, 3, 4, 16, 17, 33, 100, 1001])
def test_symbol_sums_against_exact_sums(n):
    r = rng.standard_normal(n)
    s0, s1, s2, radius, ends = _symbol_sums(r, True)
    m = np.arange(n)
    exact = [math.fsum(np.abs(r[1:])), math.fsum(m[1:] * np.abs(r[1:])),
             math.fsum(m[1:] ** 2 * np.abs(r[1:]))]
    for got, want in zip((s0, s1, s2), exact, strict=True):
        assert abs(got - want) <= 2 * n * EPS * want
    rowsums = np.abs(scipy.linalg.toeplitz(r)).sum(axis=1) - abs(r[0])
    assert abs(radius - rowsums.max()) <= (2 * n + 2) * EPS * max(rowsums.max(), 1e-300)
    norm = 2.0 * np.abs(r[1:]).sum()
    weight = 1.0 - m / n
    sign = (-1.0) ** m
    want_ends = [2 * math.fsum(r[1:]), 2 * math.fsum(sign[1:] * r[1:]),
                 2 * math.fsum(weight[1:] * r[1:]), 2 * math.fsum((sign * weight)[1:] * r[1:])]
    for got, want in zip(ends, want_ends, strict=True):
        assert abs(got - want) <= (16 + math.log2(n) + 3) * EPS * norm


# --------------------------------------------------------------------------- the bracket
def _off_grid_peak(N: int) -> np.ndarray:
    """A sequence whose symbol peaks near ``pi / 2 + pi / K``, midway between two points of
    the half-shifted grid of ``K = 2N`` (the default ``grid_factor``): the grid misses the
    peak, and only the grid allowance covers it. Near ``pi / 2`` the Gershgorin radius,
    about ``4 / pi`` of the peak's height, stays above the symbol's bound."""
    theta = math.pi / 2 + math.pi / (2 * N)
    m = np.arange(N)
    return np.where(m == 0, 1.0, 0.97 ** m * np.cos(m * theta))


@pytest.mark.parametrize("N", [300, 1000, 1500])
def test_the_grid_allowance_is_what_covers_an_off_grid_extreme(N):
    r = _off_grid_peak(N)
    ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
    b = eigenvalue_bounds(r)
    assert b.lmin_lower <= ev[0] <= b.lmin_upper and b.lmax_lower <= ev[-1] <= b.lmax_upper
    # the true symbol maximum, on a fine grid, lies above every point the bracket evaluated
    w = np.linspace(0, math.pi, 40001)
    f = r[0] + 2 * np.cos(np.outer(w, np.arange(1, N))) @ r[1:]
    ends = [r[0] + 2 * r[1:].sum(), r[0] + 2 * (r * (-1.0) ** np.arange(N))[1:].sum()]
    evaluated = max(cosine_sums(r, 2 * N).max(), *ends)
    assert f.max() > evaluated + 1e-6 * f.max()
    assert b.lmax_upper >= f.max()


@pytest.mark.parametrize("N", [2, 3, 5, 50, 513])
def test_without_fejer_only_the_inner_ends_change(N):
    r = gp.Polynomial(2.0, 1.5).autocovariance(N)
    full, outer = eigenvalue_bounds(r), eigenvalue_bounds(r, fejer=False)
    assert (outer.lmin_lower, outer.lmax_upper, outer.grid_allowance) == \
        (full.lmin_lower, full.lmax_upper, full.grid_allowance)
    assert outer.lmin_upper == outer.lmax_lower == r[0]


@pytest.mark.parametrize("N", [4, 50, 1000])
def test_the_ends_of_the_circle_tighten_the_inner_bounds(N):
    """The Fejér mean at 0 (a Rayleigh quotient, ``<= lmax``) is on the grid the bracket
    takes its maximum over; its value from exact sums bounds ``lmax_lower`` from below."""
    r = gp.PoweredExponential(3.0, 1.0).autocovariance(N)
    m = np.arange(N)
    fejer0 = r[0] + 2 * math.fsum((1.0 - m[1:] / N) * r[1:])
    alternating = r * (-1.0) ** m
    fejer_pi = r[0] + 2 * math.fsum((1.0 - m[1:] / N) * alternating[1:])
    # the bracket's own allowance (eigenvalue_bounds), once for its value and once for
    # the pairwise sums at the ends (well within it)
    tol = 8 * EPS * math.log2(4 * N) * (r[0] + 2 * np.abs(r[1:]).sum()) + 4 * N * EPS * r[0]
    assert eigenvalue_bounds(r).lmax_lower >= fejer0 - 2 * tol
    assert eigenvalue_bounds(alternating).lmin_upper <= fejer_pi + 2 * tol


@given(kernel=gst.kernels(), N=st.integers(1, 160), grid_factor=st.sampled_from([1, 2, 4, 7]))
def test_bracket_holds_for_drawn_kernels(kernel, N, grid_factor):
    r = kernel.autocovariance(N)
    ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
    for fejer in (True, False):
        b = eigenvalue_bounds(r, grid_factor, fejer=fejer)
        assert b.lmin_lower <= ev[0] <= b.lmin_upper
        assert b.lmax_lower <= ev[-1] <= b.lmax_upper


# --------------------------------------------------------------------------- work
@pytest.mark.parametrize("N", [4096, 5000, 2**15])
def test_work_of_the_bracket_and_of_positive_definiteness(N):
    """Counted, not timed: the bracket takes two transforms of the grid's length ``K``
    (``>= 2N``, about ``2N``), and a conclusive positive definiteness test one, nothing
    quadratic."""
    import gpdtheory.toeplitz as tz
    from gpdtheory.toeplitz.work import counting

    r = gp.Polynomial(2.0, 1.5).autocovariance(N)
    K = int(scipy.fft.next_fast_len(2 * N, real=True))
    with counting() as bracket:
        eigenvalue_bounds(r)
    with counting() as definite:
        assert tz.is_positive_definite(r)
    assert dict(bracket) == {"transform": 2, "transform_length": 2 * K}
    assert dict(definite) == {"transform": 1, "transform_length": K}
