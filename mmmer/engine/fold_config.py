"""The configuration of one leave-one-subject-out fold.

:func:`build_fold_config` turns a full mmmer config into the config of the
fold that holds out ``subject``: the training split excludes it,
``class_weight='auto'`` is resolved from the training subjects only, an
optional validation split (``loso.val_subjects``) is carved from training
subjects only, no validation loop ever runs on the test subject, and the test
split is exactly the held-out subject (its predictions are saved to the fold
dir). Also: fold directory names, the checkpoint resolver shared by the
tools, and the validation of the ``loso`` options.
"""
import copy
import glob
import os.path as osp
import time
import uuid
import warnings
from typing import List, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from mmmer.datasets.builder import innermost_dataset_cfg
from .fold_checkpoints import applied_policy, check_keep_checkpoints
from .hooks.oracle_hook import check_oracle_rule

__all__ = ['PREDICTIONS_FILE', 'ORACLE_PREDICTIONS_FILE', 'SELECTIONS', 'fold_dir_name',
           'resolve_fold_checkpoint', 'split_validation_subjects', 'check_loso_options',
           'build_fold_config']

PREDICTIONS_FILE = 'predictions.json'
ORACLE_PREDICTIONS_FILE = 'oracle_predictions.json'
# How the evaluated model of a fold is chosen. Only the honest rule exists:
# the model after the last training epoch.
SELECTIONS = ('last',)
LOSO_KEYS = ('selection', 'oracle', 'oracle_rule', 'keep_checkpoints', 'val_subjects',
             'init_from', 'subjects', 'fold_preparers')


def fold_dir_name(subject: str) -> str:
    safe = ''.join(c if (c.isalnum() or c in '-_.') else '_' for c in str(subject))
    return f'fold_{safe}'


def resolve_fold_checkpoint(fold_dir: str, checkpoint: str = 'last') -> str:
    """The checkpoint of one fold: ``'last'`` (MMEngine's ``last_checkpoint``
    marker) or a file name / glob in ``fold_dir`` that must match exactly one
    file (e.g. ``'best_UAR_epoch_*.pth'``). Clear errors if absent/ambiguous."""
    if checkpoint == 'last':
        marker = osp.join(fold_dir, 'last_checkpoint')
        if not osp.exists(marker):
            raise FileNotFoundError(f'{marker} not found: that fold has not saved a '
                                    'checkpoint (was it trained, and in this work dir? '
                                    "With loso.keep_checkpoints='none' finished folds keep "
                                    'none).')
        with open(marker) as f:
            path = f.read().strip()
        if not osp.exists(path):  # work dir moved: the marker holds an old path
            path = osp.join(fold_dir, osp.basename(path))
    else:
        matches = sorted(glob.glob(osp.join(fold_dir, checkpoint)))
        if len(matches) != 1:
            raise FileNotFoundError(
                f'{osp.join(fold_dir, checkpoint)} matches {len(matches)} files '
                f'({[osp.basename(m) for m in matches]}); need exactly one checkpoint.')
        path = matches[0]
    if not osp.exists(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist.')
    return path


def split_validation_subjects(subjects: Sequence[str], fraction: float,
                              seed: int = 0) -> List[str]:
    """A subject-grouped validation split drawn from *training* subjects."""
    subjects = sorted(subjects)
    if not subjects:
        return []
    n_val = max(1, int(round(fraction * len(subjects))))
    n_val = min(n_val, len(subjects) - 1) if len(subjects) > 1 else 0
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(subjects, size=n_val, replace=False).tolist())


def check_loso_options(loso_cfg: dict) -> dict:
    """Refuse unknown ``loso`` values (with the valid choices); warn about
    unknown keys (a typo would otherwise be ignored silently)."""
    unknown = sorted(set(loso_cfg) - set(LOSO_KEYS))
    if unknown:
        warnings.warn(f'unknown loso option(s) {unknown} are ignored; known: '
                      f'{list(LOSO_KEYS)}.')
    selection = loso_cfg.get('selection', 'last')
    if selection not in SELECTIONS:
        raise ValueError(
            f"loso.selection={selection!r} is not supported; valid: {list(SELECTIONS)} "
            "(only 'last' is implemented: the model after the last epoch is evaluated. "
            'For validation-based selection carve loso.val_subjects from training '
            "subjects and start a second stage from 'best_*.pth' with loso.init_from).")
    check_oracle_rule(loso_cfg.get('oracle_rule', 'best_acc'))
    check_keep_checkpoints(loso_cfg.get('keep_checkpoints', 'last'))
    return loso_cfg


def _init_checkpoint(init_from, subject) -> str:
    src = init_from['work_dir'] if isinstance(init_from, dict) else init_from
    ckpt = init_from.get('checkpoint', 'last') if isinstance(init_from, dict) else 'last'
    try:
        return resolve_fold_checkpoint(osp.join(src, fold_dir_name(subject)), ckpt)
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f'loso.init_from: no checkpoint of fold {subject} in {src} ({e}). Train '
            'that fold of the first stage there first.') from e


def _seed_samplers(cfg):
    seed = (cfg.get('randomness') or {}).get('seed')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader and isinstance(loader.get('sampler'), dict) and seed is not None:
            loader.sampler.setdefault('seed', seed)


def _with_predictions_saver(evaluators, out_file):
    evaluators = evaluators or dict(type='MEMetric')
    if isinstance(evaluators, dict):
        evaluators = [evaluators]
    return list(evaluators) + [dict(type='SaveMEPredictions', out_file=out_file)]


