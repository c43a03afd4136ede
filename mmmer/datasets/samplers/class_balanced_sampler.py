"""Sampler drawing the same number of samples of every class, as in
"Micro-expression recognition model based on TV-L1 optical flow method and
improved ShuffleNet" (Liu et al., Scientific Reports 2022)."""
import math
from typing import Iterator, Optional, Union

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmmer.registry import DATA_SAMPLERS


def dataset_labels(dataset) -> np.ndarray:
    """Class ids of every sample, without running the pipeline."""
    if hasattr(dataset, 'get_gt_labels'):
        return np.asarray(dataset.get_gt_labels(), dtype=np.int64)
    try:
        return np.asarray([int(dataset.get_data_info(i)['gt_label'])
                           for i in range(len(dataset))], dtype=np.int64)
    except (AttributeError, KeyError) as e:
        raise TypeError(
            f'ClassBalancedSampler: cannot read the labels of {type(dataset).__name__} '
            '(needs get_gt_labels() or get_data_info(i)["gt_label"])') from e


@DATA_SAMPLERS.register_module()
class ClassBalancedSampler(Sampler):
    """Every epoch draws ``samples_per_class`` samples of each present class,
    interleaved so that every run of K consecutive indices holds one sample of
    each of the K classes.

    The paper: "the same number of emotion category samples are randomly
    selected in each training iteration to prevent the neural network model
    from being more biased towards a certain emotion category". With a batch
    size that is a multiple of K (and one process), every batch is exactly
    balanced. Within a class the samples are drawn from concatenated random
    permutations, so over an epoch each sample of a class appears
    ``floor(m / n_c)`` or ``ceil(m / n_c)`` times (never skipped when
    ``m >= n_c``).

    Args:
        dataset: a dataset exposing ``get_gt_labels()`` or
            ``get_data_info(i)['gt_label']``.
        samples_per_class (int | str): ``'max'`` (oversample the smaller
            classes to the largest one, default: no sample is dropped),
            ``'min'`` (undersample to the smallest), ``'mean'``, or an int.
        seed (int, optional): random seed (synchronised across processes).
        round_up (bool): pad the index list to a multiple of the world size.
    """

    def __init__(self, dataset, samples_per_class: Union[int, str] = 'max',
                 seed: Optional[int] = None, round_up: bool = True):
        rank, world_size = get_dist_info()
        self.rank, self.world_size = rank, world_size
        self.dataset = dataset
        self.seed = sync_random_seed() if seed is None else seed
        self.round_up = round_up
        self.epoch = 0
        labels = dataset_labels(dataset)
        if labels.size == 0:
            raise ValueError('ClassBalancedSampler: the dataset is empty')
        if labels.min() < 0:
            raise ValueError('ClassBalancedSampler: negative class ids')
        self.class_indices = [np.flatnonzero(labels == c)
                              for c in range(int(labels.max()) + 1)]
        self.class_indices = [ix for ix in self.class_indices if ix.size]
        sizes = [ix.size for ix in self.class_indices]
        if isinstance(samples_per_class, str):
            rule = dict(max=max(sizes), min=min(sizes),
                        mean=int(round(float(np.mean(sizes)))))
            if samples_per_class not in rule:
                raise ValueError("ClassBalancedSampler: samples_per_class must be "
                                 f"'max', 'min', 'mean' or an int, got {samples_per_class!r}")
            self.samples_per_class = rule[samples_per_class]
        else:
            if int(samples_per_class) < 1:
                raise ValueError('ClassBalancedSampler: samples_per_class must be >= 1')
            self.samples_per_class = int(samples_per_class)
        total = self.samples_per_class * len(self.class_indices)
        if round_up:
            self.num_samples = math.ceil(total / world_size)
            self.total_size = self.num_samples * world_size
        else:
            self.num_samples = math.ceil((total - rank) / world_size)
            self.total_size = total

    def _class_stream(self, indices: np.ndarray, g: torch.Generator) -> np.ndarray:
        m = self.samples_per_class
        reps = math.ceil(m / indices.size)
        perms = [indices[torch.randperm(indices.size, generator=g).numpy()]
                 for _ in range(reps)]
        return np.concatenate(perms)[:m]

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        streams = [self._class_stream(ix, g) for ix in self.class_indices]
        k = len(streams)
        order = []
        for t in range(self.samples_per_class):
            for c in torch.randperm(k, generator=g).tolist():
                order.append(int(streams[c][t]))
        if self.round_up and len(order) < self.total_size:
            order += order[:self.total_size - len(order)]
        return iter(order[self.rank:self.total_size:self.world_size])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
