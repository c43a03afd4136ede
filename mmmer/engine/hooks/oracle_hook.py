"""Test-fold epoch selection ("oracle"), computed only on explicit request.

Some published baselines evaluate the test subject after every epoch and keep
the best epoch's predictions: "HTNet for micro-expression recognition" (Wang
et al.) in its official training script, and EDMDBN through a best-UF1
checkpoint on the held-out subject. That uses the test labels for model
selection and inflates the scores. mmmer reproduces it only as a labelled
extra next to the honest last-epoch number: the hook never changes the model
that is trained or evaluated, and its test pass runs with every random state
it could touch saved and restored, so enabling it leaves the honest numbers
bit-identical.

Rules (``rule``):

``'best_acc'``
    HTNet's official rule: per fold the epoch with the best test-subject
    accuracy; on ties the LATER epoch wins (the official loop keeps an epoch
    when ``best_acc <= acc``). The selected predictions of all folds are
    pooled and scored once.
``'best_uf1_fold_mean'``
    EDMDBN's official rule: per fold the epoch with the best test-subject UF1
    (a top-1 checkpoint replaced only on strict improvement, so the EARLIER
    epoch wins ties); the reported UF1/UAR/Acc are the MEANS over folds of the
    selected epochs' per-fold scores.
"""
import random
from contextlib import contextmanager

import numpy as np
import torch
from mmengine.dist import collect_results, is_main_process
from mmengine.hooks import Hook

from mmmer.evaluation.functional import me_scores
from mmmer.evaluation.metrics.me_metric import prediction_records
from mmmer.registry import HOOKS
from mmmer.utils.io import dump_json_atomic

__all__ = ['ORACLE_RULES', 'OracleEpochSelectionHook', 'preserved_rng_state',
           'loader_generators', 'is_better']

ORACLE_RULES = {
    'best_acc': 'best_acc: per fold the epoch with the best test accuracy, later '
                'epoch on ties; predictions pooled',
    'best_uf1_fold_mean': 'best_uf1_fold_mean: per fold the epoch with the best '
                          'test UF1, earlier epoch on ties; mean over folds',
}


def check_oracle_rule(rule: str) -> str:
    if rule not in ORACLE_RULES:
        raise ValueError(f'loso.oracle_rule={rule!r} is not a known rule; valid: '
                         f'{sorted(ORACLE_RULES)}.')
    return rule


def is_better(rule: str, candidate: dict, best) -> bool:
    """Whether ``candidate`` (per-epoch scores) replaces ``best`` under ``rule``."""
    if best is None:
        return True
    if rule == 'best_acc':
        return candidate['Acc'] >= best['Acc']
    return candidate['UF1'] > best['UF1']


def loader_generators(loader):
    """The ``torch.Generator`` objects a dataloader (or stand-in) draws from."""
    found = []
    for obj in (loader, getattr(loader, 'sampler', None),
                getattr(loader, 'batch_sampler', None),
                getattr(getattr(loader, 'batch_sampler', None), 'sampler', None),
                getattr(loader, 'wrapped', None)):
        gen = getattr(obj, 'generator', None)
        if isinstance(gen, torch.Generator) and all(gen is not g for g in found):
            found.append(gen)
    return found


@contextmanager
def preserved_rng_state(generators=()):
    """Restore python ``random``, numpy's global RNG, torch's CPU (and, when
    initialised, CUDA) RNG and the given ``torch.Generator`` objects on exit.

    Creating a DataLoader iterator draws a base seed from torch's global RNG
    (or the loader's generator); without this, an extra test pass would shift
    every later training batch and augmentation draw.
    """
    py_state = random.getstate()
    np_state = np.random.get_state()
    cpu_state = torch.get_rng_state()
    cuda_state = None
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        cuda_state = torch.cuda.get_rng_state_all()
    gen_states = [(g, g.get_state()) for g in generators]
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_rng_state(cpu_state)
        if cuda_state is not None:
            torch.cuda.set_rng_state_all(cuda_state)
        for gen, state in gen_states:
            gen.set_state(state)


@HOOKS.register_module()
class OracleEpochSelectionHook(Hook):
    """After each training epoch, predict the fold's test subject and keep the
    predictions of the epoch selected by ``rule`` (see the module docstring).

    Writes ``out_file`` (the selected epoch's prediction records, each with
    ``oracle_epoch``) after training, and ``out_file + '.state.json'`` after
    every epoch: the per-epoch scores (``history``) and the current selection,
    so a resumed fold continues the same selection. An epoch the state misses
    (killed between the checkpoint and the state write) is evaluated right
    after the resume, from the resumed weights of that epoch.
    """
    priority = 'LOWEST'

    def __init__(self, out_file: str, rule: str = 'best_acc'):
        self.out_file = out_file
        self.state_file = out_file + '.state.json'
        self.rule = check_oracle_rule(rule)
        self.state = None

    def _empty_state(self):
        return dict(rule=self.rule, history={}, best=None)

    def before_train(self, runner):
        import json
        import os.path as osp
        self.state = self._empty_state()
        if runner.epoch > 0 and osp.exists(self.state_file):
            with open(self.state_file) as f:
                state = json.load(f)
            if state.get('rule') != self.rule:
                raise ValueError(
                    f'{self.state_file} was written with oracle rule '
                    f"{state.get('rule')!r}, this run uses {self.rule!r}: delete the "
                    'file (and the fold, for a consistent oracle) or use the old rule.')
            self.state = state
        # runner.epoch == 0: a fresh fold; a stale state file is ignored.
        if runner.epoch > 0 and str(runner.epoch) not in self.state['history']:
            self._evaluate(runner, runner.epoch)

    def after_train_epoch(self, runner):
        self._evaluate(runner, runner.epoch + 1)

    @torch.no_grad()
    def _evaluate(self, runner, epoch: int):
        model = runner.model
        was_training = model.training
        loader = runner.test_dataloader
        records = []
        with preserved_rng_state(loader_generators(loader)):
            model.eval()
            try:
                for data_batch in loader:
                    records.extend(prediction_records(model.test_step(data_batch)))
            finally:
                if was_training:
                    model.train()
        # Under DDP each rank saw part of the test subject: pool on rank 0.
        records = collect_results(records, len(loader.dataset), 'cpu')
        if not is_main_process() or not records:
            return
        class_names = getattr(loader.dataset, 'class_names', None) or \
            loader.dataset.metainfo.get('classes')
        s = me_scores([r['gt_label'] for r in records],
                      [r['pred_label'] for r in records], len(class_names))
        scores = dict(epoch=epoch, Acc=s['Acc'], UF1=s['UF1'], UAR=s['UAR'])
        self.state['history'][str(epoch)] = scores
        if is_better(self.rule, scores, self.state['best']):
            self.state['best'] = dict(scores, records=[dict(r, oracle_epoch=epoch)
                                                       for r in records])
        dump_json_atomic(self.state, self.state_file)

    def after_train(self, runner):
        if self.state and self.state['best'] is not None and is_main_process():
            dump_json_atomic(self.state['best']['records'], self.out_file)
