"""Invariant comparisons of trained and constructed weights (gpdtheory.compare)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory.compare import (
    compare_kernel,
    jacobian,
    jacobian_cosine,
    kronecker_correlation,
    layers_vs_gd,
    match_heads,
    nearest_kronecker,
    warm_start,
)
from gpdtheory.construct import build
from gpdtheory.gd import gd_matrix
from gpdtheory.models import matching_model
from gpdtheory.train import TrainConfig

#: Float64 SVD / dense products on matrices of size <= 30: round-off ~1e-15, 1e3 headroom.
RTOL = 1e-12


def _spec(N=6, d=2):
    S = np.array([[1.0, 0.3], [0.3, 0.6]])[:d, :d]
    return gp.GPSpec(gp.PoweredExponential(1.0, 1.0), N, S)


@settings(max_examples=15)
@given(m1=st.integers(1, 4), n1=st.integers(1, 4), m2=st.integers(1, 3), n2=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_nearest_kronecker_recovers_exact_products(m1, n1, m2, n2, seed):
    rng = np.random.default_rng(seed)
    A0, B0 = rng.standard_normal((m1, n1)), rng.standard_normal((m2, n2))
    M = np.kron(A0, B0)
    A, B, res = nearest_kronecker(M, (m1, n1), (m2, n2))
    assert res < RTOL
    np.testing.assert_allclose(np.kron(A, B), M, atol=RTOL * np.abs(M).max())
    assert abs(np.linalg.norm(B) - 1.0) < RTOL


def test_nearest_kronecker_is_optimal_against_perturbations(rng):
    M = rng.standard_normal((12, 12))
    A, B, res = nearest_kronecker(M, (4, 4), (3, 3))
    best = np.linalg.norm(M - np.kron(A, B))
    for _ in range(50):
        dA, dB = 1e-3 * rng.standard_normal(A.shape), 1e-3 * rng.standard_normal(B.shape)
        assert np.linalg.norm(M - np.kron(A + dA, B + dB)) >= best - 1e-12
    # oracle: the optimum is ||M||^2 - s1^2 of the rearranged matrix (dense SVD)
    R = M.reshape(4, 3, 4, 3).transpose(0, 2, 1, 3).reshape(16, 9)
    s = np.linalg.svd(R, compute_uv=False)
    np.testing.assert_allclose(best**2, np.sum(s[1:] ** 2), rtol=1e-10)


def test_kronecker_correlation_of_exact_inverse_with_itself():
    spec = _spec(5, 2)
    Cinv = np.linalg.inv(gp.marginal_covariance(spec, 0.5))
    assert kronecker_correlation(Cinv, Cinv, 5, 2) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("N", [3, 6, 9])
def test_constructed_kernel_is_rho_bar(N):
    spec = _spec(N, 2)
    J = N - 2
    m = build(spec, J, 3)
    k = compare_kernel(m, m.construction.r_bar)
    assert k.correlation == pytest.approx(1.0, abs=1e-10)
    assert k.relative_error < 1e-10
    # GD step subtracts eta Gamma_bar Sigma: lag m >= 1 carries -eta rho_bar(m) tr(Sigma) / d
    cw = m.construction
    np.testing.assert_allclose(k.kernel[1:], -cw.eta * cw.r_bar[1:] * np.trace(cw.Sigma) / 2,
                               atol=1e-12)


def test_match_heads_is_permutation_and_rescaling_invariant():
    spec = _spec(6, 2)
    a = matching_model(spec, L=1, seed=0)
    b = copy.deepcopy(a)
    perm = torch.tensor([3, 0, 6, 1, 5, 2, 4])
    blk = b.blocks[0]
    with torch.no_grad():
        for name in ("W_q", "W_k", "W_v", "W_o"):
            getattr(blk, name).copy_(getattr(blk, name)[perm])
        blk.W_q.mul_(2.0)  # q^T k scales by 2 ...
        blk.W_o.div_(2.0)  # ... and the value gain by 1/2: same head
    res = match_heads(a, b)
    assert res.cost < 1e-12
    np.testing.assert_array_equal(perm.numpy()[res.perm], np.arange(7))
    c = matching_model(spec, L=1, seed=5)
    assert match_heads(a, c).cost > 0.1
    assert match_heads(a, c).cost == pytest.approx(match_heads(b, c).cost, abs=1e-12)


@pytest.mark.parametrize("N,d", [(1, 1), (2, 2), (5, 2)])
def test_jacobian_of_construction_is_minus_gd_matrix(N, d):
    spec = _spec(N, d)
    m = build(spec, max(N - 1, 0), 4)
    Jm = jacobian(m, np.zeros((N, d)), 0.7)
    np.testing.assert_allclose(-Jm, gd_matrix(spec, 0.7, max(N - 1, 0), 4), atol=1e-12)
    assert jacobian_cosine(Jm, Jm) == pytest.approx(1.0)
    assert jacobian_cosine(Jm, -Jm) == pytest.approx(-1.0)


def test_layers_of_construction_follow_gd():
    spec = _spec(5, 2)
    m = build(spec, 2, 5)
    err = layers_vs_gd(m, spec, spec.sample(1, seed=0)[0], 0.5, 2)
    assert err.shape == (5,) and err.max() < 1e-12


def test_warm_start_tracks_distance():
    spec = _spec(4, 2)
    built = build(spec, 3, 3)
    start = copy.deepcopy(built.state_dict())
    res = warm_start(built, spec.sample(64, seed=0),
                     TrainConfig(steps=10, batch_size=16, lr=1e-3, eval_every=5))
    d = res.history["track"]
    assert len(d) == 2 and 0.0 < d[0] and np.all(np.isfinite(d))
    for k, v in built.state_dict().items():  # the constructed model is left unchanged
        assert torch.equal(v, start[k])


# ------------------------------------------------------------------ baselines
def test_comparisons_report_their_baselines():
    """compare_kernel / compare_linear_map / compare_attention carry the null baselines'
    scores, whether the model beats them, and a printable summary."""
    from gpdtheory.compare_models import compare_attention, compare_linear_map
    from gpdtheory.models import SoftmaxDiT

    spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), 6, np.array([[1.0, 0.3], [0.3, 0.6]]))
    built = build(spec, J=5, L=60)
    lm = compare_linear_map(built, spec, 0.5, L=60)
    assert set(lm.baselines) == {"time-ignoring", "zero"} and lm.baselines["zero"] == 1.0
    assert 0 < lm.baselines["time-ignoring"] < 1 and lm.beats_baselines
    assert "beats them: True" in str(lm)
    k = compare_kernel(built, built.construction.r_bar)
    assert set(k.baselines) == {"identity", "uniform", "shuffled"}
    assert np.isnan(k.baselines["identity"]) and k.beats_baselines and not k.too_flat
    # an untrained DiT: near-flat attention is flagged, and it is not credited
    cmp = compare_attention(SoftmaxDiT(6, 2, width=16, depth=1, heads=2), spec, n=8)
    assert {"identity", "uniform", "shuffled"} <= set(cmp.baselines)
    assert cmp.baselines["identity"] == pytest.approx(
        np.corrcoef(np.eye(6)[0], cmp.rho_bar)[0, 1])
    assert cmp.too_flat and not cmp.beats_baselines and "too flat" in str(cmp)
    assert any(r.get("baseline") == "identity" for r in cmp.to_rows())
