"""Lag profiles, correlation and the common normalisation (gpdtheory.profiles): one
implementation, re-exported where the older names live."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from gpdtheory import profiles
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.profiles import correlation, cosine, lag_profile, normalise_profile, profile_error


def _loop_profile(M, direction):
    """Oracle: the mean over the index pairs of each lag, by explicit loops."""
    N = M.shape[0]
    out = []
    for m in range(N):
        vals = [M[i, j] for i in range(N) for j in range(N)
                if (direction == "both" and abs(i - j) == m)
                or (direction == "forward" and j - i == m)
                or (direction == "backward" and i - j == m)]
        out.append(np.mean(vals))
    return np.array(out)


@settings(max_examples=20, deadline=None)
@given(N=st.integers(1, 9), lead=st.integers(0, 2), seed=st.integers(0, 2**16),
       direction=st.sampled_from(profiles.DIRECTIONS))
def test_lag_profile_matches_loops(N, lead, seed, direction):
    rng = np.random.default_rng(seed)
    K = rng.standard_normal((lead + 1, N, N)) if lead else rng.standard_normal((N, N))
    M = K.reshape(-1, N, N).mean(axis=0)
    np.testing.assert_allclose(lag_profile(K, direction), _loop_profile(M, direction),
                               rtol=1e-12, atol=1e-14)


def test_lag_profile_of_a_toeplitz_matrix_is_its_column():
    c = np.array([1.0, 0.6, 0.2, -0.1])
    T = scipy.linalg.toeplitz(c)
    for direction in profiles.DIRECTIONS:
        np.testing.assert_allclose(lag_profile(T, direction), c, rtol=1e-15)
    # a non-symmetric Toeplitz matrix: the two directions read its row and its column
    A = scipy.linalg.toeplitz(c, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(lag_profile(A, "forward"), [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(lag_profile(A, "backward"), c)


def test_lag_profile_refuses_bad_input():
    with pytest.raises(InvalidArgumentError, match="^K="):
        lag_profile(np.ones((2, 3)))
    with pytest.raises(InvalidArgumentError, match="^K="):
        lag_profile([[1.0, math.nan], [0.0, 1.0]])
    with pytest.raises(InvalidArgumentError, match="^direction="):
        lag_profile(np.eye(2), "up")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(2, 12),
       scale=st.sampled_from([1e-300, 1e-150, 1.0, 1e150, 1e300]))
def test_correlation_is_pearson_at_any_scale(seed, n, scale):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    want = np.corrcoef(a, b)[0, 1]
    assert correlation(a * scale, b) == pytest.approx(want, abs=1e-12)
    assert correlation(a * scale, -b * scale) == pytest.approx(-want, abs=1e-12)


def test_undefined_values_are_nan_never_zero():
    assert math.isnan(correlation([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]))
    assert math.isnan(correlation([1.0, 2.0], [5.0, 5.0]))
    assert math.isnan(cosine([0.0, 0.0], [1.0, 2.0]))
    assert np.isnan(normalise_profile([0.0, 1.0])).all()
    assert math.isnan(profile_error([0.0, 1.0], [1.0, 0.5]))
    # distinct entries one ulp apart are not constant: their correlation is +-1
    a = np.array([1.0, np.nextafter(1.0, 2.0)])
    assert correlation(a, [0.0, 1.0]) == pytest.approx(1.0)
    assert correlation(a * 1e308, [1.0, 0.0]) == pytest.approx(-1.0)


def test_correlation_refuses_mismatched_or_bad_input():
    with pytest.raises(InvalidArgumentError, match="^b="):
        correlation([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError, match="^a="):
        correlation([1.0, math.inf], [1.0, 2.0])
    with pytest.raises(InvalidArgumentError, match="^J2="):
        cosine([1.0], [1.0, 2.0], ("J1", "J2"))


def test_normalisation_and_error():
    np.testing.assert_array_equal(normalise_profile([2.0, 1.0, 0.5]), [1.0, 0.5, 0.25])
    assert profile_error([2.0, 1.0, 0.5], [1.0, 0.5, 0.25]) == 0.0
    assert profile_error([1.0, 0.0], [1.0, 1.0]) == pytest.approx(1 / math.sqrt(2))


def test_one_implementation_under_every_former_name():
    from gpdtheory import compare, compare_models, video

    assert compare.correlation is correlation
    assert video.profile_correlation is correlation
    assert video.lag_profile is lag_profile and compare_models.lag_profile is lag_profile
    assert compare_models.normalise_profile is normalise_profile
    assert compare_models.profile_error is profile_error
    assert compare_models.NORMALISATION == profiles.NORMALISATION


def test_profiles_import_no_torch():
    import subprocess
    import sys

    code = "import sys, gpdtheory.profiles; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
