"""EDMDBN: entire / detail motion dual-branch network.

Ma et al., "Entire-detail motion dual-branch network for micro-expression
recognition", Pattern Recognition Letters 2025 (doi 10.1016/j.patrec.2025.01.021).

Input packing (written by :class:`mmmer.datasets.transforms.EntireDetailMotion`
and packed to CTHW by ``PackMEInputs``): one tensor ``(B, 3, 1 + T, H, W)``
stacked along time, slice 0 = entire motion ``M_entire = F_apex - F_onset``
(Sec. 3.2), slices 1..T = detail motion ``F_{t+1} - F_t`` of the T+1
interpolated frames. (The official code stacks the same two parts plus an
unused apex frame.)

Per branch: Swin-T with accumulated token attention (Sec. 3.3), temporal
average pooling of the detail tokens (Sec. 3.4, Fig. 4), fusion by addition
(or concatenation, Table 9), output (B, 4C, H/16, W/16); the classifier is
``LinearClsHead`` on the flattened map, C_in = 4C * N (Sec. 3.5).

Variants (``variant=``):

* ``'official'`` -- the network the reference code (likemby/EDMDBN 9699606)
  actually runs (docs/methods/edmdbn.md): both branches are the
  video Swin with tubelet (8, 4, 4), window (8, 7, 7), C=128, depths 2/2/6,
  heads 4/8/16, drop path 0.2, PyTorch default init. The entire motion is a
  single frame zero-padded to 8 inside the tubelet embedding. The dead
  ``VisionTransformer_POS`` of the reference is not built. Params (with
  ``LinearClsHead``): **44,108,197** for 3 classes, **44,308,903** for 5;
  compute at T=8, 224x224: **13.405 GMACs = 26.81 GFLOPs** per clip
  (FlopCounterMode, matmul/conv/bmm only).
* ``'paper'`` -- the paper's text: the entire branch is a true 2D Swin
  (4x4 patches, 7x7 windows, Sec. 3.3 "the temporal dimension is removed");
  the detail branch is the same video Swin. With the same dims, params
  (with the head) are **43,781,269** for 3 classes (43,981,975 for 5):
  43,008 fewer embedding weights and 283,920 fewer relative-position rows
  than the official build; compute 13.270 GMACs (26.54 GFLOPs) per clip
  (the 2D embedding skips the zero-padded frames).
  Its detail input comes from keyframes placed at their real time positions
  (see ``TemporalInterpolation(mode='time')``).

Ablations (Tables 6, 8, 9): ``branches=('entire',)`` / ``('detail',)``,
``token_attention=False``, ``fusion='concat'``.
"""
from typing import Sequence

import torch
from mmengine.model import BaseModule

from mmmer.registry import MODELS

from .swin import SwinTransformer2D, SwinTransformer3D


