import pytest
import torch
import torch.nn.functional as F

from mmmer.models.layers import AgentAttention, SoftmaxAttention


def qkv_of(attn, x):
    inner = attn.inner_dim
    qkv = x @ attn.qkv.weight.T
    return qkv[..., :inner], qkv[..., inner:2 * inner], qkv[..., 2 * inner:]


def heads(t, h):
    b, n, c = t.shape
    return t.view(b, n, h, c // h).transpose(1, 2)


def test_param_counts_spec_2_3():
    # extra params over plain attention per layer, a = 1, 1x1 window
    for dim, h, extra, extra_table in [(256, 3, 2856, 2556), (512, 6, 5712, 5112),
                                       (1024, 12, 11424, 10224)]:
        base = sum(p.numel() for p in SoftmaxAttention(dim, h).parameters())
        off = AgentAttention(dim, h, (1, 1), bias_type='official')
        tab = AgentAttention(dim, h, (1, 1), bias_type='table')
        assert sum(p.numel() for p in off.parameters()) - base == extra
        assert sum(p.numel() for p in tab.parameters()) - base == extra_table


def test_one_token_reduces_to_value_plus_dwc():
    """One-token window, one agent: both softmaxes are 1 -> W_o(V + DWC(V)) + b_o."""
    torch.manual_seed(0)
    agent = AgentAttention(24, 3, (1, 1), fast_single_token=False)
    x = torch.randn(5, 1, 24)
    _, _, v = qkv_of(agent, x)
    centre = agent.dwc.weight[:, 0, 1, 1]
    expected = (v + v * centre + agent.dwc.bias) @ agent.proj.weight.T + agent.proj.bias
    torch.testing.assert_close(agent(x, (1, 1)), expected, rtol=1e-5, atol=1e-6)
    fast = AgentAttention(24, 3, (1, 1), fast_single_token=True)
    fast.load_state_dict(agent.state_dict())
    torch.testing.assert_close(fast(x), agent(x), rtol=1e-5, atol=1e-6)
    # Without the DWC term it is exactly softmax attention with the same weights.
    plain = AgentAttention(24, 3, (1, 1), dwc_kernel_size=0, fast_single_token=False)
    soft = SoftmaxAttention(24, 3, fast_single_token=False)
    soft.load_state_dict({k: v for k, v in plain.state_dict().items() if not k.endswith('_bias')})
    torch.testing.assert_close(plain(x), soft(x), rtol=1e-5, atol=1e-6)


def test_one_agent_equals_softmax_attention_with_mean_query():
    """Exact limit on many tokens: p = 1, no biases, no DWC. The second
    softmax runs over one agent (= 1), so every query outputs
    softmax(mean(Q) K^T s) V: softmax attention whose queries are replaced by
    their mean."""
    torch.manual_seed(1)
    agent = AgentAttention(12, 2, (3, 4), agent_pool_size=1, bias_type='none',
                           dwc_kernel_size=0).double()
    x = torch.randn(2, 12, 12, dtype=torch.double)
    q, k, v = qkv_of(agent, x)
    qm = q.mean(dim=1, keepdim=True).expand_as(q)
    out = F.scaled_dot_product_attention(heads(qm, 2), heads(k, 2), heads(v, 2))
    out = out.transpose(1, 2).reshape(2, 12, 12)
    expected = out @ agent.proj.weight.T + agent.proj.bias
    torch.testing.assert_close(agent(x, (3, 4)), expected)
    # ... and differs from real softmax attention (queries differ per token)
    soft = SoftmaxAttention(12, 2).double()
    soft.load_state_dict(agent.state_dict())
    assert (soft(x, (3, 4)) - agent(x, (3, 4))).abs().max() > 1e-3


def test_general_case_matches_explicit_formula():
    """p = 2 agents per side on a 4x4 window, official biases and DWC."""
    torch.manual_seed(2)
    h = 2
    agent = AgentAttention(16, h, (4, 4), agent_pool_size=2, bias_type='official').double()
    with torch.no_grad():  # make the biases matter
        for n, p in agent.named_parameters():
            if n.endswith('_bias'):
                p.normal_()
    x = torch.randn(3, 16, 16, dtype=torch.double)
    q, k, v = qkv_of(agent, x)
    d = agent.dim_head
    # agents: average of each 2x2 quadrant of the 4x4 query grid
    qg = q.view(3, 4, 4, 16)
    a = torch.stack([qg[:, i:i + 2, j:j + 2].mean(dim=(1, 2))
                     for i in (0, 2) for j in (0, 2)], dim=1)  # (B, 4, C)
    an = F.interpolate(agent.an_bias, size=(4, 4), mode='bilinear', align_corners=False)
    b_ak = (an + agent.ah_bias + agent.aw_bias).reshape(h, 4, 16)
    na = F.interpolate(agent.na_bias, size=(4, 4), mode='bilinear', align_corners=False)
    b_qa = na.reshape(h, 4, 16).transpose(1, 2) + \
        (agent.ha_bias + agent.wa_bias).reshape(h, 16, 4)
    outs = []
    for i in range(h):
        sl = slice(i * d, (i + 1) * d)
        qi, ki, vi, ai = q[..., sl], k[..., sl], v[..., sl], a[..., sl]
        agent_v = torch.softmax(ai @ ki.transpose(1, 2) / d ** 0.5 + b_ak[i], -1) @ vi
        outs.append(torch.softmax(qi @ ai.transpose(1, 2) / d ** 0.5 + b_qa[i], -1) @ agent_v)
    out = torch.cat(outs, -1)
    vg = v.transpose(1, 2).reshape(3, 16, 4, 4)
    dwc = F.conv2d(vg, agent.dwc.weight, agent.dwc.bias, padding=1, groups=16)
    out = out + dwc.flatten(2).transpose(1, 2)
    expected = out @ agent.proj.weight.T + agent.proj.bias
    torch.testing.assert_close(agent(x, (4, 4)), expected)
    soft = SoftmaxAttention(16, h).double()
    soft.load_state_dict({n: t for n, t in agent.state_dict().items()
                          if n.startswith(('qkv', 'proj'))})
    assert (soft(x, (4, 4)) - agent(x, (4, 4))).abs().max() > 1e-3


def test_errors():
    with pytest.raises(ValueError, match='window'):
        AgentAttention(8, 2, (2, 2))(torch.randn(1, 9, 8), (3, 3))
    with pytest.raises(ValueError, match='bias_type'):
        AgentAttention(8, 2, (2, 2), bias_type='rel')
