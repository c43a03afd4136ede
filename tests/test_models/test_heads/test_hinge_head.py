"""SVMHingeHead: hinge loss + explicit L2 penalty (paper D)."""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmmer.models.heads.hinge_head import SVMHingeHead
from mmmer.structures import MEDataSample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
torch.set_num_threads(1)


def _samples(labels):
    return [MEDataSample().set_gt_label(y) for y in labels]


class Tiny(nn.Module):
    def __init__(self, head):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        self.bn = nn.BatchNorm2d(2)
        self.head = head


def test_l2_penalty_scopes_match_hand_sums():
    head = SVMHingeHead(num_classes=3, in_channels=2, l2_weight=0.2, dropout=0.0)
    model = Tiny(head)
    with torch.no_grad():
        model.conv.weight.copy_(torch.tensor([1.0, -2.0]).view(2, 1, 1, 1))
        model.conv.bias.fill_(5.0)           # biases are not penalised
        model.bn.weight.fill_(3.0)           # nor are norm layers
        head.decision.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
        head.decision.bias.fill_(7.0)
    feats = (torch.zeros(2, 2), )
    with pytest.raises(RuntimeError, match='bind_model'):
        head.loss(feats, _samples([0, 1]))
    head.bind_model(model)
    losses = head.loss(feats, _samples([0, 1]))
    # conv: 1 + 4 = 5; fc: 1 + 4 + 1 + 1 = 7 -> 0.2 * 12
    torch.testing.assert_close(losses['loss_l2'], torch.tensor(0.2 * 12))
    # zero features -> all logits equal the bias -> every hinge term is 1:
    # (1 + 1) / 3 per sample for p = 2
    torch.testing.assert_close(losses['loss_cls'], torch.tensor(2 / 3))
    head.l2_scope = 'head'
    torch.testing.assert_close(head.loss(feats, _samples([0, 1]))['loss_l2'],
                               torch.tensor(0.2 * 7))
    with pytest.raises(ValueError):
        SVMHingeHead(3, 2).bind_model(model)   # a head of another model


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
    if model.head._model_ref is None:   # MEClassifier binds it when supported
        model.head.bind_model(model)
    inputs = torch.rand(4, 3, 64, 64)
    samples = _samples([0, 1, 2, 1])
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_l2'}
    total = sum(losses.values())
    total.backward()
    grad = model.backbone.plugins['after_stage3'].layers[0].attn.v_proj.primary[0].weight.grad
    assert grad is not None and grad.abs().sum() > 0
    preds = model.eval()(inputs, samples, mode='predict')
    assert all(ds.pred_score.shape == (3, ) for ds in preds)
