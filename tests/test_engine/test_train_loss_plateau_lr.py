"""TrainLossPlateauLR: plateau detection on the epoch-mean training loss."""
import pytest
import torch
from mmengine.logging import MessageHub

from mmmer.engine.schedulers.train_loss_plateau_lr import TrainLossPlateauLR


def test_reduces_lr_when_epoch_mean_training_loss_plateaus():
    hub = MessageHub.get_instance('test_train_loss_plateau_lr')
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    sched = TrainLossPlateauLR(opt, factor=0.5, patience=1, threshold=0.0)
    # epoch means: 2.0, 1.0, 1.5, 1.2 -> best 1.0 at epoch 2, then two bad
    # epochs (> patience 1) -> lr halves after epoch 4 only
    lrs = []
    for epoch_values in ([3.0, 1.0], [1.5, 0.5], [1.0, 2.0], [1.2, 1.2]):
        for v in epoch_values:
            hub.update_scalar('train/loss', v)
        sched.step()
        sched.step({'loss': 0.0})       # validation metrics are ignored
        lrs.append(opt.param_groups[0]['lr'])
    assert lrs == [1e-3, 1e-3, 1e-3, 5e-4]
    assert sched.best == 1.0


def test_monitors_the_named_loss_key_only():
    # the SVM configs watch loss_cls: a shrinking L2 term in the total must
    # not count as progress
    hub = MessageHub.get_instance('test_train_loss_plateau_lr_cls')
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    sched = TrainLossPlateauLR(opt, monitor='loss_cls', factor=0.1, patience=1,
                               threshold=0.0)
    lrs = []
    for cls, l2 in ((1.0, 9.0), (1.0, 5.0), (1.0, 2.0)):
        hub.update_scalar('train/loss_cls', cls)
        hub.update_scalar('train/loss_l2', l2)
        hub.update_scalar('train/loss', cls + l2)   # total keeps falling
        sched.step()
        lrs.append(opt.param_groups[0]['lr'])
    # loss_cls is flat: best at epoch 1, two bad epochs > patience 1
    assert lrs == pytest.approx([1e-3, 1e-3, 1e-4])
