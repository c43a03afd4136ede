"""Keep a fold's whole (small) dataset on the device.

ME datasets are tiny (a few hundred 28x28x3 flow images per fold), so at
HTNet's batch 256 a fold's training set is one or two batches, and a run of
800 epochs spends most of its time in the dataloader (worker hand-off,
collation, host-to-device copies) rather than in the model. Packing every
sample once and indexing a device tensor removes all of that.

Only valid when the pipeline is deterministic: the packed tensors are
computed once, so a random augmentation would be frozen. The hook refuses
pipelines with random transforms unless ``allow_random_pipeline=True``.
"""
from typing import Optional, Sequence

import torch
from mmengine.hooks import Hook

from mmmer.registry import HOOKS

# Transform names that draw random numbers per call (mmcv and mmmer naming:
# RandomFlip, RandomResize, RandomChoice, ...).
_RANDOM_MARKERS = ('Random', 'Augment', 'Jitter', 'Mixup', 'CutMix')


def random_transforms(dataset) -> list:
    """Names of transforms in ``dataset.pipeline`` that look random."""
    pipeline = getattr(dataset, 'pipeline', None)
    transforms = getattr(pipeline, 'transforms', None) or []
    names = []
    for t in transforms:
        name = type(t).__name__
        if any(m in name for m in _RANDOM_MARKERS) or \
                getattr(t, 'prob', None) not in (None, 0, 0.0):
            names.append(name)
    return names


class ResidentDataLoader:
    """A dataloader stand-in that serves batches from device-resident tensors.

    Batches follow the wrapped loader's ``batch_sampler`` (so shuffling, the
    sampler seed and ``set_epoch`` by DistSamplerSeedHook behave as before)
    and hold the same values as the wrapped loader's after the model's
    data_preprocessor: ``inputs`` is the stacked (B, ...) tensor already on
    the device, ``data_samples`` fresh copies of the packed samples.

    Args:
        dataloader: a built ``torch.utils.data.DataLoader``.
        device: where the inputs live.
        max_bytes: refuse datasets larger than this (default 4 GiB).
    """

    def __init__(self, dataloader, device, max_bytes: int = 4 * 1024 ** 3):
        self.wrapped = dataloader
        self.dataset = dataloader.dataset
        self.sampler = dataloader.sampler
        self.batch_sampler = dataloader.batch_sampler
        self.batch_size = dataloader.batch_size
        if self.batch_sampler is None:
            raise ValueError('ResidentDataLoader needs a dataloader with a '
                             'batch_sampler (batch_size set).')
        inputs, samples, total = [], [], 0
        for i in range(len(self.dataset)):
            packed = self.dataset[i]
            if not isinstance(packed, dict) or 'inputs' not in packed:
                raise TypeError(f'{type(self.dataset).__name__}[{i}] is not a '
                                'packed dict with "inputs" (end the pipeline '
                                'with PackMEInputs).')
            x = packed['inputs']
            total += x.numel() * x.element_size()
            if total > max_bytes:
                raise MemoryError(
                    f'{type(self.dataset).__name__} exceeds max_bytes='
                    f'{max_bytes} when resident; raise it or drop '
                    'ResidentDataHook for this dataset.')
            inputs.append(x)
            samples.append(packed.get('data_samples'))
        shapes = {tuple(x.shape) for x in inputs}
        if len(shapes) != 1:
            raise ValueError(f'ResidentDataLoader needs equal input shapes, got '
                             f'{sorted(shapes)[:4]} in {type(self.dataset).__name__}.')
        self.inputs = torch.stack(inputs).to(device)
        self.samples = samples
        self.device = torch.device(device)

    def __len__(self):
        return len(self.batch_sampler)

    def __iter__(self):
        for indices in self.batch_sampler:
            idx = torch.as_tensor(indices, dtype=torch.long,
                                  device=self.inputs.device)
            # clone(): predict() writes pred fields into the samples, and the
            # originals are reused every epoch.
            samples = [s.clone() if s is not None else None
                       for s in (self.samples[i] for i in indices)]
            yield dict(inputs=self.inputs.index_select(0, idx),
                       data_samples=samples)


@HOOKS.register_module()
class ResidentDataHook(Hook):
    """Replace the train (and optionally test/val) dataloaders by
    :class:`ResidentDataLoader` at the start of the loop.

    Config: ``custom_hooks = [dict(type='ResidentDataHook')]`` or
    ``resident_data = True``. On CPU it only skips collation (harmless, same
    batches); on a GPU it also removes the per-batch host-to-device copies.

    Args:
        loops: which loops to serve ('train', 'val', 'test').
        allow_random_pipeline: preload even if the pipeline has random
            transforms (their draw is then frozen for the whole run).
        max_bytes: size limit of the resident inputs per loader.
    """

    priority = 'VERY_HIGH'

    def __init__(self, loops: Sequence[str] = ('train', 'val', 'test'),
                 allow_random_pipeline: bool = False,
                 max_bytes: int = 4 * 1024 ** 3,
                 device: Optional[str] = None):
        bad = set(loops) - {'train', 'val', 'test'}
        if bad:
            raise ValueError(f'ResidentDataHook: unknown loops {sorted(bad)}')
        self.loops = tuple(loops)
        self.allow_random_pipeline = allow_random_pipeline
        self.max_bytes = max_bytes
        self.device = device

    def _device(self, runner):
        if self.device is not None:
            return torch.device(self.device)
        model = getattr(runner.model, 'module', runner.model)
        for p in model.parameters():
            return p.device
        return torch.device('cpu')

    def _make_resident(self, runner, phase):
        if phase not in self.loops:
            return
        loop = getattr(runner, f'{phase}_loop')
        if isinstance(loop.dataloader, ResidentDataLoader):
            return
        random_names = random_transforms(loop.dataloader.dataset)
        if phase == 'train' and random_names and not self.allow_random_pipeline:
            raise ValueError(
                f'ResidentDataHook: the train pipeline has random transforms '
                f'{random_names}; preloading would freeze them. Remove the hook '
                'or set allow_random_pipeline=True.')
        loop.dataloader = ResidentDataLoader(loop.dataloader,
                                             self._device(runner),
                                             self.max_bytes)
        resident = loop.dataloader.inputs
        mib = resident.numel() * resident.element_size() / 1024 ** 2
        runner.logger.info(
            f'ResidentDataHook: {phase} set resident on {resident.device}: '
            f'{tuple(resident.shape)} ({mib:.1f} MiB)')

    def before_train(self, runner) -> None:
        self._make_resident(runner, 'train')

    def before_val(self, runner) -> None:
        self._make_resident(runner, 'val')

    def before_test(self, runner) -> None:
        self._make_resident(runner, 'test')
