"""Swin Transformer for images and videos (shifted windows + relative bias).

One implementation serves both: every tensor inside is channel-last
``(B, D, H, W, C)``. The video (3D) Swin of Liu et al., "Video Swin
Transformer" (CVPR 2022), is :class:`SwinTransformer3D`; the image (2D) Swin of
Liu et al., "Swin Transformer" (ICCV 2021), is :class:`SwinTransformer2D`, the
same network with a temporal patch and window size of 1 (a ``(1, p, p)``
tubelet is exactly a ``p x p`` patch, and a ``(1, w, w)`` window exactly a
``w x w`` window, so parameters and results equal a dedicated 2D build).

Building blocks (paper section numbers are those of the Video Swin paper):

* :class:`PatchEmbed3D` -- non-overlapping tubelets, linear projection
  (a Conv3d with kernel = stride), then LayerNorm; D/H/W are zero-padded on
  the right to multiples of the patch size (3.1).
* :class:`WindowAttention3D` -- multi-head self-attention inside
  non-overlapping 3D windows with a learned relative position bias
  ``B in R^{(2P-1)(2M-1)(2M-1)}`` per head (3.2, Eq. 2). Computed with
  :func:`torch.nn.functional.scaled_dot_product_attention`, bias and shift
  mask passed as one additive ``attn_mask``.
* :class:`SwinBlock3D` -- ``x + DropPath(W-MSA(LN(x)))`` then
  ``x + DropPath(MLP(LN(x)))``; odd blocks shift the windows by half a window
  and mask attention across the wrapped regions with -100 (3.2, Eq. 1).
* :class:`PatchMerging3D` -- concatenates 2x2 spatial neighbours
  (order x00, x10, x01, x11), LayerNorm(4C), Linear(4C -> 2C, no bias).

Windows larger than the input along a dimension shrink to the input size and
lose their shift there, as in Video Swin; the relative-position table is
always allocated for the configured window and indexed at the relative offsets
that occur in the effective window.

Parameter count of one block: ``12C^2 + 13C + prod(2w-1) * heads``; of a
merge: ``8C^2 + 8C``.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from torch.nn.init import trunc_normal_

from mmmer.models.layers.token_attention import AccumulatedTokenAttention
from mmmer.registry import MODELS

Size3 = Tuple[int, int, int]


def _to_3tuple(value, name: str) -> Size3:
    if isinstance(value, int):
        return (value, value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 3 or min(value) < 1:
        raise ValueError(f'{name} must be an int or 3 positive ints, got {value}')
    return value


def _to_2tuple(value, name: str) -> Tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2 or min(value) < 1:
        raise ValueError(f'{name} must be an int or 2 positive ints, got {value}')
    return value


def effective_window(input_size: Size3, window: Size3, shift: Size3
                     ) -> Tuple[Size3, Size3]:
    """Window and shift actually used for an input of ``input_size``.

    A window not smaller than the input along a dimension covers it entirely,
    so it shrinks to the input and a shift there would be meaningless (0).
    """
    eff_w, eff_s = list(window), list(shift)
    for i, n in enumerate(input_size):
        if n <= window[i]:
            eff_w[i], eff_s[i] = n, 0
    return tuple(eff_w), tuple(eff_s)


def window_partition(x: torch.Tensor, window: Size3) -> torch.Tensor:
    """(B, D, H, W, C) with D, H, W multiples of ``window`` ->
    (B, num_windows, wd*wh*ww, C)."""
    b, d, h, w, c = x.shape
    wd, wh, ww = window
    x = x.view(b, d // wd, wd, h // wh, wh, w // ww, ww, c)
    x = x.permute(0, 1, 3, 5, 2, 4, 6, 7)
    return x.reshape(b, -1, wd * wh * ww, c)


def window_reverse(windows: torch.Tensor, window: Size3, size: Size3) -> torch.Tensor:
    """Inverse of :func:`window_partition`: -> (B, D, H, W, C)."""
    b, _, _, c = windows.shape
    d, h, w = size
    wd, wh, ww = window
    x = windows.view(b, d // wd, h // wh, w // ww, wd, wh, ww, c)
    x = x.permute(0, 1, 4, 2, 5, 3, 6, 7)
    return x.reshape(b, d, h, w, c)


def shifted_window_mask(padded_size: Size3, window: Size3, shift: Size3,
                        device=None) -> torch.Tensor:
    """Additive attention mask (num_windows, N, N) of a cyclic shift.

    After rolling by ``-shift`` a window can hold tokens from up to 8
    regions that were not adjacent in the frame; pairs from different
    regions get -100 (the value of the Swin papers), pairs from the same
    region 0.
    """
    region = torch.zeros((1, *padded_size, 1), device=device)
    count = 0
    slices = []
    for w, s in zip(window, shift):
        if s > 0:
            slices.append((slice(0, -w), slice(-w, -s), slice(-s, None)))
        else:
            slices.append((slice(None), ))
    for sd in slices[0]:
        for sh in slices[1]:
            for sw in slices[2]:
                region[:, sd, sh, sw, :] = count
                count += 1
    ids = window_partition(region, window).squeeze(-1)[0]  # (nW, N)
    mask = ids.unsqueeze(1) - ids.unsqueeze(2)
    return mask.ne(0).float() * -100.0


class WindowAttention3D(nn.Module):
    """Window multi-head self-attention with relative position bias.

    Args:
        embed_dims (int): channels C.
        num_heads (int): heads; head dim = C / heads, scale = head_dim^-0.5.
        window_size (int | Sequence[int]): configured window (wd, wh, ww); the
            bias table has (2wd-1)(2wh-1)(2ww-1) rows.
        qkv_bias (bool): bias in the qkv projection.
        attn_drop, proj_drop (float): dropout rates.
    """

    def __init__(self, embed_dims: int, num_heads: int, window_size,
                 qkv_bias: bool = True, attn_drop: float = 0.,
                 proj_drop: float = 0.):
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} not divisible by num_heads {num_heads}')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.window_size = _to_3tuple(window_size, 'window_size')
        wd, wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * wd - 1) * (2 * wh - 1) * (2 * ww - 1), num_heads))
        trunc_normal_(self.relative_position_bias_table, std=.02)
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)
        self._index_cache: Dict[Tuple, torch.Tensor] = {}

    def relative_position_index(self, window: Size3, device) -> torch.Tensor:
        """(N, N) rows of the bias table for the token pairs of a window of
        size ``window`` (<= the configured window in every dimension)."""
        key = (window, str(device))
        index = self._index_cache.get(key)
        if index is None:
            coords = torch.stack(torch.meshgrid(
                [torch.arange(n) for n in window], indexing='ij')).flatten(1)
            rel = coords[:, :, None] - coords[:, None, :]  # (3, N, N)
            wd, wh, ww = self.window_size
            rel[0] += wd - 1
            rel[1] += wh - 1
            rel[2] += ww - 1
            index = (rel[0] * (2 * wh - 1) + rel[1]) * (2 * ww - 1) + rel[2]
            index = index.to(device)
            self._index_cache[key] = index
        return index

    def relative_position_bias(self, window: Size3) -> torch.Tensor:
        """(heads, N, N) additive bias."""
        table = self.relative_position_bias_table
        index = self.relative_position_index(window, table.device)
        n = index.shape[0]
        bias = table[index.reshape(-1)].view(n, n, self.num_heads)
        return bias.permute(2, 0, 1)

    def forward(self, x: torch.Tensor, window: Size3,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x: (B, nW, N, C) tokens of each window; mask: (nW, N, N) or None."""
        b, nw, n, c = x.shape
        qkv = self.qkv(x).view(b * nw, n, 3, self.num_heads, c // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # (B*nW, h, N, hd)
        attn_bias = self.relative_position_bias(window).to(q.dtype)  # (h, N, N)
        if mask is not None:
            attn_bias = attn_bias.unsqueeze(0) + mask.to(q.dtype).unsqueeze(1)
            attn_bias = attn_bias.unsqueeze(0).expand(b, -1, -1, -1, -1)
        # A 4-D mask with the full batch dim selects the fused CPU kernel,
        # about 2x faster than a broadcast mask (which falls back to math).
        attn_bias = attn_bias.reshape(-1, self.num_heads, n, n).expand(b * nw, -1, -1, -1)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_bias,
            dropout_p=self.attn_drop if self.training else 0.)
        out = out.transpose(1, 2).reshape(b, nw, n, c)
        return self.proj_drop(self.proj(out))


