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


@pytest.mark.filterwarnings("error")
def test_layer_probes_take_any_finite_ridge():
    """A probe's ridge is relative to its features' scale: the largest float gives a probe
    near 0 (finite distances, no overflow), and a ridge below the round-off of the normal
    equations with one training sample is refused naming ``ridge``, not a LinAlgError."""
    from gpdtheory.errors import InvalidArgumentError
    from gpdtheory.models import SoftmaxDiT

    torch.manual_seed(0)
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.eye(2))
    dit = SoftmaxDiT(4, 2, width=8, depth=1, heads=2, time_dim=4)
    X = np.ones((4, 2))
    big = layers_vs_gd(dit, spec, X, 0.5, 0, n_train=16, ridge=np.finfo(float).max)
    assert np.all(np.isfinite(big)) and np.all(big >= 0)
    with pytest.raises(InvalidArgumentError, match="ridge"):
        layers_vs_gd(dit, spec, X, 0.5, 0, layers="*", n_train=1, ridge=1e-300)


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


# ------------------------------------------------------------------ layers against GD
def _dense_layers(model, untrained, spec, X, t, J):
    """compare_layers' numbers by a dense route: the y slots of ``return_all``, GD iterates
    from gd_iterates, the exact score by a dense solve with C_t (and gp.score)."""
    from gpdtheory.gd import gd_iterates

    n, N, d = X.shape
    a2, s2 = np.exp(-t), -np.expm1(-t)
    Xc = X - np.sqrt(a2) * spec.mean_array
    C = gp.marginal_covariance(spec, t)
    Ystar = np.linalg.solve(C, Xc.reshape(n, -1).T).T.reshape(X.shape)
    np.testing.assert_allclose(-gp.score(spec, X, t), Ystar, rtol=1e-10, atol=1e-12)
    with torch.no_grad():
        ys = model(torch.as_tensor(X), torch.full((n,), t, dtype=torch.float64),
                   return_all=True).numpy()
    G = gd_iterates(spec, X, t, J, model.L, return_all=True)
    ns = np.linalg.norm(Ystar)
    dist = [np.linalg.norm(ys[k] - G[k]) / np.linalg.norm(G[k]) for k in range(1, model.L + 1)]
    A0 = np.kron(np.eye(N), np.linalg.inv(a2 * spec.Sigma + s2 * np.eye(d)))
    Y0 = (Xc.reshape(n, -1) @ A0.T).reshape(X.shape)
    with torch.no_grad():
        yu = -untrained(torch.as_tensor(X), torch.full((n,), t, dtype=torch.float64)).numpy()
    YL = G[model.L]
    return {"distances": np.array(dist), "final": np.linalg.norm(ys[-1] - YL) / ns,
            "score_error": np.linalg.norm(ys[-1] - Ystar) / ns,
            "gd_error": np.linalg.norm(YL - Ystar) / ns,
            "baselines": {"time-ignoring": np.linalg.norm(Y0 - YL) / ns,
                          "zero": np.linalg.norm(YL) / ns,
                          "untrained": np.linalg.norm(yu - YL) / ns}}


def test_compare_layers_matches_a_dense_computation():
    from gpdtheory.compare import compare_layers

    spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), 5, np.array([[1.0, 0.3], [0.3, 0.6]]),
                     mean=np.linspace(-1.0, 1.0, 10).reshape(5, 2))
    t, J = 0.4, 3
    model = matching_model(spec, L=3, J=J, seed=1)
    with torch.no_grad():  # away from the initialisation, so that the baselines differ
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    untrained = matching_model(spec, L=3, J=J, seed=2)
    X = spec.sample(6, seed=3) * 0.9 + 0.1
    cmp = compare_layers(model, spec, X, t, J, untrained=untrained)
    ref = _dense_layers(model, untrained, spec, X, t, J)
    np.testing.assert_allclose(cmp.distances, ref["distances"], rtol=1e-10)
    for name in ("final", "score_error", "gd_error"):
        assert getattr(cmp, name) == pytest.approx(ref[name], rel=1e-10), name
    assert cmp.baselines.keys() == ref["baselines"].keys()
    for name, v in ref["baselines"].items():
        assert cmp.baselines[name] == pytest.approx(v, rel=1e-10), name
    lo, hi = cmp.bounds  # the triangle inequality of the Notes
    assert lo - 1e-12 <= cmp.final <= hi + 1e-12
    assert (cmp.L, cmp.J, cmp.n, cmp.via) == (3, J, 6, "y slot")
    assert cmp.beats_baselines == (cmp.final < min(cmp.baselines.values()))


