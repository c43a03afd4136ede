"""Ghost module (GhostNet) used for the attention projection of Liu et al. 2022."""
import pytest
import torch
import torch.nn.functional as F

from mmmer.models.layers.ghost_module import GhostModule


def test_ghost_module_output_and_parameters():
    torch.manual_seed(0)
    m = GhostModule(10, 6)
    # primary 1x1: 10 -> 3 (+3 bias); cheap 3x3 depthwise on 3 maps (+3 bias)
    assert sum(p.numel() for p in m.parameters()) == 10 * 3 + 3 + 3 * 9 + 3
    x = torch.randn(2, 10, 4, 5)
    out = m(x)
    primary = F.conv2d(x, m.primary[0].weight, m.primary[0].bias)
    cheap = F.conv2d(primary, m.cheap[0].weight, m.cheap[0].bias, padding=1, groups=3)
    torch.testing.assert_close(out, torch.cat([primary, cheap], 1))


def test_ghost_module_odd_output_and_errors():
    m = GhostModule(4, 5, ratio=3, norm=True, act=dict(type='ReLU'))
    assert m.intrinsic_channels == 2
    assert m(torch.randn(2, 4, 3, 3)).shape == (2, 5, 3, 3)
    with pytest.raises(ValueError):
        GhostModule(4, 4, ratio=1)
