"""The rows PCG's fused direction update (``_Operators.advance``) and true residuals
(``_Operators.residuals``) against dense NumPy (``scipy.linalg.toeplitz``, the circulant
as a dense matrix) and, bit for bit, against the block primitives they replace; and the
workspace's mapped buffers (``threads.zeros``): zero-filled, writable, private to a forked
child."""

from __future__ import annotations

import mmap
import multiprocessing

import numpy as np
import pytest
import scipy.linalg

import gpdtheory as gp
from gpdtheory.toeplitz import threads
from gpdtheory.toeplitz.rows_numba import _directions, _row_dots
from gpdtheory.toeplitz.rows_operators import _Operators, _strang

SIZES = [1, 2, 3, 4, 5, 6, 7, 64, 65, 1000, 1001]
KERNELS = [gp.Logarithmic(2.0, 1.0), gp.Polynomial(2.0, 1.5), gp.PoweredExponential(2.0, 1.0)]


def _problem(N: int, k: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed + N)
    s, h = np.linspace(0.4, 1.6, k), np.linspace(0.05, 0.6, k)
    R, P, AP = (rng.standard_normal((k, N)) for _ in range(3))
    rz_old = rng.uniform(0.5, 2.0, k)
    rz_old[-1] = 0.0                       # beta = 0 where the old r . z is not positive
    return s, h, R, P, AP, rz_old


@pytest.mark.parametrize("first", [False, True])
@pytest.mark.parametrize("N", SIZES)
@pytest.mark.parametrize("kernel", KERNELS, ids=repr)
def test_advance_matches_dense_numpy(kernel, N, first):
    r = kernel.autocovariance(N)
    s, h, R, P, AP, rz_old = _problem(N)
    ops = _Operators(r, s, h)
    rows = np.arange(3)
    P0, AP0 = P.copy(), AP.copy()
    seen = []
    rz, beta, pap = ops.advance(R, P, AP, rows, rz_old, first,
                                lambda z, az, rzj: seen.append((z.copy(), az.copy(), rzj)))
    assert ops.name == "strang"            # these kernels keep Strang's circulant
    T = scipy.linalg.toeplitz(r)
    C = scipy.linalg.circulant(_strang(r))
    tol = 1e-11
    for k in range(3):
        M = s[k] * C + h[k] * np.eye(N)
        A = s[k] * T + h[k] * np.eye(N)
        z = np.linalg.solve(M, R[k])
        az = A @ z
        b = 0.0 if rz_old[k] <= 0 else (R[k] @ z) / rz_old[k]
        p = z if first else z + b * P0[k]
        ap = az if first else az + b * AP0[k]
        scale = np.abs(p).max() + np.abs(ap).max()
        assert abs(rz[k] - R[k] @ z) <= tol * abs(R[k]) @ abs(z)
        assert abs(beta[k] - b) <= tol * max(abs(b), 1.0)
        assert np.abs(P[k] - p).max() <= tol * scale
        assert np.abs(AP[k] - ap).max() <= tol * scale
        assert abs(pap[k] - p @ ap) <= tol * (np.abs(p) @ np.abs(ap))
    z0, az0, rz0 = seen[0]
    assert len(seen) == 1 and rz0 == rz[0]
    assert np.abs(z0 - np.linalg.solve(s[0] * C + h[0] * np.eye(N), R[0])).max() \
        <= tol * np.abs(z0).max()


@pytest.mark.parametrize("N", [64, 65, 4096, 4097])
def test_advance_equals_the_block_primitives_bit_for_bit(N):
    """Per row on one thread or through the (K, N) block buffers, the same bits: the
    rows' dots and directions run in :func:`_dot`'s and :func:`_direction_row`'s order
    either way."""
    r = gp.Logarithmic(2.0, 1.0).autocovariance(N)
    s, h, R, P, AP, rz_old = _problem(N, k=5)
    rows = np.array([0, 2, 3])
    ops = _Operators(r, s, h)
    P1, AP1 = P.copy(), AP.copy()
    rz, beta, pap = ops.advance(R, P1, AP1, rows, rz_old[rows], False)
    Rb = R[rows]
    Z, AZ = ops.precondition_and_product(Rb, rows)
    rz2 = threads.launch(_row_dots, Rb, Z)
    beta2 = np.where(rz_old[rows] > 0, rz2 / np.where(rz_old[rows] > 0, rz_old[rows], 1.0), 0.0)
    P2, AP2 = P.copy(), AP.copy()
    pap2 = threads.launch(_directions, Z, AZ, beta2, P2, AP2, rows, False)
    for got, want in [(rz, rz2), (beta, beta2), (pap, pap2), (P1, P2), (AP1, AP2)]:
        np.testing.assert_array_equal(got, want)
    untouched = [1, 4]
    np.testing.assert_array_equal(P1[untouched], P[untouched])


