"""Channel LayerNorm: normalise over the channel axis at every position.

HTNet (Wang et al.; its official ``Model.py``) and AHMSA-Net (Zhang et al.,
2025, eq. 3) use a LayerNorm that, for every spatial position, normalises the
C channel values with the *biased* variance and ``eps`` inside the square root,
``y = (x - mean_c) / sqrt(var_c + eps) * g + b`` with learnable per-channel
``g`` (init 1) and ``b`` (init 0).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmmer.registry import MODELS


@MODELS.register_module()
class ChannelLayerNorm(nn.Module):
    """LayerNorm over channels of a feature map.

    Args:
        num_channels (int): C.
        eps (float): added to the biased variance inside the square root.
            Default 1e-5 (HTNet).
        data_format (str): ``'channels_last'`` (default): input ``(..., C)``,
            e.g. tokens ``(B, N, C)`` or maps ``(B, H, W, C)``; computed with
            the fused ``F.layer_norm`` kernel, which is exactly the formula
            above. ``'channels_first'``: input ``(B, C, H, W)``.

    mmmer's transformer backbones keep features channels-last, where the
    channel LN is a plain ``layer_norm`` over the last axis (one fused kernel,
    no mean/var temporaries), which profiling showed is the fast choice.
    """

    def __init__(self, num_channels: int, eps: float = 1e-5,
                 data_format: str = 'channels_last'):
        super().__init__()
        if data_format not in ('channels_last', 'channels_first'):
            raise ValueError(f'ChannelLayerNorm: data_format must be '
                             f"'channels_last' or 'channels_first', got {data_format!r}")
        self.num_channels = num_channels
        self.eps = eps
        self.data_format = data_format
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.data_format == 'channels_last':
            return F.layer_norm(x, (self.num_channels,), self.weight, self.bias, self.eps)
        # (B, C, H, W): move C last (a strided view), normalise, move back.
        y = F.layer_norm(x.movedim(1, -1), (self.num_channels,), self.weight,
                         self.bias, self.eps)
        return y.movedim(-1, 1)

    def extra_repr(self) -> str:
        return f'{self.num_channels}, eps={self.eps}, data_format={self.data_format}'
