"""Improved lightweight ViT block (MobileViT-style, Ghost q=k=v) of
"Micro-expression recognition model based on TV-L1 optical flow method and
improved ShuffleNet" (Liu et al., Scientific Reports 2022).

The paper, "Improved lightweight ViT module" (eqs. 12-15, Figs. 4-5): a
MobileViT block (Mehta & Rastegari 2021) whose self-attention
(i) computes its projection with a Ghost module instead of linear layers and
(ii) shares one projection for Q, K and V (after MoCoViT, Ma et al. 2022):
``V = f(X)``, ``Q = K = V`` and ``Attn(V) = Softmax(V V^T / sqrt(d_v)) V``
(eqs. 13-14).

Where the paper is silent, the choices below are arguments and are recorded
here (docs/methods/shufflenet.md has the whole list):

- ``embed_dims`` d, ``num_layers`` L, ``num_heads``, ``mlp_ratio``: not
  given; defaults d = 96, L = 2, 4 heads, MLP ratio 2. The configs use
  d = 64 after stage3 and d = 96 after stage4 (MobileViT-XXS widths) with
  ``conv_mode='lite'``, which gives the proposed model the paper's 1.53 M
  parameters (1,549,503 with the 3-class head).
- Heads: eq. 14 is single-head; with ``num_heads`` > 1 the shared V is split
  into heads and each head uses ``Softmax(V_h V_h^T / sqrt(d/heads)) V_h``.
- Ghost projection layout: tokens of one pixel position p form the
  (H/h) x (W/w) grid of patches, and the Ghost module's cheap 3x3 depthwise
  "linear operation" runs on that grid (so it mixes neighbouring patches,
  the only spatial meaning a token sequence has here). Ratio 2: a 1x1
  primary conv gives d/2 maps, the depthwise conv the other d/2.
- An output projection (Linear d -> d) follows the attention, as in every
  transformer; the paper removes only the q/k/v layers.
- Pre-norm LayerNorm transformer layers with residuals; SiLU in the MLP
  (MobileViT); conv-BN-act layers use the network's LeakyReLU.
- ``conv_mode``: the paper says "n x n standard convolutional layer" for the
  local and the fusion convolutions; ``'standard'`` follows it. With the
  channel counts of ShuffleNetV2 1.0x (232, 464) these two convolutions
  dominate the parameter count: even depthwise-separable versions
  (``'separable'``: n x n depthwise + 1x1, both conv-BN-act) hold 1.26 M
  parameters for the two blocks, far above the paper's 1.53 M for the whole
  model. ``'lite'`` (the configs' choice) keeps every step of the block and
  makes the two n x n convolutions cheap: the local n x n convolution is
  depthwise (it and the following 1x1 C -> d projection form one
  depthwise-separable n x n convolution), and the fusion is an n x n
  convolution with C groups over the channel-paired concatenation, i.e.
  output channel c fuses input channel c with global channel c (the 1x1
  d -> C projection before it already mixes channels).
- Feature maps whose side is not a multiple of the patch size (7x7 after
  stage4 with 2x2 patches) are bilinearly resized up to the next multiple
  before unfolding and back after folding (MobileViT's own remedy).
"""
import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule

from mmmer.models.layers.ghost_module import GhostModule
from mmmer.registry import MODELS

__all__ = ['LiteViTBlock', 'SharedGhostAttention', 'GhostTransformerLayer',
           'pair_channels', 'CONV_MODES']


def _conv_bn_act(in_ch, out_ch, kernel, act_cfg, groups=1):
    layers = [nn.Conv2d(in_ch, out_ch, kernel, 1, kernel // 2, groups=groups,
                        bias=False), nn.BatchNorm2d(out_ch)]
    if act_cfg is not None:
        layers.append(build_activation_layer(dict(act_cfg)))
    return nn.Sequential(*layers)


CONV_MODES = ('standard', 'separable', 'lite')


def _nxn_conv(in_ch, out_ch, kernel, act_cfg, mode):
    """The block's local (C -> C) n x n convolution in the given mode."""
    if mode == 'standard':
        return _conv_bn_act(in_ch, out_ch, kernel, act_cfg)
    if mode == 'separable':
        return nn.Sequential(_conv_bn_act(in_ch, in_ch, kernel, act_cfg, groups=in_ch),
                             _conv_bn_act(in_ch, out_ch, 1, act_cfg))
    if mode == 'lite':
        if in_ch != out_ch:
            raise ValueError("conv_mode='lite': the local conv keeps the channels")
        return _conv_bn_act(in_ch, in_ch, kernel, act_cfg, groups=in_ch)
    raise ValueError(f'conv_mode must be one of {CONV_MODES}, got {mode!r}')


