"""The functions behind trained.layers, trained.kl, sample_complexity.slope and video.attention.

Small configurations only (N <= 6, a few dozen L-BFGS iterations): each test runs in seconds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from gpdtheory_checks.baselines import time_ignoring_map
from gpdtheory_checks.training import (
    hidden_states,
    layer_distances,
    map_error,
    null_layer_distances,
)
from gpdtheory_checks.video import pixel_lag_profile

import gpdtheory as gp
from gpdtheory import distribution as dist
from gpdtheory.construct import build
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.evaluate import exact_kl, linear_map, polynomial_map
from gpdtheory.models import matching_model
from gpdtheory.profiles import profile_error
from gpdtheory.sample_complexity import fit_slope, population_samples, rate_test
from gpdtheory.train import TrainConfig, train

SIGMA = np.array([[1.0, 0.3], [0.3, 0.6]])


def _spec(N=5, d=2, kernel=None):
    return gp.GPSpec(kernel or gp.PoweredExponential(1.0, 1.0), N, SIGMA[:d, :d])


def _trained(spec, L=2, steps=40, seed=0):
    model = matching_model(spec, L=L, tied=True, seed=seed)
    cfg = TrainConfig(steps=steps, optimizer="lbfgs", marginalize=True, lr=1.0, n_times=3,
                      t0=0.1, T=4.0, eval_every=20, holdout=0.0, seed=seed)
    train(model, spec.sample(512, seed=seed + 1), cfg)
    return model


# ------------------------------------------------------------------ slope CI logic
def _synthetic(slope, noise, ns=(8, 16, 32, 64, 128, 256), reps=3, seed=0):
    rng = np.random.default_rng(seed)
    n = np.repeat(np.asarray(ns, dtype=float), reps)
    return n, 2.0 * n**slope * np.exp(noise * rng.standard_normal(n.size))


def test_rate_test_accepts_the_predicted_rate():
    f = fit_slope(*_synthetic(-0.5, 0.1))
    t = rate_test(f, (-0.75, -0.25))
    assert t.decreasing and t.overlaps and t.holds and t.distance == 0.0


def test_slope_ci_covers_the_true_slope_95_percent_of_the_time():
    # 400 independent synthetic sweeps: coverage ~ Binomial(400, 0.95) / 400, sd 0.011;
    # [0.915, 0.985] is +-3.2 sd (fails by chance with probability ~1e-3; seeds fixed)
    cover = [(lambda f: f.ci[0] < -0.5 < f.ci[1])(fit_slope(*_synthetic(-0.5, 0.1, seed=s)))
             for s in range(400)]
    assert 0.915 <= np.mean(cover) <= 0.985


def test_rate_test_rejects_a_growing_error():
    t = rate_test(fit_slope(*_synthetic(0.1, 0.1)), (-0.75, -0.25))
    assert not t.decreasing and not t.holds
    # the CI lies above -0.25: not overlapping either, at a positive distance
    assert not t.overlaps and t.distance > 0


def test_rate_test_rejects_another_rate_measured_tightly():
    t = rate_test(fit_slope(*_synthetic(-1.5, 0.02)), (-0.75, -0.25))
    assert t.decreasing and not t.overlaps and not t.holds
    assert t.distance == pytest.approx(-0.75 - t.fit.ci[1])


def test_rate_test_rejects_a_ci_that_covers_zero():
    # right slope, but too noisy and too few points to exclude 0
    t = rate_test(fit_slope(*_synthetic(-0.5, 1.5, ns=(8, 16, 32), reps=1, seed=3)))
    assert t.fit.ci[0] < 0 < t.fit.ci[1]
    assert t.overlaps and not t.decreasing and not t.holds


def test_rate_test_validates():
    f = fit_slope(*_synthetic(-0.5, 0.1))
    with pytest.raises(InvalidArgumentError):
        rate_test(f, (-0.25, -0.75))
    with pytest.raises(InvalidArgumentError):
        rate_test((-0.5, (-1, 0)))


def test_population_samples_have_the_exact_second_moment():
    spec = _spec(6, 2)
    X = population_samples(spec)
    V = X.reshape(X.shape[0], -1)
    np.testing.assert_allclose(V.T @ V / V.shape[0], spec.covariance_dense(), atol=1e-13)


# ------------------------------------------------------------------ trained.kl
def test_polynomial_map_is_the_linear_map():
    spec = _spec(5, 2)
    model = _trained(spec, L=3, steps=10)
    fn, check = polynomial_map(model, 0.1, 4.0)
    assert check < 1e-12
    for t in (0.1, 0.37, 1.3, 4.0):
        A = linear_map(model, t)
        np.testing.assert_allclose(fn(t), A, rtol=0, atol=1e-12 * np.abs(A).max())


def test_polynomial_map_refuses_nonlinear_models():
    spec = _spec(4, 1)
    m = matching_model(spec, L=2, position_only=False)
    with pytest.raises(InvalidArgumentError):
        polynomial_map(m, 0.1, 1.0)


def test_trained_kl_below_girsanov_bound_small():
    spec = _spec(4, 2)
    model = _trained(spec, L=2, steps=30)
    fn, _ = polynomial_map(model, 0.1, 4.0)
    kl_fast = exact_kl(model, spec, 4.0, 0.1, matrix_fn=fn)
    kl_slow = exact_kl(model, spec, 4.0, 0.1)
    assert kl_fast == pytest.approx(kl_slow, rel=1e-6)
    est = dist.dense_estimator(spec.N, spec.d, lambda s: linear_map(model, s))
    gb = dist.girsanov_bound(spec, est, 4.0, 0.1)
    assert 0 < kl_fast <= gb.bound


# ------------------------------------------------------------------ trained.layers
def test_layer_distances_vanish_for_the_construction():
    spec = _spec(6, 2)
    J, L = 5, 4
    built = build(spec, J, L)
    d = layer_distances(built, spec, J, 0.5, heldout_seed=1, probe_seed=2, n=256)
    assert np.max(d["direct"]) < 1e-10 and np.max(d["probe"]) < 1e-8 and d["final"] < 1e-10
    np.testing.assert_allclose(d["model_to_score"], d["gd_to_score"], rtol=1e-8)
    # GD's distance to the exact score falls at every step (Lemma GD)
    assert np.all(np.diff(d["gd_to_score"]) < 0)


def test_hidden_states_end_in_the_model_output():
    spec = _spec(4, 2)
    model = _trained(spec, L=2, steps=5)
    X = spec.sample(3, seed=0)
    H = hidden_states(model, X, 0.5)
    assert H.shape == (3, 3, 4, 4)
    with torch.no_grad():
        out = model(torch.as_tensor(X), torch.full((3,), 0.5, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(-H[-1][..., 2:], out, atol=1e-14)


def test_trained_final_layer_within_derived_level_small():
    from gpdtheory.evaluate import score_error, score_norm2
    from gpdtheory.gd import gd_matrix, l2_error

    spec = _spec(5, 2)
    model = _trained(spec, L=2, steps=60)
    J, L = spec.N - 1, 2
    d = layer_distances(model, spec, J, 0.5, heldout_seed=3, probe_seed=4, n=1024)
    e_gd = math.sqrt(l2_error(spec, gd_matrix(spec, 0.5, J, L), 0.5) / score_norm2(spec, 0.5))
    e_model = float(score_error(model, spec, 0.5).relative[0])
    # triangle inequality with the exact errors; 10% for the Monte Carlo of 1024 sequences
    assert d["final"] <= 1.1 * (e_model + e_gd)
    assert d["final"] >= 0.9 * abs(e_model - e_gd)


def test_map_error_is_zero_at_the_exact_score_and_matches_the_model_route():
    from gpdtheory.diffusion import marginal_covariance
    from gpdtheory.evaluate import score_error

    spec = _spec(5, 2)
    assert map_error(spec, np.linalg.inv(marginal_covariance(spec, 0.5))) < 1e-7
    model = _trained(spec, L=2, steps=5)
    assert map_error(spec, linear_map(model, 0.5)) == pytest.approx(
        float(score_error(model, spec, 0.5).relative[0]), rel=1e-9)


def test_null_layer_distances_obey_the_triangle_inequality():
    """docs/theory.md §8.2: |e_GD - e| <= ||y - Y_L|| / ||Y*|| <= e_GD + e for any score."""
    from gpdtheory.evaluate import score_norm2
    from gpdtheory.gd import gd_matrix, l2_error

    spec = _spec(6, 2, gp.Logarithmic(1.0, 1.0))
    J, L, t = 5, 3, 0.5
    null = null_layer_distances(spec, J, L, t, heldout_seed=7)
    e_gd = math.sqrt(l2_error(spec, gd_matrix(spec, t, J, L), t) / score_norm2(spec, t))
    e_ti = map_error(spec, time_ignoring_map(spec, t))
    # 4096 held-out sequences: a ratio of root-mean-squares within a few percent
    assert 0.95 * abs(e_gd - e_ti) <= null["time-ignoring"] <= 1.05 * (e_gd + e_ti)
    # the zero score has e = 1: its distance ||Y_L|| / ||Y*|| lies in [1 - e_GD, 1 + e_GD]
    assert 0.95 * (1 - e_gd) <= null["zero"] <= 1.05 * (1 + e_gd)


# ------------------------------------------------------------------ video.attention
def test_profile_error_sees_scale_and_decay():
    rho = np.exp(-np.arange(9) / 4.0)
    assert profile_error(rho, rho) == 0.0
    assert profile_error(0.01 * rho, rho) == pytest.approx(0.0, abs=1e-15)
    fast = rho**4  # decays four times as fast: Pearson stays high, the error does not
    from gpdtheory.profiles import correlation as profile_correlation

    assert profile_correlation(fast, rho) > 0.85  # 0.883
    assert profile_error(fast, rho) > 0.3
    assert math.isnan(profile_error(np.r_[0.0, rho[1:]], rho))


def test_pixel_lag_profile_of_a_known_sequence():
    rng = np.random.default_rng(0)
    n, N, d = 4000, 6, 3
    # AR(1) frames, coefficient 0.5: correlation 0.5**m
    Z = np.empty((n, N, d))
    Z[:, 0] = rng.standard_normal((n, d))
    for i in range(1, N):
        Z[:, i] = 0.5 * Z[:, i - 1] + math.sqrt(0.75) * rng.standard_normal((n, d))
    prof = pixel_lag_profile(Z, 3)
    assert prof[0] == 1.0
    np.testing.assert_allclose(prof, 0.5 ** np.arange(4), atol=0.03)
