"""Ghost module: a few "intrinsic" maps from an ordinary convolution, the rest
from a cheap depthwise "linear operation" on them (GhostNet, Han et al. 2020).

Liu et al., "Micro-expression recognition model based on TV-L1 optical flow
method and improved ShuffleNet" (Sci. Rep. 2022), "Improved lightweight ViT
module", replaces the linear q/k/v
projections of self-attention by a Ghost module to cut their cost.
"""
import math
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer

from mmmer.registry import MODELS


@MODELS.register_module()
class GhostModule(nn.Module):
    """``out = concat(primary(x), cheap(primary(x)))[:, :out_channels]``.

    - primary: ``kernel_size`` x ``kernel_size`` convolution producing
      ``ceil(out_channels / ratio)`` intrinsic maps;
    - cheap: ``dw_size`` x ``dw_size`` depthwise convolution producing
      ``ratio - 1`` ghost maps per intrinsic map.

    With the defaults (``ratio=2``, 1x1 primary, 3x3 depthwise) a C -> d
    projection costs ``C*d/2 + 9*d/2`` weights instead of ``C*d``.

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels.
        ratio (int): total / intrinsic maps (>= 2; 2 in GhostNet and here).
        kernel_size (int): primary convolution kernel.
        dw_size (int): kernel of the cheap depthwise operation.
        bias (bool): biases in both convolutions. True here because inside
            attention the module replaces a linear layer with bias.
        norm (bool): BatchNorm after each convolution (GhostNet's CNN form);
            off for the attention projections, where the paper wants a
            *linear* projection (eq. 13) and tokens of different images must
            not share batch statistics.
        act (dict, optional): activation after each convolution (GhostNet
            uses ReLU on the primary path); None = linear.
    """

    def __init__(self, in_channels: int, out_channels: int, ratio: int = 2,
                 kernel_size: int = 1, dw_size: int = 3, bias: bool = True,
                 norm: bool = False, act: Optional[dict] = None):
        super().__init__()
        if ratio < 2:
            raise ValueError(f'GhostModule: ratio must be >= 2, got {ratio}')
        if out_channels < 1 or in_channels < 1:
            raise ValueError('GhostModule: channel counts must be positive')
        self.out_channels = out_channels
        intrinsic = math.ceil(out_channels / ratio)
        self.intrinsic_channels = intrinsic
        self.primary = self._branch(
            nn.Conv2d(in_channels, intrinsic, kernel_size, 1, kernel_size // 2,
                      bias=bias), intrinsic, norm, act)
        self.cheap = self._branch(
            nn.Conv2d(intrinsic, intrinsic * (ratio - 1), dw_size, 1,
                      dw_size // 2, groups=intrinsic, bias=bias),
            intrinsic * (ratio - 1), norm, act)

    @staticmethod
    def _branch(conv, channels, norm, act):
        layers = [conv]
        if norm:
            layers.append(nn.BatchNorm2d(channels))
        if act is not None:
            layers.append(build_activation_layer(dict(act)))
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        intrinsic = self.primary(x)
        ghost = self.cheap(intrinsic)
        return torch.cat([intrinsic, ghost], dim=1)[:, :self.out_channels]
