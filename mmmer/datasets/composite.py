"""CompositeDataset: several ME datasets as one, e.g. the MEGC2019 3DB (CDE).

The MEGC2019 composite database evaluation pools SMIC-HS, CASME II and SAMM under the 3-class map: 442
samples (negative 250, positive 109, surprise 83) from 68 subjects
(16 + 24 + 28). Which CASME II rows are kept is decided by the CASME II
config (3-class map, the ``"/"`` apex row dropped, ``sub24/EP02_07`` in
``exclude_clips``); see ``configs/_base_/datasets/composite_3db.py``.

The composite is itself an :class:`MEDataset`, so the LOSO loop treats it
like any dataset: ``subjects=`` / ``exclude_subjects=`` select folds over the
namespaced subjects of all children, ``preprocess=`` and ``pipeline=`` apply
to every sample, and each sample keeps its ``dataset`` field for the
per-dataset breakdown of the metric.
"""
import copy
import os.path as osp
from typing import List, Sequence

from mmmer.registry import DATASETS

from .base import MEDataset
from .label_maps import THREE_CLASS_NAMES

# Child settings that belong to the composite (applied once to the union).
_COMPOSITE_ONLY_KEYS = ('subjects', 'exclude_subjects', 'preprocess', 'pipeline',
                        'shuffle_labels', 'shuffle_seed', 'test_mode', 'lazy_init',
                        'flip_expansion')


@DATASETS.register_module()
class CompositeDataset(MEDataset):
    """Concatenation of ME datasets built from configs.

    Args:
        datasets (Sequence[dict]): configs of the child datasets (e.g.
            ``SMICDataset``, ``CASME2Dataset``, ``SAMMDataset``). Their
            ``subjects``/``exclude_subjects``/``preprocess``/``pipeline`` are
            ignored (set them on the composite). All children must use the
            same class names.
        class_names (Sequence[str]): the shared classes, in id order; checked
            against every child. Default: the MEGC2019 3 classes.
        data_root (str): folder that relative child ``data_root`` values are
            resolved against (``data_root='data'`` + child ``'smic'`` ->
            ``data/smic``), so one ``--cfg-options
            train_dataloader.dataset.data_root=...`` moves every child.
            Absolute child roots are used as they are.
        **kwargs: :class:`MEDataset` arguments for the union (subjects,
            exclude_subjects, preprocess, pipeline, shuffle_labels, ...).
            ``ann_file``/``label_set`` are not used.
    """
    DATASET_NAME = 'composite'

    def __init__(self,
                 datasets: Sequence[dict] = (),
                 class_names: Sequence[str] = THREE_CLASS_NAMES,
                 **kwargs):
        if not datasets:
            raise ValueError('CompositeDataset: `datasets` must list at least one '
                             'dataset config.')
        self.dataset_cfgs = [copy.deepcopy(dict(c)) for c in datasets]
        for cfg in self.dataset_cfgs:
            if 'type' not in cfg:
                raise ValueError(f'CompositeDataset: child config without type: {cfg}')
        names = tuple(class_names)
        kwargs.pop('label_set', None)
        self.children_info = []  # filled by parse_annotations
        # The union's label ids are the children's; the dict only fixes the names.
        super().__init__(label_set={n: i for i, n in enumerate(names)}, **kwargs)

    def build_children(self) -> List[MEDataset]:
        """Build the child datasets (annotations parsed lazily, nothing cached)."""
        children = []
        for cfg in self.dataset_cfgs:
            cfg = copy.deepcopy(cfg)
            for key in _COMPOSITE_ONLY_KEYS:
                cfg.pop(key, None)
            cfg['lazy_init'] = True
            root = cfg.get('data_root')
            if self.data_root and root and not osp.isabs(root):
                cfg['data_root'] = osp.join(self.data_root, root)
            child = DATASETS.build(cfg)
            if not isinstance(child, MEDataset):
                raise TypeError(f'CompositeDataset: {cfg["type"]} is not an MEDataset.')
            if tuple(child.class_names) != tuple(self.class_names):
                raise ValueError(
                    f'CompositeDataset: {type(child).__name__} has classes '
                    f'{tuple(child.class_names)} but the composite uses '
                    f'{tuple(self.class_names)}; give every child the same label_set.')
            children.append(child)
        return children

    def parse_annotations(self) -> List[dict]:
        data_list, owner = [], {}
        self.children_info = []
        for index, child in enumerate(self.build_children()):
            name = f'{type(child).__name__} (datasets[{index}])'
            samples = child.parse_annotations()
            for key, n in child.excluded_counts.items():
                self.excluded_counts[f'{child.DATASET_NAME}:{key}'] += n
            for s in samples:
                # a subject id must belong to exactly one child, or LOSO folds
                # would mix people of different datasets
                prev = owner.setdefault(s['subject'], name)
                if prev != name:
                    raise ValueError(
                        f'CompositeDataset: subject {s["subject"]!r} comes from both '
                        f'{prev} and {name}; subjects must be namespaced '
                        "'{dataset}_{subject}'.")
                s.pop('sample_idx', None)
            self.children_info.append(dict(
                type=type(child).__name__, dataset=child.DATASET_NAME, data_root=child.data_root,
                num_samples=len(samples),
                num_subjects=len({s['subject'] for s in samples})))
            data_list.extend(samples)
        return data_list
