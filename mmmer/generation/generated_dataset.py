"""GeneratedAugmentDataset: a fold's training set plus DDPM samples.

The diffusion-model data augmentation of the LAPE/ESAAT paper (Zhang et al.,
2025, Sec. "Diffusion model-based data augmentation"), made leakage-free with
subject-disjoint generators (docs/methods/htnet_lape_esaat.md).

Leakage-free by construction:

1. the fold's test subjects are computed, not trusted: (all subjects of the
   un-subset dataset) minus (the subjects of the fold's training split);
2. the generator is the one whose held-out group contains all of them
   (:func:`~mmmer.generation.groups.held_out_group`);
3. the generator's *recorded* training subjects (its ``meta.json``) must not
   intersect them, otherwise :class:`GeneratorLeakageError` is raised.

Generated samples only ever enter a training split: building the wrapper with
``test_mode=True`` is an error, every generated sample carries
``is_generated=True`` (PackMEInputs copies it into the data sample; MEMetric
drops such samples).

Consequences of the strict rule: a fold whose non-training subjects span
several groups (e.g. a validation split carved from training subjects with
``loso.val_subjects``) raises :class:`FoldGroupError`; a split without
held-out subjects raises too. The generated set of a fold is cached in
``<generators_dir>/group_<g>/samples/fold_<key>.npz`` (key: generator hash,
the fold's training subjects, per-class counts, sampling settings), so
resumed and repeated runs reuse it.
"""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.logging import MMLogger
from torch.utils.data import Dataset

from mmmer.registry import DATASETS
from mmmer.utils.io import save_npz_atomic

from .ddpm import resolve_diffusion_cfg
from .group_generators import (GeneratorNotFoundError, build_compose, build_dataset,
                               group_dir, load_group_generator, plan_from_dataset_cfg,
                               read_meta, split_loading_pipeline, stable_hash,
                               subjects_summary, train_group_generator)
from .groups import check_no_leakage, held_out_group, natural_key


def topup_counts(class_counts: Sequence[int], topup) -> List[int]:
    """How many samples to generate per class.

    ``'majority'``: bring every class up to the largest class of the fold's
    training split (mmmer's default: the paper does not say how many
    samples it adds); ``None`` / ``'none'``: nothing; a list
    ``[n_0, n_1, ...]`` or dict ``{class: n}``: exactly these numbers.
    """
    k = len(class_counts)
    if topup is None or topup == 'none':
        return [0] * k
    if topup == 'majority':
        top = max(class_counts)
        return [top - c for c in class_counts]
    if isinstance(topup, dict):
        bad = [c for c in topup if not 0 <= int(c) < k]
        if bad:
            raise ValueError(f'topup: classes {bad} outside [0, {k}).')
        out = [0] * k
        for c, n in topup.items():
            out[int(c)] = int(n)
    elif isinstance(topup, (list, tuple)):
        if len(topup) != k:
            raise ValueError(f'topup: {len(topup)} per-class counts for {k} classes.')
        out = [int(n) for n in topup]
    else:
        raise ValueError(f"topup must be 'majority', None, a list or a dict, got {topup!r}")
    if any(n < 0 for n in out):
        raise ValueError(f'topup: negative counts {out}.')
    return out


