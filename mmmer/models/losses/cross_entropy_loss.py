"""(Optionally class-weighted) cross-entropy."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmmer.registry import MODELS


def inverse_frequency_weights(class_counts: Sequence[int]) -> list:
    """w_i = M / (K * M_i): M samples, K classes, M_i samples of class i.

    The EDMDBN paper's weighting (Ma et al., 2025, Sec. 3.4); classes absent
    from the training split get weight 0 so they cannot produce a NaN.
    """
    counts = [int(c) for c in class_counts]
    total, k = sum(counts), len(counts)
    return [total / (k * c) if c > 0 else 0.0 for c in counts]


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Cross-entropy with optional ``class_weight``.

    Args:
        class_weight (list[float] | None): per-class weights. The LOSO loop
            fills ``'auto'`` with :func:`inverse_frequency_weights` computed
            from the fold's *training* subjects only.
        loss_weight (float): multiplier of the loss.
        label_smoothing (float): as in ``F.cross_entropy``.
    """

    def __init__(self, class_weight: Optional[Sequence[float]] = None,
                 loss_weight: float = 1.0, label_smoothing: float = 0.0):
        super().__init__()
        if isinstance(class_weight, str):
            raise ValueError(
                f"class_weight={class_weight!r} must be resolved to numbers before "
                "the model is built (the LOSO loop resolves 'auto' per fold).")
        self.class_weight = None if class_weight is None else list(class_weight)
        self.loss_weight = loss_weight
        self.label_smoothing = label_smoothing

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        weight = None
        if self.class_weight is not None:
            weight = cls_score.new_tensor(self.class_weight)
        return self.loss_weight * F.cross_entropy(
            cls_score, label, weight=weight, label_smoothing=self.label_smoothing)