def _fuse_conv(channels, kernel, act_cfg, mode):
    """The block's fusion n x n convolution (2C -> C) in the given mode;
    ``'lite'`` expects the channel-paired input of :func:`pair_channels`."""
    if mode == 'lite':
        return _conv_bn_act(2 * channels, channels, kernel, act_cfg, groups=channels)
    return _nxn_conv(2 * channels, channels, kernel, act_cfg, mode)


def pair_channels(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) x 2 -> (B, 2C, H, W) ordered x_0, y_0, x_1, y_1, ...: a
    convolution with C groups then sees exactly (x_c, y_c) in group c."""
    b, c, h, w = x.shape
    return torch.stack([x, y], dim=2).reshape(b, 2 * c, h, w)


class SharedGhostAttention(nn.Module):
    """Eqs. 13-14: one Ghost projection V = f(X); Q = K = V;
    ``Softmax(V V^T / sqrt(d_head)) V`` per head, then a linear output
    projection.

    ``forward(tokens, grid)`` takes tokens (B', N, d) and the (rows, cols)
    grid of the N tokens (N = rows * cols), on which the Ghost module's
    depthwise convolution runs.
    """

    def __init__(self, dim: int, num_heads: int = 4, ghost_ratio: int = 2,
                 ghost_dw_size: int = 3, attn_drop: float = 0.0,
                 proj_drop: float = 0.0):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'SharedGhostAttention: dim {dim} not divisible by '
                             f'num_heads {num_heads}')
        self.dim = dim
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.v_proj = GhostModule(dim, dim, ratio=ghost_ratio, dw_size=ghost_dw_size)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def project(self, tokens: torch.Tensor, grid) -> torch.Tensor:
        """V = f(X): tokens (B', N, d) -> (B', N, d) through the Ghost module."""
        b, n, d = tokens.shape
        rows, cols = grid
        if rows * cols != n:
            raise ValueError(f'grid {grid} does not hold {n} tokens')
        x = tokens.transpose(1, 2).reshape(b, d, rows, cols)
        return self.v_proj(x).reshape(b, d, n).transpose(1, 2)

    def forward(self, tokens: torch.Tensor, grid) -> torch.Tensor:
        b, n, d = tokens.shape
        v = self.project(tokens, grid)
        v = v.reshape(b, n, self.num_heads, self.head_dim).transpose(1, 2)
        attn = (v @ v.transpose(-2, -1)) * self.scale
        attn = self.attn_drop(attn.softmax(dim=-1))
        out = (attn @ v).transpose(1, 2).reshape(b, n, d)
        return self.proj_drop(self.proj(out))


class GhostTransformerLayer(nn.Module):
    """Pre-norm transformer layer with :class:`SharedGhostAttention`."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 2.0,
                 mlp_act_cfg: dict = dict(type='SiLU'), drop: float = 0.0,
                 attn_drop: float = 0.0, ghost_ratio: int = 2,
                 ghost_dw_size: int = 3):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SharedGhostAttention(dim, num_heads, ghost_ratio, ghost_dw_size,
                                         attn_drop, drop)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(round(dim * mlp_ratio))
        self.mlp = nn.Sequential(nn.Linear(dim, hidden),
                                 build_activation_layer(dict(mlp_act_cfg)),
                                 nn.Dropout(drop), nn.Linear(hidden, dim),
                                 nn.Dropout(drop))

    def forward(self, tokens, grid):
        tokens = tokens + self.attn(self.norm1(tokens), grid)
        return tokens + self.mlp(self.norm2(tokens))


