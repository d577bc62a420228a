"""The four-step transform (gpdtheory.toeplitz.fourstep) against numpy.fft, the independent
implementation: square, 2:1 and 4:1 splits, lengths with factors 3, 5 and 7, forward and
inverse with every normalisation, read-only input; the root tables against numpy.exp; the
split rule; and a count of the transform lengths ducc0 is asked for (no transform longer
than about 2 sqrt(m) once a row is split)."""

from __future__ import annotations

import threading

import ducc0
import mpmath
import numpy as np
import pytest

from gpdtheory.toeplitz import fourstep, realfft
from gpdtheory.toeplitz.fourstep import c2c_row, roots, split

EPS = np.finfo(float).eps


def _close(a: np.ndarray, b: np.ndarray, scale: float, m: int) -> None:
    # an FFT's error is O(eps log m) relative to the input's 1-norm
    assert np.max(np.abs(a - b), initial=0.0) <= 8 * EPS * max(np.log2(m), 1) * scale


@pytest.fixture
def split_everything(monkeypatch):
    """Offer the four steps at every length (the rule on factors and balance still holds)."""
    monkeypatch.setattr(fourstep, "FOUR_STEP_MIN_LENGTH", 1)


@pytest.mark.parametrize("m", [4, 6, 8, 12, 16, 30, 36, 60, 64, 98, 210, 1024, 2048,
                               3 * 1024, 5 * 7 * 64, 4096, 2**15, 2**18])
@pytest.mark.parametrize("inorm", [0, 1, 2])
def test_four_steps_match_numpy(m, inorm, split_everything):
    n1 = split(m)
    assert n1 and m % n1 == 0 and n1 <= m // n1 <= 4 * n1
    rng = np.random.default_rng(m)
    x = rng.standard_normal(m) + 1j * rng.standard_normal(m)
    x.flags.writeable = False
    scale = float(np.abs(x).sum())
    norm = [1.0, np.sqrt(m), float(m)][inorm]
    out = np.empty(m, complex)
    c2c_row(x, out, n1, True, inorm)
    _close(out * norm, np.fft.fft(x), scale, m)
    c2c_row(x, out, n1, False, inorm)
    _close(out * norm, np.fft.ifft(x) * m, scale, m)


def test_round_trip_and_scales(split_everything):
    """Forward then inverse returns the row to round-off, at the ends of float64's range."""
    m = 3 * 2**12
    n1 = split(m)
    rng = np.random.default_rng(1)
    for scale in (2.0**-990, 1e-300, 1.0, 1e300):
        x = scale * (rng.standard_normal(m) + 1j * rng.standard_normal(m))
        F = np.empty(m, complex)
        back = np.empty(m, complex)
        c2c_row(x, F, n1, True, 0)
        c2c_row(F, back, n1, False, 2)
        assert np.all(np.isfinite(back))
        assert np.max(np.abs(back - x)) <= 16 * EPS * np.log2(m) * np.max(np.abs(x))


@pytest.mark.parametrize("n,count", [(8, 3), (1000, 251), (2**20, 2**20), (6, 6),
                                     (3 * 2**18, 3 * 2**18), (97, 1), (2**22, 2**20 + 1)])
