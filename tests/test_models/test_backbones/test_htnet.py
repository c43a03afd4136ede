"""HTNet: pinned parameter counts (the official Model.py instantiated, and the
LAPE/ESAAT variants) and equality with a literal NCHW reference of the
official architecture (1x1 convs, einops blocking, full softmax)."""
import pytest
import torch
import torch.nn.functional as F
from einops import rearrange

from mmmer.models.backbones import HTNet
from mmmer.models.heads import LinearClsHead
from mmmer.registry import MODELS
from mmmer.utils import register_all_modules

HEAD = 1024 * 3 + 3


def count(module):
    return sum(p.numel() for p in module.parameters())


def build_meta(**kwargs):
    # Parameter counting needs no memory or init: build on the meta device.
    with torch.device('meta'):
        return HTNet(**kwargs)


@pytest.mark.parametrize('kwargs,expected', [
    (dict(), 139_582_982),
    (dict(block_repeats=(2, 2, 8)), 114_429_446),
    (dict(lape=True), 139_587_078),
    (dict(lape=True, attention=dict(type='AgentAttention')), 139_718_454),
    (dict(lape=True, drop_attention=[4, 5, 6, 7, 8, 9]), 114_501_126),
    (dict(lape=True, drop_attention=range(8, 14), attention=dict(type='AgentAttention')),
     114_563_958),
    (dict(lape=True, drop_attention=[-1, -2, -3, -4, -5, -6],
          attention=dict(type='AgentAttention', bias_type='table')), 114_557_358),
])
def test_param_counts(kwargs, expected):
    assert count(build_meta(**kwargs)) + HEAD == expected


def test_breakdown_and_indexing():
    m = build_meta()
    assert count(m.patch_embed) == 37_888
    assert count(m.levels[0].blocks[0]) == 787_968
    assert count(m.levels[1].blocks[0]) == 3_146_752
    assert count(m.levels[2].blocks[0]) == 12_576_768
    assert [count(a) for a in m.aggregates] == [1_181_184, 4_721_664]
    assert m.window == 1  # one token per window at every level (official layout)
    assert m.attention_index(2, 0) == 4 and m.level_indices(2) == list(range(4, 14))
    d = build_meta(drop_attention=[4, -1])
    assert d.drop_attention == [4, 13]
    assert d.levels[2].blocks[0].attn is None and d.levels[2].blocks[9].attn is None
    assert d.level_indices(2) == list(range(5, 13))
    assert count(m) - count(d) == 2 * 4_180_992
    with pytest.raises(ValueError, match='drop_attention'):
        build_meta(drop_attention=[14])


def test_registry_and_head():
    register_all_modules()
    model = MODELS.build(dict(
        type='MEClassifier',
        backbone=dict(type='HTNet', dim=8, heads=2, block_repeats=(1, 1, 2)),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=32)))
    out = model(torch.rand(2, 3, 28, 28) * 255, mode='tensor')
    assert out.shape == (2, 3)


# ---------------------------------------------------------------- reference
def ln_nchw(x, norm):
    mean = x.mean(dim=1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=1, keepdim=True)
    return (x - mean) / torch.sqrt(var + norm.eps) * norm.weight.view(1, -1, 1, 1) \
        + norm.bias.view(1, -1, 1, 1)


def conv1x1(x, lin):
    return F.conv2d(x, lin.weight[:, :, None, None], lin.bias)


def reference_forward(m, x, bypass=()):
    p, L, ws = m.patch_size, m.num_hierarchies, m.window
    x = conv1x1(rearrange(x, 'b c (h p1) (w p2) -> b (p1 p2 c) h w', p1=p, p2=p), m.patch_embed)
    if m.lape is not None:
        x = x + m.lape.pos_embed
    k = 0
    for i, level in enumerate(m.levels):
        nb = 2 ** (L - 1 - i)
        x = rearrange(x, 'b c (b1 h) (b2 w) -> (b b1 b2) c h w', b1=nb, b2=nb)
        x = x + level.pos_embed.view(1, 1, ws, ws)
        for blk in level.blocks:
            if blk.attn is not None and k not in bypass:
                a = blk.attn
                q, kk, v = conv1x1(ln_nchw(x, blk.attn_norm), a.qkv).chunk(3, dim=1)
                q, kk, v = (rearrange(t, 'b (h d) x y -> b h (x y) d', h=a.num_heads)
                            for t in (q, kk, v))
                att = torch.softmax(q @ kk.transpose(-1, -2) * a.scale, dim=-1)
                x = x + conv1x1(rearrange(att @ v, 'b h (x y) d -> b (h d) x y', x=ws), a.proj)
            y = ln_nchw(x, blk.ffn_norm)
            x = x + conv1x1(F.gelu(conv1x1(y, blk.ffn.fc1)), blk.ffn.fc2)
            k += 1
        x = rearrange(x, '(b b1 b2) c h w -> b c (b1 h) (b2 w)', b1=nb, b2=nb)
        if i < L - 1:
            ag = m.aggregates[i]
            x = F.max_pool2d(ln_nchw(ag.conv(x), ag.norm), 3, 2, 1)
    return ln_nchw(x, m.norm).mean(dim=(2, 3))