def build_fold_config(cfg: Config, subject: str, fold_dir: str, all_subjects: Sequence[str],
                      train_samples: Sequence[Tuple[str, int]], num_classes: int,
                      logger=None) -> Config:
    """The config of the fold that holds out ``subject``.

    Args:
        cfg: the full config (not modified).
        subject: the test subject.
        fold_dir: the fold's work dir.
        all_subjects: the LOSO folds (for ``fold_index``).
        train_samples: ``(subject, gt_label)`` of every sample of the full
            dataset; those of excluded subjects are ignored.
        num_classes: number of classes (for ``class_weight='auto'``).

    The returned config resumes from the fold's own ``last_checkpoint`` when
    there is one (``loso.init_from`` then plays no part: MMEngine would
    otherwise resume from ``load_from``, i.e. the first stage); a fold whose
    checkpoint was reduced to weights after it finished loads it without
    resuming (``cfg.fold_trained = True``: only the test needs rerunning).
    """
    from mmmer.models.losses.class_weights import class_counts, resolve_auto_class_weight
    loso_cfg = dict(cfg.get('loso', {}) or {})
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = fold_dir
    dataset_subjects = list(dict.fromkeys(s for s, _ in train_samples))
    train_subjects = [s for s in dataset_subjects if s != subject]
    if not train_subjects:
        raise ValueError(f'LOSO fold {subject}: no training subjects left.')

    train_inner = innermost_dataset_cfg(cfg.train_dataloader.dataset)
    excluded = list(train_inner.get('exclude_subjects', []) or [])
    train_inner['exclude_subjects'] = excluded + [subject]
    train_inner.pop('subjects', None)

    val_cfg = loso_cfg.get('val_subjects')
    if val_cfg:
        val_subjects = split_validation_subjects(
            train_subjects, val_cfg.get('fraction', 0.2), val_cfg.get('seed', 0))
        if not val_subjects:
            raise ValueError(
                f'LOSO fold {subject}: loso.val_subjects needs at least 2 training '
                f'subjects to carve a validation split, got {train_subjects}.')
        assert subject not in val_subjects
        train_inner['exclude_subjects'] += val_subjects
        val_ds = copy.deepcopy(innermost_dataset_cfg(cfg.test_dataloader.dataset))
        val_ds.pop('exclude_subjects', None)
        val_ds['subjects'] = val_subjects
        cfg.val_dataloader = copy.deepcopy(cfg.test_dataloader)
        cfg.val_dataloader.dataset = val_ds
        cfg.val_evaluator = copy.deepcopy(cfg.get('val_evaluator') or dict(type='MEMetric'))
        cfg.val_cfg = cfg.get('val_cfg') or dict()
        cfg.train_cfg.val_interval = cfg.train_cfg.get('val_interval', 1) or 1
    else:
        # No validation loop: it would otherwise run on the test subject.
        cfg.val_dataloader = None
        cfg.val_evaluator = None
        cfg.val_cfg = None

    test_inner = innermost_dataset_cfg(cfg.test_dataloader.dataset)
    test_inner.pop('exclude_subjects', None)
    test_inner['subjects'] = [subject]
    cfg.test_evaluator = _with_predictions_saver(cfg.get('test_evaluator'),
                                                 osp.join(fold_dir, PREDICTIONS_FILE))

    dropped = set(train_inner['exclude_subjects'])
    assert subject in dropped
    counts = class_counts((label for s, label in train_samples if s not in dropped),
                          num_classes)
    weights = resolve_auto_class_weight(cfg.model, counts)
    if weights is not None and logger is not None:
        logger.info(f'fold {subject}: class weights {np.round(weights, 4).tolist()} '
                    f'from training counts {counts}')
    _seed_samplers(cfg)

    hooks = list(cfg.get('custom_hooks', []) or [])
    if not any(h.get('type') == 'RNGStateHook' for h in hooks):
        hooks.append(dict(type='RNGStateHook'))  # exact resume of a killed fold
    if loso_cfg.get('oracle'):
        hooks.append(dict(type='OracleEpochSelectionHook',
                          out_file=osp.join(fold_dir, ORACLE_PREDICTIONS_FILE),
                          rule=loso_cfg.get('oracle_rule', 'best_acc')))
    cfg.custom_hooks = hooks

    own = None
    if osp.exists(osp.join(fold_dir, 'last_checkpoint')):
        own = resolve_fold_checkpoint(fold_dir)
    cfg.fold_trained = own is not None and applied_policy(fold_dir) == 'last'
    if own is not None:
        # Resume this fold from its own state (a kill mid-fold), never from
        # load_from / loso.init_from; a finished, reduced fold only loads.
        cfg.load_from = own
        cfg.resume = not cfg.fold_trained
    else:
        cfg.resume = False
        init_from = loso_cfg.get('init_from')
        if init_from:
            cfg.load_from = _init_checkpoint(init_from, subject)
    # A unique name per fold run: MMEngine keys its logger and visualizer
    # instances by experiment name, and two folds may start in one second.
    cfg.experiment_name = (f'{fold_dir_name(subject)}_'
                           f'{time.strftime("%Y%m%d_%H%M%S")}_{uuid.uuid4().hex[:6]}')
    cfg.fold_test_subject = subject
    cfg.fold_index = list(all_subjects).index(subject)
    return cfg

