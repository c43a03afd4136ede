"""HTNet-family inference fast paths give the training path's logits.

Inference (eval mode, no grad) composes one-token attention into one cached
``W_o W_v`` map and runs small aggregates as an im2col GEMM; training keeps
the separate projections and the dense 2x2 GEMM / conv. Both are checked
against an independent reference: the authors' HTNet layout re-derived in
tests/fixtures/official_layouts.py (NCHW, 1x1 convs, full softmax attention),
loaded with the same weights through the checkpoint converter.
"""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmmer.models.backbones.ahmsa import AHMSANet
from mmmer.models.backbones.htnet import Aggregate, HTNet, conv3x3_im2col
from mmmer.models.utils.official_checkpoints import convert_htnet_official
from mmmer.registry import MODELS
from mmmer.utils import register_all_modules
from tests.fixtures.official_layouts import OfficialHTNet

DIM, REPS = 16, (1, 1, 2)


def randomise(module, seed):
    """Weights far from init (LN gains, biases, pos embeddings all non-trivial)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if 'norm' in name and name.rsplit('.', 1)[-1] in ('g', 'weight'):
                p.copy_(1 + 0.1 * noise)
            elif p.dim() > 1 and p[0].numel() > 1:
                p.copy_(noise * 1.5 / p[0].numel() ** 0.5)
            else:
                p.copy_(0.1 * noise)
    return module


def htnet_classifier(**backbone):
    register_all_modules()
    cfg = dict(type='HTNet', dim=DIM, heads=2, block_repeats=REPS)
    cfg.update(backbone)
    return MODELS.build(dict(
        type='MEClassifier', backbone=cfg,
        head=dict(type='LinearClsHead', num_classes=3, in_channels=4 * DIM)))


def inputs(bs, seed=3):
    return torch.randn(bs, 3, 28, 28, generator=torch.Generator().manual_seed(seed))


def training_logits(model, x):
    model.train()
    with torch.enable_grad():
        out = model(x, mode='tensor')
    assert out.requires_grad
    return out.detach()


def inference_logits(model, x, calls=3):
    """What an API user gets: eval once, then repeated calls without grad."""
    model.eval()
    with torch.no_grad():
        for _ in range(calls):
            out = model(x, mode='tensor')
    return out


def composed_caches(model):
    return [m._single_token_cache.value for m in model.modules()
            if hasattr(m, '_single_token_cache')]


@pytest.mark.parametrize('bs', [1, 2, 256])
def test_htnet_inference_and_training_equal_official_layout(bs):
    official = randomise(OfficialHTNet(dim=DIM, heads=2, block_repeats=REPS), 0).eval()
    model = htnet_classifier()
    model.load_state_dict(convert_htnet_official(official.state_dict(), input_order='file'))
    x = inputs(bs)
    with torch.no_grad():
        want = official(x)
    if bs > 1:  # the logits depend on the input
        assert want.std(dim=0).min() > 0.02
    fast = inference_logits(model, x)
    caches = composed_caches(model)
    assert len(caches) == sum(REPS) and all(c is not None for c in caches)
    slow = training_logits(model, x)
    assert all(c is None for c in composed_caches(model)), 'train() keeps a stale cache'
    tol = dict(atol=2e-4 * want.abs().max().item(), rtol=1e-4)
    torch.testing.assert_close(fast, want, **tol)
    torch.testing.assert_close(slow, want, **tol)
    torch.testing.assert_close(fast, slow, **tol)


@pytest.mark.parametrize('bs', [1, 2, 256])
def test_lape_esaat_agent_attention_paths_equal(bs):
    # The LAPE + agent attention + ESAAT layout: the one-token agent attention
    # is W_o (V + DWC(V)) + b_o; inference composes it into one map.
    model = randomise(htnet_classifier(
        lape=True, drop_attention=[2], attention=dict(type='AgentAttention')), 1)
    x = inputs(bs, seed=4)
    fast = inference_logits(model, x)
    assert sum(c is not None for c in composed_caches(model)) == sum(REPS) - 1
    slow = training_logits(model, x)
    # Independent: the same blocks with the fast path switched off entirely
    # (full agent attention with its softmaxes over one agent / one key).
    for m in model.modules():
        if hasattr(m, 'fast_single_token'):
            m.fast_single_token = False
    full = inference_logits(model, x, calls=1)
    tol = dict(atol=2e-4 * full.abs().max().item(), rtol=1e-4)
    torch.testing.assert_close(fast, full, **tol)
    torch.testing.assert_close(slow, full, **tol)


@pytest.mark.parametrize('bs', [1, 2, 256])
def test_ahmsa_paths_equal(bs):
    net = randomise(AHMSANet(dim=DIM, heads=2, block_repeats=REPS), 2)
    x = inputs(bs, seed=5)
    net.eval()
    with torch.no_grad():
        fast = [net(x) for _ in range(3)][-1]
    assert any(c is not None for c in composed_caches(net))
    net.train()
    slow = net(x).detach()
    for m in net.modules():
        if hasattr(m, 'fast_single_token'):
            m.fast_single_token = False
    full = net(x).detach()
    tol = dict(atol=2e-4 * full.abs().max().item(), rtol=1e-4)
    torch.testing.assert_close(fast, full, **tol)
    torch.testing.assert_close(slow, full, **tol)


@pytest.mark.parametrize('side', [1, 2, 4])
@pytest.mark.parametrize('bs', [1, 3, 40])
@pytest.mark.parametrize('rows', [0, 10 ** 9])
def test_aggregate_conv_forms_equal_conv2d(side, bs, rows):
    # rows=0: dense 2x2 GEMM (side <= 2) or nn.Conv2d; rows=1e9: im2col GEMM.
    agg = randomise(Aggregate(8, 12), 6)
    agg.im2col_max_rows = rows
    x = torch.randn(bs, side, side, 8, generator=torch.Generator().manual_seed(7))
    got = agg(x)
    conv = F.conv2d(x.permute(0, 3, 1, 2), agg.conv.weight, agg.conv.bias, padding=1)
    normed = F.layer_norm(conv.permute(0, 2, 3, 1), (12, ), agg.norm.weight, agg.norm.bias,
                          agg.norm.eps)
    want = F.max_pool2d(normed.permute(0, 3, 1, 2), 3, 2, 1).permute(0, 2, 3, 1)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(
        conv3x3_im2col(x, agg.conv.weight, agg.conv.bias), conv.permute(0, 2, 3, 1),
        atol=1e-5, rtol=1e-5)


def test_composed_cache_follows_weight_updates():
    model = randomise(htnet_classifier(), 8)
    x = inputs(2, seed=9)
    attn = model.backbone.levels[2].blocks[0].attn
    model.eval()
    with torch.no_grad():
        model(x, mode='tensor')
        assert attn._single_token_cache.value is None  # built on the 2nd call only
        model(x, mode='tensor')
        assert attn._single_token_cache.value is not None
        # in-place update (as an optimizer step): version counter changes
        attn.qkv.weight.mul_(1.5)
        after = model(x, mode='tensor')
    for m in model.modules():
        if hasattr(m, 'fast_single_token'):
            m.fast_single_token = False
    with torch.no_grad():
        want = model(x, mode='tensor')
    torch.testing.assert_close(after, want, atol=1e-4, rtol=1e-4)

    # load_state_dict copies in place: the next calls see the new weights.
    for m in model.modules():
        if hasattr(m, 'fast_single_token'):
            m.fast_single_token = True
    other = randomise(htnet_classifier(), 10).eval()
    with torch.no_grad():
        want = other(x, mode='tensor')
        for _ in range(2):
            model(x, mode='tensor')
        model.load_state_dict(other.state_dict())
        got = [model(x, mode='tensor') for _ in range(2)]
    for g in got:
        torch.testing.assert_close(g, want, atol=1e-4, rtol=1e-4)

    # Under autograd nothing is cached.
    model.eval()
    model(x, mode='tensor').sum().backward()
    model(x, mode='tensor')
    assert attn._single_token_cache.value is None
    assert attn.qkv.weight.grad is not None


def test_state_dict_has_no_cache_entries():
    model = htnet_classifier()
    keys = set(model.state_dict())
    inference_logits(model, inputs(1))
    assert set(model.state_dict()) == keys
    assert isinstance(model.backbone.aggregates[0], nn.Module)
    assert isinstance(model.backbone, HTNet)
