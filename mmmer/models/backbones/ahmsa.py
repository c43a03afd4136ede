"""AHMSA-Net: Adaptive Hierarchical Multi-Scale Attention Network (Zhang et al.,
2025; docs/methods/ahmsa.md).

No public code exists; this is mmmer's reconstruction on HTNet's skeleton.
Every choice the paper does not state is an argument whose default is mmmer's
choice, argued in docs/methods/ahmsa.md:

- Patch embedding as HTNet (7x7 patches, (p1, p2, c) order, 147 -> 256);
  no positional embedding (the paper mentions none; ``pos_embed=True`` adds HTNet's
  per-level scalar, +3 params).
- Three levels, dims 256/512/1024, heads 3/6/12 (HTNet multipliers), blocks
  (2, 2, 8) (the paper's Table 3).
- Multi-scale attention block (the paper's Sec. 3.4), each sublayer pre channel-LN with
  a residual add:
  1. channel attention, CBAM-style: ``y * sigmoid(MLP(avgpool y) + MLP(maxpool y))``
     with a shared bias-free MLP ``C -> C/r -> C`` (ReLU), r = 16;
  2. spatial attention: HTNet's softmax attention over **all patches of the
     level** (16, 4, 1 tokens; the paper: "interactions between different patches");
     ``attention_scope='window'`` uses HTNet's one-token windows instead
     (same parameter count);
  3. FFN ``C -> 4C -> C`` with GELU.
- Adaptive downsampling between levels (the paper's Eq. 2): 3x3 conv C -> 2C (pad 1),
  channel LN (Eq. 3), AdaptiveMaxPool2d to H/2 (on 4x4 that equals
  MaxPool(2, 2), unlike HTNet's overlapping MaxPool(3, 2, 1)).
- Head: channel LN and spatial mean -> (B, 1024) for ``LinearClsHead``.

Parameters with the 3-class linear head: 115,579,395 (pinned in tests);
per block 796,672 / 3,180,544 / 12,709,888.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmmer.registry import MODELS

from ..layers.channel_layer_norm import ChannelLayerNorm
from .htnet import (Aggregate, FeedForward, hierarchy_patch_grid, patchify,
                    window_merge, window_partition)


class ChannelAttention(nn.Module):
    """CBAM channel attention on a channels-last map ``(B, H, W, C)``:
    ``x * sigmoid(MLP(mean_hw x) + MLP(max_hw x))`` with one shared MLP."""

    def __init__(self, dim: int, reduction: int = 16, bias: bool = False):
        super().__init__()
        hidden = max(dim // reduction, 1)
        self.fc1 = nn.Linear(dim, hidden, bias=bias)
        self.fc2 = nn.Linear(hidden, dim, bias=bias)

    def mlp(self, x):
        return self.fc2(F.relu(self.fc1(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Both pooled descriptors go through the shared MLP as one batch
        # (two GEMMs instead of four; rows are independent).
        pooled = torch.cat([x.mean(dim=(1, 2), keepdim=True),
                            x.amax(dim=(1, 2), keepdim=True)])
        avg, mx = self.mlp(pooled).chunk(2)
        return x * torch.sigmoid(avg + mx)


class MultiScaleAttentionBlock(nn.Module):
    """Channel attention, spatial attention and FFN, each ``x += f(LN(x))``."""

    def __init__(self, dim: int, attention: dict, ca_reduction: int = 16,
                 ca_bias: bool = False, ffn_mult: int = 4):
        super().__init__()
        self.ca_norm = ChannelLayerNorm(dim)
        self.channel_attn = ChannelAttention(dim, ca_reduction, ca_bias)
        self.sa_norm = ChannelLayerNorm(dim)
        self.spatial_attn = MODELS.build(attention)
        self.ffn_norm = ChannelLayerNorm(dim)
        self.ffn = FeedForward(dim, ffn_mult)

    def forward(self, x: torch.Tensor, num_windows: int) -> torch.Tensor:
        """``x``: (B, S, S, C) map; spatial attention within ``num_windows``^2 windows."""
        x = x + self.channel_attn(self.ca_norm(x))
        s = x.shape[1]
        ws = s // num_windows
        t = window_partition(self.sa_norm(x), num_windows)
        x = x + window_merge(self.spatial_attn(t, (ws, ws)), num_windows, ws)
        return x + self.ffn(self.ffn_norm(x))


class AdaptiveDownsample(Aggregate):
    """AHMSA-Net Eq. 2: 3x3 conv C -> out (pad 1), channel LN, AdaptiveMaxPool to H/2.

    Shares HTNet's Aggregate (conv + channel LN, with its exact dense-GEMM
    path on 2x2 maps); only the pooling differs (on 4x4, AdaptiveMaxPool to
    2x2 equals MaxPool(2, 2), not HTNet's overlapping MaxPool(3, 2, 1)).
    """

    def __init__(self, dim: int, out_dim: int):
        super().__init__(dim, out_dim)
        del self.pool

    def downsample(self, y: torch.Tensor) -> torch.Tensor:
        h, w = y.shape[-2:]
        return F.adaptive_max_pool2d(y, (max(h // 2, 1), max(w // 2, 1)))


@MODELS.register_module()
class AHMSANet(BaseModule):
    """AHMSA-Net backbone (mmmer's reconstruction; docs/methods/ahmsa.md).

    Args:
        image_size, patch_size, in_channels, dim, heads, num_hierarchies,
        block_repeats, ffn_mult: as :class:`HTNet` (defaults 28, 7, 3, 256, 3,
            3, (2, 2, 8), 4).
        attention (dict): spatial attention layer config (registry); ``dim``,
            ``num_heads`` and ``window_size`` are filled in per level. Default
            ``dict(type='SoftmaxAttention')``.
        attention_scope (str): ``'level'`` (default): attention over the whole
            level map; ``'window'``: HTNet's windows (one token each officially).
        ca_reduction (int): channel-attention reduction r (16, CBAM default).
        ca_bias (bool): biases in the channel-attention MLP (False, CBAM).
        pos_embed (bool): add HTNet's per-level learnable scalar (False).

    Output: ``(B, dim * 2^(L-1))`` pooled feature.
    """

    def __init__(self,
                 image_size: int = 28,
                 patch_size: int = 7,
                 in_channels: int = 3,
                 dim: int = 256,
                 heads: int = 3,
                 num_hierarchies: int = 3,
                 block_repeats: Sequence[int] = (2, 2, 8),
                 ffn_mult: int = 4,
                 attention: Optional[dict] = None,
                 attention_scope: str = 'level',
                 ca_reduction: int = 16,
                 ca_bias: bool = False,
                 pos_embed: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if attention_scope not in ('level', 'window'):
            raise ValueError("AHMSANet: attention_scope must be 'level' or 'window', "
                             f'got {attention_scope!r}')
        fmap = hierarchy_patch_grid('AHMSANet', image_size, patch_size,
                                    num_hierarchies, block_repeats)
        self.image_size = image_size
        self.patch_size = patch_size
        self.in_channels = in_channels
        self.num_hierarchies = num_hierarchies
        self.attention_scope = attention_scope
        self.dims = [dim * 2 ** i for i in range(num_hierarchies)]
        self.heads = [heads * 2 ** i for i in range(num_hierarchies)]
        self.sizes = [fmap // 2 ** i for i in range(num_hierarchies)]
        self.window = fmap // 2 ** (num_hierarchies - 1)
        self.out_channels = self.dims[-1]
        attention = dict(attention or dict(type='SoftmaxAttention'))

        self.patch_embed = nn.Linear(patch_size * patch_size * in_channels, dim)
        self.pos_embeds = nn.ParameterList(
            [nn.Parameter(torch.randn(1)) for _ in range(num_hierarchies)]) if pos_embed else None
        self.levels = nn.ModuleList()
        self.downsamples = nn.ModuleList()
        for i in range(num_hierarchies):
            ws = self.sizes[i] if attention_scope == 'level' else self.window
            cfg = dict(attention, dim=self.dims[i], num_heads=self.heads[i],
                       window_size=(ws, ws))
            self.levels.append(nn.ModuleList(
                MultiScaleAttentionBlock(self.dims[i], cfg, ca_reduction, ca_bias, ffn_mult)
                for _ in range(block_repeats[i])))
            if i < num_hierarchies - 1:
                self.downsamples.append(AdaptiveDownsample(self.dims[i], self.dims[i + 1]))
        self.norm = ChannelLayerNorm(self.out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels or \
                x.shape[2] != self.image_size or x.shape[3] != self.image_size:
            raise ValueError(f'AHMSANet: expected input (B, {self.in_channels}, '
                             f'{self.image_size}, {self.image_size}), got {tuple(x.shape)}')
        x = self.patch_embed(patchify(x, self.patch_size))
        for i, blocks in enumerate(self.levels):
            if self.pos_embeds is not None:
                x = x + self.pos_embeds[i]
            nw = 1 if self.attention_scope == 'level' else self.sizes[i] // self.window
            for block in blocks:
                x = block(x, nw)
            if i < self.num_hierarchies - 1:
                x = self.downsamples[i](x)
        return self.norm(x).mean(dim=(1, 2))
