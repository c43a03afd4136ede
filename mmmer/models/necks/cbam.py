"""Convolutional Block Attention Module (Woo et al. 2018) as used by
"Micro-expression recognition model based on TV-L1 optical flow method and
improved ShuffleNet" (Liu et al., Scientific Reports 2022).

The paper, "Convolutional block attention module", eqs. 10-11: channel
attention, then spatial attention, each multiplied onto the feature map.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmmer.registry import MODELS


class ChannelAttention(nn.Module):
    """Eq. 10: ``M_c = sigmoid(W1 relu(W0 avg(F)) + W1 relu(W0 max(F)))``.

    ``W0`` (C -> C/r) and ``W1`` (C/r -> C) are shared by both pooled
    descriptors; linear layers with bias, as in the original CBAM.
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(inplace=True),
                                 nn.Linear(hidden, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        avg = self.mlp(x.mean(dim=(2, 3)))
        mx = self.mlp(x.amax(dim=(2, 3)))
        return torch.sigmoid(avg + mx)[:, :, None, None]


class SpatialAttention(nn.Module):
    """Eq. 11: ``M_s = sigmoid(f7x7([mean_c(F); max_c(F)]))``.

    The equation has no normalisation, so the 7x7 convolution has a bias and
    no BatchNorm.
    """

    def __init__(self, kernel_size: int = 7):
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError('SpatialAttention: kernel_size must be odd')
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        desc = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], 1)
        return torch.sigmoid(self.conv(desc))


@MODELS.register_module()
class CBAM(BaseModule):
    """``F' = M_c(F) * F``; ``F'' = M_s(F') * F'`` (the paper eqs. 10-11).

    Shape-preserving, so it works as a backbone plug-in
    (``ShuffleNetV2(plugins=[dict(position='after_conv5', cfg=dict(type='CBAM'))])``)
    or as an MEClassifier neck on spatial maps (a tensor, or a tuple of
    tensors each given its own attention is *not* supported: one module has
    one channel count, so a tuple input is refined on its last element only,
    the others pass unchanged).

    Parameters for C = 1024, r = 16 (placement after conv5, chosen here):
    1024*64 + 64 + 64*1024 + 1024 (MLP) + 2*49 + 1 (7x7 conv) = 132,259.

    Args:
        in_channels (int): channels C of the map.
        reduction (int): MLP reduction ratio r (16 in CBAM; the paper gives none).
        spatial_kernel (int): spatial-attention kernel (7, the paper eq. 11).
    """

    def __init__(self, in_channels: int, reduction: int = 16,
                 spatial_kernel: int = 7, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.channel_attention = ChannelAttention(in_channels, reduction)
        self.spatial_attention = SpatialAttention(spatial_kernel)

    def _refine(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'CBAM expects (B, {self.in_channels}, H, W), got '
                             f'{tuple(x.shape)}; give the backbone global_pool=False '
                             'when CBAM is used as a neck.')
        x = x * self.channel_attention(x)
        return x * self.spatial_attention(x)

    def forward(self, x):
        if isinstance(x, (tuple, list)):
            return (*x[:-1], self._refine(x[-1]))
        return self._refine(x)