@DATASETS.register_module()
class GeneratedAugmentDataset(Dataset):
    """Wrap a fold's training dataset and add class-conditional DDPM samples.

    Args:
        dataset (dict): config of the fold's training dataset (an
            :class:`~mmmer.datasets.base.MEDataset`; the LOSO loop puts
            ``exclude_subjects=[S]`` into it). Its config without the subject
            selection defines "all subjects".
        generators_dir (str): where ``group_<g>/`` generators live
            (``tools/augment/train_ddpm.py`` writes them).
        diffusion (dict): the diffusion config (``num_groups``, ``unet``,
            ``scheduler``, ``train``, ``sample``, ``device``); it must be the one
            the generators were trained with (checked through their hash).
        topup: ``'majority'`` (default), per-class counts, or None; see
            :func:`topup_counts`. Defaults to ``diffusion['topup']``.
        train_missing (bool): train a missing or stale generator on the fly
            (fine for tiny configs; hours on a CPU at the default size).
            If False (default), a missing generator raises
            :class:`GeneratorNotFoundError` naming the command to run.
        generated_pipeline (list, optional): online transforms of generated
            samples. Default: the wrapped pipeline without its loading
            transforms (the generated ``img`` stands for the cached one).
        test_mode (bool): must be False; generated samples never enter a test set.
        lazy_init (bool): defer loading to :meth:`full_init`.
    """

    def __init__(self, dataset: dict, generators_dir: str, diffusion: Optional[dict] = None,
                 topup: Union[str, Sequence[int], Dict[int, int], None] = 'default',
                 train_missing: bool = False, generated_pipeline: Optional[list] = None,
                 test_mode: bool = False, lazy_init: bool = False):
        if test_mode:
            raise ValueError('GeneratedAugmentDataset is for training splits only: generated '
                             'samples must never be used in a test set.')
        if not isinstance(dataset, dict):
            raise TypeError('GeneratedAugmentDataset needs the wrapped dataset as a config '
                            f'dict (to list all subjects), got {type(dataset).__name__}.')
        self.dataset_cfg = copy.deepcopy(dict(dataset))
        self.generators_dir = generators_dir
        self.diffusion = resolve_diffusion_cfg(diffusion)
        self.topup = self.diffusion.get('topup', 'majority') if topup == 'default' else topup
        self.train_missing = train_missing
        if generated_pipeline is None:
            _, generated_pipeline = split_loading_pipeline(self.dataset_cfg.get('pipeline', []))
        self.generated_pipeline_cfg = list(generated_pipeline)
        self.test_mode = False
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    # ------------------------------------------------------------ building
    def full_init(self):
        if self._fully_initialized:
            return
        logger = MMLogger.get_current_instance()
        self.dataset = build_dataset(self.dataset_cfg)
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        plan, universe = plan_from_dataset_cfg(self.dataset_cfg, self.diffusion)
        self.plan, self._universe = plan, universe
        all_subjects = set(plan.subject_to_dataset)
        train_subjects = set(self.dataset.get_subjects())
        unknown = train_subjects - all_subjects
        if unknown:
            raise ValueError(f'GeneratedAugmentDataset: training subjects {sorted(unknown)} '
                             'are not in the un-subset dataset.')
        self.test_subjects = sorted(all_subjects - train_subjects, key=natural_key)
        self.group = held_out_group(self.test_subjects, plan.groups)
        meta = self._generator_meta(logger)
        # The leakage guard uses what the generator recorded, not the plan.
        check_no_leakage(meta['train_subjects'], self.test_subjects,
                         where=f'generator {group_dir(self.generators_dir, self.group)}')
        self.generator_meta = meta

        real_counts = self.dataset.class_counts()
        self.generated_per_class = topup_counts(real_counts, self.topup)
        images, labels = self._generated_set(meta, sorted(train_subjects, key=natural_key),
                                             logger)
        self.generated_infos = []
        n_real = len(self.dataset)
        for i, (img, label) in enumerate(zip(images, labels)):
            self.generated_infos.append(dict(
                img=img.astype(np.float32), gt_label=int(label), is_generated=True,
                dataset='generated', subject=f'generated_group{self.group}',
                clip=f'generated_{i:05d}', sample_idx=n_real + i,
                generator_group=self.group, generator_hash=meta['hash']))
        self.generated_pipeline = build_compose(self.generated_pipeline_cfg)
        logger.info(
            f'GeneratedAugmentDataset: fold test subjects {self.test_subjects} -> generator '
            f'group {self.group} (trained on {len(meta["train_subjects"])} subjects); real '
            f'class counts {real_counts} + generated {self.generated_per_class}')
        self._fully_initialized = True

    def _generator_meta(self, logger) -> dict:
        g, plan = self.group, self.plan
        expected = plan.hash(g)
        meta = read_meta(self.generators_dir, g)
        weights_ok = osp.exists(osp.join(group_dir(self.generators_dir, g), 'ema_unet.npz'))
        if meta is not None and meta.get('status') == 'done' and weights_ok:
            check_no_leakage(meta.get('train_subjects', []), self.test_subjects,
                             where=f'generator {group_dir(self.generators_dir, g)}')
            if meta.get('hash') == expected:
                return meta
            problem = (f'is stale (hash {meta.get("hash")} != {expected}: the diffusion '
                       'config or the training subjects changed)')
        else:
            problem = 'has not been trained'
        if not self.train_missing:
            raise GeneratorNotFoundError(
                f'GeneratedAugmentDataset: generator {group_dir(self.generators_dir, g)} '
                f'{problem}. Train it first with `python tools/augment/train_ddpm.py CONFIG '
                f'--group {g}` (or all groups without --group), or set train_missing=True. '
                f'Groups: {subjects_summary(plan.groups, plan.subject_to_dataset)}')
        logger.info(f'GeneratedAugmentDataset: generator group {g} {problem}; training it now.')
        return train_group_generator(plan, g, self.generators_dir, self._universe,
                                     self.dataset_cfg.get('pipeline', []), logger=logger)

    def _generated_set(self, meta: dict, train_subjects: List[str], logger):
        """Sample (or load from the on-disk cache) this fold's generated set."""
        counts = self.generated_per_class
        sample_cfg = self.diffusion['sample']
        key = stable_hash(dict(generator=meta['hash'], train_subjects=train_subjects,
                               counts=counts, sample=sample_cfg))
        path = osp.join(group_dir(self.generators_dir, self.group), 'samples',
                        f'fold_{key}.npz')
        labels = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
        if osp.exists(path):
            with np.load(path) as data:
                images, cached = data['img'], data['gt_label']
            if np.array_equal(cached, labels):
                self.generated_cache_path = path
                return images, labels
            logger.warning(f'{path}: labels do not match the request; resampling.')
        if len(labels) == 0:
            images = np.zeros((0, ) + self._input_shape(), dtype=np.uint8)
        else:
            model = load_group_generator(self.generators_dir, self.group, meta,
                                         device=self.diffusion['device'])
            seed = int(sample_cfg.get('seed', 0)) + int(key[:8], 16)
            logger.info(f'GeneratedAugmentDataset: sampling {len(labels)} maps with generator '
                        f'group {self.group} ({sample_cfg["num_inference_steps"]} steps)')
            images = model.sample(labels, sample_cfg['num_inference_steps'], seed=seed,
                                  batch_size=int(sample_cfg.get('batch_size', 256)))
        save_npz_atomic(path, img=images, gt_label=labels,
                        train_subjects=np.array(train_subjects),
                        generator_hash=np.array(meta['hash']))
        self.generated_cache_path = path
        return images, labels

    def _input_shape(self):
        size = int(self.diffusion['unet'].get('sample_size', 28))
        return (size, size, 3)

    # ------------------------------------------------------------ queries
    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self.dataset.metainfo)

    @property
    def data_list(self) -> List[dict]:
        return list(self.dataset.data_list) + self.generated_infos

    @property
    def num_real(self) -> int:
        return len(self.dataset)

    def __len__(self) -> int:
        return len(self.dataset) + len(self.generated_infos)

    def get_data_info(self, idx: int) -> dict:
        if idx < 0:
            idx += len(self)
        if idx < self.num_real:
            return self.dataset.get_data_info(idx)
        return copy.deepcopy(self.generated_infos[idx - self.num_real])

    def __getitem__(self, idx: int):
        if not self._fully_initialized:
            self.full_init()
        if idx < 0:
            idx += len(self)
        if idx < self.num_real:
            return self.dataset[idx]
        results = copy.deepcopy(self.generated_infos[idx - self.num_real])
        return self.generated_pipeline(results)

    def get_subjects(self) -> List[str]:
        """The real training subjects (generated samples have no subject)."""
        return self.dataset.get_subjects()

    def get_gt_labels(self) -> np.ndarray:
        return np.array([d['gt_label'] for d in self.data_list], dtype=np.int64)

    def class_counts(self) -> List[int]:
        """Per-class counts of what the model trains on (real + generated)."""
        return [r + g for r, g in zip(self.real_class_counts(), self.generated_per_class)]

    def real_class_counts(self) -> List[int]:
        return self.dataset.class_counts()

    def __repr__(self):
        if not self._fully_initialized:
            return f'{type(self).__name__}(not initialised)'
        return (f'{type(self).__name__}(real={self.num_real}, generated='
                f'{len(self.generated_infos)}, group={self.group}, '
                f'test_subjects={self.test_subjects})')
