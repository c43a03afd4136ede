"""Batch collation on the device."""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from mmmer.registry import MODELS


@MODELS.register_module()
class MEDataPreprocessor(BaseDataPreprocessor):
    """Stack ``inputs`` on the device and optionally normalise per channel.

    Args:
        mean, std (Sequence[float], optional): per-channel statistics; applied
            as ``(x - mean) / std`` over dim 1 (works for NCHW and NCTHW).
            HTNet feeds raw 0..255 values, so its configs leave them unset.
    """

    def __init__(self, mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 non_blocking: bool = False):
        super().__init__(non_blocking)
        self._normalize = mean is not None
        if self._normalize:
            if std is None:
                raise ValueError('MEDataPreprocessor: std must be given with mean')
            self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32), False)
            self.register_buffer('std', torch.tensor(std, dtype=torch.float32), False)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack([x.float() for x in inputs])
        else:
            inputs = inputs.float()
        if self._normalize:
            shape = [1, -1] + [1] * (inputs.ndim - 2)
            inputs = (inputs - self.mean.view(shape)) / self.std.view(shape)
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
