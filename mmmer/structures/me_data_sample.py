"""The data element that travels from the pipeline to the metric."""
from numbers import Number
from typing import Sequence, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement


def _to_label_tensor(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.reshape(-1).long()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value).reshape(-1).long()
    if isinstance(value, Number):
        return torch.tensor([int(value)], dtype=torch.long)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return torch.tensor(list(value), dtype=torch.long)
    raise TypeError(f'Cannot make a label tensor from {type(value)}: {value!r}')


class MEDataSample(BaseDataElement):
    """One micro-expression sample.

    Data fields: ``gt_label``, ``pred_label``, ``pred_score`` (tensors).
    Metainfo: ``subject`` (namespaced, e.g. ``casme2_sub01``), ``dataset``,
    ``clip``, ``sample_idx``, ``is_generated`` (synthetic training samples from
    a generator; excluded from every metric).
    """

    def set_gt_label(self, value: Union[int, torch.Tensor]) -> 'MEDataSample':
        self.set_field(_to_label_tensor(value), 'gt_label', dtype=torch.Tensor)
        return self

    def set_pred_label(self, value) -> 'MEDataSample':
        self.set_field(_to_label_tensor(value), 'pred_label', dtype=torch.Tensor)
        return self

    def set_pred_score(self, value: torch.Tensor) -> 'MEDataSample':
        if not isinstance(value, torch.Tensor):
            value = torch.as_tensor(value)
        self.set_field(value, 'pred_score', dtype=torch.Tensor)
        return self
