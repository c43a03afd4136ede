"""Multi-class hinge loss of Liu et al. 2022, eq. 17, against hand computations."""
import pytest
import torch
import torch.nn as nn

from mmmer.models.losses.hinge_loss import MultiClassHingeLoss

SCORES = torch.tensor([[1.0, 0.5, -0.2],
                       [0.3, 0.9, 0.8]])
TARGET = torch.tensor([0, 2])
# margin 1, K = 3 classes.
# sample 0 (y=0, x_y=1.0): i=1: 1-1.0+0.5 = 0.5; i=2: 1-1.0-0.2 = -0.2 -> 0
# sample 1 (y=2, x_y=0.8): i=0: 1-0.8+0.3 = 0.5; i=1: 1-0.8+0.9 = 1.1
# p=1: (0.5 + 0)/3 = 0.166667, (0.5 + 1.1)/3 = 0.533333 -> mean 0.35
# p=2: (0.25 + 0)/3 = 0.083333, (0.25 + 1.21)/3 = 0.486667 -> mean 0.285


def test_hand_computed_p1_and_p2():
    torch.testing.assert_close(MultiClassHingeLoss(p=1)(SCORES, TARGET), torch.tensor(0.35))
    torch.testing.assert_close(MultiClassHingeLoss(p=2)(SCORES, TARGET), torch.tensor(0.285))
    # class weights multiply each sample's loss by its true class' weight
    weighted = MultiClassHingeLoss(p=2, class_weight=[2.0, 1.0, 0.5])(SCORES, TARGET)
    torch.testing.assert_close(weighted, torch.tensor((2 * 0.25 / 3 + 0.5 * 1.46 / 3) / 2))
    # margin 0.5: sample 0 -> 0; sample 1 -> (0 + 0.6) / 3 for p=1
    torch.testing.assert_close(MultiClassHingeLoss(margin=0.5, p=1)(SCORES, TARGET),
                               torch.tensor(0.1))


@pytest.mark.parametrize('p', [1, 2])
def test_equals_torch_multi_margin_loss(p):
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(16, 5, generator=g)
    target = torch.randint(0, 5, (16, ), generator=g)
    ref = nn.MultiMarginLoss(p=p, margin=1.0)(scores, target)
    torch.testing.assert_close(MultiClassHingeLoss(p=p)(scores, target), ref)


def test_bad_arguments():
    with pytest.raises(ValueError):
        MultiClassHingeLoss(p=3)
    with pytest.raises(ValueError):
        MultiClassHingeLoss(class_weight='auto')
    with pytest.raises(ValueError, match='targets'):
        MultiClassHingeLoss()(SCORES, torch.tensor([0, 3]))


def test_default_is_the_plain_hinge():
    # p = 1 by default: equals torch's MultiMarginLoss default (p=1)
    torch.testing.assert_close(MultiClassHingeLoss()(SCORES, TARGET),
                               nn.MultiMarginLoss()(SCORES, TARGET))
