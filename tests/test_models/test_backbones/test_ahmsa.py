"""AHMSA-Net (mmmer's reconstruction, docs/methods/ahmsa.md): pinned parameter counts and block semantics."""
import pytest
import torch
import torch.nn.functional as F

from mmmer.models.backbones import AHMSANet
from mmmer.models.backbones.ahmsa import ChannelAttention
from mmmer.models.backbones.htnet import window_merge, window_partition

HEAD = 1024 * 3 + 3


def count(module):
    return sum(p.numel() for p in module.parameters())


def build_meta(**kwargs):
    with torch.device('meta'):
        return AHMSANet(**kwargs)


@pytest.mark.parametrize('kwargs,expected', [
    (dict(), 115_579_395),
    (dict(ca_bias=True), 115_589_731),
    (dict(ca_reduction=8), 116_709_891),
    (dict(ca_reduction=4), 118_970_883),
    (dict(pos_embed=True), 115_579_398),
    (dict(attention_scope='window'), 115_579_395),
])
def test_param_counts(kwargs, expected):
    assert count(build_meta(**kwargs)) + HEAD == expected


def test_block_breakdown():
    m = build_meta()
    assert [count(m.levels[i][0]) for i in range(3)] == [796_672, 3_180_544, 12_709_888]
    assert [count(m.levels[i][0].channel_attn) + count(m.levels[i][0].ca_norm)
            for i in range(3)] == [8_704, 33_792, 133_120]
    # attention over all patches of each level: 16, 4, 1 tokens
    assert [m.levels[i][0].spatial_attn.window_size for i in range(3)] == [(4, 4), (2, 2), (1, 1)]


def test_channel_attention_formula():
    torch.manual_seed(0)
    ca = ChannelAttention(32, reduction=16)
    x = torch.randn(2, 3, 3, 32)
    mlp = lambda v: F.relu(v @ ca.fc1.weight.T) @ ca.fc2.weight.T  # noqa: E731
    w = torch.sigmoid(mlp(x.mean(dim=(1, 2))) + mlp(x.amax(dim=(1, 2))))
    torch.testing.assert_close(ca(x), x * w[:, None, None, :])


def test_forward_and_attention_scope():
    torch.manual_seed(0)
    kw = dict(dim=12, heads=3, block_repeats=(1, 1, 1))
    m = AHMSANet(**kw).eval()
    x = torch.rand(2, 3, 28, 28) * 255
    with torch.no_grad():
        out = m(x)
    assert out.shape == (2, 48) and torch.isfinite(out).all()
    # 'level': the spatial attention of level 0 mixes all 16 patches, so a
    # change in patch (0, 0) reaches token (3, 3); 'window': one-token windows
    # (HTNet layout) keep tokens independent.
    t = torch.randn(2, 4, 4, 12)
    t2 = t.clone()
    t2[:, 0, 0] += 1.0
    for scope, nw, mixes in (('level', 1, True), ('window', 4, False)):
        attn = AHMSANet(attention_scope=scope, **kw).levels[0][0].spatial_attn
        ws = 4 // nw
        y = window_merge(attn(window_partition(t, nw), (ws, ws)), nw, ws)
        y2 = window_merge(attn(window_partition(t2, nw), (ws, ws)), nw, ws)
        changed = (y - y2)[:, 3, 3].abs().max().item() > 1e-6
        assert changed == mixes, scope


def test_adaptive_downsample_is_maxpool2():
    m = AHMSANet(dim=4, heads=1, block_repeats=(1, 1, 1))
    ds = m.downsamples[0]
    y = torch.randn(2, 4, 4, 4)
    with torch.no_grad():
        z = ds.norm(ds.conv(y.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))
        ref = F.max_pool2d(z.permute(0, 3, 1, 2), 2, 2).permute(0, 2, 3, 1)
        torch.testing.assert_close(ds(y), ref)