@MODELS.register_module()
class EDMDBN(BaseModule):
    """Dual-branch Swin backbone of EDMDBN.

    Args:
        variant (str): ``'official'`` or ``'paper'`` (see module docstring).
        num_frames (int): T, the number of detail-motion slices.
        in_channels (int): 3 (RGB differences).
        embed_dims (int): C (128 in the paper, Sec. 4.3).
        depths, num_heads (Sequence[int]): per stage (2/2/6, 4/8/16).
        patch_size (Sequence[int]): detail-branch tubelet (t, h, w); the
            paper variant's entire branch uses its (h, w).
        window_size (Sequence[int]): (t, h, w) window; (h, w) for 2D.
        mlp_ratio (float), drop_path_rate (float): Swin settings.
        token_attention (bool): accumulated attention ("AA", Table 8).
        branches (Sequence[str]): subset of ``('entire', 'detail')``.
        fusion (str): ``'add'`` (paper) or ``'concat'`` (channel concat).
        weight_init (str): see :class:`SwinTransformer3D`.

    Output: (B, C_out, H', W'); ``out_channels`` = C_out = 4C (add, or a
    single branch) or 8C (concat); ``feature_size(h, w)`` gives H', W'.
    """

    VARIANTS = ('official', 'paper')
    BRANCHES = ('entire', 'detail')

    def __init__(self, variant: str = 'official', num_frames: int = 8,
                 in_channels: int = 3, embed_dims: int = 128,
                 depths: Sequence[int] = (2, 2, 6),
                 num_heads: Sequence[int] = (4, 8, 16),
                 patch_size: Sequence[int] = (8, 4, 4),
                 window_size: Sequence[int] = (8, 7, 7),
                 mlp_ratio: float = 4., drop_path_rate: float = 0.2,
                 token_attention: bool = True,
                 branches: Sequence[str] = ('entire', 'detail'),
                 fusion: str = 'add', weight_init: str = 'pytorch',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if variant not in self.VARIANTS:
            raise ValueError(f'EDMDBN: variant must be one of {self.VARIANTS}, got {variant!r}')
        branches = (branches, ) if isinstance(branches, str) else tuple(branches)
        if not branches or any(b not in self.BRANCHES for b in branches) \
                or len(set(branches)) != len(branches):
            raise ValueError(f'EDMDBN: branches must be a non-empty subset of {self.BRANCHES}, '
                             f'got {branches}')
        if fusion not in ('add', 'concat'):
            raise ValueError(f"EDMDBN: fusion must be 'add' or 'concat', got {fusion!r}")
        self.variant = variant
        self.num_frames = int(num_frames)
        self.branches = branches
        self.fusion = fusion
        common = dict(in_channels=in_channels, embed_dims=embed_dims,
                      depths=depths, num_heads=num_heads, mlp_ratio=mlp_ratio,
                      drop_path_rate=drop_path_rate,
                      token_attention=token_attention, weight_init=weight_init)
        patch_size = tuple(patch_size)
        window_size = tuple(window_size)
        if 'entire' in branches:
            if variant == 'official':
                self.entire_branch = SwinTransformer3D(
                    patch_size=patch_size, window_size=window_size, **common)
            else:
                self.entire_branch = SwinTransformer2D(
                    patch_size=patch_size[1:], window_size=window_size[1:], **common)
        if 'detail' in branches:
            self.detail_branch = SwinTransformer3D(
                patch_size=patch_size, window_size=window_size, **common)
        branch_channels = embed_dims * 2 ** (len(depths) - 1)
        self.spatial_stride = patch_size[1] * 2 ** (len(depths) - 1)
        both = len(branches) == 2
        self.out_channels = branch_channels * (2 if both and fusion == 'concat' else 1)

    def feature_size(self, height: int = 224, width: int = 224):
        """(H', W') of the output for an input of ``height`` x ``width``."""
        ceil = lambda n: -(-n // self.spatial_stride)  # noqa: E731
        return ceil(height), ceil(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, 1 + T, H, W) = [entire, detail_1..T] along time."""
        if x.ndim != 5 or x.shape[2] != 1 + self.num_frames:
            raise ValueError(
                f'EDMDBN expects inputs (B, C, 1 + T, H, W) with T={self.num_frames} '
                f'(slice 0 entire motion, 1..T detail motion), got {tuple(x.shape)}; '
                'use the EntireDetailMotion transform with the same num_frames.')
        feats = []
        if 'entire' in self.branches:
            entire = x[:, :, 0]
            if self.variant == 'official':
                # (B, C, 1, H, W); the tubelet embedding zero-pads time to 8.
                out = self.entire_branch(entire.unsqueeze(2)).mean(dim=2)
            else:
                out = self.entire_branch(entire)
            feats.append(out)
        if 'detail' in self.branches:
            # Temporal average pooling of the spatio-temporal tokens (Fig. 4).
            feats.append(self.detail_branch(x[:, :, 1:]).mean(dim=2))
        if len(feats) == 1:
            return feats[0]
        if self.fusion == 'add':
            return feats[0] + feats[1]
        return torch.cat(feats, dim=1)
