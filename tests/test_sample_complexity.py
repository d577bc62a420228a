"""Plug-in estimator, slope fits and sweeps (gpdtheory.sample_complexity)."""

from __future__ import annotations

import concurrent.futures as cf

import numpy as np
import pytest
import scipy.linalg

import gpdtheory as gp
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.sample_complexity import (
    SequentialExecutor,
    fit_slope,
    plugin_covariance,
    plugin_error,
    plugin_matrix,
    sweep_n,
    trained_error,
)


def _spec(N=6, d=2, kernel=None):
    S = np.array([[1.0, 0.3], [0.3, 0.6]])[:d, :d]
    return gp.GPSpec(kernel or gp.PoweredExponential(1.0, 1.0), N, S)


@pytest.mark.parametrize("N,d", [(1, 1), (2, 1), (3, 2), (8, 2)])
def test_plugin_matrix_with_true_covariance_is_exact_inverse(N, d):
    spec = _spec(N, d)
    A = plugin_matrix(spec.r, spec.Sigma, 0.4)
    np.testing.assert_allclose(A, np.linalg.inv(gp.marginal_covariance(spec, 0.4)), rtol=1e-10,
                               atol=1e-12)


def test_plugin_covariance_is_consistent():
    spec = _spec(6, 2)
    errs = []
    for n in (100, 10000):
        r, S = plugin_covariance(spec.sample(n, seed=1))
        errs.append(np.linalg.norm(r - spec.r) + np.linalg.norm(S - spec.Sigma))
    assert errs[1] < 0.2 * errs[0] and errs[1] < 0.05
    # lag estimator against the dense per-lag average (oracle)
    X = spec.sample(7, seed=2)
    r, S = plugin_covariance(X)
    m = 2
    num = sum(X[s, i] @ X[s, i + m] for s in range(7) for i in range(6 - m))
    np.testing.assert_allclose(r[m], num / (7 * (6 - m) * np.trace(S)), rtol=1e-12)


def test_plugin_error_falls_with_n():
    spec = _spec(6, 2)
    assert plugin_error(spec, 4000, seed=0) < plugin_error(spec, 40, seed=0)
    assert plugin_error(spec, 100, seed=3) == plugin_error(spec, 100, seed=3)


def test_fit_slope_recovers_power_law(rng):
    n = np.repeat([10, 30, 100, 300, 1000], 3).astype(float)
    e = 2.0 * n**-0.5
    f = fit_slope(n, e)
    # stderr is the square root of a round-off-sized residual: ~sqrt(1e-16)
    assert f.slope == pytest.approx(-0.5, abs=1e-12) and f.stderr < 1e-7
    noisy = e * np.exp(0.1 * rng.standard_normal(n.size))
    f = fit_slope(n, noisy)
    assert f.ci[0] < -0.5 < f.ci[1]
    with pytest.raises(InvalidArgumentError):
        fit_slope([10, 10, 10], [1.0, 1.0, 1.0])


def test_sweep_with_any_executor_gives_the_same_result():
    spec = _spec(4, 2)
    ns = [20, 60, 200, 600]
    a = sweep_n(plugin_error, spec, ns, replicates=2, seed=1)
    with cf.ThreadPoolExecutor(2) as ex:
        b = sweep_n(plugin_error, spec, ns, replicates=2, seed=1, executor=ex)
    np.testing.assert_array_equal(a.errors, b.errors)
    assert a.errors.shape == (4, 2) and a.fit.slope < 0
    fut = SequentialExecutor().submit(scipy.linalg.norm, [3.0, 4.0])
    assert fut.result() == 5.0


@pytest.mark.slow
def test_plugin_slope_is_about_minus_half_over_decays():
    for kernel in (gp.PoweredExponential(1.0, 1.0), gp.PoweredExponential(2.0, 1.0),
                   gp.PoweredExponential(1.0, 2.0)):
        r = sweep_n(plugin_error, _spec(8, 2, kernel), [64, 128, 256, 512, 1024, 2048],
                    replicates=4)
        assert -0.75 <= r.fit.slope <= -0.25


@pytest.mark.slow
def test_trained_error_falls_with_n():
    from gpdtheory.train import TrainConfig

    cfg = TrainConfig(steps=100, optimizer="lbfgs", marginalize=True, lr=1.0, n_times=4,
                      t0=0.1, T=4.0, eval_every=50, holdout=0.0)
    r = sweep_n(trained_error, _spec(6, 2), [4, 16, 64, 128], replicates=2, cfg=cfg, L=4)
    assert r.fit.ci[1] < 0