@MODELS.register_module()
class LiteViTBlock(BaseModule):
    """The paper's improved lightweight ViT block (shape-preserving).

    1. local representation: n x n conv-BN-act (C -> C), 1x1 conv (C -> d);
    2. unfold into non-overlapping h x w patches: P = hw pixel positions,
       N = HW/P patches; for every p a stack of L transformer layers runs
       over the N patches (eq. 15);
    3. fold back to d x H x W (no pixel order is lost), 1x1 conv-BN-act
       (d -> C), concatenate with the block input (2C), n x n conv-BN-act
       (2C -> C) fusing local and global features (grouped per channel pair
       with ``conv_mode='lite'``).

    See the module docstring for the choices where the paper is silent.

    Args:
        in_channels (int): C.
        embed_dims (int): d.
        num_layers (int): L.
        num_heads (int): attention heads (d must be divisible).
        mlp_ratio (float): transformer MLP hidden / d.
        patch_size (int | tuple): (h, w); the paper requires h, w <= n.
        kernel_size (int): n.
        conv_mode (str): ``'standard'`` (paper's wording), ``'separable'`` or
            ``'lite'`` (see the module docstring).
        act_cfg (dict): activation of the conv-BN-act layers.
        mlp_act_cfg (dict): activation inside the transformer MLP.
        drop, attn_drop (float): dropout rates in the transformer.
        ghost_ratio, ghost_dw_size (int): Ghost module settings.
    """

    def __init__(self, in_channels: int, embed_dims: int = 96, num_layers: int = 2,
                 num_heads: int = 4, mlp_ratio: float = 2.0, patch_size=2,
                 kernel_size: int = 3, conv_mode: str = 'standard',
                 act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.01),
                 mlp_act_cfg: dict = dict(type='SiLU'), drop: float = 0.0,
                 attn_drop: float = 0.0, ghost_ratio: int = 2,
                 ghost_dw_size: int = 3, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        ph, pw = (patch_size, patch_size) if isinstance(patch_size, int) else patch_size
        if not (1 <= ph <= kernel_size and 1 <= pw <= kernel_size):
            raise ValueError(f'LiteViTBlock: patch size ({ph}, {pw}) must be within '
                             f'1..n = {kernel_size} (the paper: h, w <= n)')
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.patch_size = (ph, pw)
        self.local_conv = _nxn_conv(in_channels, in_channels, kernel_size, act_cfg,
                                    conv_mode)
        self.to_tokens = nn.Conv2d(in_channels, embed_dims, 1, bias=False)
        self.layers = nn.ModuleList([
            GhostTransformerLayer(embed_dims, num_heads, mlp_ratio, mlp_act_cfg, drop,
                                  attn_drop, ghost_ratio, ghost_dw_size)
            for _ in range(num_layers)])
        self.norm = nn.LayerNorm(embed_dims)
        self.from_tokens = _conv_bn_act(embed_dims, in_channels, 1, act_cfg)
        self.fuse = _fuse_conv(in_channels, kernel_size, act_cfg, conv_mode)
        self.conv_mode = conv_mode

    def unfold(self, x: torch.Tensor):
        """(B, d, H, W) -> tokens (B*P, N, d) and the (H/h, W/w) patch grid.

        Token ``[b*P + i*w + j, r*(W/w) + c]`` is pixel (r*h + i, c*w + j).
        """
        b, d, H, W = x.shape
        ph, pw = self.patch_size
        rows, cols = H // ph, W // pw
        t = x.reshape(b, d, rows, ph, cols, pw).permute(0, 3, 5, 2, 4, 1)
        return t.reshape(b * ph * pw, rows * cols, d), (rows, cols)

    def fold(self, tokens: torch.Tensor, batch: int, grid) -> torch.Tensor:
        """Inverse of :meth:`unfold`."""
        ph, pw = self.patch_size
        rows, cols = grid
        d = tokens.shape[-1]
        t = tokens.reshape(batch, ph, pw, rows, cols, d).permute(0, 5, 3, 1, 4, 2)
        return t.reshape(batch, d, rows * ph, cols * pw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'LiteViTBlock expects (B, {self.in_channels}, H, W), '
                             f'got {tuple(x.shape)}')
        b, _, H, W = x.shape
        y = self.to_tokens(self.local_conv(x))
        ph, pw = self.patch_size
        Hp, Wp = math.ceil(H / ph) * ph, math.ceil(W / pw) * pw
        resized = (Hp, Wp) != (H, W)
        if resized:
            y = F.interpolate(y, size=(Hp, Wp), mode='bilinear', align_corners=False)
        tokens, grid = self.unfold(y)
        for layer in self.layers:
            tokens = layer(tokens, grid)
        y = self.fold(self.norm(tokens), b, grid)
        if resized:
            y = F.interpolate(y, size=(H, W), mode='bilinear', align_corners=False)
        y = self.from_tokens(y)
        if self.conv_mode == 'lite':
            return self.fuse(pair_channels(x, y))
        return self.fuse(torch.cat([x, y], dim=1))
