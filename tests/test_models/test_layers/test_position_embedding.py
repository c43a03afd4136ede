import pytest
import torch

from mmmer.models.layers import LearnableAbsolutePositionEmbedding


def test_lape_adds_one_vector_per_position():
    torch.manual_seed(0)
    pe = LearnableAbsolutePositionEmbedding(256, 4)
    assert sum(p.numel() for p in pe.parameters()) == 4096  # 1 x 256 x 4 x 4
    assert pe.pos_embed.shape == (1, 256, 4, 4)
    # trunc_normal_(std=0.02) with torch's default absolute cut at +-2 (as the
    # reference codes call it): effectively N(0, 0.02^2)
    assert 0.015 < pe.pos_embed.std() < 0.025
    x = torch.randn(2, 4, 4, 256)
    out = pe(x)
    for i, j in [(0, 0), (1, 3), (3, 2)]:
        torch.testing.assert_close(out[:, i, j] - x[:, i, j],
                                   pe.pos_embed[0, :, i, j].expand(2, -1))
    # channels_first gives the same numbers
    pe_cf = LearnableAbsolutePositionEmbedding(256, 4, data_format='channels_first')
    pe_cf.load_state_dict(pe.state_dict())
    torch.testing.assert_close(pe_cf(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1), out)


def test_lape_grid_mismatch():
    pe = LearnableAbsolutePositionEmbedding(8, (4, 4))
    with pytest.raises(ValueError, match='grid'):
        pe(torch.randn(1, 2, 2, 8))
