"""MEDataset: annotation rows -> a list of sample dicts, LOSO subsets, cache.

Every sample dict (``data_info``) produced by a dataset parser holds:

- ``dataset`` (str): short dataset name, e.g. ``'casme2'``.
- ``subject`` (str): namespaced subject id ``'{dataset}_{subject}'``
  (e.g. ``'casme2_sub01'``, ``'samm_006'``); raw ids collide across datasets.
- ``clip`` (str): clip folder / file name as in the annotation.
- ``frame_paths`` (list[str]): frame files onset..offset sorted by frame number.
- ``frame_numbers`` (list[int]): the numbers embedded in those file names.
- ``onset``, ``apex``, ``offset`` (int): annotated frame *numbers*.
- ``emotion`` (str): the raw emotion string of the annotation.
- ``gt_label`` (int): class id under the dataset's label map.
- optional: ``action_units`` (str), ``flow_path`` / ``apex_face_path`` for
  precomputed-flow datasets, ``is_generated`` for generated samples.

Subsets for one LOSO fold are made with ``subjects=`` (keep only these) or
``exclude_subjects=`` (drop these). ``preprocess=`` runs an expensive
pipeline once per sample with an on-disk cache (see
:mod:`mmmer.datasets.preprocessing`) before the cheap online ``pipeline``.
"""
import copy
import numbers
from collections import Counter
from typing import List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger

from mmmer.registry import DATASETS
from mmmer.utils.errors import MMMERUserError

from .label_maps import get_label_map

__all__ = ['DatasetLayoutError', 'MEDataset', 'class_ids']


class DatasetLayoutError(FileNotFoundError, MMMERUserError):
    """Raised when data_root or an annotation file is missing or malformed."""


def class_ids(classes: Sequence[Union[str, int]], names: Sequence[str],
              owner: str) -> List[int]:
    """Ids of ``classes`` given as names (looked up in ``names``) or ids."""
    names = list(names)
    ids = []
    for c in classes:
        if isinstance(c, numbers.Integral) and not isinstance(c, bool):
            ids.append(int(c))
        elif c in names:
            ids.append(names.index(c))
        else:
            raise ValueError(f'{owner}: class {c!r} is not one of the dataset '
                             f'classes {names}')
    return ids


