"""The odd-frequency transform (gpdtheory.toeplitz.oddfft) against numpy.fft, the independent
route (the full complex transform of the twisted row), at every even length 2..64, large
lengths through both complex routes (one piece and four steps), batches, read-only and
strided input, scales near the ends of float64; its use in a Toeplitz product against
scipy.linalg.toeplitz; and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from gpdtheory.toeplitz import fourstep
from gpdtheory.toeplitz.oddfft import odd_irfft, odd_rfft

EPS = np.finfo(float).eps


def _reference(x: np.ndarray) -> np.ndarray:
    n = x.shape[-1]
    return np.fft.fft(x * np.exp(-1j * np.pi * np.arange(n) / n), axis=-1)[..., : n // 2]


def _close(a: np.ndarray, b: np.ndarray, scale: float, n: int) -> None:
    # O(eps log n) of the input's 1-norm, as for any FFT (two more roundings per entry)
    assert np.max(np.abs(a - b), initial=0.0) <= 8 * EPS * max(np.log2(n), 1) * scale


@pytest.fixture(params=["one piece", "four steps"])
def complex_route(request, monkeypatch):
    """The complex transforms of half the length in one piece, or in four steps wherever
    they split."""
    monkeypatch.setattr(fourstep, "FOUR_STEP_MIN_LENGTH",
                        1 << 62 if request.param == "one piece" else 1)
    return request.param


@pytest.mark.parametrize("n", [*range(2, 65, 2), 98, 1000, 1002, 4096, 3 * 2**12])
def test_odd_transform_and_inverse_match_numpy(n, complex_route):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n)
    Y = odd_rfft(x)
    scale = float(np.abs(x).sum())
    _close(Y, _reference(x), scale, n)
    _close(odd_irfft(Y, n), x, scale, n)
    # the inverse of any half spectrum: numpy's inverse of its conjugate-symmetric extension
    G = rng.standard_normal(n // 2) + 1j * rng.standard_normal(n // 2)
    full = np.concatenate([G, np.conj(G[::-1])])
    back = np.fft.ifft(full) * np.exp(1j * np.pi * np.arange(n) / n)
    _close(odd_irfft(G, n), back.real, float(np.abs(G).sum()) * 2 / n, n)
    assert np.max(np.abs(back.imag)) <= 1e-12 * np.max(np.abs(back.real))


def test_batches_read_only_strided_and_scales(complex_route):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2, 3, 2 * 96))[..., ::2]       # strided rows of 96
    X.flags.writeable = False
    Y = odd_rfft(X, workers=2)
    _close(Y, _reference(X), float(np.abs(X).sum()), 96)
    np.testing.assert_array_equal(Y, odd_rfft(X, workers=1))
    for scale in (2.0**-990, 1e-300, 1e300):
        x = scale * rng.standard_normal(64)
        back = odd_irfft(odd_rfft(x), 64)
        assert np.all(np.isfinite(back))
        assert np.max(np.abs(back - x)) <= 64 * EPS * np.max(np.abs(x))


def test_overwrite_and_scratch_give_the_same_rows():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(256)
    Y = odd_rfft(x)
    kept = Y.copy()
    plain = odd_irfft(Y, 256)
    np.testing.assert_array_equal(Y, kept)                  # not overwritten by default
    scratch = np.empty(128, complex)
    out = np.empty(256)
    got = odd_irfft(Y, 256, out=out, overwrite=True, scratch=scratch)
    assert got is out
    np.testing.assert_array_equal(got, plain)
    np.testing.assert_array_equal(odd_rfft(x, out=np.empty(128, complex),
                                           scratch=scratch), kept)


@pytest.mark.parametrize("N", [2, 4, 6, 10, 64, 250])
def test_even_and_odd_bins_give_the_toeplitz_product(N, complex_route):
    """``2 T x = irfft(mu_even rfft x) + odd_irfft(mu_odd odd_rfft x)`` with the split symbol
    (docs/theory.md §2.2 item 5), against the dense product."""
    from gpdtheory.toeplitz.realfft import irfft, rfft

    rng = np.random.default_rng(N)
    r = np.exp(-np.arange(N) / 7.0) * np.cos(np.arange(N))
    x = rng.standard_normal(N)
    mirrored = np.concatenate(([0.0], r[:0:-1]))
    even = rfft(r + mirrored).real
    odd = odd_rfft(r - mirrored).real
    Tx = 0.5 * (irfft(rfft(x) * even, N) + odd_irfft(odd_rfft(x) * odd, N))
    exact = scipy.linalg.toeplitz(r) @ x
    assert np.max(np.abs(Tx - exact)) <= 32 * EPS * np.log2(2 * N) * np.abs(r).sum() \
        * np.abs(x).max()


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="x.shape\\[-1\\] = 5"):
        odd_rfft(np.ones(5))
    with pytest.raises(ValueError, match="n = 0"):
        odd_irfft(np.ones(2, complex), 0)
    with pytest.raises(ValueError, match="n // 2 = 4"):
        odd_irfft(np.ones(3, complex), 8)
    with pytest.raises(ValueError, match="out must be"):
        odd_rfft(np.ones(8), out=np.empty((8,), complex)[::2])
    with pytest.raises(ValueError, match="scratch must be"):
        odd_irfft(np.ones(4, complex), 8, scratch=np.empty(3, complex))
