"""Random-number state in checkpoints, so a resumed run continues exactly.

MMEngine's checkpoints hold weights, optimizer and scheduler state but not
the global random generators: a run resumed after a kill draws different
dropout masks, augmentation parameters and DataLoader worker seeds than the
uninterrupted run, so an interrupted LOSO fold would not reproduce its
uninterrupted twin. This hook stores python ``random``, numpy's global RNG and
torch's CPU (and CUDA) RNG in every checkpoint and restores them when a run
resumes (``runner.epoch``/``runner.iter`` > 0 after loading; loading weights
with ``load_from`` for a fresh start restores nothing). The validation pass
(``val_loop``), which MMEngine runs after the epoch's checkpoint is saved,
is made RNG-neutral for the same reason.

Exact for one process; under DDP the state of rank 0 is saved.
"""
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from mmmer.registry import HOOKS

__all__ = ['RNGStateHook', 'get_rng_state', 'set_rng_state']

KEY = 'rng_state'


def get_rng_state() -> dict:
    """The global RNG states as plain types (loadable with weights_only)."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(python=random.getstate(),
                 numpy=[name, [int(k) for k in keys], int(pos), int(has_gauss),
                        float(cached)],
                 torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict):
    py = state['python']
    random.setstate((py[0], tuple(py[1]), py[2]))
    name, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])
    if state.get('cuda') is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save/restore the global RNG states with checkpoints (see module doc)."""
    priority = 'LOWEST'

    def __init__(self):
        self._loaded = None
        self._val_state = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # During a validation pass (best-checkpoint saves) store the state the
        # pass will restore, not the one it perturbed.
        checkpoint[KEY] = self._val_state or get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get(KEY)

    def before_train(self, runner) -> None:
        # After load_or_resume and every other before_train hook (priority
        # LOWEST): the next draw is the one the uninterrupted run made.
        if self._loaded is not None and (runner.epoch > 0 or runner.iter > 0):
            set_rng_state(self._loaded)
            runner.logger.info('RNGStateHook: random states restored from the checkpoint.')
        self._loaded = None

    def before_val(self, runner) -> None:
        self._val_state = get_rng_state()

    def after_val(self, runner) -> None:
        if self._val_state is not None:
            set_rng_state(self._val_state)
            self._val_state = None
