"""Linear classification head."""
from typing import Optional

import torch.nn as nn

from mmmer.registry import MODELS

from .base_head import BaseMEHead


@MODELS.register_module()
class LinearClsHead(BaseMEHead):
    """``[dropout] -> Linear(in_channels, num_classes)`` on a (B, C) feature.

    Features of more dims are flattened (EDMDBN's "flatten + linear").
    """

    def __init__(self, num_classes: int, in_channels: int,
                 loss: dict = dict(type='CrossEntropyLoss'),
                 dropout: float = 0.0, init_cfg: Optional[dict] = None):
        super().__init__(num_classes=num_classes, loss=loss, init_cfg=init_cfg)
        self.in_channels = in_channels
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, feats):
        x = self.pre_logits(feats)
        x = x.flatten(1)
        return self.fc(self.dropout(x))
