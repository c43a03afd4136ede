"""Swin Transformer (2D and video): windows, masks, bias, attention, counts."""
import pytest
import torch
import torch.nn.functional as F

from mmmer.models.backbones.swin import (PatchEmbed3D, SwinBlock3D,
                                         SwinTransformer2D, SwinTransformer3D,
                                         WindowAttention3D, effective_window,
                                         shifted_window_mask, window_partition,
                                         window_reverse)


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def test_window_partition_roundtrip_and_layout():
    x = torch.arange(2 * 2 * 4 * 6 * 3, dtype=torch.float32).view(2, 2, 4, 6, 3)
    win = window_partition(x, (1, 2, 3))
    assert win.shape == (2, 2 * 2 * 2, 6, 3)
    # Window 0 holds the top-left 2x3 block of frame 0, row-major.
    expected = x[0, 0, :2, :3].reshape(6, 3)
    assert torch.equal(win[0, 0], expected)
    assert torch.equal(window_reverse(win, (1, 2, 3), (2, 4, 6)), x)


def test_effective_window_shrinks_and_drops_shift():
    assert effective_window((1, 56, 56), (8, 7, 7), (4, 3, 3)) == ((1, 7, 7), (0, 3, 3))
    assert effective_window((1, 7, 7), (8, 7, 7), (4, 3, 3)) == ((1, 7, 7), (0, 0, 0))


def _changed_tokens(block, size, where):
    """Positions whose attention output changes when token `where` changes."""
    torch.manual_seed(0)
    x = torch.randn(1, *size, block.norm1.normalized_shape[0])
    y0 = block.forward_attn(x)
    x2 = x.clone()
    x2[(0, ) + where] += torch.randn(x.shape[-1]) * 3.0
    y1 = block.forward_attn(x2)
    diff = (y1 - y0).abs().amax(-1)[0]
    return {tuple(i.tolist()) for i in torch.nonzero(diff > 1e-6)}


def test_window_attention_is_local_and_shift_mask_blocks_wraparound():
    # 8x8 tokens, 4x4 windows. Without shift, token (0, 0) only reaches its
    # own window [0, 4)^2. With a shift of 2, (0, 0) sits in a rolled window
    # together with rows/cols 6, 7 wrapped from the far side; the -100 mask
    # must keep it to the 2x2 block it is really adjacent to.
    plain = SwinBlock3D(8, 2, (1, 4, 4), shift=False).eval()
    shifted = SwinBlock3D(8, 2, (1, 4, 4), shift=True).eval()
    shifted.load_state_dict(plain.state_dict())
    with torch.no_grad():
        got_plain = _changed_tokens(plain, (1, 8, 8), (0, 0, 0))
        got_shift = _changed_tokens(shifted, (1, 8, 8), (0, 0, 0))
        got_mid = _changed_tokens(shifted, (1, 8, 8), (0, 3, 3))
    assert got_plain == {(0, h, w) for h in range(4) for w in range(4)}
    assert got_shift == {(0, h, w) for h in range(2) for w in range(2)}
    # An interior token's shifted window is [2, 6)^2, nothing wraps there.
    assert got_mid == {(0, h, w) for h in range(2, 6) for w in range(2, 6)}


def test_shift_mask_values():
    mask = shifted_window_mask((1, 8, 8), (1, 4, 4), (0, 2, 2))
    assert mask.shape == (4, 16, 16)
    assert torch.all(mask[0] == 0)  # the top-left window has one region
    assert set(mask.unique().tolist()) == {0.0, -100.0}
    # Bottom-right window mixes 4 regions of 4 tokens: 16*16 - 4*4*4 masked.
    assert int((mask[3] != 0).sum()) == 16 * 16 - 4 * 16


