"""Shared logic of classification heads: loss and predict on MEDataSamples."""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmmer.registry import MODELS
from mmmer.structures import MEDataSample


class BaseMEHead(BaseModule):
    """A head maps features to logits (``forward``); ``loss`` and ``predict``
    are shared. Subclasses implement ``forward`` and may override
    ``extra_losses`` (e.g. an L2 penalty) and ``scores_from_logits``."""

    def __init__(self, num_classes: int, loss: dict, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.loss_module = MODELS.build(loss)

    def pre_logits(self, feats):
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        return feats

    def forward(self, feats) -> torch.Tensor:
        raise TypeError(f'{type(self).__name__} is abstract: a head must define '
                        'forward(feats) -> logits.')

    def extra_losses(self) -> dict:
        return {}

    def scores_from_logits(self, logits: torch.Tensor) -> torch.Tensor:
        return F.softmax(logits, dim=1)

    def loss(self, feats, data_samples: List[MEDataSample]) -> dict:
        logits = self(feats)
        target = torch.cat([ds.gt_label for ds in data_samples]).to(logits.device)
        losses = dict(loss_cls=self.loss_module(logits, target))
        losses.update(self.extra_losses())
        return losses

    def predict(self, feats, data_samples: Optional[List[MEDataSample]] = None
                ) -> List[MEDataSample]:
        logits = self(feats)
        scores = self.scores_from_logits(logits).detach()
        labels = scores.argmax(dim=1)
        if data_samples is None:
            data_samples = [MEDataSample() for _ in range(len(labels))]
        for ds, s, y in zip(data_samples, scores, labels):
            ds.set_pred_score(s).set_pred_label(y)
        return data_samples
