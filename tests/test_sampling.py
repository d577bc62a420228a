"""Reverse-time samplers: grids, Monte Carlo against exact covariances, torch, validation.

Monte Carlo oracles use fixed seeds and tolerances from the exact sampling distribution
of a sample covariance: ``Var(S_ij) = (P_ij^2 + P_ii P_jj)/n`` for Gaussian output with
known mean 0, so each entry's z-score is ~N(0, 1); ``Z_TOL = 5`` over <= 45 entries
fails by chance with probability < 3e-5 (and never with these seeds).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg

import gpdtheory as gp
from gpdtheory import distribution as dist
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.sampling import (
    SAMPLERS,
    euler_maruyama,
    exponential_integrator,
    probability_flow,
    reverse_sample,
    time_grid,
)

#: Largest admitted |z| of a sample covariance entry (see the module docstring).
Z_TOL = 5.0


def max_z(Y, P):
    n = Y.shape[0]
    S = Y.T @ Y / n
    se = np.sqrt((P * P + np.outer(np.diag(P), np.diag(P))) / n)
    iu = np.triu_indices(P.shape[0])
    return float(np.max(np.abs(S - P)[iu] / se[iu]))


def _dense_propagation(A_of_t, times, method, n):
    """Oracle: the covariance of each scheme's one-step linear map, with dense matrices
    (EI: the exact flow of ``dY = (Y/2 - A_k Y_k) dtau + dW`` via expm)."""
    eye = np.eye(n)
    P = eye.copy()
    for k in range(len(times) - 1):
        h = times[k] - times[k + 1]
        A = A_of_t(times[k])
        if method == "exponential_integrator":
            # dY = (Y/2 - A Y_k) dtau + dW:
            # Y_{k+1} = e^{h/2} Y_k - (int_0^h e^{(h-s)/2} ds) A Y_k + noise
            F = scipy.linalg.expm(0.5 * h * eye) - 2 * math.expm1(h / 2) * A
            q = math.expm1(h)  # int_0^h e^{(h-s)} ds
        elif method == "euler_maruyama":
            F, q = eye + h * (0.5 * eye - A), h
        else:
            An = A_of_t(times[k + 1])
            f1 = 0.5 * (eye - A)
            F = eye + 0.5 * h * (f1 + 0.5 * (eye - An) @ (eye + h * f1))
            q = 0.0
        P = F @ P @ F.T + q * eye
    return P


def test_time_grid():
    for kind in ("log", "uniform"):
        g = time_grid(8.0, 0.01, 17, kind)
        assert g.shape == (18,) and g[0] == 8.0 and g[-1] == 0.01 and np.all(np.diff(g) < 0)
    g = time_grid(8.0, 0.01, 17, "log")
    assert np.allclose(g[1:] / g[:-1], (0.01 / 8.0) ** (1 / 17), rtol=1e-13)
    assert np.allclose(np.diff(time_grid(2.0, 1.0, 4, "uniform")), -0.25)
    for bad in (
        dict(T=1.0, t0=2.0, steps=3),
        dict(T=1.0, t0=0.0, steps=3),
        dict(T=1.0, t0=0.1, steps=0),
    ):
        with pytest.raises(InvalidArgumentError):
            time_grid(**bad)
    with pytest.raises(InvalidArgumentError):
        time_grid(1.0, 0.1, 3, "cosine")


@pytest.mark.parametrize("N, d", [(1, 1), (2, 2), (3, 2)])
@pytest.mark.parametrize("method", list(SAMPLERS))
def test_sampler_covariance_matches_monte_carlo(N, d, method):
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N, np.diag(np.linspace(0.5, 1.5, d)))
    est = dist.gd_estimator(spec, 1, 4)
    times = time_grid(3.0, 0.05, 15, "log")
    rng = np.random.default_rng(1234 + N * 10 + d)
    n = 40_000
    Y = SAMPLERS[method](est.score, rng.standard_normal((n, N, d)), times, seed=rng)
    P = _dense_propagation(est.matrix, times, method, N * d)
    assert max_z(Y.reshape(n, -1), P) < Z_TOL


def test_exponential_integrator_exact_for_zero_score():
    # s = 0: Y(T - t0) ~ N(0, (2 e^{T - t0} - 1) I) exactly, whatever the grid
    rng = np.random.default_rng(7)
    n = 40_000
    for times in (time_grid(3.0, 0.1, 1), time_grid(3.0, 0.1, 9, "uniform")):
        Y = exponential_integrator(
            lambda y, t: 0 * y, rng.standard_normal((n, 2, 1)), times, seed=rng
        )
        P = (2 * math.exp(2.9) - 1) * np.eye(2)
        assert max_z(Y.reshape(n, -1), P) < Z_TOL


def test_probability_flow_is_deterministic_and_linear():
    spec = gp.GPSpec(gp.Polynomial(1.0, 2.5), 3, np.eye(2))
    est = dist.exact_score_estimator(spec)
    times = time_grid(4.0, 0.05, 25)
    Y0 = np.random.default_rng(0).standard_normal((5, 3, 2))
    a = probability_flow(est.score, Y0, times, seed=1)
    b = probability_flow(est.score, Y0, times, seed=2)
    assert np.array_equal(a, b)
    # the output is F vec(Y0) with F from the exact recursion: P = F F^T with P0 = I
    E = np.eye(6).reshape(6, 3, 2)
    F = probability_flow(est.score, E, times).reshape(6, 6).T
    assert np.allclose(
        F @ F.T, dist.discrete_covariance(est, times, "probability_flow"), rtol=1e-12
    )


def test_seeded_sampler_reproducible_and_input_untouched():
    Y0 = np.random.default_rng(0).standard_normal((3, 2, 2))
    keep = Y0.copy()
    times = time_grid(2.0, 0.1, 5)
    a = euler_maruyama(lambda y, t: -y, Y0, times, seed=5)
    b = euler_maruyama(lambda y, t: -y, Y0, times, seed=5)
    assert np.array_equal(a, b) and np.array_equal(Y0, keep)
    r1 = reverse_sample(lambda y, t: -y, 4, 3, 2, T=2.0, t0=0.01, steps=6, seed=3)
    r2 = reverse_sample(lambda y, t: -y, 4, 3, 2, T=2.0, t0=0.01, steps=6, seed=3)
    assert r1.shape == (4, 3, 2) and np.array_equal(r1, r2)


def test_torch_tensors_stay_torch():
    import torch
    times = time_grid(2.0, 0.05, 8)
    Y0 = torch.zeros((6, 3, 2), dtype=torch.float64)
    for sampler in SAMPLERS.values():
        out = sampler(lambda y, t: -y, Y0, times, seed=0)
        assert (
            isinstance(out, torch.Tensor) and out.dtype == torch.float64 and out.shape == (6, 3, 2)
        )
        assert out.device == Y0.device
        again = sampler(lambda y, t: -y, Y0, times, seed=0)
        assert torch.equal(out, again)
    # deterministic PF-ODE: torch and numpy agree to round-off
    Yn = np.random.default_rng(0).standard_normal((6, 3, 2))
    a = probability_flow(lambda y, t: -y / (1 + t), Yn, times)
    b = probability_flow(lambda y, t: -y / (1 + t), torch.from_numpy(Yn), times)
    assert np.allclose(a, b.numpy(), rtol=1e-14, atol=1e-14)


def test_progress_bar_and_validation(capsys):
    times = time_grid(1.0, 0.1, 3)
    euler_maruyama(lambda y, t: -y, np.zeros((1, 2, 1)), times, seed=0, progress=True)
    with pytest.raises(InvalidArgumentError, match="shape"):
        euler_maruyama(lambda y, t: y[..., :1, :], np.zeros((1, 2, 1)), times)
    with pytest.raises(InvalidArgumentError):
        euler_maruyama(lambda y, t: y, np.zeros((1, 2, 1)), [0.1, 1.0])
    with pytest.raises(InvalidArgumentError):
        reverse_sample(lambda y, t: y, 1, 2, 1, T=1.0, t0=0.1, steps=2, method="ddpm")