def test_relative_position_bias_is_translation_invariant():
    attn = WindowAttention3D(8, 2, (8, 7, 7))
    bias = attn.relative_position_bias((1, 7, 7))
    assert bias.shape == (2, 49, 49)
    # pairs (0,0)->(1,2) and (3,3)->(4,5) have the same offset
    i, j = 0 * 7 + 0, 1 * 7 + 2
    k, l_ = 3 * 7 + 3, 4 * 7 + 5
    assert torch.equal(bias[:, i, j], bias[:, k, l_])
    idx = attn.relative_position_index((1, 7, 7), 'cpu')
    # Only the 13*13 rows with temporal offset 0 (the middle slab) are used.
    assert idx.unique().numel() == 169
    assert torch.all(idx // 169 == 7)


def test_window_attention_matches_reference_softmax():
    torch.manual_seed(0)
    attn = WindowAttention3D(16, 4, (1, 3, 3)).eval()
    x = torch.randn(2, 5, 9, 16)
    mask = torch.zeros(5, 9, 9)
    mask[1, :4, 4:] = -100.0
    with torch.no_grad():
        got = attn(x, (1, 3, 3), mask)
        b, nw, n, c = x.shape
        qkv = attn.qkv(x).view(b, nw, n, 3, 4, 4).permute(3, 0, 1, 4, 2, 5)
        q, k, v = qkv[0], qkv[1], qkv[2]
        logits = torch.einsum('bwhnd,bwhmd->bwhnm', q, k) / 2.0  # head dim 4
        logits = logits + attn.relative_position_bias((1, 3, 3))[None, None]
        logits = logits + mask[None, :, None]
        out = torch.einsum('bwhnm,bwhmd->bwhnd', logits.softmax(-1), v)
        ref = attn.proj(out.transpose(2, 3).reshape(b, nw, n, c))
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)


def test_patch_embed_pads_and_2d_path_equals_conv3d():
    torch.manual_seed(0)
    emb = PatchEmbed3D(3, 8, (1, 4, 4), norm=False)
    x = torch.randn(2, 3, 2, 10, 9)  # H, W padded to 12
    y = emb(x)
    assert y.shape == (2, 2, 3, 3, 8)
    ref = F.conv3d(F.pad(x, (0, 3, 0, 2)), emb.proj.weight, emb.proj.bias, stride=(1, 4, 4))
    torch.testing.assert_close(y, ref.permute(0, 2, 3, 4, 1), atol=1e-5, rtol=1e-5)


def _swin_closed_form(c, depths, heads, window_rows, embed_kernel, stages_merge):
    """Closed forms of the authors' EDMDBN branch."""
    total = 3 * embed_kernel * c + c + 2 * c  # conv + bias + LN
    dim = c
    for i, (d, h) in enumerate(zip(depths, heads)):
        total += d * (12 * dim * dim + 13 * dim + window_rows * h)
        if i < stages_merge:
            total += 8 * dim * dim + 8 * dim
            dim *= 2
    return total + 2 * dim  # final LN


def test_parameter_counts_pinned():
    video = SwinTransformer3D(token_attention=True)
    assert n_params(video) == 21_903_569
    assert n_params(video) == _swin_closed_form(128, (2, 2, 6), (4, 8, 16), 2535, 128, 2) + 9
    image = SwinTransformer2D(token_attention=True)
    assert n_params(image) == 21_576_641
    assert n_params(image) == _swin_closed_form(128, (2, 2, 6), (4, 8, 16), 169, 16, 2) + 9


@pytest.mark.parametrize('hw', [(56, 56), (50, 38)])
def test_tiny_shapes_video_and_image(hw):
    torch.manual_seed(0)
    kw = dict(embed_dims=8, depths=(2, 1, 1), num_heads=(1, 2, 2), drop_path_rate=0.1)
    video = SwinTransformer3D(patch_size=(2, 4, 4), window_size=(2, 7, 7), **kw)
    out = video(torch.randn(2, 3, 4, *hw))
    h, w = -(-hw[0] // 4), -(-hw[1] // 4)
    for _ in range(2):
        h, w = -(-h // 2), -(-w // 2)
    assert out.shape == (2, 32, 2, h, w)
    image = SwinTransformer2D(patch_size=4, window_size=7, token_attention=True, **kw)
    out2 = image(torch.randn(2, 3, *hw))
    assert out2.shape == (2, 32, h, w)
    out2.sum().backward()
    assert image.patch_embed.proj.weight.grad is not None
    with pytest.raises(ValueError, match='expects'):
        image(torch.randn(2, 3, 1, *hw))