def test_compare_layers_of_the_construction_beats_its_baselines():
    from gpdtheory.compare import compare_layers

    spec = _spec(5, 2)
    built = build(spec, 4, 6)
    cmp = compare_layers(built, spec, 16, 0.5, 4, seed=0)
    assert cmp.distances.shape == (6,) and cmp.distances.max() < 1e-12
    assert cmp.final < 1e-12 and cmp.beats_baselines
    assert cmp.score_error == pytest.approx(cmp.gd_error, abs=1e-12)
    assert set(cmp.baselines) == {"time-ignoring", "zero"}
    assert all(v > 0.01 for v in cmp.baselines.values())
    # one input: the reader's distances, exactly
    X = spec.sample(1, seed=1)[0]
    np.testing.assert_array_equal(compare_layers(built, spec, X, 0.5, 4).distances,
                                  layers_vs_gd(built, spec, X, 0.5, 4))
    # an int draws that many noised samples, reproducibly
    a, b = (compare_layers(built, spec, 8, 0.5, 4, seed=5) for _ in range(2))
    assert a.n == 8 and a.baselines == b.baselines


def test_compare_layers_explains_a_loop_better_than_gd():
    """A model whose error is below GD's at L (here: the exact score itself, read through
    the protocol) sits e_GD(L) from GD's iterate, and is flagged rather than credited."""
    from torch import nn

    from gpdtheory.compare import compare_layers
    from gpdtheory.protocol import as_score_model

    spec = _spec(6, 2)
    t = 0.3
    Cinv = torch.as_tensor(np.linalg.inv(gp.marginal_covariance(spec, t)))

    class Exact(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(12, 12, bias=False, dtype=torch.float64)
            with torch.no_grad():
                self.lin.weight.copy_(-Cinv)
            self.blocks = nn.ModuleList([nn.Identity()])

        def forward(self, x, t):
            return self.blocks[0](self.lin(x.reshape(x.shape[0], -1))).reshape(x.shape)

    sm = as_score_model(Exact(), N=6, d=2, output="score")
    cmp = compare_layers(sm, spec, 32, t, 1, layers=["blocks.0"], n_train=256)
    assert cmp.via == "probe" and cmp.L == 1 and cmp.score_error < 1e-12
    assert cmp.final == pytest.approx(cmp.gd_error, rel=1e-9)
    assert cmp.gd_far_from_score and "NOTE" in str(cmp)
    # its output must be a score: an unwrapped network is refused, naming the argument
    with pytest.raises(gp.errors.InvalidArgumentError, match="^output=None"):
        compare_layers(Exact(), spec, 4, t, 1, layers=["blocks.0"], n_train=64)


@pytest.mark.parametrize("X, match", [
    (np.zeros((1, 1, 5, 2)), "is not \\(N, d\\) or \\(n, N, d\\)"),
    (0, "^X=0"),
    (np.zeros((5, 3)), "^X="),
])
def test_compare_layers_refuses_bad_inputs(X, match):
    from gpdtheory.compare import compare_layers

    spec = _spec(5, 2)
    with pytest.raises(gp.errors.InvalidArgumentError, match=match):
        compare_layers(build(spec, 4, 2), spec, X, 0.5, 4)
    with pytest.raises(gp.errors.InvalidArgumentError, match="^probe="):
        compare_layers(build(spec, 4, 2), spec, 2, 0.5, 4, n_train=5)


# ------------------------------------------------------------------ the package's names
#: The public names of the two former modules (their ``__all__``), which must stay importable.
OLD_COMPARE = ["nearest_kronecker", "kronecker_correlation", "kernel_by_lag", "KernelComparison",
               "compare_kernel", "HeadMatch", "match_heads", "jacobian", "jacobian_cosine",
               "layers_vs_gd", "parameter_distance", "warm_start", "correlation"]
OLD_COMPARE_MODELS = ["normalise_profile", "profile_error", "lag_profile", "ProfileComparison",
                      "AttentionComparison", "attention_by_module", "attention_by_lag",
                      "compare_attention", "constructed_profile", "HeadMatching",
                      "match_heads_by_lag", "ProbeResult", "probe_layers", "default_layers",
                      "probe_iterates", "LinearMapComparison", "compare_linear_map",
                      "SampleErrors", "sample_errors", "temporal_decay_error", "exact_kl_any",
                      "DEFAULT_TIMES", "NORMALISATION"]


def test_every_former_name_is_re_exported_once():
    import importlib
    import pkgutil

    from gpdtheory import compare, compare_models, jacobians

    assert set(OLD_COMPARE) | set(OLD_COMPARE_MODELS) <= set(compare.__all__)
    assert set(OLD_COMPARE_MODELS) <= set(compare_models.__all__)
    for name in compare_models.__all__:
        assert getattr(compare_models, name) is getattr(compare, name), name
    for name in compare.__all__:
        assert getattr(compare, name) is not None, name
    assert compare.jacobian is jacobians.jacobian
    # no public name shadows a submodule: gpdtheory.compare.<submodule> is the module
    subs = [m.name for m in pkgutil.iter_modules(compare.__path__)]
    assert {"kernel", "layers", "samples", "training", "heads", "attention"} <= set(subs)
    for sub in subs:
        assert sub not in compare.__all__, sub
        assert getattr(compare, sub) is importlib.import_module(f"gpdtheory.compare.{sub}")


# ------------------------------------------------------------------ summaries
def test_every_result_prints_a_short_summary():
    from gpdtheory.compare import (
        compare_attention,
        compare_layers,
        compare_linear_map,
        match_heads_by_lag,
        probe_layers,
        sample_errors,
    )
    from gpdtheory.models import SoftmaxDiT

    spec = _spec(6, 2)
    built = build(spec, 5, 8)
    dit = SoftmaxDiT(6, 2, width=16, depth=2, heads=2)
    att = compare_attention(dit, spec, n=8)
    results = [compare_kernel(built, built.construction.r_bar), att, att.vs_rho,
               match_heads(built, matching_model(spec, L=1, J=5, seed=1)),
               match_heads_by_lag(att.heads, spec),
               probe_layers(dit, spec, n_train=64, n_test=32),
               compare_linear_map(built, spec, 0.5, L=8),
               sample_errors(built, spec, 40, steps=4),
               compare_layers(built, spec, 4, 0.5, 5)]
    for res in results:
        text = repr(res)
        assert text == str(res) and "\n" not in text and len(text) < 500, text
        assert "array(" not in text and text.startswith(type(res).__name__), text
        rows = res.to_rows()
        assert rows and all("quantity" in r and "value" in r for r in rows)
    probe = results[5]  # a linear iterate is decodable from the raw input: nothing beats it
    assert probe.saturated and not probe.beats_baselines and "WARNING" in str(probe)
    for res in results:
        if hasattr(res, "baselines"):
            assert res.baselines and isinstance(res.beats_baselines, bool), type(res).__name__
            assert "baselines:" in str(res)


def test_score_error_prints_a_summary():
    from gpdtheory.evaluate import score_error

    spec = _spec(4, 2)
    res = score_error(build(spec, 3, 10), spec, np.linspace(0.1, 2.0, 9))
    text = repr(res)
    assert text == str(res) and text.startswith("ScoreAccuracy (exact)") and "..." in text
    assert "array(" not in text and "\n" not in text and len(text) < 300


def test_a_network_for_another_spec_is_refused():
    from gpdtheory.compare import compare_layers
    from gpdtheory.construct import build
    from gpdtheory.errors import InvalidArgumentError
    from gpdtheory.evaluate import exact_kl

    small = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.eye(2))
    large = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 6, np.eye(2))
    net = build(small, 3, 2)
    for call in (lambda: compare_layers(net, large, 8, 0.5, 3),
                 lambda: exact_kl(net, large, 4.0, 0.1)):
        with pytest.raises(InvalidArgumentError, match=r"N=4, d=2.*does not match the spec "
                           r"\(N=6, d=2\)"):
            call()
