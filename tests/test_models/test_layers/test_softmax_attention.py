import pytest
import torch

from mmmer.models.layers import SoftmaxAttention


def reference_attention(attn, x):
    """Explicit per-head softmax(QK^T/sqrt(d))V with the layer's weights."""
    inner, h, d = attn.inner_dim, attn.num_heads, attn.dim_head
    qkv = x @ attn.qkv.weight.T
    q, k, v = qkv[..., :inner], qkv[..., inner:2 * inner], qkv[..., 2 * inner:]
    outs = []
    for i in range(h):
        sl = slice(i * d, (i + 1) * d)
        a = torch.softmax(q[..., sl] @ k[..., sl].transpose(1, 2) / d ** 0.5, dim=-1)
        outs.append(a @ v[..., sl])
    return torch.cat(outs, -1) @ attn.proj.weight.T + attn.proj.bias


def test_dim_head_and_params_htnet_level0():
    attn = SoftmaxAttention(256, 3)
    assert attn.dim_head == 85 and attn.inner_dim == 255  # dim // heads, official
    assert attn.qkv.bias is None
    # 195,840 + 65,536 (+512 LN in the block = 261,888, as the official code)
    assert sum(p.numel() for p in attn.parameters()) == 261_376


def test_matches_reference_many_tokens():
    torch.manual_seed(0)
    attn = SoftmaxAttention(12, 3).double()
    x = torch.randn(2, 6, 12, dtype=torch.double)
    torch.testing.assert_close(attn(x, (2, 3)), reference_attention(attn, x))


def test_single_token_fast_path_equals_full():
    torch.manual_seed(0)
    fast = SoftmaxAttention(24, 3, fast_single_token=True)
    full = SoftmaxAttention(24, 3, fast_single_token=False)
    full.load_state_dict(fast.state_dict())
    x = torch.randn(7, 1, 24)
    torch.testing.assert_close(fast(x, (1, 1)), full(x, (1, 1)), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(full(x), reference_attention(full, x), rtol=1e-5, atol=1e-6)
    # attention of one token = W_o V + b_o
    v = x @ fast.qkv.weight[2 * fast.inner_dim:].T
    torch.testing.assert_close(fast(x), v @ fast.proj.weight.T + fast.proj.bias)


def test_grid_mismatch():
    with pytest.raises(ValueError, match='hw'):
        SoftmaxAttention(8, 2)(torch.randn(1, 4, 8), (3, 3))
