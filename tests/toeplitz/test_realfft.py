"""The engine's transforms (gpdtheory.toeplitz.realfft, ducc0) against numpy.fft, the
independent implementation they replace: every length 1..64 (odd, even, prime), large
powers of two and fast lengths, batches, padding and cutting, read-only and strided input,
scales near the ends of float64, threads and a forked child. Every test runs three times:
with ducc0's real transforms, with the packed route (complex transforms of half the
length, docs/theory.md §2.2 item 3) forced at every even length, and with the packed route
whose complex transforms take the four steps (item 4) wherever they can."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from gpdtheory.toeplitz import fourstep, realfft
from gpdtheory.toeplitz.realfft import fft, irfft, rfft

EPS = np.finfo(float).eps


@pytest.fixture(autouse=True, params=["real", "packed", "four-step"])
def route(request, monkeypatch):
    """Run the test with ducc0's real transforms, with the packed route everywhere, and with
    the packed route whose complex transforms go through the four steps wherever
    :func:`.fourstep.split` allows (every length with factors 2, 3, 5, 7 only)."""
    monkeypatch.setattr(realfft, "PACKED_MIN_LENGTH", 1 << 62 if request.param == "real" else 2)
    if request.param == "four-step":
        monkeypatch.setattr(fourstep, "FOUR_STEP_MIN_LENGTH", 1)
    else:
        monkeypatch.setattr(fourstep, "FOUR_STEP_MIN_LENGTH", 1 << 62)
    return request.param


def _close(a: np.ndarray, b: np.ndarray, scale: float, n: int) -> None:
    # an FFT's error is O(eps log n) relative to the input's norm (both implementations)
    assert np.max(np.abs(a - b), initial=0.0) <= 8 * EPS * max(np.log2(n), 1) * scale


@pytest.mark.parametrize("n", [*range(1, 65), 97, 1000, 1001, 4096, 2**16 + 1, 2**18])
def test_rfft_irfft_match_numpy(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n)
    F = rfft(x)
    scale = float(np.sum(np.abs(x)))
    _close(F, np.fft.rfft(x), scale, n)
    G = np.fft.rfft(rng.standard_normal(n))
    G[0] += 2.5j                  # ignored, as numpy ignores it
    if n % 2 == 0:
        G[-1] -= 1.5j
    _close(irfft(G, n), np.fft.irfft(G, n), float(np.sum(np.abs(G))) / n, n)
    _close(irfft(F, n), x, scale, n)


@pytest.mark.parametrize("n", [1, 2, 3, 8, 31, 64, 1000])
@pytest.mark.parametrize("length", [None, 1, 5, 64, 129])
def test_padding_and_cutting_follow_numpy(n, length):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, n))
    m = n if length is None else length
    _close(rfft(x, length), np.fft.rfft(x, length, axis=-1), float(np.abs(x).sum()), m)
    F = rng.standard_normal((3, n)) + 1j * rng.standard_normal((3, n))
    _close(irfft(F, m), np.fft.irfft(F, m, axis=-1), float(np.abs(F).sum()), m)


def test_complex_fft_matches_numpy():
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 17, 1024, 2310):
        z = rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n))
        _close(fft(z), np.fft.fft(z, axis=-1), float(np.abs(z).sum()), n)


def test_out_batches_threads_and_overwrite():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((5, 300))
    out = np.empty((5, 151), complex)
    got = rfft(X, out=out, workers=-1)
    assert got is out
    # a batch is vectorised across rows (round-off differs from one row at a time), but
    # never depends on the thread count
    _close(out, np.stack([rfft(x) for x in X]), float(np.abs(X).sum()), 300)
    np.testing.assert_array_equal(out, rfft(X, workers=1))
    np.testing.assert_array_equal(out, rfft(X, workers=2))
    F = out.copy()
    back = np.empty((5, 300))
    assert irfft(F, 300, out=back, workers=2, overwrite=True) is back
    np.testing.assert_array_equal(back, irfft(out, 300, workers=1))
    _close(back, X, float(np.abs(X).sum()), 300)
    keep = out.copy()
    irfft(out, 300)                                            # not scratch: left intact
    np.testing.assert_array_equal(out, keep)
    assert rfft(np.zeros((0, 8))).shape == (0, 5)
    assert irfft(np.zeros((0, 5), complex), 8).shape == (0, 8)


def test_read_only_strided_and_extreme_scales():
    rng = np.random.default_rng(5)
    base = rng.standard_normal((4, 2 * 128))
    view = base[:, ::2]
    view.flags.writeable = False
    ref = np.fft.rfft(np.ascontiguousarray(view), axis=-1)
    _close(rfft(view), ref, float(np.abs(view).sum()), 128)
    for c in (2.0 ** -990, 1e-300, 1e300):
        x = c * view[0]
        got = rfft(x)
        assert np.all(np.isfinite(got))
        # scaling by a power of two is exact; by other factors, relative round-off
        np.testing.assert_allclose(got / c, rfft(view[0]), rtol=0, atol=1e-13)


def test_three_dimensional_and_strided_outputs():
    rng = np.random.default_rng(13)
    X = rng.standard_normal((2, 3, 40))
    ref = np.fft.rfft(X, axis=-1)
    _close(rfft(X), ref, float(np.abs(X).sum()), 40)
    F = np.empty((2, 3, 2 * 21), complex)[..., ::2]       # a strided destination
    rfft(X, out=F)
    _close(F, ref, float(np.abs(X).sum()), 40)
    Y = np.empty((2, 3, 80))[..., ::2]
    irfft(ref, 40, out=Y)
    _close(Y, X, float(np.abs(X).sum()), 40)


def test_packed_route_matches_numpy_at_large_lengths(route):
    """Both routes at the lengths where the engine switches (PACKED_MIN_LENGTH = 2^19), an
    even length that is not a power of two among them."""
    rng = np.random.default_rng(17)
    for n in (2**19, 2**19 + 2, 3 * 2**18):
        x = rng.standard_normal(n)
        F = rfft(x)
        _close(F, np.fft.rfft(x), float(np.abs(x).sum()), n)
        _close(irfft(F, n, overwrite=True), x, float(np.abs(x).sum()), n)


def test_bad_lengths_name_the_argument():
    with pytest.raises(ValueError, match="n = 0"):
        rfft(np.ones(3), 0)
    with pytest.raises(ValueError, match="n = -2"):
        irfft(np.ones(3, complex), -2)


def _child_transform(queue) -> None:  # pragma: no cover - runs in the child
    x = np.arange(1.0, 4097.0)
    queue.put(float(np.max(np.abs(rfft(x) - np.fft.rfft(x)))))


def test_threads_and_a_child_process_give_the_same_transform():
    """Threads agree bit for bit; a child process (forked where the system can fork, the
    case the engine's fork handlers exist for) transforms correctly."""
    x = np.random.default_rng(2).standard_normal(1 << 15)
    ref = rfft(x)
    with ThreadPoolExecutor(4) as pool:
        for got in pool.map(lambda _: rfft(x), range(8)):
            np.testing.assert_array_equal(got, ref)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context(next(m for m in ("fork", "forkserver", "spawn")
                                           if m in methods))
    queue = ctx.Queue()
    proc = ctx.Process(target=_child_transform, args=(queue,))
    proc.start()
    err = queue.get(timeout=60)
    proc.join(timeout=60)
    assert proc.exitcode == 0 and err <= 1e-9


@pytest.mark.parametrize("n", [524880, 1049760, 3 * 2**20, *(2**e for e in range(10, 24))])
def test_results_do_not_depend_on_the_thread_count(n):
    """Bit for bit the same with one thread or several, for one row (split among threads
    for powers of two, where that keeps every bit; ducc0's split of one transform of another
    length, or of the batches of its four steps, moves the last bits) and for a batch (rows
    go whole to threads). The lengths cover ducc0's real and complex transforms, the packed
    route and the four steps (complex rows of ``2^20`` points and more)."""
    rng = np.random.default_rng(n)
    for shape in ((n,), (3, n)):
        x = rng.standard_normal(shape)
        one = rfft(x, workers=1)
        np.testing.assert_array_equal(one, rfft(x, workers=2))
        np.testing.assert_array_equal(irfft(one, n, workers=1), irfft(one, n, workers=2))
        z = x[..., : n // 2] + 1j * x[..., n // 2:]
        np.testing.assert_array_equal(fft(z, workers=1), fft(z, workers=2))
        w = x + 1j * x[..., ::-1]  # complex rows of n points: the four steps from 2^20
        np.testing.assert_array_equal(fft(w, workers=1), fft(w, workers=-1))


def test_one_row_of_a_power_of_two_is_split_among_threads(monkeypatch):
    """The single row's transform is given to ducc0 with every thread (powers of two),
    and with one thread otherwise."""
    import ducc0

    from gpdtheory.toeplitz import realfft

    seen: list[int] = []
    real = ducc0.fft.c2c

    def spy(*args, nthreads=1, **kwargs):
        seen.append(nthreads)
        return real(*args, nthreads=nthreads, **kwargs)

    monkeypatch.setattr(realfft.ducc0.fft, "c2c", spy)
    monkeypatch.setattr(realfft, "threads", lambda: 2)
    asked = {}
    for name, z, workers in (("one row of 2^12", np.ones(4096, dtype=complex), -1),
                             ("one row of 4095", np.ones(4095, dtype=complex), -1),
                             ("a batch, one thread", np.ones((2, 4096), dtype=complex), 1)):
        seen.clear()
        fft(z, workers=workers)
        asked[name] = set(seen)
    assert asked == {"one row of 2^12": {2}, "one row of 4095": {1},
                     "a batch, one thread": {1}}
