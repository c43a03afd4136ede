"""TrainLossPlateauLR: plateau detection on the epoch-mean training loss."""
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
