"""One deployable model trained on every subject (``tools/train.py --all-subjects``).

LOSO estimates how well a recipe generalises to unseen people; the model to
ship is then trained once on all subjects with the same recipe. There is no
held-out subject, so there is no test loop, no validation loop and no model
selection: the model after the last epoch is the result. ``class_weight='auto'``
uses every training sample. The run lives in ``WORK_DIR/all_subjects/`` with
MMEngine's ``last_checkpoint``; checkpoints keep the full training state so
``--resume`` continues an interrupted run exactly.
"""
import copy
import os.path as osp
import time
import uuid
from typing import Optional

from mmengine.config import Config

from mmmer.datasets.builder import build_dataset, innermost_dataset_cfg
from .fold_config import resolve_fold_checkpoint

__all__ = ['ALL_SUBJECTS_DIR', 'build_all_subjects_config', 'train_all_subjects']

ALL_SUBJECTS_DIR = 'all_subjects'


def _training_labels(cfg):
    ds_cfg = copy.deepcopy(innermost_dataset_cfg(cfg.train_dataloader.dataset))
    ds_cfg['pipeline'] = []
    # Under DDP rank 0 preprocesses (fills the cache) while the others wait.
    from mmengine.dist import barrier, get_rank, get_world_size
    distributed = get_world_size() > 1
    if distributed and get_rank() != 0:
        barrier()
    dataset = build_dataset(ds_cfg)
    if distributed and get_rank() == 0:
        barrier()
    if len(dataset) == 0:
        raise ValueError('--all-subjects: the training dataset has no samples; check '
                         'data_root, the annotation file and the label set.')
    return [d['gt_label'] for d in dataset.data_list], len(dataset.class_names)


def build_all_subjects_config(cfg: Config, work_dir: str,
                              resume: Optional[str] = None) -> Config:
    """The config of the all-subjects run in ``work_dir/all_subjects``.

    Args:
        resume: ``None`` (start; refused if the run already has a checkpoint),
            ``'auto'`` (continue from the run's ``last_checkpoint``, or start
            if there is none) or a checkpoint path to resume from.
    """
    from mmmer.models.losses.class_weights import class_counts, resolve_auto_class_weight
    loso_cfg = dict(cfg.get('loso', {}) or {})
    cfg = copy.deepcopy(cfg)
    run_dir = osp.join(osp.abspath(work_dir), ALL_SUBJECTS_DIR)
    cfg.work_dir = run_dir
    inner = innermost_dataset_cfg(cfg.train_dataloader.dataset)
    inner.pop('subjects', None)  # every subject (a config's own exclusions stay)
    # No unseen subject: nothing to test, validate or select on.
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    if cfg.get('train_cfg') is not None:
        cfg.train_cfg.pop('val_interval', None)
        cfg.train_cfg.pop('val_begin', None)

    labels, num_classes = _training_labels(cfg)
    resolve_auto_class_weight(cfg.model, class_counts(labels, num_classes))

    hooks = list(cfg.get('custom_hooks', []) or [])
    hooks = [h for h in hooks if h.get('type') != 'OracleEpochSelectionHook']
    if not any(h.get('type') == 'RNGStateHook' for h in hooks):
        hooks.append(dict(type='RNGStateHook'))
    cfg.custom_hooks = hooks

    marker = osp.join(run_dir, 'last_checkpoint')
    if resume is None:
        if osp.exists(marker):
            raise FileExistsError(
                f'{run_dir} already holds a checkpoint ({marker}): pass --resume to '
                'continue that run, or delete the directory to train from scratch.')
        cfg.resume = False
    elif resume == 'auto':
        cfg.resume = osp.exists(marker)
        if cfg.resume:
            cfg.load_from = resolve_fold_checkpoint(run_dir)
    else:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume {resume}: no such checkpoint file.')
        cfg.resume = True
        cfg.load_from = osp.abspath(resume)
    init_from = loso_cfg.get('init_from')
    if init_from and not cfg.resume:
        # The first stage's all-subjects model. It has no validation split, so
        # its last checkpoint is used whatever init_from.checkpoint names.
        src = init_from['work_dir'] if isinstance(init_from, dict) else init_from
        try:
            cfg.load_from = resolve_fold_checkpoint(osp.join(src, ALL_SUBJECTS_DIR))
        except FileNotFoundError as e:
            raise FileNotFoundError(
                f'loso.init_from: no all-subjects model in {src} ({e}). Train the first '
                'stage with --all-subjects there first.') from e
    cfg.experiment_name = (f'{ALL_SUBJECTS_DIR}_{time.strftime("%Y%m%d_%H%M%S")}_'
                           f'{uuid.uuid4().hex[:6]}')
    return cfg


def train_all_subjects(cfg: Config, work_dir: str, resume: Optional[str] = None) -> str:
    """Train the all-subjects model; returns its last checkpoint's path."""
    from mmengine.runner import Runner

    from mmmer.registry import RUNNERS
    run_cfg = build_all_subjects_config(cfg, work_dir, resume)
    runner = Runner.from_cfg(run_cfg) if 'runner_type' not in run_cfg else \
        RUNNERS.build(run_cfg)
    runner.train()
    return resolve_fold_checkpoint(run_cfg.work_dir)
