"""Reference networks timed side by side with mmmer models by the benchmark.

``ReferenceHTNet`` is the network of the authors' code for "HTNet for
micro-expression recognition" (Wang et al., Neurocomputing 2024; its
``Model.py``), written again from reading that code, as that code computes
it: NCHW maps, every projection a 1x1 ``nn.Conv2d``, the channel layer norm
written out (mean, biased variance, ``sqrt``), window blocking by reshapes,
full softmax attention through ``einsum`` even on one-token windows, and the
same parameter names as its ``state_dict`` (so
:func:`mmmer.models.utils.official_checkpoints.convert_htnet_official` maps it
onto mmmer's ``HTNet``). Dropout layers of probability 0 are kept as the
authors' code has them. It shares no module with mmmer's HTNet, which makes it
an independent baseline for speed (and for outputs, via the converter).

``build_reference(name, cfg)`` builds one of :data:`REFERENCE_MODELS` for a
config (its backbone geometry and number of classes).
"""
from typing import Callable, Dict, Sequence

import torch
import torch.nn as nn

__all__ = ['ReferenceHTNet', 'REFERENCE_MODELS', 'build_reference']


class _ChannelNorm(nn.Module):
    """Norm over C of an NCHW map; ``g``/``b`` stored as (1, C, 1, 1)."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.g = nn.Parameter(torch.ones(1, dim, 1, 1))
        self.b = nn.Parameter(torch.zeros(1, dim, 1, 1))

    def forward(self, x):
        mean = x.mean(dim=1, keepdim=True)
        var = (x - mean).pow(2).mean(dim=1, keepdim=True)
        return (x - mean) / (var + self.eps).sqrt() * self.g + self.b


class _PreNorm(nn.Module):
    def __init__(self, dim: int, fn: nn.Module):
        super().__init__()
        self.norm = _ChannelNorm(dim)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.norm(x))


class _ConvFFN(nn.Module):
    def __init__(self, dim: int, mult: int = 4):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(dim, dim * mult, 1), nn.GELU(), nn.Dropout(0.),
                                 nn.Conv2d(dim * mult, dim, 1), nn.Dropout(0.))

    def forward(self, x):
        return self.net(x)


class _ConvAttention(nn.Module):
    """Softmax attention over the positions of an NCHW window; Q|K|V are
    consecutive channel blocks of one bias-free 1x1 conv, heads of
    ``dim // heads`` channels."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.dim_head = dim // heads
        inner = self.dim_head * heads
        self.scale = self.dim_head ** -0.5
        self.to_qkv = nn.Conv2d(dim, 3 * inner, 1, bias=False)
        self.to_out = nn.Sequential(nn.Conv2d(inner, dim, 1), nn.Dropout(0.))

    def forward(self, x):
        b, _, h, w = x.shape
        q, k, v = self.to_qkv(x).chunk(3, dim=1)
        q, k, v = (t.reshape(b, self.heads, self.dim_head, h * w).transpose(2, 3)
                   for t in (q, k, v))
        attn = (torch.einsum('bnid,bnjd->bnij', q, k) * self.scale).softmax(dim=-1)
        out = torch.einsum('bnij,bnjd->bnid', attn, v)
        out = out.transpose(2, 3).reshape(b, self.heads * self.dim_head, h, w)
        return self.to_out(out)


class _LevelTransformer(nn.Module):
    def __init__(self, dim: int, seq_len: int, depth: int, heads: int, mult: int = 4):
        super().__init__()
        self.pos_emb = nn.Parameter(torch.randn(seq_len))
        self.layers = nn.ModuleList(
            nn.ModuleList([_PreNorm(dim, _ConvAttention(dim, heads)),
                           _PreNorm(dim, _ConvFFN(dim, mult))])
            for _ in range(depth))

    def forward(self, x):
        h, w = x.shape[-2:]
        x = x + self.pos_emb[:h * w].reshape(1, 1, h, w)
        for attn, ffn in self.layers:
            x = attn(x) + x
            x = ffn(x) + x
        return x


