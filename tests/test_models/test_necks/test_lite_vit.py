"""Lightweight ViT block of Liu et al. 2022 (eqs. 13-15, Fig. 4)."""
import math

import pytest
import torch

from mmmer.models.necks.lite_vit import LiteViTBlock, SharedGhostAttention


def test_unfold_layout_and_fold_roundtrip():
    block = LiteViTBlock(8, embed_dims=4, num_layers=1, num_heads=1, patch_size=2)
    x = torch.randn(2, 4, 6, 8)
    tokens, grid = block.unfold(x)
    assert grid == (3, 4) and tokens.shape == (2 * 4, 12, 4)
    # token [b*P + i*w + j, r*cols + c] is pixel (r*h + i, c*w + j)
    b, i, j, r, c = 1, 1, 0, 2, 3
    torch.testing.assert_close(tokens[b * 4 + i * 2 + j, r * 4 + c], x[b, :, r * 2 + i, c * 2 + j])
    assert torch.equal(block.fold(tokens, 2, grid), x)


def test_shared_qkv_attention_equation_14():
    torch.manual_seed(0)
    attn = SharedGhostAttention(dim=8, num_heads=2).eval()
    tokens = torch.randn(3, 6, 8)
    grid = (2, 3)
    with torch.no_grad():
        v = attn.project(tokens, grid)
        heads = v.view(3, 6, 2, 4).transpose(1, 2)
        a = torch.softmax(heads @ heads.transpose(-1, -2) / math.sqrt(4), dim=-1)
        expected = attn.proj((a @ heads).transpose(1, 2).reshape(3, 6, 8))
        torch.testing.assert_close(attn(tokens, grid), expected)
    # Q = K = V: one shared projection, a Ghost module (1x1 primary d/2 +
    # 3x3 depthwise d/2); no separate q / k layers exist
    assert not any('q_proj' in n or 'k_proj' in n for n, _ in attn.named_modules())
    assert attn.v_proj.primary[0].out_channels == 4
    assert attn.v_proj.cheap[0].groups == 4
    with pytest.raises(ValueError):
        attn.project(tokens, (4, 2))


def test_block_is_shape_preserving_and_handles_odd_sizes():
    block = LiteViTBlock(16, embed_dims=8, num_heads=2, conv_mode='separable').eval()
    with torch.no_grad():
        assert block(torch.randn(2, 16, 7, 7)).shape == (2, 16, 7, 7)
        assert block(torch.randn(1, 16, 8, 6)).shape == (1, 16, 8, 6)
    with pytest.raises(ValueError):
        block(torch.randn(1, 8, 8, 8))
    with pytest.raises(ValueError, match='patch size'):
        LiteViTBlock(16, patch_size=4, kernel_size=3)
    with pytest.raises(ValueError, match='conv_mode'):
        LiteViTBlock(16, conv_mode='grouped')


def test_every_output_pixel_sees_every_input_pixel():
    # Fig. 4: conv encodes neighbours, the transformer links the same position
    # of all patches, so one output pixel depends on the whole map.
    torch.manual_seed(0)
    block = LiteViTBlock(4, embed_dims=8, num_heads=2, num_layers=1).eval()
    x = torch.randn(1, 4, 12, 12, requires_grad=True)
    block(x)[0, :, 0, 0].sum().backward()
    assert (x.grad.abs().sum(1)[0] > 0).all()


def test_lite_mode_fuses_channel_pairs():
    # 'lite': depthwise local n x n conv; fusion = n x n conv with C groups
    # on (x_0, y_0, x_1, y_1, ...), so output channel c only sees input
    # channel c of the block input x (and the global features y).
    from mmmer.models.necks.lite_vit import pair_channels
    x, y = torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 5)
    paired = pair_channels(x, y)
    assert torch.equal(paired[:, 0::2], x) and torch.equal(paired[:, 1::2], y)
    torch.manual_seed(0)
    block = LiteViTBlock(6, embed_dims=8, num_heads=2, conv_mode='lite').eval()
    assert block.local_conv[0].groups == 6 and block.fuse[0].groups == 6
    assert block.fuse[0].weight.shape == (6, 2, 3, 3)
    # the fusion applied by hand to the block's own global branch
    inp = torch.randn(1, 6, 6, 6)
    with torch.no_grad():
        glob = block.to_tokens(block.local_conv(inp))
        tokens, grid = block.unfold(glob)
        for layer in block.layers:
            tokens = layer(tokens, grid)
        glob = block.from_tokens(block.fold(block.norm(tokens), 1, grid))
        conv, bn, act = block.fuse
        z = torch.nn.functional.conv2d(torch.stack([inp, glob], 2).reshape(1, 12, 6, 6),
                                       conv.weight, padding=1, groups=6)
        expected = act((z - bn.running_mean[:, None, None]) /
                       torch.sqrt(bn.running_var[:, None, None] + bn.eps) *
                       bn.weight[:, None, None] + bn.bias[:, None, None])
        torch.testing.assert_close(block(inp), expected)
