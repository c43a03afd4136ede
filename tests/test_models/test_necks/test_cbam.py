"""CBAM (Liu et al. 2022, eqs. 10-11) against a direct functional computation."""
import pytest
import torch
import torch.nn.functional as F

from mmmer.models.necks.cbam import CBAM


def test_cbam_equals_equations_10_11():
    torch.manual_seed(0)
    m = CBAM(32, reduction=4).eval()
    x = torch.randn(2, 32, 5, 6)
    fc0, fc1 = m.channel_attention.mlp[0], m.channel_attention.mlp[2]

    def mlp(v):
        return F.linear(F.relu(F.linear(v, fc0.weight, fc0.bias)), fc1.weight, fc1.bias)

    mc = torch.sigmoid(mlp(x.mean((2, 3))) + mlp(x.amax((2, 3))))[:, :, None, None]
    f1 = mc * x
    desc = torch.stack([f1.mean(1), f1.amax(1)], 1)
    ms = torch.sigmoid(F.conv2d(desc, m.spatial_attention.conv.weight,
                                m.spatial_attention.conv.bias, padding=3))
    expected = ms * f1
    with torch.no_grad():
        out = m(x)
    torch.testing.assert_close(out, expected)
    # as a neck on a backbone tuple only the last map is refined
    y = torch.randn(2, 8, 5, 6)
    first, last = m((y, x))
    assert first is y
    torch.testing.assert_close(last, expected)


def test_cbam_parameter_count_and_errors():
    m = CBAM(1024)
    assert sum(p.numel() for p in m.parameters()) == \
        (1024 * 64 + 64) + (64 * 1024 + 1024) + (2 * 7 * 7 + 1)
    with pytest.raises(ValueError, match='global_pool=False'):
        m(torch.randn(2, 1024))