@DATASETS.register_module()
class MEDataset(BaseDataset):
    """Base class of every micro-expression dataset.

    Args:
        data_root (str): dataset folder.
        ann_file (str): annotation file, relative to ``data_root``.
        label_set (str): ``'3class'`` (MEGC2019 negative/positive/surprise) or
            ``'5class'``; or a dict ``{emotion: id}``; see ``label_maps.py``.
        subjects / exclude_subjects (Sequence[str]): LOSO subset selection by
            namespaced subject id.
        shuffle_labels (bool): permute the labels of the kept samples (after
            subject selection) with a fixed seed. A control experiment: set it
            on the train dataset only, and the held-out subjects' true labels
            must be predicted at chance level.
        preprocess (dict): ``dict(pipeline=[...], cache_dir=..., workers=1)``
            run once per sample and cached on disk.
        pipeline (list): online transforms, run at every ``__getitem__``.
        flip_expansion (dict, optional): ``dict(classes=('positive',
            'surprise'))`` serves, after the originals, one horizontally
            mirrored copy of each sample of these classes (names of
            ``metainfo['classes']`` or ids); the copy's data info carries
            ``flip_expanded=True`` (originals ``False``) and the original's
            ``sample_idx`` and cache, and
            :class:`mmmer.datasets.transforms.ExpansionFlip` in the training
            pipeline mirrors it. This is the class balancing by "horizontal
            inversion" of Liu et al., "Micro-expression recognition model based
            on TV-L1 optical flow method and improved ShuffleNet" (2022),
            "Pre-processing". Training splits only: refused in ``test_mode``.
            None (default) = off.
    """
    DATASET_NAME = 'me'
    CLASSES_3 = ('negative', 'positive', 'surprise')

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 label_set='3class',
                 subjects: Optional[Sequence[str]] = None,
                 exclude_subjects: Optional[Sequence[str]] = None,
                 shuffle_labels: bool = False,
                 shuffle_seed: int = 0,
                 preprocess: Optional[dict] = None,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 flip_expansion: Optional[dict] = None,
                 **kwargs):
        self.flip_expansion = self._check_flip_expansion(flip_expansion, test_mode)
        self.label_set = label_set
        self.label_map, self.class_names = get_label_map(self.DATASET_NAME, label_set)
        self.subjects = list(subjects) if subjects is not None else None
        self.exclude_subjects = list(exclude_subjects or [])
        self.shuffle_labels = shuffle_labels
        self.shuffle_seed = shuffle_seed
        self.preprocess_cfg = copy.deepcopy(preprocess)
        self.excluded_counts: Counter = Counter()
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            metainfo=dict(classes=tuple(self.class_names)),
            pipeline=list(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init,
            serialize_data=False,
            **kwargs)

    # ------------------------------------------------------------ parsing
    def parse_annotations(self) -> List[dict]:
        """Return every sample of the dataset (subclasses implement this)."""
        raise TypeError(f'{type(self).__name__} is abstract: a dataset class must '
                        'define parse_annotations() returning the sample dicts.')

    def label_of(self, emotion: str) -> Optional[int]:
        """Class id of a raw emotion string, None if outside the label set."""
        key = str(emotion).strip().lower()
        label = self.label_map.get(key)
        if label is None:
            self.excluded_counts[key] += 1
        return label

    def load_data_list(self) -> List[dict]:
        data_list = self.parse_annotations()
        logger = MMLogger.get_current_instance()
        if self.excluded_counts:
            logger.info(
                f'{type(self).__name__}: excluded {sum(self.excluded_counts.values())} '
                f'samples outside label set {self.label_set!r}: '
                f'{dict(sorted(self.excluded_counts.items()))}')
        data_list = self.select_subjects(data_list)
        if self.shuffle_labels:
            import numpy as np
            rng = np.random.default_rng(self.shuffle_seed)
            labels = [d['gt_label'] for d in data_list]
            perm = rng.permutation(len(labels))
            for d, i in zip(data_list, perm):
                d['true_label_unshuffled'] = d['gt_label']
                d['gt_label'] = int(labels[i])
            logger.warning(f'{type(self).__name__}: labels SHUFFLED (control run).')
        for i, d in enumerate(data_list):
            d.setdefault('sample_idx', i)
        if self.preprocess_cfg:
            from .preprocessing import run_preprocessing
            data_list = run_preprocessing(data_list, self.preprocess_cfg,
                                          dataset_name=type(self).__name__)
        if self.flip_expansion is not None:
            data_list = self.expand_flipped(data_list)
        return data_list

    # ------------------------------------------------------------ flip expansion
    def _check_flip_expansion(self, flip_expansion, test_mode: bool):
        if flip_expansion is None:
            return None
        name = type(self).__name__
        if not isinstance(flip_expansion, dict) or set(flip_expansion) != {'classes'}:
            raise ValueError(
                f'{name}: flip_expansion must be None or a dict with the single key '
                f"'classes', e.g. dict(classes=('positive', 'surprise')); got "
                f'{flip_expansion!r}')
        if test_mode:
            raise ValueError(
                f'{name}: flip_expansion adds mirrored copies for training and is '
                'refused with test_mode=True; set it on the train dataset only '
                '(remove it from val/test dataloaders).')
        classes = flip_expansion['classes']
        classes = (classes, ) if isinstance(classes, (str, int)) else tuple(classes)
        return dict(classes=classes)

    def expand_flipped(self, data_list: List[dict]) -> List[dict]:
        """Originals (``flip_expanded=False``) then one mirrored copy
        (``flip_expanded=True``) of each sample of the expanded classes, in
        the originals' order; a copy keeps the original's ``sample_idx``."""
        wanted = set(class_ids(self.flip_expansion['classes'],
                               self.metainfo.get('classes', ()),
                               f'{type(self).__name__}: flip_expansion'))
        copies = []
        for i, d in enumerate(data_list):
            d['flip_expanded'] = False
            if int(d['gt_label']) in wanted:
                c = copy.deepcopy(d)
                c['flip_expanded'] = True
                c['sample_idx'] = i
                copies.append(c)
        return data_list + copies

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        if info.get('flip_expanded'):
            # BaseDataset numbers by position; a copy names its original
            info['sample_idx'] = self.data_list[idx]['sample_idx']
        return info

    def select_subjects(self, data_list: List[dict]) -> List[dict]:
        if self.subjects is not None:
            keep = set(self.subjects)
            unknown = keep - {d['subject'] for d in data_list}
            if unknown:
                raise ValueError(
                    f'{type(self).__name__}: subjects {sorted(unknown)} are not in '
                    f'{self.data_root!r}; known subjects: '
                    f'{sorted({d["subject"] for d in data_list})}')
            data_list = [d for d in data_list if d['subject'] in keep]
        if self.exclude_subjects:
            drop = set(self.exclude_subjects)
            data_list = [d for d in data_list if d['subject'] not in drop]
        return data_list

    # ------------------------------------------------------------ queries
    def get_subjects(self) -> List[str]:
        """Subjects in order of first appearance."""
        seen = {}
        for d in self.data_list:
            seen.setdefault(d['subject'], None)
        return list(seen)

    def get_gt_labels(self):
        import numpy as np
        return np.array([d['gt_label'] for d in self.data_list], dtype=np.int64)

    def class_counts(self) -> List[int]:
        counts = [0] * len(self.class_names)
        for d in self.data_list:
            counts[d['gt_label']] += 1
        return counts
