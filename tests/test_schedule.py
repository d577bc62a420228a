"""The forward schedule: accurate coefficients of every kind, noising, the one rule for t."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import gpdtheory as gp
from gpdtheory import schedule


def _exact_sigma2(t: float) -> float:
    """``1 - e^{-t}`` to far more than float64 accuracy (Taylor series in exact rationals)."""
    x, term, total = Fraction(t), Fraction(1), Fraction(0)
    for k in range(1, 40):
        term = term * (-x) / k
        total -= term
    return float(total)


@pytest.mark.parametrize("t", [1e-300, 1e-12, 1e-6, 1e-3, 0.1])
def test_sigma2_is_accurate_near_zero(t):
    exact = _exact_sigma2(t)
    for value in (schedule.alpha2_sigma2(t)[1], schedule.alpha2_sigma2(np.float64(t))[1],
                  float(schedule.alpha2_sigma2(np.array([t]))[1][0]), float(schedule.sigma2(t))):
        assert abs(value - exact) <= 2 * np.finfo(float).eps * exact


def test_the_kinds_agree_and_are_kept():
    t = [0.01, 0.5, 3.0]
    a2, s2 = schedule.alpha2_sigma2(np.array(t))
    a, s = schedule.alpha_sigma(np.array(t))
    assert isinstance(a2, np.ndarray) and isinstance(schedule.alpha2_sigma2(0.5)[0], float)
    np.testing.assert_allclose(a2 + s2, 1.0, rtol=1e-15)
    np.testing.assert_allclose(a**2, a2, rtol=1e-15)
    np.testing.assert_allclose(s**2, s2, rtol=1e-15)
    np.testing.assert_allclose(schedule.alpha(np.array(t)), a, rtol=1e-15)
    assert [schedule.alpha_sigma(x) for x in t] == [pytest.approx((u, v), rel=1e-15)
                                                     for u, v in zip(a, s, strict=True)]


def test_torch_tensors_stay_tensors():
    torch = pytest.importorskip("torch")
    t = torch.tensor([1e-8, 0.5, 2.0], dtype=torch.float64)
    a2, s2 = schedule.alpha2_sigma2(t)
    a, s = schedule.alpha_sigma(t)
    assert all(isinstance(x, torch.Tensor) and x.dtype == torch.float64 for x in (a2, s2, a, s))
    np.testing.assert_allclose(s2.numpy(), schedule.alpha2_sigma2(t.numpy())[1], rtol=1e-15)
    np.testing.assert_allclose(a.numpy(), schedule.alpha_sigma(t.numpy())[0], rtol=1e-15)


def test_noised_is_alpha_x0_plus_sigma_eps():
    rng = np.random.default_rng(0)
    x0, eps = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 3))
    t = np.array([0.2, 1.5])[:, None, None]
    expected = np.exp(-t / 2) * x0 + np.sqrt(1.0 - np.exp(-t)) * eps
    np.testing.assert_allclose(schedule.noised(x0, t, eps), expected, rtol=1e-13)
    assert schedule.noised(x0, 0.3, eps).shape == x0.shape


@pytest.mark.parametrize("t, words", [(0.0, "must be > 0"), (-1.0, "must be > 0"),
                                      (schedule.T_MAX * 1.01, "exceeds T_MAX"),
                                      (np.array([0.5, 1e4]), "exceeds T_MAX")])
def test_one_rule_for_valid_times(t, words):
    with pytest.raises(gp.InvalidArgumentError, match=words) as info:
        schedule.check_diffusion_time(t)
    assert info.value.argument == "t" and "Fix:" in str(info.value)


def test_the_rule_is_the_one_the_library_applies():
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 6, np.eye(2))
    X = np.zeros((6, 2))
    assert np.all(np.isfinite(gp.score(spec, X, schedule.T_MAX)))
    for call in (lambda: gp.score(spec, X, 2 * schedule.T_MAX),
                 lambda: gp.condition_number(spec, 2 * schedule.T_MAX),
                 lambda: gp.sampling.time_grid(2 * schedule.T_MAX, 0.1, 4)):
        with pytest.raises(gp.InvalidArgumentError, match="700"):
            call()
    assert gp.sampling.T_MAX == schedule.T_MAX
    assert gp.alpha is schedule.alpha and gp.sigma2 is schedule.sigma2
    assert math.isclose(float(gp.alpha(2.0)), math.exp(-1.0), rel_tol=1e-15)
