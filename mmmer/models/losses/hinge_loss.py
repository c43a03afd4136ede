"""Multi-class hinge (SVM) loss, eq. 17 of "Micro-expression recognition model
based on TV-L1 optical flow method and improved ShuffleNet" (Liu et al.,
Scientific Reports 2022)."""
from typing import Optional, Sequence

import torch
import torch.nn as nn

from mmmer.registry import MODELS

__all__ = ['MultiClassHingeLoss', 'multi_class_hinge_loss']


def multi_class_hinge_loss(scores: torch.Tensor, target: torch.Tensor,
                           margin: float = 1.0, p: int = 1,
                           class_weight: Optional[torch.Tensor] = None,
                           reduction: str = 'mean') -> torch.Tensor:
    """Per sample ``(1/K) * sum_{i != y} max(0, margin - x_y + x_i) ** p``.

    Eq. 17 divides by N, "where 1 <= y <= N denotes the label", i.e. N
    is the number of classes K (the Weston-Watkins / ``nn.MultiMarginLoss``
    form). The printed ``max(0, (margin - x_y + x_i)^p)`` would never clip for
    p = 2 (a square is never negative); the hinge is taken first, then the
    power, as in every squared-hinge SVM.

    Args:
        scores: (B, K) decision values.
        target: (B,) class ids.
        class_weight: optional (K,) weights, multiplying each sample's loss
            by the weight of its true class.
        reduction: 'mean' (over the batch), 'sum' or 'none'.
    """
    if scores.ndim != 2:
        raise ValueError(f'multi_class_hinge_loss: scores must be (B, K), got '
                         f'{tuple(scores.shape)}')
    if p not in (1, 2):
        raise ValueError(f'multi_class_hinge_loss: p must be 1 or 2, got {p}')
    target = target.long().view(-1)
    k = scores.shape[1]
    if target.numel() != scores.shape[0]:
        raise ValueError('multi_class_hinge_loss: one target per row of scores')
    if target.numel() and (target.min() < 0 or target.max() >= k):
        raise ValueError(f'multi_class_hinge_loss: targets must lie in [0, {k})')
    true_score = scores.gather(1, target[:, None])
    margins = (margin - true_score + scores).clamp(min=0)
    # the i == y term would contribute max(0, margin) ** p: drop it.
    margins = margins.scatter(1, target[:, None], 0.0)
    per_sample = margins.pow(p).sum(dim=1) / k
    if class_weight is not None:
        per_sample = per_sample * class_weight.to(per_sample)[target]
    if reduction == 'mean':
        return per_sample.mean()
    if reduction == 'sum':
        return per_sample.sum()
    if reduction == 'none':
        return per_sample
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


@MODELS.register_module()
class MultiClassHingeLoss(nn.Module):
    """Multi-class hinge loss, eq. 17 of Liu et al. (2022).

    The paper leaves p open and names its classifier an SVM with a "Hinge
    loss"; p = 1 (default) is the plain hinge: the power of Keras'
    ``categorical_hinge`` (the paper's framework; that one takes the max over
    the wrong classes instead of eq. 17's mean) and of PyTorch's
    ``nn.MultiMarginLoss`` default, whose documented formula eq. 17 is. A
    squared hinge is a differently named loss in Keras (``squared_hinge``).
    p = 2 stays available.

    Args:
        margin (float): the margin (1 in eq. 17's usual setting).
        p (int): 1 (hinge, default) or 2 (squared hinge).
        class_weight (list[float], optional): per-class weights of the sample
            losses (the ShuffleNet configs balance by sampling instead).
        loss_weight (float): multiplier of the loss.
    """

    def __init__(self, margin: float = 1.0, p: int = 1,
                 class_weight: Optional[Sequence[float]] = None,
                 loss_weight: float = 1.0):
        super().__init__()
        if p not in (1, 2):
            raise ValueError(f'MultiClassHingeLoss: p must be 1 or 2, got {p}')
        if isinstance(class_weight, str):
            raise ValueError(
                f"class_weight={class_weight!r} must be resolved to numbers before "
                "the model is built (the LOSO loop resolves 'auto' per fold).")
        self.margin = float(margin)
        self.p = int(p)
        self.class_weight = None if class_weight is None else list(class_weight)
        self.loss_weight = loss_weight

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        weight = None if self.class_weight is None else cls_score.new_tensor(
            self.class_weight)
        return self.loss_weight * multi_class_hinge_loss(
            cls_score, label, self.margin, self.p, weight)
