"""Token Attention with attention accumulated across Swin stages (EDMDBN AA).

Ma et al., "Entire-detail motion dual-branch network for micro-expression
recognition", Pattern Recognition Letters 2025, Sec. 3.3, Fig. 3:

* Eq. (1): ``A_cur = Sig(FC([Max(TK); Avg(TK)]))`` -- per token, the max and
  the mean over the feature dimension, a fully connected layer 2 -> 1 and a
  sigmoid give one weight per token.
* Eq. (2): ``A_final = A_cur (.) DownSampling(A_prev)`` -- the previous
  stage's (already accumulated) map, downsampled 2x spatially to the current
  token grid, multiplies the current map, so the weights are a product over
  all stages so far.
* Output ``TK' = TK (.) A_final`` (broadcast over the features), and
  ``A_final`` is passed on to the next stage.

The authors' code (github.com/likemby/EDMDBN) fixes what the paper
leaves open, and this module follows it: the features are ordered
``[mean; max]`` (the order only permutes the two FC weights), the FC is a
per-token linear layer with bias (3 parameters), the 2x downsampling is a
2x2 max-pool, and the module runs after a stage's blocks and before its patch
merging, in every stage including the last.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class AccumulatedTokenAttention(nn.Module):
    """One stage's token attention; 3 parameters.

    Args:
        downsample (str): ``'max'`` (official) or ``'avg'`` pooling of the
            previous map by 2x2.

    Forward:
        x: channel-last tokens (B, D, H, W, C).
        prev: accumulated map of the previous stage (B, D, H_p, W_p, 1) or
            None (first stage). H_p is H or 2H (or 2H-1 for odd grids, which
            patch merging pads).

    Returns:
        ``(x * a, a)`` with ``a`` of shape (B, D, H, W, 1) in (0, 1).
    """

    def __init__(self, downsample: str = 'max'):
        super().__init__()
        if downsample not in ('max', 'avg'):
            raise ValueError(f"downsample must be 'max' or 'avg', got {downsample!r}")
        self.downsample = downsample
        self.fc = nn.Linear(2, 1)

    def current_attention(self, x: torch.Tensor) -> torch.Tensor:
        """Eq. (1): sigmoid(FC([mean_C(x); max_C(x)])), shape (..., 1)."""
        stats = torch.cat([x.mean(dim=-1, keepdim=True),
                           x.amax(dim=-1, keepdim=True)], dim=-1)
        return torch.sigmoid(self.fc(stats))

    def downsample_to(self, prev: torch.Tensor, size: Tuple[int, int, int]
                      ) -> torch.Tensor:
        """Pool ``prev`` (B, D, Hp, Wp, 1) onto the (D, H, W) grid."""
        if tuple(prev.shape[1:4]) == tuple(size):
            return prev
        grid = prev.permute(0, 4, 1, 2, 3)  # (B, 1, D, Hp, Wp)
        # ceil_mode covers odd grids, which patch merging zero-pads.
        if self.downsample == 'max':
            grid = F.max_pool3d(grid, (1, 2, 2), (1, 2, 2), ceil_mode=True)
        else:
            grid = F.avg_pool3d(grid, (1, 2, 2), (1, 2, 2), ceil_mode=True)
        if tuple(grid.shape[2:]) != tuple(size):
            raise ValueError(
                f'AccumulatedTokenAttention: previous map {tuple(prev.shape[1:4])} '
                f'cannot be pooled 2x onto the token grid {tuple(size)}')
        return grid.permute(0, 2, 3, 4, 1)

    def forward(self, x: torch.Tensor, prev: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        attention = self.current_attention(x)
        if prev is not None:
            attention = attention * self.downsample_to(prev, tuple(x.shape[1:4]))
        return x * attention, attention
