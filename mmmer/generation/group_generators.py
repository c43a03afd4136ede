"""Where the per-group generators live and how they are trained / loaded.

Layout: ``<generators_dir>/group_<g>/``

- ``meta.json``: ``status='done'``, ``hash`` (of the generator config and its
  training set), ``train_subjects``, ``held_out_subjects``, class counts,
  losses summary, time taken;
- ``ema_unet.npz``: the EMA weights of the U-Net;
- ``train_ckpt.pth``: a training checkpoint while training is under way
  (deleted at the end);
- ``samples/*.npz``: generated sets of folds (see
  :class:`~mmmer.generation.GeneratedAugmentDataset`).

Every file is written atomically: a crash never leaves a half-written
generator that looks finished.
"""
import copy
import hashlib
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger

from mmmer.utils.errors import MMMERUserError
from mmmer.utils.io import dump_json_atomic, save_npz_atomic

from .ddpm import ClassConditionalDDPM
from .groups import (generator_train_subjects, natural_key, split_subject_groups,
                     subject_datasets)

META_FILE = 'meta.json'
WEIGHTS_FILE = 'ema_unet.npz'
CHECKPOINT_FILE = 'train_ckpt.pth'
#: Transform types that load the cached classifier input; the DDPM models
#: ``img`` as it is after these, generated samples skip them.
LOADING_TRANSFORMS = ('LoadCachedArrays', )


class GeneratorNotFoundError(FileNotFoundError, MMMERUserError):
    """The generator a fold needs has not been trained (or is stale)."""


def group_dir(generators_dir: str, group: int) -> str:
    return osp.join(generators_dir, f'group_{group}')


def stable_hash(obj, length: int = 16) -> str:
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:length]


def generator_hash(diffusion: dict, num_classes: int, train_subjects: Sequence[str],
                   class_counts: Sequence[int]) -> str:
    """Hash of what determines a generator: network, schedule, training
    settings, classes, training subjects and their per-class sample counts."""
    # Logging and checkpoint intervals do not change the trained weights.
    train = {k: v for k, v in diffusion['train'].items()
             if k not in ('log_interval', 'checkpoint_interval')}
    return stable_hash(dict(unet=diffusion['unet'], scheduler=diffusion['scheduler'],
                            train=train, num_classes=int(num_classes),
                            train_subjects=sorted(train_subjects, key=natural_key),
                            class_counts=[int(c) for c in class_counts]))


def class_counts_of(data_list, num_classes: int, subjects=None) -> List[int]:
    keep = None if subjects is None else set(subjects)
    counts = [0] * num_classes
    for d in data_list:
        if keep is None or d['subject'] in keep:
            counts[int(d['gt_label'])] += 1
    return counts


def split_loading_pipeline(pipeline: Sequence, loading_types=LOADING_TRANSFORMS
                           ) -> Tuple[list, list]:
    """``(loading, rest)``: the leading transforms whose type is in
    ``loading_types`` and the remaining ones."""
    pipeline = list(pipeline or [])
    n = 0
    for t in pipeline:
        t_type = t.get('type') if isinstance(t, dict) else type(t).__name__
        name = t_type if isinstance(t_type, str) else getattr(t_type, '__name__', '')
        if name not in loading_types:
            break
        n += 1
    return pipeline[:n], pipeline[n:]


def build_compose(pipeline_cfg):
    from mmengine.dataset import Compose

    from mmmer.registry import TRANSFORMS
    return Compose([TRANSFORMS.build(copy.deepcopy(t)) if isinstance(t, dict) else t
                    for t in pipeline_cfg])


def universe_dataset_cfg(dataset_cfg: dict) -> dict:
    """The un-subset dataset: the fold's dataset config without its subject
    selection and online pipeline, exactly what the LOSO loop calls the full
    dataset (same offline preprocessing, so the same samples survive it)."""
    cfg = copy.deepcopy(dict(dataset_cfg))
    cfg.pop('subjects', None)
    cfg.pop('exclude_subjects', None)
    cfg['pipeline'] = []
    return cfg


def build_dataset(cfg: dict):
    from mmmer.registry import DATASETS
    return DATASETS.build(copy.deepcopy(cfg))


