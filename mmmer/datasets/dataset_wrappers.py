"""Dataset wrappers kept for configs written before the dataset options.

:class:`FlipExpandedDataset` nests the dataset config under ``dataset=``;
new configs set ``flip_expansion=dict(classes=(...))`` on the
:class:`~mmmer.datasets.MEDataset` itself, which serves the same list of
data infos without the extra nesting.
"""
import copy
import warnings
from typing import List, Sequence, Union

import numpy as np

from mmmer.registry import DATASETS

from .base import class_ids

__all__ = ['FlipExpandedDataset']


@DATASETS.register_module()
class FlipExpandedDataset:
    """Original samples plus one horizontally mirrored copy of each sample of
    the ``expand_classes``.

    Liu et al., "Micro-expression recognition model based on TV-L1 optical
    flow method and improved ShuffleNet" (2022), "Pre-processing": the positive and surprise
    emotions "were therefore expanded by horizontal inversion". The paper
    expands offline; here the copy is a second index whose data info carries
    ``flip_expanded=True`` and whose pipeline mirrors it with
    :class:`mmmer.datasets.transforms.ExpansionFlip` (cached preprocessing is
    shared with the original).

    Deprecated for :class:`~mmmer.datasets.MEDataset` configs: use the
    dataset option ``flip_expansion=dict(classes=...)`` (same data infos, no
    nesting). The wrapper still serves any dataset with ``get_data_info`` and
    a ``pipeline``.

    Leakage: the wrapper is meant for ``train_dataloader`` only. It refuses a
    dataset in ``test_mode``; the LOSO loop applies subject selection to the
    innermost dataset (``dataset=`` key), and builds the validation and test
    splits from ``test_dataloader``, so copies never reach a held-out subject.

    Args:
        dataset (dict | Dataset): the wrapped dataset (config or instance).
        expand_classes (Sequence[str | int]): class names (looked up in the
            dataset's ``metainfo['classes']``) or ids; default positive and
            surprise of the 3-class map.
        lazy_init (bool): build the index only on first use.
    """

    def __init__(self, dataset, expand_classes: Sequence[Union[str, int]] = (
            'positive', 'surprise'), lazy_init: bool = False):
        warnings.warn(
            'FlipExpandedDataset is deprecated: set flip_expansion=dict(classes='
            f'{tuple(expand_classes)!r}) on the training dataset instead of '
            'wrapping it.', DeprecationWarning, stacklevel=2)
        if isinstance(dataset, dict):
            dataset = DATASETS.build(copy.deepcopy(dataset))
        if getattr(dataset, 'test_mode', False):
            raise ValueError('FlipExpandedDataset wraps training splits only; the '
                             f'given {type(dataset).__name__} has test_mode=True.')
        if not hasattr(dataset, 'pipeline') or not hasattr(dataset, 'get_data_info'):
            raise TypeError('FlipExpandedDataset needs a dataset with get_data_info() '
                            f'and a pipeline, got {type(dataset).__name__}')
        self.dataset = dataset
        self.expand_classes = tuple(expand_classes)
        self._copies: List[int] = []
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self):
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        wanted = set(class_ids(self.expand_classes,
                               self.dataset.metainfo.get('classes', ()),
                               'FlipExpandedDataset'))
        self._copies = [i for i in range(len(self.dataset))
                        if int(self.dataset.get_data_info(i)['gt_label']) in wanted]
        self._fully_initialized = True

    def __len__(self) -> int:
        self.full_init()
        return len(self.dataset) + len(self._copies)

    def _resolve(self, idx: int):
        n = len(self)
        if idx < 0:
            idx += n
        if not 0 <= idx < n:
            raise IndexError(f'FlipExpandedDataset: index {idx} out of range ({n})')
        base = len(self.dataset)
        return (idx, False) if idx < base else (self._copies[idx - base], True)

    def get_data_info(self, idx: int) -> dict:
        ori, flipped = self._resolve(idx)
        info = copy.deepcopy(self.dataset.get_data_info(ori))
        info['flip_expanded'] = flipped
        return info

    def __getitem__(self, idx: int):
        ori, flipped = self._resolve(idx)
        if not flipped:
            return self.dataset[ori]
        results = self.dataset.pipeline(self.get_data_info(idx))
        if results is None:
            info = self.dataset.get_data_info(ori)
            raise RuntimeError(
                f"FlipExpandedDataset: the pipeline dropped the flipped copy of "
                f"{info.get('subject')}/{info.get('clip')}")
        return results

    def get_gt_labels(self) -> np.ndarray:
        self.full_init()
        labels = [int(self.dataset.get_data_info(i)['gt_label'])
                  for i in range(len(self.dataset))]
        labels += [labels[i] for i in self._copies]
        return np.asarray(labels, dtype=np.int64)

    def class_counts(self) -> List[int]:
        k = len(self.dataset.metainfo.get('classes', ())) or int(self.get_gt_labels().max()) + 1
        return np.bincount(self.get_gt_labels(), minlength=k).tolist()

    def get_subjects(self) -> List[str]:
        return self.dataset.get_subjects()
