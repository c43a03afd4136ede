"""HTNet: Hierarchical Transformer Network for micro-expression recognition.

Wang et al., "HTNet for micro-expression recognition", Neurocomputing 2024;
architecture as the official code builds it, plus the LAPE (Eq. 6) and
ESAAT options of the LAPE/ESAAT paper (Zhang et al., 2025;
docs/methods/htnet.md, docs/methods/htnet_lape_esaat.md).

Pipeline on a (B, 3, 28, 28) input (official call: image 28, patch 7, dim 256,
heads 3, 3 hierarchies, blocks (2, 2, 10)):

1. Patch embedding: 7x7 patches flattened in (p1, p2, c) order (147 values),
   then a 1x1 projection 147 -> 256 with bias: a 4x4 map.
2. Levels in processing order i = 0, 1, 2 (the official "hierarchies" 2, 1, 0):
   dim 256*2^i, heads 3*2^i, the map cut into 2^(L-1-i) x 2^(L-1-i)
   non-overlapping windows folded into the batch. Each window holds
   ``(fmap / 2^(L-1))^2`` tokens: **one token** for the official config, so
   softmax attention degenerates to ``W_o V + b_o`` (see SoftmaxAttention's
   ``fast_single_token``). A learnable per-level vector of one scalar per
   window position (N(0, 1) init) is added before the level's first block.
3. Pre-norm blocks: ``x += Attn(LN(x)); x += FFN(LN(x))``, channel LN with
   biased variance, eps 1e-5; attention dim_head = dim // heads (85);
   FFN ``dim -> 4 dim -> dim`` with GELU.
4. Aggregate after every level but the last: 3x3 conv dim -> 2 dim (pad 1),
   channel LN, MaxPool(3, 2, 1): 4x4 -> 2x2 -> 1x1.
5. Channel LN and spatial mean: a (B, 1024) feature for ``LinearClsHead``.

Parameters with the 3-class linear head: 139,582,982 for blocks (2, 2, 10),
114,429,446 for (2, 2, 8) (pinned in tests).

Implementation notes (speed, outputs unchanged): features stay channels-last
``(B, H, W, C)`` so every 1x1 conv is one GEMM (``nn.Linear``) and the channel
LN is a fused ``layer_norm``; window partitioning is a pure view whenever a
window holds one token or a level has one window.
"""
import contextlib
from typing import Iterable, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmmer.registry import MODELS

from ..layers.channel_layer_norm import ChannelLayerNorm