def load_classifier_inputs(dataset, pipeline_cfg: Sequence, subjects=None
                           ) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """``(images (N, H, W, C) float32, labels (N,), names)`` of the samples of
    ``subjects`` (all when None): ``img`` after the loading transforms of
    ``pipeline_cfg`` (``LoadCachedArrays``: the cached classifier input)."""
    loading, _ = split_loading_pipeline(pipeline_cfg)
    if not loading:
        raise ValueError(
            'DDPM training needs the cached classifier inputs: the dataset pipeline must '
            f'start with one of {LOADING_TRANSFORMS}, got {list(pipeline_cfg)}.')
    load = build_compose(loading)
    keep = None if subjects is None else set(subjects)
    images, labels, names = [], [], []
    for d in dataset.data_list:
        if keep is not None and d['subject'] not in keep:
            continue
        name = f"{d['subject']}/{d.get('clip')}"
        results = load(copy.deepcopy(d))
        if results is None or 'img' not in results:
            raise KeyError(f'sample {name}: the loading transforms gave no `img`.')
        images.append(np.asarray(results['img'], dtype=np.float32))
        labels.append(int(d['gt_label']))
        names.append(name)
    if not images:
        raise ValueError(f'no samples of subjects {sorted(keep or [])} to train a DDPM on.')
    shapes = {im.shape for im in images}
    if len(shapes) != 1:
        raise ValueError(f'classifier inputs have different shapes {sorted(shapes)}.')
    return np.stack(images), np.asarray(labels, dtype=np.int64), names


def read_meta(generators_dir: str, group: int) -> Optional[dict]:
    path = osp.join(group_dir(generators_dir, group), META_FILE)
    if not osp.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def is_finished(generators_dir: str, group: int, expected_hash: str) -> bool:
    meta = read_meta(generators_dir, group)
    return bool(meta and meta.get('status') == 'done' and meta.get('hash') == expected_hash
                and osp.exists(osp.join(group_dir(generators_dir, group), WEIGHTS_FILE)))


class GroupPlan:
    """The groups of a dataset and, per group, what its generator trains on.

    Args:
        data_list: sample dicts of the un-subset dataset (subject, dataset,
            gt_label).
        num_classes (int): classes of the label set.
        diffusion (dict): resolved diffusion config.
    """

    def __init__(self, data_list: Sequence[dict], num_classes: int, diffusion: dict):
        self.data_list = list(data_list)
        self.num_classes = int(num_classes)
        self.diffusion = diffusion
        self.subject_to_dataset = subject_datasets(self.data_list)
        self.groups = split_subject_groups(self.subject_to_dataset,
                                           int(diffusion['num_groups']),
                                           int(diffusion.get('group_seed', 0)))

    def train_subjects(self, group: int) -> List[str]:
        return generator_train_subjects(self.groups, group)

    def class_counts(self, group: int) -> List[int]:
        return class_counts_of(self.data_list, self.num_classes, self.train_subjects(group))

    def hash(self, group: int) -> str:
        return generator_hash(self.diffusion, self.num_classes, self.train_subjects(group),
                              self.class_counts(group))


