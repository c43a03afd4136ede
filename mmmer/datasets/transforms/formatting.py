"""Pack a results dict into ``{'inputs': Tensor, 'data_samples': MEDataSample}``."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmmer.registry import TRANSFORMS
from mmmer.structures import MEDataSample


@TRANSFORMS.register_module()
class PackMEInputs(BaseTransform):
    """Required keys: ``input_key`` (default ``'img'``), ``gt_label`` (optional).

    ``img`` of shape (H, W, C) becomes a float32 (C, H, W) tensor; a clip of
    shape (T, H, W, C) becomes (C, T, H, W). ``meta_keys`` present in the
    results are copied into the data sample's metainfo.
    Added keys: ``inputs``, ``data_samples``.
    """

    def __init__(self, input_key: str = 'img',
                 meta_keys=('sample_idx', 'subject', 'dataset', 'clip',
                            'is_generated')):
        self.input_key = input_key
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        if self.input_key not in results:
            raise KeyError(
                f'PackMEInputs: key {self.input_key!r} missing for sample '
                f'{results.get("subject")}/{results.get("clip")}; the pipeline '
                f'produced {sorted(results)}')
        arr = results[self.input_key]
        if isinstance(arr, np.ndarray):
            arr = np.ascontiguousarray(arr, dtype=np.float32)
            tensor = torch.from_numpy(arr)
        else:
            tensor = torch.as_tensor(arr, dtype=torch.float32)
        if tensor.ndim == 2:
            tensor = tensor[None]
        elif tensor.ndim == 3:
            tensor = tensor.permute(2, 0, 1).contiguous()
        elif tensor.ndim == 4:
            tensor = tensor.permute(3, 0, 1, 2).contiguous()
        else:
            raise ValueError(f'PackMEInputs: unsupported input shape {tuple(tensor.shape)}')
        sample = MEDataSample()
        if results.get('gt_label') is not None:
            sample.set_gt_label(results['gt_label'])
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        if 'is_generated' not in sample.metainfo_keys():
            sample.set_metainfo(dict(is_generated=False))
        return dict(inputs=tensor, data_samples=sample)

    def __repr__(self):
        return f'{type(self).__name__}(input_key={self.input_key!r})'
