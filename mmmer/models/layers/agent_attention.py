"""Agent Attention (Han et al., ECCV 2024), as used by the ESAAT of the
LAPE/ESAAT paper (Zhang et al., 2025).

That paper's Eq. 7 writes ``Att(Q, K, A, V) = softmax(Q A^T) softmax(A K^T) V``;
the full form of Han et al. (which mmmer implements) adds the dim_head^-0.5 scale to both
softmaxes, learnable agent position biases and a depthwise-conv term on V:

    A       = AdaptiveAvgPool_{p x p}(Q on its token grid)        (n_agents = p^2)
    V_A     = softmax(A K^T * s + B_ak) V                          (agents gather)
    out     = softmax(Q A^T * s + B_qa) V_A + DWC_3x3(V)           (agents broadcast)
    y       = W_o out + b_o

Agent position biases (``bias_type``):
- ``'official'``: ``B_ak = bilinear(an[h, a, 7, 7] -> window) + ah[h, a, Wh, 1]
  + aw[h, a, 1, Ww]`` and ``B_qa`` likewise from ``na``, ``ha[h, Wh, 1, a]``,
  ``wa[h, 1, Ww, a]``; ``2*h*a*49 + 2*h*a*(Wh+Ww)`` parameters.
- ``'table'``: one plain ``(h, a, N)`` and one ``(h, N, a)`` table, ``2*h*a*N``.
- ``'none'``: no biases.
All bias tables are initialised trunc-normal(std 0.02), as the official code does.

**HTNet degeneracy, stated openly.** HTNet's official windows hold one token
at every level, so the faithful choice there is ``agent_pool_size=1``.
Both softmaxes then run over a single entry and equal 1, the biases have no
effect, and the layer reduces exactly to ``W_o (V + DWC(V)) + b_o``, where the
3x3 depthwise conv on a 1x1 map (zero padding) is a per-channel scale (its
centre tap) plus a bias. ``fast_single_token`` computes exactly that (in
eval mode under ``torch.no_grad()`` as one cached composed linear map,
``W_o diag(1 + t) W_v`` with the centre taps ``t``, as SoftmaxAttention). The
layer only behaves as real agent attention on windows of many tokens (e.g.
AHMSA's whole-level attention or HTNet with larger inputs).
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.init import trunc_normal_

from mmmer.registry import MODELS

from .softmax_attention import SoftmaxAttention, check_tokens


@MODELS.register_module()
class AgentAttention(SoftmaxAttention):
    """Agent attention over ``(B, N, C)`` token windows on an ``(h, w)`` grid.

    Shares :class:`SoftmaxAttention`'s projections (``qkv`` bias-free,
    ``proj`` biased, ``dim_head = dim // num_heads``), so swapping the
    attention type keeps those parameter names.

    Args:
        dim, num_heads, dim_head, qkv_bias, out_bias: as SoftmaxAttention.
        window_size (tuple[int, int]): the token grid ``(Wh, Ww)`` of every
            window; required, the bias tables and DWC are laid out on it.
        agent_pool_size (int): p; queries are average-pooled to ``p x p``
            agents. Default 1 (the faithful HTNet choice, see module doc).
        bias_type (str): ``'official'`` (default), ``'table'`` or ``'none'``.
        bias_base_size (int): side of the interpolated official tables (7).
        dwc_kernel_size (int): depthwise conv kernel on V; 0 disables the
            term. Default 3 (pad 1, with bias).
        fast_single_token (bool): use the exact one-token reduction above.
    """

    def __init__(self, dim: int, num_heads: int, window_size: Sequence[int],
                 dim_head: Optional[int] = None, agent_pool_size: int = 1,
                 bias_type: str = 'official', bias_base_size: int = 7,
                 dwc_kernel_size: int = 3, qkv_bias: bool = False,
                 out_bias: bool = True, fast_single_token: bool = True):
        if window_size is None:
            raise ValueError('AgentAttention: window_size (Wh, Ww) is required')
        super().__init__(dim, num_heads, dim_head=dim_head, window_size=window_size,
                         qkv_bias=qkv_bias, out_bias=out_bias,
                         fast_single_token=fast_single_token)
        if bias_type not in ('official', 'table', 'none'):
            raise ValueError("AgentAttention: bias_type must be 'official', 'table' "
                             f"or 'none', got {bias_type!r}")
        if agent_pool_size < 1:
            raise ValueError(f'AgentAttention: agent_pool_size must be >= 1, got {agent_pool_size}')
        if dwc_kernel_size and dwc_kernel_size % 2 == 0:
            raise ValueError(f'AgentAttention: dwc_kernel_size must be odd, got {dwc_kernel_size}')
        wh, ww = self.window_size
        h, a = num_heads, agent_pool_size ** 2
        self.agent_pool_size = agent_pool_size
        self.num_agents = a
        self.bias_type = bias_type
        if bias_type == 'official':
            self.an_bias = nn.Parameter(torch.zeros(h, a, bias_base_size, bias_base_size))
            self.na_bias = nn.Parameter(torch.zeros(h, a, bias_base_size, bias_base_size))
            self.ah_bias = nn.Parameter(torch.zeros(h, a, wh, 1))
            self.aw_bias = nn.Parameter(torch.zeros(h, a, 1, ww))
            self.ha_bias = nn.Parameter(torch.zeros(h, wh, 1, a))
            self.wa_bias = nn.Parameter(torch.zeros(h, 1, ww, a))
        elif bias_type == 'table':
            self.ak_bias = nn.Parameter(torch.zeros(h, a, wh * ww))
            self.qa_bias = nn.Parameter(torch.zeros(h, wh * ww, a))
        for name, p in self.named_parameters(recurse=False):
            if name.endswith('_bias'):
                trunc_normal_(p, std=0.02)
        if dwc_kernel_size:
            self.dwc = nn.Conv2d(self.inner_dim, self.inner_dim, dwc_kernel_size,
                                 padding=dwc_kernel_size // 2, groups=self.inner_dim)
        else:
            self.dwc = None

    def agent_biases(self):
        """``(B_ak (h, a, N), B_qa (h, N, a))``, or ``(None, None)``."""
        if self.bias_type == 'none':
            return None, None
        h, a = self.num_heads, self.num_agents
        wh, ww = self.window_size
        if self.bias_type == 'table':
            return self.ak_bias, self.qa_bias
        an = F.interpolate(self.an_bias, size=(wh, ww), mode='bilinear', align_corners=False)
        b_ak = (an + self.ah_bias + self.aw_bias).reshape(h, a, wh * ww)
        na = F.interpolate(self.na_bias, size=(wh, ww), mode='bilinear', align_corners=False)
        b_qa = na.reshape(h, a, wh * ww).transpose(1, 2) + \
            (self.ha_bias + self.wa_bias).reshape(h, wh * ww, a)
        return b_ak, b_qa

    def single_token_sources(self):
        dwc = () if self.dwc is None else (self.dwc.weight, self.dwc.bias)
        return super().single_token_sources() + dwc

    def single_token_map(self):
        """``(W, b)`` with ``forward(x) == x @ W.T + b`` on one-token windows:
        ``v + DWC(v) = (1 + t) * v + c`` (centre taps ``t``, DWC bias ``c``)."""
        if self.dwc is None:
            return super().single_token_map()
        lo = 2 * self.inner_dim
        k = self.dwc.kernel_size[0] // 2
        scale = 1 + self.dwc.weight[:, 0, k, k]
        wv = self.qkv.weight[lo:] * scale[:, None]
        shift = self.dwc.bias
        if self.qkv.bias is not None:
            shift = shift + scale * self.qkv.bias[lo:]
        weight = self.proj.weight @ wv
        bias = self.proj.weight @ shift
        if self.proj.bias is not None:
            bias = bias + self.proj.bias
        return weight, bias

    def single_token(self, x: torch.Tensor) -> torch.Tensor:
        folded = self.folded_single_token(x)
        if folded is not None:
            return folded
        v = self.value(x)
        out = v + self.depthwise(v, 1, 1) if self.dwc is not None else v
        return self.proj(out)

    def depthwise(self, v: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """DWC over V ``(B, N, inner)`` on its grid, returned as ``(B, N, inner)``."""
        b, n, c = v.shape
        if n == 1:
            # 1x1 map with zero padding: only the centre tap sees data.
            k = self.dwc.kernel_size[0] // 2
            return v * self.dwc.weight[:, 0, k, k] + self.dwc.bias
        grid = v.transpose(1, 2).reshape(b, c, h, w)
        return self.dwc(grid).flatten(2).transpose(1, 2)

    def forward(self, x: torch.Tensor, hw: Optional[Sequence[int]] = None) -> torch.Tensor:
        h, w = check_tokens(x, hw if hw is not None else self.window_size,
                            type(self).__name__)
        if (h, w) != self.window_size:
            raise ValueError(f'AgentAttention: built for window {self.window_size}, '
                             f'got tokens on a {(h, w)} grid')
        b, n, _ = x.shape
        if n == 1 and self.fast_single_token:
            return self.single_token(x)
        q, k, v = self.split_heads(x)  # (B, heads, N, d)
        q_grid = self.merge_heads(q).transpose(1, 2).reshape(b, self.inner_dim, h, w)
        agents = F.adaptive_avg_pool2d(q_grid, self.agent_pool_size)
        agents = agents.flatten(2).transpose(1, 2).reshape(
            b, self.num_agents, self.num_heads, self.dim_head).transpose(1, 2)
        b_ak, b_qa = self.agent_biases()
        b_ak = None if b_ak is None else b_ak.to(q.dtype)
        b_qa = None if b_qa is None else b_qa.to(q.dtype)
        agent_v = F.scaled_dot_product_attention(agents, k, v, attn_mask=b_ak,
                                                 scale=self.scale)
        out = F.scaled_dot_product_attention(q, agents, agent_v, attn_mask=b_qa,
                                             scale=self.scale)
        out = self.merge_heads(out)
        if self.dwc is not None:
            out = out + self.depthwise(self.merge_heads(v), h, w)
        return self.proj(out)

    def extra_repr(self) -> str:
        return (super().extra_repr() + f', window_size={self.window_size}, '
                f'agents={self.agent_pool_size}x{self.agent_pool_size}, '
                f'bias_type={self.bias_type!r}')