class _Patchify(nn.Module):
    """``b c (h p1) (w p2) -> b (p1 p2 c) h w``."""

    def __init__(self, p: int):
        super().__init__()
        self.p = p

    def forward(self, x):
        b, c, hh, ww = x.shape
        p = self.p
        x = x.reshape(b, c, hh // p, p, ww // p, p).permute(0, 3, 5, 1, 2, 4)
        return x.reshape(b, p * p * c, hh // p, ww // p)


class _SpatialMean(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


class ReferenceHTNet(nn.Module):
    """HTNet as the authors' ``Model.py`` computes it (``forward(img) -> logits``).

    Args:
        image_size, patch_size, num_classes, dim, heads, num_hierarchies,
        block_repeats, mlp_mult, channels: the arguments of the authors'
            constructor (their ``main_HTNet.py`` call: 28, 7, 3, 256, 3, 3,
            (2, 2, 10), 4, 3).
    """

    def __init__(self, image_size: int = 28, patch_size: int = 7, num_classes: int = 3,
                 dim: int = 256, heads: int = 3, num_hierarchies: int = 3,
                 block_repeats: Sequence[int] = (2, 2, 10), mlp_mult: int = 4,
                 channels: int = 3):
        super().__init__()
        fmap = image_size // patch_size
        blocks = 2 ** (num_hierarchies - 1)
        seq_len = (fmap // blocks) ** 2
        mults = [2 ** i for i in range(num_hierarchies)]
        dims = [dim * m for m in mults]
        self.num_hierarchies = num_hierarchies
        self.to_patch_embedding = nn.Sequential(
            _Patchify(patch_size), nn.Conv2d(channels * patch_size ** 2, dims[0], 1))
        self.layers = nn.ModuleList()
        for i in range(num_hierarchies):
            last = i == num_hierarchies - 1
            aggregate = nn.Identity() if last else nn.Sequential(
                nn.Conv2d(dims[i], dims[i + 1], 3, padding=1), _ChannelNorm(dims[i + 1]),
                nn.MaxPool2d(3, stride=2, padding=1))
            self.layers.append(nn.ModuleList([
                _LevelTransformer(dims[i], seq_len, block_repeats[i], heads * mults[i],
                                  mlp_mult), aggregate]))
        self.mlp_head = nn.Sequential(_ChannelNorm(dims[-1]), _SpatialMean(),
                                      nn.Linear(dims[-1], num_classes))

    def forward(self, img):
        x = self.to_patch_embedding(img)
        for i, (transformer, aggregate) in enumerate(self.layers):
            nb = 2 ** (self.num_hierarchies - 1 - i)
            b, c, hh, ww = x.shape
            h, w = hh // nb, ww // nb
            x = x.reshape(b, c, nb, h, nb, w).permute(0, 2, 4, 1, 3, 5).reshape(-1, c, h, w)
            x = transformer(x)
            x = x.reshape(b, nb, nb, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, hh, ww)
            x = aggregate(x)
        return self.mlp_head(x)


_GEOMETRY = dict(image_size='image_size', patch_size='patch_size', dim='dim', heads='heads',
                 num_hierarchies='num_hierarchies', block_repeats='block_repeats',
                 channels='in_channels')


def _num_classes(cfg) -> int:
    return int((cfg.model.get('head', {}) or {}).get('num_classes', 3))


def _htnet_like_config(cfg) -> ReferenceHTNet:
    backbone = cfg.model.get('backbone', {}) or {}
    kwargs = {ref_key: backbone[cfg_key] for ref_key, cfg_key in _GEOMETRY.items()
              if cfg_key in backbone}
    if 'block_repeats' in kwargs:
        kwargs['block_repeats'] = tuple(kwargs['block_repeats'])
    if 'ffn_mult' in backbone:
        kwargs['mlp_mult'] = backbone['ffn_mult']
    return ReferenceHTNet(num_classes=_num_classes(cfg), **kwargs)


#: name -> builder(cfg) of a reference network (``forward(inputs) -> logits``).
REFERENCE_MODELS: Dict[str, Callable] = {
    # the authors' network with the config backbone's geometry (same depth)
    'htnet_official': _htnet_like_config,
    # the authors' network as their main_HTNet.py builds it (blocks (2, 2, 10))
    'htnet_official_main': lambda cfg: ReferenceHTNet(num_classes=_num_classes(cfg)),
}


def build_reference(name: str, cfg) -> nn.Module:
    """Build reference ``name`` (a key of :data:`REFERENCE_MODELS`) for ``cfg``."""
    if name not in REFERENCE_MODELS:
        raise KeyError(f'unknown reference model {name!r}; choose one of '
                       f'{sorted(REFERENCE_MODELS)}')
    backbone = cfg.model.get('backbone', {}) or {}
    needed = ('image_size', 'patch_size', 'dim', 'heads')
    missing = [k for k in needed if k not in backbone]
    if name == 'htnet_official' and missing:
        raise ValueError(
            f'--reference {name} compares against the HTNet authors\' network built with '
            f'the config backbone\'s geometry, but model.backbone '
            f'(type {backbone.get("type")!r}) has no {missing}; use it with HTNet-style '
            'configs (HTNet, AHMSANet) or drop --reference.')
    return REFERENCE_MODELS[name](cfg)
