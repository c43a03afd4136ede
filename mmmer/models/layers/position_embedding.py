"""Learnable absolute position embedding (LAPE), Eq. 6 of the LAPE/ESAAT paper
(Zhang et al., 2025).

``LAPE(x_i) = x_i + PE(p_i)``: one learnable C-dim vector per patch position,
added to the patch embeddings. Layout (mmmer's choice, since
the paper gives only the equation): a tensor ``P`` of shape ``(1, C, H, W)`` (HTNet:
1 x 256 x 4 x 4 = 4,096 parameters), trunc-normal(std 0.02) init, added
straight after HTNet's patch-embedding projection.
"""
import torch
import torch.nn as nn
from torch.nn.init import trunc_normal_

from mmmer.registry import MODELS


@MODELS.register_module()
class LearnableAbsolutePositionEmbedding(nn.Module):
    """Adds ``P[:, :, i, j]`` to the embedding at grid position ``(i, j)``.

    Args:
        num_channels (int): C.
        grid_size (int | tuple[int, int]): ``(H, W)`` of the patch grid.
        init_std (float): std of the truncated-normal init. Default 0.02.
        data_format (str): ``'channels_last'`` (input ``(B, H, W, C)``, the
            layout of mmmer's HTNet) or ``'channels_first'`` (``(B, C, H, W)``).
    """

    def __init__(self, num_channels: int, grid_size, init_std: float = 0.02,
                 data_format: str = 'channels_last'):
        super().__init__()
        if isinstance(grid_size, int):
            grid_size = (grid_size, grid_size)
        if data_format not in ('channels_last', 'channels_first'):
            raise ValueError(f'LearnableAbsolutePositionEmbedding: bad data_format {data_format!r}')
        self.grid_size = tuple(grid_size)
        self.data_format = data_format
        self.pos_embed = nn.Parameter(torch.zeros(1, num_channels, *self.grid_size))
        trunc_normal_(self.pos_embed, std=init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.data_format == 'channels_last':
            if tuple(x.shape[1:3]) != self.grid_size:
                raise ValueError(f'LAPE: built for a {self.grid_size} grid, got input '
                                 f'{tuple(x.shape)} (expected (B, H, W, C))')
            return x + self.pos_embed.permute(0, 2, 3, 1)
        if tuple(x.shape[2:4]) != self.grid_size:
            raise ValueError(f'LAPE: built for a {self.grid_size} grid, got input '
                             f'{tuple(x.shape)} (expected (B, C, H, W))')
        return x + self.pos_embed