class Mlp(nn.Module):
    """Linear(C, rC) -> GELU -> Dropout -> Linear(rC, C) -> Dropout."""

    def __init__(self, embed_dims: int, hidden_dims: int, drop: float = 0.):
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, hidden_dims)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dims, embed_dims)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class SwinBlock3D(nn.Module):
    """One (shifted-)window transformer block on (B, D, H, W, C) tokens."""

    def __init__(self, embed_dims: int, num_heads: int, window_size,
                 shift: bool = False, mlp_ratio: float = 4.,
                 qkv_bias: bool = True, drop: float = 0., attn_drop: float = 0.,
                 drop_path: float = 0.):
        super().__init__()
        self.window_size = _to_3tuple(window_size, 'window_size')
        self.shift_size = tuple(w // 2 for w in self.window_size) if shift else (0, 0, 0)
        self.norm1 = nn.LayerNorm(embed_dims)
        self.attn = WindowAttention3D(embed_dims, num_heads, self.window_size,
                                      qkv_bias, attn_drop, drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(embed_dims)
        self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio), drop)
        self._mask_cache: Dict[Tuple, torch.Tensor] = {}

    def _mask(self, padded: Size3, window: Size3, shift: Size3, device):
        key = (padded, window, shift, str(device))
        mask = self._mask_cache.get(key)
        if mask is None:
            mask = shifted_window_mask(padded, window, shift, device)
            self._mask_cache[key] = mask
        return mask

    def forward_attn(self, x: torch.Tensor) -> torch.Tensor:
        b, d, h, w, c = x.shape
        window, shift = effective_window((d, h, w), self.window_size, self.shift_size)
        x = self.norm1(x)
        pad = [(-n) % ws for n, ws in zip((d, h, w), window)]
        if any(pad):
            # F.pad pads the last dims first: C, then W, H, D.
            x = F.pad(x, (0, 0, 0, pad[2], 0, pad[1], 0, pad[0]))
        padded = (d + pad[0], h + pad[1], w + pad[2])
        # Roll only the shifted dims: each rolled dim costs a full copy.
        roll_dims = tuple(i + 1 for i, s in enumerate(shift) if s)
        if roll_dims:
            x = torch.roll(x, shifts=tuple(-shift[d - 1] for d in roll_dims), dims=roll_dims)
            mask = self._mask(padded, window, shift, x.device)
        else:
            mask = None
        windows = window_partition(x, window)
        windows = self.attn(windows, window, mask)
        x = window_reverse(windows, window, padded)
        if roll_dims:
            x = torch.roll(x, shifts=tuple(shift[d - 1] for d in roll_dims), dims=roll_dims)
        if any(pad):
            x = x[:, :d, :h, :w].contiguous()
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.forward_attn(x))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchMerging3D(nn.Module):
    """2x2 spatial neighbour concat -> LayerNorm(4C) -> Linear(4C, 2C, no bias).

    Odd H or W are zero-padded on the right first.
    """

    def __init__(self, embed_dims: int):
        super().__init__()
        self.norm = nn.LayerNorm(4 * embed_dims)
        self.reduction = nn.Linear(4 * embed_dims, 2 * embed_dims, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, _, h, w, _ = x.shape
        if h % 2 or w % 2:
            x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        x = torch.cat([x[:, :, 0::2, 0::2], x[:, :, 1::2, 0::2],
                       x[:, :, 0::2, 1::2], x[:, :, 1::2, 1::2]], dim=-1)
        return self.reduction(self.norm(x))


class PatchEmbed3D(nn.Module):
    """Tubelet embedding: Conv3d(kernel = stride = patch) then LayerNorm.

    Input (B, C_in, T, H, W) is zero-padded on the right to multiples of the
    patch; output is channel-last (B, D, H', W', C).
    """

    def __init__(self, in_channels: int, embed_dims: int, patch_size,
                 norm: bool = True):
        super().__init__()
        self.patch_size = _to_3tuple(patch_size, 'patch_size')
        self.proj = nn.Conv3d(in_channels, embed_dims, self.patch_size,
                              stride=self.patch_size)
        self.norm = nn.LayerNorm(embed_dims) if norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, _, t, h, w = x.shape
        pad = [(-n) % p for n, p in zip((t, h, w), self.patch_size)]
        if any(pad):
            x = F.pad(x, (0, pad[2], 0, pad[1], 0, pad[0]))
        if self.patch_size[0] == 1:
            # A (1, p, p) tubelet is a 2D patch; Conv2d is much faster on CPU.
            b, c, t, hp, wp = x.shape
            x2d = x.transpose(1, 2).reshape(b * t, c, hp, wp)
            y = F.conv2d(x2d, self.proj.weight.squeeze(2), self.proj.bias,
                         stride=self.patch_size[1:])
            y = y.view(b, t, *y.shape[1:]).permute(0, 1, 3, 4, 2)
        else:
            y = self.proj(x).permute(0, 2, 3, 4, 1)
        return self.norm(y)


class SwinStage3D(nn.Module):
    """``depth`` blocks alternating W-MSA and SW-MSA."""

    def __init__(self, embed_dims: int, depth: int, num_heads: int, window_size,
                 mlp_ratio: float = 4., qkv_bias: bool = True, drop: float = 0.,
                 attn_drop: float = 0., drop_paths: Sequence[float] = ()):
        super().__init__()
        drop_paths = list(drop_paths) or [0.] * depth
        self.blocks = nn.ModuleList([
            SwinBlock3D(embed_dims, num_heads, window_size, shift=bool(i % 2),
                        mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, drop=drop,
                        attn_drop=attn_drop, drop_path=drop_paths[i])
            for i in range(depth)
        ])

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


@MODELS.register_module()
class SwinTransformer3D(BaseModule):
    """Video Swin Transformer backbone (Liu et al., CVPR 2022).

    ``patch_embed -> [stage_i -> (token attention_i) -> merge_i] -> LayerNorm``,
    with patch merging after every stage but the last. Optional
    :class:`~mmmer.models.layers.AccumulatedTokenAttention` after each stage's
    blocks and before its merge is the "Swin-T with AA" of EDMDBN (Ma et al.,
    "Entire-detail motion dual-branch network for micro-expression
    recognition", 2025, Sec. 3.3, Fig. 2).

    Args:
        in_channels (int): input channels (3).
        embed_dims (int): C of stage 1; stage i has C * 2^i.
        depths, num_heads (Sequence[int]): blocks and heads per stage.
        patch_size, window_size (int | Sequence[int]): (t, h, w) sizes.
        mlp_ratio (float), qkv_bias (bool), drop_rate, attn_drop_rate (float).
        drop_path_rate (float): stochastic depth, linearly increasing from 0
            to this value over all blocks.
        token_attention (bool): insert accumulated token attention per stage.
        out_norm (bool): final LayerNorm on the last stage.
        weight_init (str): ``'pytorch'`` keeps PyTorch's default init of
            Linear/Conv/LayerNorm (what EDMDBN's official code effectively
            trains with); ``'trunc_normal'`` applies Swin's init
            (trunc-normal std .02 Linear weights, zero biases, unit LN).
            Relative-position tables are trunc-normal(.02) in both cases.

    Input (B, in_channels, T, H, W); output (B, C_last, D, H', W').

    Default config (EDMDBN official branch, T=8, 224^2): 21,903,569 params
    with ``token_attention=True``.
    """

    def __init__(self, in_channels: int = 3, embed_dims: int = 128,
                 depths: Sequence[int] = (2, 2, 6),
                 num_heads: Sequence[int] = (4, 8, 16),
                 patch_size=(8, 4, 4), window_size=(8, 7, 7),
                 mlp_ratio: float = 4., qkv_bias: bool = True,
                 drop_rate: float = 0., attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.2, token_attention: bool = False,
                 out_norm: bool = True, weight_init: str = 'pytorch',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if len(depths) != len(num_heads):
            raise ValueError(f'depths {depths} and num_heads {num_heads} differ in length')
        if weight_init not in ('pytorch', 'trunc_normal'):
            raise ValueError(
                f"weight_init must be 'pytorch' or 'trunc_normal', got {weight_init!r}")
        self.patch_size = _to_3tuple(patch_size, 'patch_size')
        self.window_size = _to_3tuple(window_size, 'window_size')
        self.num_stages = len(depths)
        self.patch_embed = PatchEmbed3D(in_channels, embed_dims, self.patch_size)
        self.pos_drop = nn.Dropout(drop_rate)
        n_blocks = sum(depths)
        dpr = [drop_path_rate * i / max(n_blocks - 1, 1) for i in range(n_blocks)]
        self.stages = nn.ModuleList()
        self.downsamples = nn.ModuleList()
        dims = embed_dims
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            start = sum(depths[:i])
            self.stages.append(SwinStage3D(
                dims, depth, heads, self.window_size, mlp_ratio, qkv_bias,
                drop_rate, attn_drop_rate, dpr[start:start + depth]))
            last = i == self.num_stages - 1
            self.downsamples.append(nn.Identity() if last else PatchMerging3D(dims))
            if not last:
                dims *= 2
        self.out_channels = dims
        self.with_token_attention = bool(token_attention)
        if self.with_token_attention:
            self.token_attentions = nn.ModuleList(
                [AccumulatedTokenAttention() for _ in range(self.num_stages)])
        self.norm = nn.LayerNorm(dims) if out_norm else nn.Identity()
        if weight_init == 'trunc_normal':
            self.apply(self._swin_init)

    @staticmethod
    def _swin_init(m):
        if isinstance(m, nn.Linear):
            trunc_normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def init_weights(self):
        # Initialisation happens in __init__ (see `weight_init`); MMEngine's
        # runner calls init_weights() again, which must not re-draw weights.
        if self.init_cfg is not None:
            super().init_weights()

    def forward_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, T, H, W) -> channel-last (B, D, H', W', C_last)."""
        if x.ndim != 5:
            raise ValueError(
                f'{type(self).__name__} expects (B, C, T, H, W), got {tuple(x.shape)}')
        x = self.pos_drop(self.patch_embed(x))
        attention = None
        for i in range(self.num_stages):
            x = self.stages[i](x)
            if self.with_token_attention:
                x, attention = self.token_attentions[i](x, attention)
            x = self.downsamples[i](x)
        return self.norm(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_tokens(x).permute(0, 4, 1, 2, 3).contiguous()


@MODELS.register_module()
class SwinTransformer2D(SwinTransformer3D):
    """Image Swin Transformer (Liu et al., ICCV 2021): the 3D network with a
    temporal patch and window of 1.

    Args as :class:`SwinTransformer3D`, with ``patch_size`` and
    ``window_size`` given as int or (h, w). Input (B, C, H, W); output
    (B, C_last, H', W').

    Default config (EDMDBN paper-variant entire branch, C=128, depths 2/2/6,
    heads 4/8/16, patch 4, window 7, with token attention): 21,576,641 params.
    """

    def __init__(self, patch_size: Union[int, Sequence[int]] = 4,
                 window_size: Union[int, Sequence[int]] = 7, **kwargs):
        ph, pw = _to_2tuple(patch_size, 'patch_size')
        wh, ww = _to_2tuple(window_size, 'window_size')
        super().__init__(patch_size=(1, ph, pw), window_size=(1, wh, ww), **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(
                f'{type(self).__name__} expects (B, C, H, W), got {tuple(x.shape)}')
        tokens = self.forward_tokens(x.unsqueeze(2))  # (B, 1, H', W', C)
        return tokens[:, 0].permute(0, 3, 1, 2).contiguous()
