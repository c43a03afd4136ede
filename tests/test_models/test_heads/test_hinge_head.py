"""SVMHingeHead: hinge loss + explicit L2 penalty over a chosen scope."""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmmer.models.heads.hinge_head import (SVMHingeHead, l2_weight_penalty,
                                           penalised_kernels)
from mmmer.structures import MEDataSample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _samples(labels):
    return [MEDataSample().set_gt_label(y) for y in labels]


class Tiny(nn.Module):
    """conv -> BN (scale-invariant kernel), a bare conv, and the head."""

    def __init__(self, head):
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2))
        self.bare = nn.Conv2d(2, 1, 1)
        self.head = head


def _tiny(l2_scope='all'):
    head = SVMHingeHead(num_classes=3, in_channels=2, l2_weight=0.2, dropout=0.0,
                        l2_scope=l2_scope)
    model = Tiny(head)
    with torch.no_grad():
        model.block[0].weight.copy_(torch.tensor([1.0, -2.0]).view(2, 1, 1, 1))
        model.block[0].bias.fill_(5.0)       # biases are not penalised
        model.block[1].weight.fill_(3.0)     # nor are norm layers
        model.bare.weight.copy_(torch.tensor([3.0, 0.5]).view(1, 2, 1, 1))
        head.decision.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
        head.decision.bias.fill_(7.0)
    return head, model


# hand sums of w^2: conv followed by BN 1 + 4 = 5; bare conv 9 + 0.25 = 9.25;
# decision layer 1 + 4 + 1 + 1 = 7
@pytest.mark.parametrize('scope,expected', [
    ('all', 5 + 9.25 + 7), ('model', 5 + 9.25 + 7),
    ('unnormalized', 9.25 + 7), ('head', 7)])
def test_l2_penalty_scopes_match_hand_sums(scope, expected):
    head, model = _tiny(scope)
    feats = (torch.zeros(2, 2), )
    if scope != 'head':
        with pytest.raises(RuntimeError, match='bind_model'):
            head.loss(feats, _samples([0, 1]))
    head.bind_model(model)
    losses = head.loss(feats, _samples([0, 1]))
    torch.testing.assert_close(losses['loss_l2'], torch.tensor(0.2 * expected))
    # zero features -> all logits equal the bias -> every hinge term is 1:
    # (1 + 1) / 3 per sample (p = 1 by default)
    torch.testing.assert_close(losses['loss_cls'], torch.tensor(2 / 3))


def test_unnormalized_scope_skips_exactly_the_kernels_before_a_norm():
    head, model = _tiny()
    kept = list(penalised_kernels(model, 'unnormalized'))
    assert kept == [model.bare, head.decision]
    assert len(list(penalised_kernels(model, 'all'))) == 3
    with pytest.raises(ValueError, match='no Conv/Linear'):
        l2_weight_penalty(nn.Sequential(nn.BatchNorm2d(2)))


def test_bad_scope_and_foreign_model():
    with pytest.raises(ValueError, match='l2_scope'):
        SVMHingeHead(3, 2, l2_scope='backbone')
    with pytest.raises(ValueError):
        SVMHingeHead(3, 2, l2_weight=-1.0)
    _, model = _tiny()
    with pytest.raises(ValueError):
        SVMHingeHead(3, 2).bind_model(model)   # a head of another model


def test_default_hinge_matches_torch_multi_margin_p1():
    torch.manual_seed(0)
    head = SVMHingeHead(num_classes=3, in_channels=4, l2_weight=0.0, dropout=0.0)
    feats = torch.randn(5, 4)
    labels = [0, 2, 1, 1, 0]
    ref = nn.MultiMarginLoss(p=1, margin=1.0)(head(feats), torch.tensor(labels))
    torch.testing.assert_close(head.loss(feats, _samples(labels))['loss_cls'], ref)


def test_predict_raw_scores_pooling_and_dropout():
    head = SVMHingeHead(num_classes=3, in_channels=4, l2_scope='head').eval()
    assert isinstance(head.dropout, nn.Dropout) and head.dropout.p == 0.5
    fmap = torch.randn(2, 4, 3, 3)
    logits = head((fmap, ))
    torch.testing.assert_close(logits, head.decision(fmap.mean((2, 3))))
    out = head.predict((fmap, ))
    for ds, row in zip(out, logits):
        torch.testing.assert_close(ds.pred_score, row.detach())
        assert int(ds.pred_label) == int(row.argmax())
    assert 'loss_l2' not in SVMHingeHead(3, 4, l2_weight=0.0).extra_losses()


def test_full_vit_model_trains_one_step():
    from mmmer.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models',
                                   'shufflenetv2_vit.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    assert model.head._model_ref is not None   # MEClassifier binds the head
    inputs = torch.rand(4, 3, 64, 64)
    samples = _samples([0, 1, 2, 1])
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_l2'}
    # the configured penalty equals an independent sum over its scope
    scope, weight = cfg.model.head.l2_scope, cfg.model.head.l2_weight
    root = model.head if scope == 'head' else model
    ref = sum(m.weight.detach().pow(2).sum() for m in penalised_kernels(root, scope))
    torch.testing.assert_close(losses['loss_l2'].detach(), weight * ref)
    sum(losses.values()).backward()
    grad = model.backbone.plugins['after_stage3'].layers[0].attn.v_proj.primary[0].weight.grad
    assert grad is not None and grad.abs().sum() > 0
    preds = model.eval()(inputs, samples, mode='predict')
    assert all(ds.pred_score.shape == (3, ) for ds in preds)