@pytest.mark.parametrize("N", [4096, 2**17, 2**20, 3 * 2**16])
def test_a_lone_row_gets_every_thread_and_the_same_bits(N, monkeypatch):
    """A lone row (the recycling reference, the last system left) runs its transforms on
    every thread; its step and its true residual are bit for bit those it gets beside
    another row (one thread each), for powers of two (split) and others (not split)."""
    from gpdtheory.toeplitz import realfft

    monkeypatch.setattr(realfft, "threads", lambda: 2)
    r = gp.Logarithmic(2.0, 1.0).autocovariance(N)
    s, h, R, P, AP, rz_old = _problem(N, k=2)
    ops = _Operators(r, s, h)
    alone, together = (P.copy(), AP.copy()), (P.copy(), AP.copy())
    got = ops.advance(R, *alone, np.array([0]), rz_old[:1], False)
    want = ops.advance(R, *together, np.array([0, 1]), rz_old, False)
    assert [g[0] for g in got] == [w[0] for w in want]
    np.testing.assert_array_equal(alone[0][0], together[0][0])
    np.testing.assert_array_equal(alone[1][0], together[1][0])
    X = R[::-1].copy()
    one, two = np.empty_like(X), np.empty_like(X)
    ops.residuals(X, np.array([1]), lambda j: R[j], one)
    ops.residuals(X, np.array([0, 1]), lambda j: R[j], two)
    np.testing.assert_array_equal(one[1], two[1])


@pytest.mark.parametrize("N", SIZES)
def test_residuals_match_dense_numpy(N):
    r = gp.Polynomial(2.0, 1.5).autocovariance(N)
    s, h, B, X, _, _ = _problem(N, k=4)
    ops = _Operators(r, s, h)
    R = np.full_like(B, np.nan)
    rows = np.array([0, 1, 3])
    ops.residuals(X, rows, lambda j: B[j], R)
    T = scipy.linalg.toeplitz(r)
    for k in rows:
        want = B[k] - (s[k] * (T @ X[k]) + h[k] * X[k])
        assert np.abs(R[k] - want).max() <= 1e-12 * (np.abs(B[k]).max() + np.abs(X[k]).max())
    assert np.all(np.isnan(R[2]))


def test_mapped_zeros_are_zero_writable_and_outside_the_heap():
    small = threads.zeros(8)
    assert small.dtype == np.float64 and not np.any(small)
    big = threads.zeros((3, threads.MAPPED_MIN_BYTES // 8), np.complex128)
    assert big.shape == (3, threads.MAPPED_MIN_BYTES // 8) and big.dtype == np.complex128
    assert big.flags.writeable and big.flags.c_contiguous and not np.any(big)
    owner = big
    while isinstance(owner, np.ndarray):   # reshape view -> frombuffer array -> memoryview
        owner = owner.base
    assert isinstance(owner, memoryview) and isinstance(owner.obj, mmap.mmap)
    big[1, 5] = 2.5 + 1j
    assert big.sum() == 2.5 + 1j


def _child_writes(buf: np.ndarray, queue) -> None:
    buf[:] = 7.0
    queue.put(float(buf.sum()))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="the private-mapping property concerns forked children")
def test_mapped_zeros_are_private_to_a_forked_child():
    buf = threads.zeros(threads.MAPPED_MIN_BYTES // 8)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_writes, args=(buf, queue))
    child.start()
    got = queue.get(timeout=60)
    child.join(60)
    assert child.exitcode == 0 and got == 7.0 * buf.size
    assert not np.any(buf)


def test_mapped_zeros_come_from_numpy_while_tracemalloc_traces():
    """Memory measurements count the workspace: tracemalloc does not see mappings."""
    import tracemalloc

    n = threads.MAPPED_MIN_BYTES // 8
    tracemalloc.start()
    try:
        buf = threads.zeros(n)
        traced = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert traced >= buf.nbytes and not isinstance(buf.base, memoryview)


@pytest.mark.parametrize(("kernel", "deflated", "peak_kn"), [
    (gp.Logarithmic(2.0, 1.0), True, 7.0),
    (gp.PoweredExponential(2.0, 1.0), False, 5.5),
])
def test_rows_pcg_memory_has_no_block_temporaries(kernel, deflated, peak_kn):
    """Peak traced memory of 16 systems at N = 2^18 beyond the right-hand sides, counted
    (tracemalloc sees the workspace: :func:`threads.zeros` takes NumPy's memory while it
    traces): the state ``X, R, P, AP`` (4 K N), the deflation space's 24 rows (1.5 K N) when
    recycling, and a few rows per thread; measured 6.78 and 5.16 K N. Two ``(K, N)``
    block buffers (``z`` and ``A z`` of the whole block) would add 2 K N."""
    import tracemalloc

    from gpdtheory.toeplitz.rows_pcg import pcg_rows

    N, k = 2**18, 16
    r = kernel.autocovariance(N)
    B = np.random.default_rng(0).standard_normal((k, N))
    tracemalloc.start()
    try:
        res = pcg_rows(r, B, np.linspace(0.2, 2.0, k), np.full(k, 0.03))
        peak = tracemalloc.get_traced_memory()[1] / (8 * k * N)
    finally:
        tracemalloc.stop()
    assert (res.deflated > 0) == deflated and res.residual <= 1e-12
    assert peak <= peak_kn


def test_mapped_zeros_fall_back_to_numpy_without_private_maps(monkeypatch):
    """Where ``mmap`` has no ``MAP_PRIVATE`` (Windows) the buffer is NumPy's."""
    monkeypatch.delattr(mmap, "MAP_PRIVATE")
    buf = threads.zeros(threads.MAPPED_MIN_BYTES // 8)
    assert buf.base is None and not np.any(buf) and buf.flags.writeable