class FeedForward(nn.Module):
    """``Linear(dim, mult*dim) -> GELU -> Linear(mult*dim, dim)`` on tokens
    (HTNet's 1x1-conv FFN; exact erf GELU as ``nn.GELU()``)."""

    def __init__(self, dim: int, mult: int = 4):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim * mult)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(dim * mult, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class TransformerBlock(nn.Module):
    """Pre-norm residual block ``x += Attn(LN(x)); x += FFN(LN(x))``.

    ``attention=None`` builds an FFN-only block (an ESAAT-removed attention).
    """

    def __init__(self, dim: int, attention: Optional[dict], ffn_mult: int = 4):
        super().__init__()
        if attention is not None:
            self.attn_norm = ChannelLayerNorm(dim)
            self.attn = MODELS.build(attention)
        else:
            self.attn_norm = None
            self.attn = None
        self.ffn_norm = ChannelLayerNorm(dim)
        self.ffn = FeedForward(dim, ffn_mult)

    def forward(self, x: torch.Tensor, hw, bypass_attention: bool = False):
        if self.attn is not None and not bypass_attention:
            x = x + self.attn(self.attn_norm(x), hw)
        return x + self.ffn(self.ffn_norm(x))


class Aggregate(nn.Module):
    """HTNet's between-level aggregation on a channels-last map:
    3x3 conv dim -> out (pad 1, bias), channel LN, MaxPool(3, 2, 1).

    The same parameters, three exact ways to compute the conv, chosen by the
    amount of work (outputs equal within float rounding):

    - few output rows (``B * H * W <= im2col_max_rows``, e.g. inference on one
      clip): one GEMM of the 3x3 input patches against the kernel viewed as
      ``(out, in * 9)``, which reads the weight once and copies nothing big;
    - maps of side <= 2 and many rows (training batches): every output
      position of the padded 3x3 conv sees every input position, so the conv
      is one dense ``(s*s*out, s*s*in)`` GEMM whose weight is gathered from
      the kernel taps (profiling showed oneDNN's conv backward on 2x2 maps
      about 2x slower than that GEMM); the gather costs ~8M copied values on
      HTNet's 2x2 level, which a batch of 256 amortises and one clip does not;
    - otherwise ``nn.Conv2d``.
    """

    #: Above this many output positions (batch x map) the im2col GEMM's
    #: redundant multiply-adds outweigh the dense weight's gather.
    im2col_max_rows = 64

    def __init__(self, dim: int, out_dim: int):
        super().__init__()
        self.conv = nn.Conv2d(dim, out_dim, 3, padding=1)
        self.norm = ChannelLayerNorm(out_dim)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self._tap_index = {}

    def _dense_weight(self, s: int) -> torch.Tensor:
        """(s*s*out, s*s*in) matrix of the padded 3x3 conv on an s x s map."""
        if s not in self._tap_index:
            pos = [(i, j) for i in range(s) for j in range(s)]
            di = torch.tensor([[pi - po + 1 for pi, _ in pos] for po, _ in pos])
            dj = torch.tensor([[qi - qo + 1 for _, qi in pos] for _, qo in pos])
            self._tap_index[s] = (di, dj)
        di, dj = self._tap_index[s]
        w = self.conv.weight[:, :, di, dj]          # (out, in, P_out, P_in)
        out_c, in_c = w.shape[:2]
        return w.permute(2, 0, 3, 1).reshape(s * s * out_c, s * s * in_c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        if b * h * w <= self.im2col_max_rows:
            y = conv3x3_im2col(x, self.conv.weight, self.conv.bias)
        elif h == w and h <= 2:
            y = F.linear(x.reshape(b, h * w * c), self._dense_weight(h))
            y = y.view(b, h, w, -1) + self.conv.bias
        else:
            # (B, H, W, C) -> a channels-last-strided NCHW view for the conv.
            y = self.conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).contiguous()
        y = self.norm(y)
        return self.downsample(y.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).contiguous()

    def downsample(self, y: torch.Tensor) -> torch.Tensor:
        """Spatial reduction of the normalised (B, C, H, W) map."""
        return self.pool(y)


def conv3x3_im2col(x: torch.Tensor, weight: torch.Tensor,
                   bias: Optional[torch.Tensor]) -> torch.Tensor:
    """Padded (1) 3x3 conv of a channels-last ``(B, H, W, C)`` map as one GEMM:
    the ``(B*H*W, C*9)`` matrix of 3x3 neighbourhoods (in the kernel's
    ``(c, kh, kw)`` order) times the weight viewed as ``(out, C*9)``."""
    b, h, w, c = x.shape
    cols = F.pad(x, (0, 0, 1, 1, 1, 1)).unfold(1, 3, 1).unfold(2, 3, 1)
    y = F.linear(cols.reshape(b * h * w, c * 9), weight.reshape(weight.shape[0], -1), bias)
    return y.view(b, h, w, -1)


def patchify(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, H/p, W/p, p*p*C), each patch flattened in
    (p1, p2, c) order as HTNet's ``b c (h p1) (w p2) -> b (p1 p2 c) h w``."""
    b, c, h, w = x.shape
    p = patch_size
    x = x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
    return x.reshape(b, h // p, w // p, p * p * c)


def window_partition(x: torch.Tensor, num_windows: int) -> torch.Tensor:
    """(B, S, S, C) -> (B * nw * nw, (S/nw)^2, C): windows folded into the batch."""
    b, s, _, c = x.shape
    ws = s // num_windows
    if ws == 1 or num_windows == 1:  # already in window-major order: a view
        return x.reshape(b * num_windows * num_windows, ws * ws, c)
    x = x.view(b, num_windows, ws, num_windows, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b * num_windows * num_windows, ws * ws, c)


def window_merge(x: torch.Tensor, num_windows: int, window: int) -> torch.Tensor:
    """Inverse of :func:`window_partition`: back to (B, S, S, C)."""
    c = x.shape[-1]
    s = num_windows * window
    if window == 1 or num_windows == 1:
        return x.reshape(-1, s, s, c)
    x = x.view(-1, num_windows, num_windows, window, window, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, s, s, c)


class HTNetLevel(nn.Module):
    """One hierarchy: per-window-position scalar embedding + blocks."""

    def __init__(self, dim: int, num_blocks: int, seq_len: int,
                 attentions: List[Optional[dict]], ffn_mult: int = 4):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.randn(seq_len))
        self.blocks = nn.ModuleList(
            TransformerBlock(dim, attentions[j], ffn_mult) for j in range(num_blocks))


def hierarchy_patch_grid(name: str, image_size: int, patch_size: int,
                         num_hierarchies: int, block_repeats: Sequence[int]) -> int:
    """Side of the patch map of a 3-level HTNet-style hierarchy, after
    checking that it halves ``num_hierarchies - 1`` times and that there is one
    block count per level (shared by HTNet and AHMSA-Net)."""
    if image_size % patch_size:
        raise ValueError(f'{name}: image_size {image_size} is not divisible by '
                         f'patch_size {patch_size}')
    fmap = image_size // patch_size
    windows = 2 ** (num_hierarchies - 1)
    if fmap % windows:
        raise ValueError(f'{name}: the {fmap}x{fmap} patch map cannot be split into '
                         f'{windows}x{windows} windows (halved {num_hierarchies - 1} times '
                         f'for {num_hierarchies} hierarchies); change '
                         'image_size/patch_size/num_hierarchies')
    if len(block_repeats) != num_hierarchies:
        raise ValueError(f'{name}: block_repeats {tuple(block_repeats)} needs one entry '
                         f'per hierarchy ({num_hierarchies})')
    return fmap


@MODELS.register_module()
class HTNet(BaseModule):
    """HTNet backbone (official layout), with the LAPE/ESAAT paper's switches.

    Args:
        image_size (int): input side (28).
        patch_size (int): patch side (7).
        in_channels (int): input planes (3).
        dim (int): level-0 channels (256); level i has ``dim * 2^i``.
        heads (int): level-0 heads (3); level i has ``heads * 2^i``.
        num_hierarchies (int): levels (3).
        block_repeats (Sequence[int]): blocks per level in processing order,
            fine to coarse ((2, 2, 10) official ``main_HTNet.py``; (2, 2, 8)
            in its three-dataset script and in the LAPE/ESAAT and AHMSA-Net
            papers).
        ffn_mult (int): FFN expansion (4).
        attention (dict): attention layer config from the MODELS registry,
            e.g. ``dict(type='SoftmaxAttention')`` (default) or
            ``dict(type='AgentAttention', agent_pool_size=1)``. ``dim``,
            ``num_heads`` and ``window_size`` are filled in per level.
        lape (bool | dict): the LAPE/ESAAT paper's learnable absolute position embedding
            added after the patch embedding (+ dim * fmap^2 = 4,096 params).
            ``True`` uses defaults; a dict is its config.
        drop_attention (Iterable[int]): ESAAT: attention sublayers *not built*
            (those blocks keep only their FFN). Indexing: global block index in
            processing order, level 0 first, i.e. for (2, 2, 10) indices 0-1 are
            level 0 (4x4 map, 256 ch), 2-3 level 1, 4-13 the top level
            (1x1 map, 1024 ch). :meth:`attention_index` converts
            ``(level, block)``; negative indices count from the end.

    Output: ``(B, dim * 2^(L-1))`` pooled feature (``LinearClsHead(in_channels=1024)``).
    """

    def __init__(self,
                 image_size: int = 28,
                 patch_size: int = 7,
                 in_channels: int = 3,
                 dim: int = 256,
                 heads: int = 3,
                 num_hierarchies: int = 3,
                 block_repeats: Sequence[int] = (2, 2, 10),
                 ffn_mult: int = 4,
                 attention: Optional[dict] = None,
                 lape: Union[bool, dict] = False,
                 drop_attention: Iterable[int] = (),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        fmap = hierarchy_patch_grid('HTNet', image_size, patch_size,
                                    num_hierarchies, block_repeats)
        windows0 = 2 ** (num_hierarchies - 1)
        self.image_size = image_size
        self.patch_size = patch_size
        self.in_channels = in_channels
        self.fmap_size = fmap
        self.num_hierarchies = num_hierarchies
        self.block_repeats = tuple(int(r) for r in block_repeats)
        self.window = fmap // windows0          # tokens per window side, all levels
        self.dims = [dim * 2 ** i for i in range(num_hierarchies)]
        self.heads = [heads * 2 ** i for i in range(num_hierarchies)]
        self.out_channels = self.dims[-1]
        self.attention_cfg = dict(attention or dict(type='SoftmaxAttention'))
        total = sum(self.block_repeats)
        self.drop_attention = sorted({self._normalise_index(i, total) for i in drop_attention})
        self._bypass = frozenset()

        self.patch_embed = nn.Linear(patch_size * patch_size * in_channels, dim)
        if lape:
            lape_cfg = dict(type='LearnableAbsolutePositionEmbedding')
            if isinstance(lape, dict):
                lape_cfg.update(lape)
            lape_cfg.update(num_channels=dim, grid_size=fmap, data_format='channels_last')
            self.lape = MODELS.build(lape_cfg)
        else:
            self.lape = None

        self.levels = nn.ModuleList()
        self.aggregates = nn.ModuleList()
        start = 0
        for i in range(num_hierarchies):
            attns = []
            for j in range(self.block_repeats[i]):
                if start + j in self.drop_attention:
                    attns.append(None)
                else:
                    cfg = dict(self.attention_cfg)
                    cfg.update(dim=self.dims[i], num_heads=self.heads[i],
                               window_size=(self.window, self.window))
                    attns.append(cfg)
            start += self.block_repeats[i]
            self.levels.append(HTNetLevel(self.dims[i], self.block_repeats[i],
                                          self.window ** 2, attns, ffn_mult))
            if i < num_hierarchies - 1:
                self.aggregates.append(Aggregate(self.dims[i], self.dims[i + 1]))
        self.norm = ChannelLayerNorm(self.out_channels)

    # ESAAT indexing helpers -------------------------------------------------
    @staticmethod
    def _normalise_index(i: int, total: int) -> int:
        i = int(i)
        if not -total <= i < total:
            raise ValueError(f'HTNet: drop_attention index {i} out of range for '
                             f'{total} blocks (global index in processing order)')
        return i % total

    def attention_index(self, level: int, block: int) -> int:
        """Global attention-sublayer index of ``block`` at ``level``."""
        if not 0 <= block < self.block_repeats[level]:
            raise ValueError(f'HTNet: level {level} has {self.block_repeats[level]} blocks')
        return sum(self.block_repeats[:level]) + block

    def level_indices(self, level: int) -> List[int]:
        """Global indices of the attention sublayers present at ``level``."""
        lo = sum(self.block_repeats[:level])
        return [k for k in range(lo, lo + self.block_repeats[level])
                if k not in self.drop_attention]

    @contextlib.contextmanager
    def bypass_attention(self, indices: Iterable[int]):
        """Temporarily skip attention sublayers (x unchanged), e.g. to measure
        ESAAT's output entropy H_S; parameters are untouched."""
        total = sum(self.block_repeats)
        old = self._bypass
        self._bypass = frozenset(self._normalise_index(i, total) for i in indices)
        try:
            yield self
        finally:
            self._bypass = old

    # forward ----------------------------------------------------------------
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) image -> (B, fmap, fmap, dim) channels-last patch map."""
        if x.dim() != 4 or x.shape[1] != self.in_channels or \
                x.shape[2] != self.image_size or x.shape[3] != self.image_size:
            raise ValueError(f'HTNet: expected input (B, {self.in_channels}, '
                             f'{self.image_size}, {self.image_size}), got {tuple(x.shape)}')
        x = self.patch_embed(patchify(x, self.patch_size))
        if self.lape is not None:
            x = self.lape(x)
        return x

    def forward_levels(self, x: torch.Tensor, start: int = 0,
                       stop: Optional[int] = None) -> torch.Tensor:
        """Run levels ``start..stop-1`` (each followed by its Aggregate) on a
        channels-last map; lets ESAAT cache the input of the top level."""
        stop = self.num_hierarchies if stop is None else stop
        ws = self.window
        for i in range(start, stop):
            level = self.levels[i]
            nw = 2 ** (self.num_hierarchies - 1 - i)
            t = window_partition(x, nw) + level.pos_embed.view(-1, 1)
            base = sum(self.block_repeats[:i])
            for j, block in enumerate(level.blocks):
                t = block(t, (ws, ws), bypass_attention=(base + j) in self._bypass)
            x = window_merge(t, nw, ws)
            if i < self.num_hierarchies - 1:
                x = self.aggregates[i](x)
        return x

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        """Final channel LN and spatial mean: (B, H, W, C) -> (B, C)."""
        return self.norm(x).mean(dim=(1, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.forward_levels(self.embed(x)))