def train_group_generator(plan: GroupPlan, group: int, generators_dir: str, dataset,
                          pipeline_cfg: Sequence, logger: Optional[MMLogger] = None,
                          progress: bool = True) -> dict:
    """Train generator ``group`` on the samples of its training subjects
    (taken from ``dataset``, which must hold them) and save it atomically.
    Returns its meta dict. Skips (returns the meta) if already finished."""
    logger = logger or MMLogger.get_current_instance()
    expected = plan.hash(group)
    out_dir = group_dir(generators_dir, group)
    if is_finished(generators_dir, group, expected):
        logger.info(f'DDPM group {group}: already trained ({out_dir}), skipped.')
        return read_meta(generators_dir, group)
    train_subjects = plan.train_subjects(group)
    images, labels, names = load_classifier_inputs(dataset, pipeline_cfg, train_subjects)
    counts = np.bincount(labels, minlength=plan.num_classes).tolist()
    if counts != plan.class_counts(group):
        raise ValueError(f'DDPM group {group}: the dataset gives class counts {counts} '
                         f'for the training subjects, the plan {plan.class_counts(group)}; '
                         'the dataset changed between listing and loading.')
    diffusion = plan.diffusion
    os.makedirs(out_dir, exist_ok=True)
    logger.info(f'DDPM group {group}: training on {len(labels)} samples of '
                f'{len(train_subjects)} subjects (held out: {plan.groups[group]}), '
                f'class counts {counts}, hash {expected}')
    model = ClassConditionalDDPM(plan.num_classes, unet=diffusion['unet'],
                                 scheduler=diffusion['scheduler'],
                                 in_channels=images.shape[-1], device=diffusion['device'])
    tic = time.time()
    ckpt = osp.join(out_dir, CHECKPOINT_FILE)
    losses = model.fit(images, labels, logger=logger, progress=progress, names=names,
                       checkpoint_path=ckpt, checkpoint_tag=expected, **diffusion['train'])
    seconds = time.time() - tic
    save_npz_atomic(osp.join(out_dir, WEIGHTS_FILE), **model.ema_state_arrays())
    k = max(1, min(100, len(losses) // 10))
    meta = dict(status='done', hash=expected, group=group,
                train_subjects=train_subjects, held_out_subjects=list(plan.groups[group]),
                num_train_samples=len(labels), class_counts=counts,
                num_classes=plan.num_classes, num_parameters=model.num_parameters(),
                diffusion=diffusion, loss_first=float(np.mean(losses[:k])),
                loss_last=float(np.mean(losses[-k:])), train_seconds=seconds,
                device=str(model.device))
    dump_json_atomic(meta, osp.join(out_dir, META_FILE))
    if osp.exists(ckpt):
        os.remove(ckpt)
    logger.info(f'DDPM group {group}: done in {seconds:.1f} s, loss '
                f'{meta["loss_first"]:.4f} -> {meta["loss_last"]:.4f}; saved to {out_dir}')
    return meta


def load_group_generator(generators_dir: str, group: int, meta: dict,
                         device: str = 'auto') -> ClassConditionalDDPM:
    """The EMA generator of ``group`` as recorded in its ``meta.json``."""
    path = osp.join(group_dir(generators_dir, group), WEIGHTS_FILE)
    if not osp.exists(path):
        raise GeneratorNotFoundError(
            f'{path} is missing; rerun tools/augment/train_ddpm.py CONFIG --group {group}.')
    diffusion = meta['diffusion']
    model = ClassConditionalDDPM(meta['num_classes'], unet=diffusion['unet'],
                                 scheduler=diffusion['scheduler'], device=device)
    with np.load(path) as data:
        model.load_ema_arrays({k: data[k] for k in data.files})
    return model


def plan_from_dataset_cfg(dataset_cfg: dict, diffusion: dict) -> Tuple[GroupPlan, object]:
    """``(plan, universe dataset)`` of a fold's (or the full) dataset config."""
    universe = build_dataset(universe_dataset_cfg(dataset_cfg))
    num_classes = len(universe.metainfo.get('classes') or ())
    if not num_classes:
        raise ValueError('the dataset metainfo has no `classes`; cannot condition the DDPM.')
    return GroupPlan(universe.data_list, num_classes, diffusion), universe


def subjects_summary(groups: Sequence[Sequence[str]],
                     subject_to_dataset: Dict[str, str]) -> str:
    lines = []
    for i, g in enumerate(groups):
        per = {}
        for s in g:
            per[subject_to_dataset[s]] = per.get(subject_to_dataset[s], 0) + 1
        lines.append(f'group {i}: {len(g)} subjects {dict(sorted(per.items()))}')
    return '; '.join(lines)


def generation_settings(cfg) -> Tuple[dict, str, dict]:
    """``(wrapped dataset cfg, generators_dir, resolved diffusion cfg)`` of a
    config whose ``train_dataloader.dataset`` is a GeneratedAugmentDataset."""
    from .ddpm import resolve_diffusion_cfg
    node = cfg['train_dataloader']['dataset']
    while isinstance(node, dict):
        t = node.get('type')
        name = t if isinstance(t, str) else getattr(t, '__name__', '')
        if name.split('.')[-1] == 'GeneratedAugmentDataset':
            diffusion = node.get('diffusion', cfg.get('diffusion'))
            return (copy.deepcopy(dict(node['dataset'])), node['generators_dir'],
                    resolve_diffusion_cfg(diffusion))
        node = node.get('dataset')
    raise ValueError('this config does not use generated augmentation: '
                     'train_dataloader.dataset has no GeneratedAugmentDataset wrapper.')
