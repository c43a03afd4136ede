"""Reduce the learning rate when the *training* loss stops improving."""
import numpy as np
from mmengine.logging import MessageHub
from mmengine.optim.scheduler import ReduceOnPlateauLR

from mmmer.registry import PARAM_SCHEDULERS

__all__ = ['TrainLossPlateauLR']


@PARAM_SCHEDULERS.register_module()
class TrainLossPlateauLR(ReduceOnPlateauLR):
    """``ReduceOnPlateauLR`` driven by the epoch-mean training loss.

    Liu et al., "Micro-expression recognition model based on TV-L1 optical
    flow method and improved ShuffleNet" (Sci. Rep. 2022), adjust the
    learning rate "dynamically ... by accuracy and loss" (Keras
    ReduceLROnPlateau). Monitoring an accuracy would need a held-out
    split, and under LOSO the only one that exists by default is the test
    subject, which must not steer training; the training loss is available
    without leakage (docs/methods/shufflenet.md). MMEngine's own scheduler
    is stepped with *validation* metrics, so this subclass steps itself after
    every training epoch with the mean of the ``train/<monitor>`` values
    logged during that epoch (read from the MessageHub).

    Args: as ``ReduceOnPlateauLR``; ``monitor`` names a logged training loss
    key (default ``'loss'``, the total loss; the SVM configs watch
    ``'loss_cls'``, the hinge loss without the L2 term, so the schedule
    follows the fit and not the shrinking of the weights), ``rule`` is
    ``'less'``.
    """

    need_val_args = False

    def __init__(self, optimizer, monitor: str = 'loss', rule: str = 'less', **kwargs):
        super().__init__(optimizer, monitor=monitor, rule=rule, **kwargs)
        self._seen_values = 0

    def _epoch_mean(self):
        hub = MessageHub.get_current_instance()
        key = f'train/{self.monitor}'
        if key not in hub.log_scalars:
            raise KeyError(f'TrainLossPlateauLR: no {key!r} was logged this epoch; '
                           f'logged: {sorted(hub.log_scalars)}')
        values = np.asarray(hub.get_scalar(key).data[0], dtype=np.float64)
        new = values[self._seen_values:] if self._seen_values <= values.size else values
        self._seen_values = values.size
        return float(new.mean()) if new.size else None

    def step(self, metrics=None):
        if metrics is not None:  # never driven by validation metrics
            return
        mean = self._epoch_mean()
        super().step(None)
        if mean is not None:
            super().step({self.monitor: mean})
