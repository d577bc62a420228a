"""The model protocol, attention capture and comparisons of any model (gpdtheory.protocol,
gpdtheory.capture, gpdtheory.compare_models, gpdtheory.latte)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

import gpdtheory as gp
from gpdtheory.capture import attention_modules, capture_attention, capture_outputs
from gpdtheory.compare_models import (
    compare_attention,
    compare_linear_map,
    exact_kl_any,
    match_heads_by_lag,
    normalise_profile,
    probe_layers,
    profile_error,
    sample_errors,
)
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.figures import plot_attention
from gpdtheory.models import SoftmaxDiT, matching_model
from gpdtheory.protocol import as_score_model, to_score

F64 = torch.float64


def _spec(N=6, d=2):
    return gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=N, Sigma=np.eye(d))


class MHANet(nn.Module):
    """A plain MultiheadAttention score network over frames (noise prediction)."""

    def __init__(self, N=6, d=2, width=8):
        super().__init__()
        self.inp = nn.Linear(d, width, dtype=F64)
        self.pos = nn.Parameter(torch.randn(N, width, dtype=F64) * 0.5)
        self.attn = nn.MultiheadAttention(width, 2, batch_first=True, dtype=F64)
        self.out = nn.Linear(width, d, dtype=F64)

    def forward(self, x, t):
        h = self.inp(x) + self.pos + torch.log(t)[:, None, None]
        a, _ = self.attn(h, h, h, need_weights=False)
        return self.out(h + a)


def _latte():
    pytest.importorskip("diffusers")
    from gpdtheory.latte import latte_score_model

    return latte_score_model(N=6, frame_shape=(2, 2, 2), seed=0)


def _no_hooks(model: nn.Module):
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks, type(m).__name__
    assert torch.nn.functional.scaled_dot_product_attention is _SDPA


_SDPA = torch.nn.functional.scaled_dot_product_attention


# ---------------------------------------------------------------- protocol


def test_output_conventions_agree():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 2, dtype=F64)
    t = torch.tensor([0.1, 1.0, 3.0], dtype=F64)
    score = torch.randn(3, 4, 2, dtype=F64)
    s2 = -torch.expm1(-t)[:, None, None]
    eps = -score * torch.sqrt(s2)
    x0 = (x + s2 * score) / torch.exp(-t / 2)[:, None, None]
    assert torch.allclose(to_score(eps, x, t, "noise"), score)
    assert torch.allclose(to_score(x0, x, t, "x0"), score)
    assert torch.equal(to_score(score, x, t, "score"), score)


def test_video_layout_roundtrip():
    class Vid(nn.Module):  # (B, C, F, H, W) -> itself scaled: checks the layout mapping
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones((), dtype=F64))

        def forward(self, x, t):
            assert x.ndim == 5 and x.shape[1:] == (2, 5, 1, 3)
            return self.w * x

    sm = as_score_model(Vid(), N=5, frame_shape=(2, 1, 3), output="score")
    X = torch.randn(4, 5, 6, dtype=F64)
    assert torch.equal(sm(X, torch.ones(4, dtype=F64)), X)


@pytest.mark.parametrize("bad, match", [
    (lambda x, t: x[:, :-1], "returned shape"),
    (lambda x, t: x * float("nan"), "non-finite"),
    (lambda x, t: x.float(), "dtype"),
])
def test_validation_names_model_and_fix(bad, match):
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = nn.Parameter(torch.zeros(1, dtype=F64))

        def forward(self, x, t):
            return bad(x + self.p, t)

    with pytest.raises(InvalidArgumentError, match=match) as info:
        as_score_model(Bad(), N=4, d=2, output="score")
    assert "Bad" in str(info.value) and "Fix:" in str(info.value)


def test_validation_catches_layout_errors():
    with pytest.raises(InvalidArgumentError, match="failed on inputs"):
        as_score_model(nn.Linear(3, 3, dtype=F64), N=4, d=2, output="score")
    with pytest.raises(InvalidArgumentError, match="N"):
        as_score_model(nn.Linear(3, 3, dtype=F64), d=3)
    with pytest.raises(InvalidArgumentError, match="output"):
        as_score_model(SoftmaxDiT(4, 2, width=8, depth=1, heads=2), output="eps")


def test_output_convention_is_stated_or_detected_never_assumed():
    from gpdtheory.protocol import ScoreModel, as_recorded_model, detect_output

    net = MHANet()
    with pytest.raises(InvalidArgumentError, match="^output=None: is not stated for MHANet") \
            as info:
        as_score_model(net, N=6, d=2)
    assert "output='score' | 'noise' | 'x0'" in str(info.value)
    # the package's own networks output scores; a wrapped model carries its convention
    spec = _spec()
    for model in (SoftmaxDiT(6, 2, width=8, depth=1, heads=2), matching_model(spec, L=1)):
        assert detect_output(model) == "score" and as_score_model(model).output == "score"
    sm = as_score_model(net, N=6, d=2, output="noise")
    assert detect_output(sm) == "noise" and as_score_model(sm) is sm
    with pytest.raises(InvalidArgumentError, match="^output='x0': contradicts"):
        as_score_model(sm, output="x0")
    # a subclass defined elsewhere may have changed forward: it states its convention
    class MySoftmaxDiT(SoftmaxDiT):
        pass

    assert detect_output(MySoftmaxDiT(6, 2, width=8, depth=1, heads=2)) is None
    with pytest.raises(TypeError):
        ScoreModel(net, 6, 2)  # no default convention on the wrapper either
    # reading attention or hidden states needs no convention: the output is never read
    rec = as_recorded_model(net, N=6, d=2)
    X, t = torch.randn(2, 6, 2, dtype=F64), torch.full((2,), 0.5, dtype=F64)
    assert torch.equal(rec(X, t), net(X, t))
    assert as_recorded_model(net, N=6, d=2, output="noise").output == "noise"
    # ... but every function that reads the score refuses the unstated model
    for call in (lambda: compare_linear_map(net, spec, 0.5, L=5),
                 lambda: sample_errors(net, spec, 10, steps=2)):
        with pytest.raises(InvalidArgumentError, match="^output=None"):
            call()
    from gpdtheory.evaluate import covariance_error, score_error

    for call in (lambda: score_error(net, spec, 0.5, n_mc=8),
                 lambda: covariance_error(net, spec, 10, steps=2)):
        with pytest.raises(InvalidArgumentError, match="no stated output convention"):
            call()


def test_trainer_takes_a_protocol_model():
    from gpdtheory.train import TrainConfig, train

    spec = _spec()
    sm = as_score_model(MHANet(), N=6, d=2, output="noise")
    res = train(sm, spec.sample(64, seed=0), TrainConfig(steps=3, batch_size=8, eval_every=3))
    assert len(res.history["loss"]) == 3


# ---------------------------------------------------------------- capture


def _check_bitwise(model, call, modules=None, n_expected=None):
    ref = call()
    with capture_attention(model, modules) as cap:
        out = call()
    _no_hooks(model if not hasattr(model, "net") else model.net)
    assert torch.equal(ref, out)
    if n_expected is not None:
        assert len(cap.names) == n_expected, cap.names
    return cap


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
def test_mha_capture_is_bitwise_and_exact(training, need_weights):
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True, dtype=F64).train(training)
    x = torch.randn(3, 5, 8, dtype=F64)
    cap = _check_bitwise(mha, lambda: mha(x, x, x, need_weights=need_weights)[0], None, 1)
    _, w = mha(x, x, x, need_weights=True, average_attn_weights=False)
    assert torch.allclose(cap.maps(), w, atol=1e-14)
    assert torch.allclose(cap.maps().sum(-1), torch.ones(3, 2, 5, dtype=F64))


def test_softmax_dit_and_gpdit_capture():
    torch.manual_seed(0)
    m = SoftmaxDiT(6, 2, width=16, depth=2, heads=2)
    X, t = torch.randn(3, 6, 2, dtype=F64), torch.ones(3, dtype=F64)
    cap = _check_bitwise(m, lambda: m(X, t), None, 2)
    from gpdtheory.video import attention_maps

    np.testing.assert_allclose(cap.maps("blocks.1").mean(0).numpy(),
                               attention_maps(m, X.numpy(), 1.0)[1], atol=1e-14)
    g = matching_model(_spec(), L=3, J=2)
    cap = _check_bitwise(g, lambda: g(X, t), None, 1)
    assert cap.kinds["blocks.0"] == "relu" and cap.maps().shape == (9, 4, 6, 6)


def test_latte_capture_bitwise_and_restored():
    sm = _latte()
    net = sm.net
    procs = {n: m.processor for n, m in net.named_modules() if hasattr(m, "processor")}
    X, t = torch.randn(3, 6, 8, dtype=F64), torch.full((3,), 0.5, dtype=F64)
    cap = _check_bitwise(sm, lambda: sm(X, t), "temporal_transformer_blocks.*.attn1", 1)
    assert cap.maps().shape == (3 * 4, 2, 6, 6)  # batch x spatial positions, heads, frames
    cap = _check_bitwise(sm, lambda: sm(X, t), None, 2)
    assert {n: m.processor for n, m in net.named_modules() if hasattr(m, "processor")} == procs
    assert set(attention_modules(net)) == {"transformer_blocks.0.attn1",
                                           "temporal_transformer_blocks.0.attn1"}


def test_hooks_removed_when_forward_raises():
    sm = _latte()
    mha = MHANet()
    for model, bad in ((sm, torch.randn(2, 5, 8, dtype=F64)), (mha, torch.randn(2, 6, 3))):
        with pytest.raises((RuntimeError, ValueError, InvalidArgumentError)):
            with capture_attention(model), capture_outputs(model, ["*"]):
                model(bad, torch.ones(2, dtype=F64))
        _no_hooks(model if model is mha else model.net)
    procs = [m.processor for m in sm.net.modules() if hasattr(m, "processor")]
    assert all(type(p).__name__ == "AttnProcessor2_0" for p in procs)


def test_unknown_module_name():
    with pytest.raises(InvalidArgumentError, match="matches no module"):
        with capture_attention(MHANet(), "nope"):
            pytest.fail("capture_attention accepted a module name that matches nothing")


# ---------------------------------------------------------------- comparisons


def test_profiles_normalised_at_lag_zero():
    assert normalise_profile([2.0, 1.0])[1] == 0.5
    assert profile_error([2.0, 1.0, 0.5], [1.0, 0.5, 0.25]) == 0.0
    assert math.isnan(normalise_profile([0.0, 1.0])[0])


def test_compare_attention_on_mha_model_and_latte():
    spec = _spec()
    cmp = compare_attention(as_score_model(MHANet(), N=6, d=2, output="noise"), spec, n=16)
    assert cmp.attention.shape == (6,) and cmp.heads.shape == (2, 6)
    np.testing.assert_allclose(cmp.vs_constructed.ref, cmp.vs_rho.ref, atol=1e-12)
    assert {r["quantity"] for r in cmp.to_rows()} >= {"Pearson corr(attention by lag, rho_bar)"}
    match = match_heads_by_lag(cmp.heads, spec)
    assert len(match.pairs) == 2 and len(match.to_rows()) == 2
    fig = plot_attention(cmp, spec)
    assert len(fig.axes) >= 4
    import matplotlib.pyplot as plt

    plt.close(fig)
    sm = _latte()
    spec8 = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=6, Sigma=np.eye(8))
    cmp = compare_attention(sm, spec8, modules="temporal_transformer_blocks.*.attn1", n=8)
    assert cmp.modules == ["temporal_transformer_blocks.0.attn1"]


def test_probe_map_samples_and_kl_on_latte():
    sm = _latte()
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), N=6, Sigma=np.eye(8))
    pr = probe_layers(sm, spec, ["transformer_blocks.0", "temporal_transformer_blocks.0"],
                      n_train=300, n_test=100)
    assert pr.r2.shape == (2,) and np.all(pr.r2 <= 1.0) and pr.r2_input > 0.999
    lm = compare_linear_map(sm, spec, 0.5, L=20)
    assert lm.A.shape == (48, 48) and np.isfinite(lm.error_exact)
    se = sample_errors(sm, spec, 200, steps=10)
    assert np.isfinite(se.covariance_error) and len(se.to_rows()) == 3
    assert set(se.baselines) == {"time-ignoring"} and "SampleErrors of 200" in repr(se)
    with pytest.raises(InvalidArgumentError, match="not linear in X"):
        exact_kl_any(sm, spec, 4.0, 0.01)


def test_linear_map_of_construction_matches():
    from gpdtheory.construct import build

    spec = _spec()
    lm = compare_linear_map(build(spec, J=5, L=20), spec, 0.5, L=20)
    assert lm.error_constructed < 1e-12


def test_older_tools_accept_or_explain_any_model():
    from gpdtheory.compare import compare_kernel
    from gpdtheory.evaluate import exact_kl, linear_map, score_error
    from gpdtheory.video import attention_maps

    spec = _spec()
    sm = as_score_model(MHANet(), N=6, d=2, output="noise")
    A = attention_maps(sm, np.zeros((3, 6, 2)), 0.5)
    assert A.shape == (1, 2, 6, 6) and np.allclose(A.sum(-1), 1.0)
    assert np.isfinite(score_error(sm, spec, 0.5, n_mc=64).relative[0])
    with pytest.raises(InvalidArgumentError, match="^spec=None: is needed"):
        compare_kernel(sm, spec.r)
    k = compare_kernel(sm, spec.r, spec=spec, n=8)
    assert k.kernel.shape == (6,) and np.all(k.kernel > 0)
    with pytest.raises(InvalidArgumentError, match="compare_linear_map"):
        linear_map(sm, 0.5)
    with pytest.raises(InvalidArgumentError, match="does not output a Gaussian"):
        exact_kl(sm, spec, 4.0, 0.01)


# ---------------------------------------------------------------- a user's own model

WIDTH, HEADS = 32, 4


class UserBlock(nn.Module):
    """Pre-norm transformer block around ``nn.MultiheadAttention``."""

    def __init__(self, width=WIDTH, heads=HEADS):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, dtype=F64)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True, dtype=F64)
        self.norm2 = nn.LayerNorm(width, dtype=F64)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width, dtype=F64), nn.GELU(),
                                 nn.Linear(2 * width, width, dtype=F64))

    def forward(self, h):
        a = self.norm1(h)
        h = h + self.attn(a, a, a, need_weights=False)[0]
        return h + self.mlp(self.norm2(h))


class UserNet(nn.Module):
    """A user's score network: 2 MHA blocks, width 32, 4 heads, learned positions, model(x, t).

    No ``N`` or ``d`` attributes and no package base class: only the call convention.
    """

    def __init__(self, N=6, d=2, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.inp = nn.Linear(d, WIDTH, dtype=F64)
        self.pos = nn.Parameter(torch.randn(N, WIDTH, dtype=F64))
        self.time = nn.Linear(1, WIDTH, dtype=F64)
        self.blocks = nn.ModuleList([UserBlock(), UserBlock()])
        self.out = nn.Linear(WIDTH, d, dtype=F64)

    def forward(self, x, t):
        h = self.inp(x) + self.pos + self.time(torch.log(t)[:, None])[:, None, :]
        for blk in self.blocks:
            h = blk(h)
        return self.out(h)


@pytest.mark.parametrize("training", [False, True])
def test_user_model_capture_is_bitwise_and_leaves_no_hook(training):
    net = UserNet().train(training)
    X, t = torch.randn(3, 6, 2, dtype=F64), torch.full((3,), 0.5, dtype=F64)
    cap = _check_bitwise(net, lambda: net(X, t), None, 2)
    assert cap.names == ["blocks.0.attn", "blocks.1.attn"]
    assert cap.maps("blocks.1.attn").shape == (3, HEADS, 6, 6)
    assert torch.allclose(cap.maps().sum(-1), torch.ones(6, HEADS, 6, dtype=F64))
    ref = net(X, t)
    with capture_outputs(net, ["blocks.0", "blocks.1"]) as out:
        got = net(X, t)
    assert torch.equal(ref, got) and set(out.records) == {"blocks.0", "blocks.1"}
    _no_hooks(net)
    with pytest.raises(RuntimeError):  # a forward pass that raises: hooks still removed
        with capture_attention(net), capture_outputs(net, ["blocks.*"]):
            net(torch.randn(3, 5, 2, dtype=F64), t)
    _no_hooks(net)
    assert torch.equal(net(X, t), ref)


def test_user_model_through_compare_and_inspect():
    from gpdtheory.compare import (
        compare_kernel,
        jacobian,
        kernel_by_lag,
        layers_vs_gd,
        match_heads,
    )
    from gpdtheory.compare_models import attention_by_module, default_layers
    from gpdtheory.construct import inspect

    spec = _spec()
    net = UserNet()
    by_module = attention_by_module(net, spec, n=16)
    assert list(by_module) == ["blocks.0.attn", "blocks.1.attn"]
    for block, name in enumerate(by_module):
        k = kernel_by_lag(net, block, spec=spec, n=16)
        # the module's mean map averaged along its upper diagonals (the default direction)
        M = by_module[name].mean(0)
        np.testing.assert_allclose(k, [np.diagonal(M, m).mean() for m in range(6)], rtol=1e-12)
    with pytest.raises(InvalidArgumentError, match="^block=2: exceeds the 2 attention modules"):
        kernel_by_lag(net, 2, spec=spec, n=4)
    cmp = compare_kernel(net, spec.r, 1, spec=spec, n=16)
    assert cmp.kernel.shape == (6,) and -1.0 <= cmp.correlation <= 1.0
    X = spec.sample(1, seed=3)[0]
    W = inspect.head_weights(net, 1, X, 0.5)
    assert W.shape == (HEADS, 6, 6) and np.allclose(W.sum(-1), 1.0)
    with pytest.raises(InvalidArgumentError, match="^output=None"):
        inspect.end_to_end_map(net, 0.5, X)  # reads the score: the convention is needed
    sm = as_score_model(net, N=6, d=2, output="score")
    A = inspect.end_to_end_map(sm, 0.5, X)
    np.testing.assert_array_equal(A, -jacobian(sm, X, 0.5))
    assert default_layers(net, spec) == ["blocks.0", "blocks.1"]
    dist = layers_vs_gd(net, spec, X, 0.5, 5, n_train=256)
    assert dist.shape == (2,) and np.all(np.isfinite(dist))
    # functions that read the construction's weights say why, and what works instead
    for call, fix in ((lambda: match_heads(net, net), "match_heads_by_lag"),
                      (lambda: inspect.qk_products(net), "match_heads_by_lag"),
                      (lambda: inspect.ov_products(net), "match_heads_by_lag"),
                      (lambda: inspect.attention_kernel(net), "compare_attention"),
                      (lambda: inspect.implied_gamma(net, np.eye(2), 0.1), "compare_attention"),
                      (lambda: inspect.weights_by_lag(net), "attention_by_lag")):
        with pytest.raises(InvalidArgumentError, match=f"is not a GPDiT: .*{fix}") as info:
            call()
        assert "\n" not in str(info.value)


class GDLayers(nn.Module):
    """Layer ``k`` outputs GD iterate ``k`` exactly (fixed linear maps of ``vec X``)."""

    def __init__(self, spec, t, J):
        from gpdtheory.gd import gd_iterates

        super().__init__()
        n = spec.N * spec.d
        basis = np.eye(n).reshape(n, spec.N, spec.d)
        Y = gd_iterates(spec, basis, t, J, 2, return_all=True)  # (3, n, N, d): linear in X
        self.layers = nn.ModuleList()
        for k in (1, 2):
            lin = nn.Linear(n, n, bias=False, dtype=F64)
            with torch.no_grad():
                lin.weight.copy_(torch.as_tensor(Y[k].reshape(n, n).T))
            self.layers.append(lin)
        self.first_frame = nn.Linear(n, spec.d, bias=False, dtype=F64)  # keeps x_0 only
        with torch.no_grad():
            self.first_frame.weight.copy_(torch.eye(spec.d, n, dtype=F64))
        self.shape = (spec.N, spec.d)

    def forward(self, x, t):
        v = x.reshape(x.shape[0], -1)
        outs = [layer(v) for layer in self.layers]
        return (outs[-1] + 0 * self.first_frame(v).sum()).reshape(x.shape[0], *self.shape)


def test_probe_recovers_layers_that_are_gd_iterates():
    from gpdtheory.compare import layers_vs_gd

    spec, t, J = _spec(), 0.5, 3
    model = GDLayers(spec, t, J)
    X = spec.sample(1, seed=4)[0]
    dist = layers_vs_gd(model, spec, X, t, J, layers=["layers.0", "layers.1"], n_train=512,
                        ridge=1e-12)
    assert dist.shape == (2,) and dist.max() < 1e-8
    # a layer that has lost information stays far, whatever the probe
    far = layers_vs_gd(model, spec, X, t, J, layers=["first_frame"], n_train=512, ridge=1e-12)
    assert far[0] > 0.1
    with pytest.raises(InvalidArgumentError, match="no attention module"):
        layers_vs_gd(model, spec, X, t, J)


def test_head_weights_of_latte_average_its_spatial_positions():
    from gpdtheory.construct.inspect import head_weights
    from gpdtheory.latte import TEMPORAL

    sm = _latte()
    X = np.random.default_rng(0).standard_normal((6, 8))
    W = head_weights(sm, 0, X, 0.5)  # spatial attention is over 2 x 2 positions, not frames
    with capture_attention(sm, TEMPORAL) as cap, torch.no_grad():
        sm(torch.as_tensor(X[None]), torch.full((1,), 0.5, dtype=F64))
    np.testing.assert_allclose(W, cap.maps().mean(0).numpy(), rtol=1e-12)
    assert W.shape == (2, 6, 6) and np.allclose(W.sum(-1), 1.0)