@pytest.mark.parametrize('kwargs', [
    # official layout at small width: one-token windows, 2x2 dense aggregate path
    dict(dim=12, heads=3, block_repeats=(1, 2, 2)),
    dict(dim=12, heads=3, block_repeats=(1, 1, 2), lape=True,
         attention=dict(type='SoftmaxAttention', fast_single_token=False)),
    # 56x56 input: 2x2-token windows, real attention, 8x8 and 4x4 conv aggregates
    dict(image_size=56, dim=8, heads=2, block_repeats=(1, 1, 2), lape=True),
    dict(image_size=56, dim=8, heads=2, block_repeats=(2, 1, 2), drop_attention=[1, -1]),
])
def test_matches_literal_reference(kwargs):
    torch.manual_seed(0)
    m = HTNet(**kwargs).double()
    x = torch.rand(3, 3, m.image_size, m.image_size, dtype=torch.double) * 255
    torch.testing.assert_close(m(x), reference_forward(m, x), rtol=1e-10, atol=1e-10)


def test_fast_single_token_equals_full_path_forward_and_backward():
    torch.manual_seed(0)
    kw = dict(dim=24, heads=3, block_repeats=(1, 1, 3), lape=True)
    fast = HTNet(attention=dict(type='SoftmaxAttention', fast_single_token=True), **kw)
    full = HTNet(attention=dict(type='SoftmaxAttention', fast_single_token=False), **kw)
    full.load_state_dict(fast.state_dict())
    x = torch.rand(4, 3, 28, 28) * 255
    yf, yr = fast(x), full(x)
    torch.testing.assert_close(yf, yr, rtol=1e-5, atol=1e-5)
    yf.square().sum().backward()
    yr.square().sum().backward()
    for (n, pf), (_, pr) in zip(fast.named_parameters(), full.named_parameters()):
        gf = pf.grad if pf.grad is not None else torch.zeros_like(pf)
        torch.testing.assert_close(gf, pr.grad, rtol=1e-4, atol=1e-5, msg=n)
    # Softmax over one key has zero derivative: the Q/K rows get no gradient in
    # exact arithmetic; in floating point only rounding residue (e.g. 2e-14,
    # depending on the CPU's kernels), far below the V rows' gradient.
    for level in full.levels:
        for blk in level.blocks:
            inner = blk.attn.inner_dim
            qk = blk.attn.qkv.weight.grad[:2 * inner].abs().max()
            v = blk.attn.qkv.weight.grad[2 * inner:].abs().max()
            assert v > 1e-6
            assert qk <= 1e-6 * v, (float(qk), float(v))


def test_bypass_attention_changes_features_and_matches_reference():
    torch.manual_seed(0)
    m = HTNet(dim=8, heads=2, block_repeats=(1, 1, 3)).double().eval()
    x = torch.rand(4, 3, 28, 28, dtype=torch.double) * 255
    with torch.no_grad():
        full = m(x)
        with m.bypass_attention([3, 4]):
            byp = m(x)
        assert (full - byp).abs().max() > 1e-6
        torch.testing.assert_close(byp, reference_forward(m, x, bypass={3, 4}))
        torch.testing.assert_close(m(x), full)  # restored on exit


def test_full_size_batch1_forward():
    torch.manual_seed(0)
    m = HTNet().eval()
    with torch.no_grad():
        out = m(torch.rand(1, 3, 28, 28) * 255)
    assert out.shape == (1, 1024) and torch.isfinite(out).all()
    assert LinearClsHead(3, 1024)(out).shape == (1, 3)


def test_bad_input():
    m = HTNet(dim=8, heads=2, block_repeats=(1, 1, 1))
    with pytest.raises(ValueError, match=r'\(B, 3, 28, 28\)'):
        m(torch.rand(1, 3, 32, 32))
    with pytest.raises(ValueError, match='windows'):
        HTNet(image_size=35, patch_size=7)


@pytest.mark.parametrize('cfg_file,params,lr', [
    ('configs/htnet/htnet_3db.py', 139_582_982, 5e-5),
    ('configs/htnet/htnet_lape_3db.py', 139_587_078, 5e-5),
    ('configs/htnet/htnet_lape_esaat_3db.py', 114_563_958, 5e-5),
    ('configs/ahmsa/ahmsa_3db.py', 115_579_395, 5e-6),
    ('configs/ahmsa/ahmsa_casme3.py', 115_579_395, 5e-6),
])
def test_leaf_configs(cfg_file, params, lr):
    import os.path as osp

    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    cfg = Config.fromfile(osp.join(root, cfg_file))
    register_all_modules()
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert count(model) == params
    assert cfg.optim_wrapper.optimizer.lr == lr
    assert cfg.train_dataloader.batch_size == 256 and cfg.train_cfg.max_epochs == 800
    assert cfg.model.data_preprocessor.mean is None  # raw 0..255 inputs