def test_root_tables_give_every_root(n, count):
    """Against mpmath at 30 digits, at the ends, the quarter turns and 400 random k: within
    4 eps (each table entry about one rounding, their product one more)."""
    coarse, fine = roots(n, count)
    width = len(fine)
    assert width & (width - 1) == 0 and width * width >= count - 1
    rng = np.random.default_rng(count)
    k = np.unique(np.r_[0, 1, count - 1, (np.arange(1, 4) * n) // 4, rng.integers(0, count, 400)])
    k = k[k < count]
    got = coarse[k // width] * fine[k % width]
    with mpmath.workdps(30):
        exact = np.array([complex(mpmath.expjpi(mpmath.mpf(-2 * int(j)) / n)) for j in k])
    assert np.max(np.abs(got - exact)) <= 4 * EPS


def test_split_rule():
    big = fourstep.FOUR_STEP_MIN_LENGTH
    assert split(big // 2) == 0                               # short: one transform
    assert split(2**20) == 2**10 and split(2**21) == 2**10    # square and 2:1
    assert split(3 * 2**20) == 1536                           # 1536 x 2048
    assert split(2**20 * 35) == 5120                           # 5120 x 7168
    assert split(2**21 + 1) == 0                              # 3 * 699051: a large prime
    assert split(big * 11) == 0                               # factor 11: not a fast radix
    assert split(2**21 - 1) == 0                              # 7^2 * 127 * 337


def test_split_rows_ask_ducc0_for_short_transforms_only(monkeypatch):
    """Counts work instead of timing it: once a row is split, ducc0 transforms nothing longer
    than 4 sqrt(m), and a row that is not split is one transform of m points."""
    lengths: list[int] = []
    original = ducc0.fft.c2c

    def spy(a, axes, **kw):
        lengths.append(a.shape[axes[0]])
        return original(a, axes=axes, **kw)

    monkeypatch.setattr(ducc0.fft, "c2c", spy)
    monkeypatch.setattr(realfft, "PACKED_MIN_LENGTH", 2)
    for n, longest in ((2**21, 2**10), (3 * 2**20, 1536)):
        assert split(n // 2)
        lengths.clear()
        realfft.irfft(realfft.rfft(np.ones(n)), n)
        assert lengths and max(lengths) == longest <= 4 * np.sqrt(n / 2)
    lengths.clear()
    realfft.rfft(np.ones(2 * (2**21 + 1)))
    assert lengths == [2**21 + 1]


def test_strided_target_and_batches_through_realfft(split_everything):
    """The engine's entry (realfft._c2c): a strided destination gets the rows; a batch on
    several threads is bit for bit the batch on one."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 1536)) + 1j * rng.standard_normal((3, 2, 1536))
    out = np.empty((3, 2, 2 * 1536), complex)[..., ::2]
    realfft.fft(x, out=out)
    _close(out, np.fft.fft(x, axis=-1), float(np.abs(x).sum()), 1536)
    np.testing.assert_array_equal(realfft.fft(x, workers=1), realfft.fft(x, workers=2))


def test_complex_transform_matches_numpy_and_names_a_bad_target(split_everything):
    x = np.random.default_rng(9).standard_normal((2, 1536)) + 0j
    out = realfft.complex_transform(x, np.empty_like(x), forward=True)
    _close(out, np.fft.fft(x), float(np.abs(x).sum()), 1536)
    back = realfft.complex_transform(out, np.empty_like(x), forward=False)
    _close(back, x, float(np.abs(x).sum()), 1536)
    with pytest.raises(ValueError, match="target must be a complex128 array"):
        realfft.complex_transform(x, np.empty((2, 1535), complex), forward=True)


def test_a_task_that_asks_for_threads_runs_its_share_inline():
    """``threads.parallel`` from inside a pool task runs inline (a pool thread waiting on
    the pool could wait forever), and a lone row split into shares (transpose, twiddle,
    batches) from a pool task gives the bits of one thread."""
    from gpdtheory.toeplitz import threads
    from gpdtheory.toeplitz.fourstep import c2c_row, split

    m = 1 << 20
    n1 = split(m)
    z = np.random.default_rng(0).standard_normal(2 * m).view(np.complex128)
    one, out = np.empty(m, complex), [np.empty(m, complex) for _ in range(2)]
    c2c_row(z, one, n1, True, 0, 1)
    names: list[str] = []

    def task(i: int) -> None:
        names.append(threading.current_thread().name)
        c2c_row(z, out[i], n1, True, 0, 2)     # asks for two threads from any thread

    threads.parallel([lambda: task(0), lambda: task(1)])
    assert any(name.startswith("gpd-fft") for name in names) or threads.threads() == 1
    for o in out:
        np.testing.assert_array_equal(o, one)
