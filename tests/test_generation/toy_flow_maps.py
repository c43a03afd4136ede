"""A tiny two-dataset set of cached 28x28x3 classifier inputs for the
generation tests.

Each sample is an ``.npz`` with ``img`` (float32, values 0..255, channels
(u, v, strain)) written under ``cache_dir`` like the offline preprocessing
cache, so the real online pipeline ``[LoadCachedArrays, PackMEInputs]`` reads
it. Class ``c`` shows as a bright 14x14 square in quadrant ``c`` of channel
``c`` on a dark noisy background: easy to learn, easy to check.
Per subject: 3 negative, 2 positive, 1 surprise (imbalanced on purpose).
"""
import os.path as osp

import numpy as np

from mmmer.datasets.base import MEDataset
from mmmer.registry import DATASETS
from mmmer.utils.io import save_npz_atomic

PER_SUBJECT = {'disgust': 3, 'happiness': 2, 'surprise': 1}


def class_pattern(label: int, rng=None, size: int = 28) -> np.ndarray:
    img = np.full((size, size, 3), 40.0, dtype=np.float32)
    if rng is not None:
        img += rng.uniform(-30, 30, img.shape).astype(np.float32)
    h = size // 2
    r, c = divmod(label, 2)
    img[r * h:(r + 1) * h, c * h:(c + 1) * h, label] = 220.0
    return np.clip(img, 0, 255)


@DATASETS.register_module(force=True)
class ToyFlowMapDataset(MEDataset):
    """``datasets``: {name: number of subjects}; subjects are '{name}_s{k}'."""
    DATASET_NAME = 'casme2'

    def __init__(self, cache_dir, datasets=None, seed=0, **kwargs):
        self.cache_dir = cache_dir
        self.toy_datasets = dict(datasets or {'toya': 6, 'toyb': 4})
        self.seed = seed
        super().__init__(**kwargs)

    def parse_annotations(self):
        rng = np.random.default_rng(self.seed)
        out = []
        for name, n_subjects in sorted(self.toy_datasets.items()):
            for s in range(n_subjects):
                for emotion, n in PER_SUBJECT.items():
                    for k in range(n):
                        label = self.label_of(emotion)
                        subject = f'{name}_s{s}'
                        clip = f'{emotion}{k}'
                        path = osp.join(self.cache_dir, f'{subject}_{clip}.npz')
                        img = class_pattern(label, rng)
                        if not osp.exists(path):
                            save_npz_atomic(path, img=img)
                        out.append(dict(dataset=name, subject=subject, clip=clip,
                                        emotion=emotion, gt_label=label, cache_path=path))
        return out


def toy_dataset_cfg(cache_dir, **kwargs):
    return dict(type='ToyFlowMapDataset', cache_dir=str(cache_dir),
                pipeline=[dict(type='LoadCachedArrays'), dict(type='PackMEInputs')],
                **kwargs)


#: The tiny twin of the default DDPM (the sizes of
#: configs/_base_/models/htnet_ddpm_generator.py scaled down).
TINY_DIFFUSION = dict(
    num_groups=5,
    unet=dict(block_out_channels=(16, 32, 32), layers_per_block=1, norm_num_groups=8,
              attention_head_dim=8),
    train=dict(steps=50, batch_size=16, lr=1e-3, ema=0.999, log_interval=25,
               checkpoint_interval=0),
    sample=dict(num_inference_steps=20, batch_size=64),
    device='cpu',
)
