"""TinyNet: the smallest useful backbone, as a worked plugin example.

Nothing in mmmer imports this file; the config's ``custom_imports`` does, and
``@MODELS.register_module()`` then makes ``type='TinyNet'`` buildable like a
built-in backbone. Two conv-BN-ReLU stages with a 2x2 max-pool between them
and a global average pool: ``(B, C, H, W) -> (B, widths[-1])``.

Default config (in_channels=3, widths=(16, 32)): 5,184 parameters
(conv 3x3 3->16 + bias 448, BN 32, conv 3x3 16->32 + bias 4,640, BN 64).
"""
from typing import Sequence

import torch.nn as nn
from mmengine.model import BaseModule

from mmmer.registry import MODELS


@MODELS.register_module()
class TinyNet(BaseModule):
    """Args:
        in_channels: input channels (3 for (u, v, strain) flow inputs).
        widths: output channels of each conv stage.
    """

    def __init__(self, in_channels: int = 3, widths: Sequence[int] = (16, 32),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not widths:
            raise ValueError('TinyNet needs at least one stage width')
        layers, c = [], in_channels
        for i, w in enumerate(widths):
            if i > 0:
                layers.append(nn.MaxPool2d(2))
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w),
                       nn.ReLU(inplace=True)]
            c = w
        self.stages = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.out_channels = c

    def forward(self, x):
        return self.pool(self.stages(x)).flatten(1)
