"""ShuffleNetV2 1.0x with LeakyReLU and plug-in attention (Table 1 of Liu et al.).

The paper (Liu et al., Sci. Rep. 2022, "Micro-expression recognition model based
on TV-L1 optical flow method and improved ShuffleNet") uses the ShuffleNetV2
1.0x layout of its Table 1 and replaces ReLU by LeakyReLU ("ShuffleNetV2"
section, end). Attention modules are inserted as plug-ins: CBAM once, or the
improved lightweight ViT block "before and after the last ShuffleNetV2 layer"
(Fig. 5). See ``mmmer/models/necks/{cbam,lite_vit}.py``.
"""
import copy
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule

from mmmer.registry import MODELS


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Interleave the channels of ``groups`` groups (ShuffleNet's shuffle):
    channel ``g * (C/groups) + i`` moves to ``i * groups + g``."""
    b, c, h, w = x.shape
    if c % groups:
        raise ValueError(f'channel_shuffle: {c} channels not divisible by {groups}')
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


def _conv_bn(in_ch, out_ch, kernel, stride=1, groups=1, act_cfg=None):
    pad = kernel // 2
    layers = [nn.Conv2d(in_ch, out_ch, kernel, stride, pad, groups=groups,
                        bias=False),
              nn.BatchNorm2d(out_ch)]
    if act_cfg is not None:
        layers.append(build_activation_layer(copy.deepcopy(act_cfg)))
    return nn.Sequential(*layers)


class ShuffleUnit(nn.Module):
    """One ShuffleNetV2 unit (the paper, Fig. 6).

    stride 1: split the channels in half; one half passes unchanged, the other
    goes through 1x1 conv-BN-act, 3x3 depthwise conv-BN, 1x1 conv-BN-act;
    concatenate and shuffle (2 groups).
    stride 2 (down-sampling): both branches see the whole input; the left one
    is 3x3 depthwise (stride 2)-BN, 1x1 conv-BN-act; output channels double.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 act_cfg: dict):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'ShuffleUnit: stride must be 1 or 2, got {stride}')
        if out_channels % 2:
            raise ValueError(f'ShuffleUnit: out_channels {out_channels} must be even')
        branch = out_channels // 2
        if stride == 1 and in_channels != out_channels:
            raise ValueError('ShuffleUnit: a stride-1 unit keeps the channel count '
                             f'({in_channels} -> {out_channels} given)')
        self.stride = stride
        if stride == 2:
            self.branch1 = nn.Sequential(
                _conv_bn(in_channels, in_channels, 3, 2, groups=in_channels),
                _conv_bn(in_channels, branch, 1, act_cfg=act_cfg))
            branch_in = in_channels
        else:
            self.branch1 = None
            branch_in = branch
        self.branch2 = nn.Sequential(
            _conv_bn(branch_in, branch, 1, act_cfg=act_cfg),
            _conv_bn(branch, branch, 3, stride, groups=branch),
            _conv_bn(branch, branch, 1, act_cfg=act_cfg))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            left, right = x.chunk(2, dim=1)
            out = torch.cat([left, self.branch2(right)], dim=1)
        else:
            out = torch.cat([self.branch1(x), self.branch2(x)], dim=1)
        return channel_shuffle(out, 2)


@MODELS.register_module()
class ShuffleNetV2(BaseModule):
    """ShuffleNetV2 (Ma et al. 2018) as laid out in the paper, Table 1.

    ======== ======= ====== ======== ======
    layer    output  stride repeat   out ch
    ======== ======= ====== ======== ======
    conv1    112^2   2      1        24
    maxpool  56^2    2               24
    stage2   28^2    2 / 1  1 / 3    116
    stage3   14^2    2 / 1  1 / 7    232
    stage4   7^2     2 / 1  1 / 3    464
    conv5    7^2     1      1        1024
    pool     1^2     (global average)
    ======== ======= ====== ======== ======

    for a 224x224 input. LeakyReLU replaces ReLU (the paper: "replacing the ReLU
    activation function with LeakyReLU can avoid ... neuron death"); the paper
    gives no slope, the default 0.01 is PyTorch's (Keras' own default is 0.3;
    set ``act_cfg`` to change it).

    Parameters with the default config (plain backbone, no plug-ins, no
    classifier): **1,253,604** -- the published ShuffleNetV2 1.0x count
    (2,278,604) minus its 1000-way classifier (1024*1000 + 1000).

    Args:
        stage_channels (Sequence[int]): output channels of stage2..4.
        stage_repeats (Sequence[int]): units per stage (first has stride 2).
        stem_channels (int): conv1 channels.
        conv5_channels (int): conv5 channels.
        in_channels (int): input channels (3: the gray image repeated, or the
            3-channel flow image).
        act_cfg (dict): activation of every conv-BN-act.
        out_indices (Sequence[int]): which outputs to return, as a tuple:
            0 stage2, 1 stage3, 2 stage4, 3 conv5 (after any plug-in placed
            there). Index 3 is what heads consume.
        global_pool (bool): global-average-pool every returned map to (B, C)
            (Table 1's "GlobalPool"). Set False to feed a spatial neck.
        plugins (list[dict], optional): attention blocks inserted inside the
            network, each ``dict(position=..., cfg=dict(type=..., ...))``
            with position one of ``'after_conv1'``, ``'after_stage2'``,
            ``'after_stage3'``, ``'after_stage4'``, ``'after_conv5'``. A
            plug-in must keep its input shape; its ``in_channels`` is filled
            in from the position when the cfg leaves it out. Fig. 5 of the paper
            (ViT before and after the last stage) is
            ``after_stage3`` + ``after_stage4``; CBAM "applied only once" is
            ``after_conv5`` here (chosen here; the paper gives none).
        init_cfg (dict, optional): MMEngine init config.
    """

    POSITIONS = ('after_conv1', 'after_stage2', 'after_stage3', 'after_stage4',
                 'after_conv5')

    def __init__(self,
                 stage_channels: Sequence[int] = (116, 232, 464),
                 stage_repeats: Sequence[int] = (4, 8, 4),
                 stem_channels: int = 24,
                 conv5_channels: int = 1024,
                 in_channels: int = 3,
                 act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.01),
                 out_indices: Sequence[int] = (3, ),
                 global_pool: bool = True,
                 plugins: Optional[List[dict]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if len(stage_channels) != 3 or len(stage_repeats) != 3:
            raise ValueError('ShuffleNetV2: stage_channels and stage_repeats need '
                             '3 entries (stage2, stage3, stage4)')
        out_indices = tuple(out_indices)
        if not out_indices or any(i not in (0, 1, 2, 3) for i in out_indices):
            raise ValueError(f'ShuffleNetV2: out_indices must be a non-empty subset '
                             f'of (0, 1, 2, 3), got {out_indices}')
        self.out_indices = out_indices
        self.global_pool = global_pool
        self.act_cfg = dict(act_cfg)

        self.conv1 = _conv_bn(in_channels, stem_channels, 3, 2, act_cfg=act_cfg)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        channels = {'after_conv1': stem_channels}
        prev = stem_channels
        self.stage_names = []
        for k, (ch, n) in enumerate(zip(stage_channels, stage_repeats)):
            units = [ShuffleUnit(prev, ch, 2, act_cfg)]
            units += [ShuffleUnit(ch, ch, 1, act_cfg) for _ in range(n - 1)]
            name = f'stage{k + 2}'
            self.add_module(name, nn.Sequential(*units))
            self.stage_names.append(name)
            channels[f'after_{name}'] = ch
            prev = ch
        self.conv5 = _conv_bn(prev, conv5_channels, 1, act_cfg=act_cfg)
        channels['after_conv5'] = conv5_channels
        self.out_channels = (*stage_channels, conv5_channels)

        self.plugins = nn.ModuleDict()
        for p in plugins or []:
            position = p.get('position')
            if position not in self.POSITIONS:
                raise ValueError(f'ShuffleNetV2: plug-in position {position!r} '
                                 f'unknown; use one of {self.POSITIONS}')
            if position in self.plugins:
                raise ValueError(f'ShuffleNetV2: two plug-ins at {position}')
            cfg = copy.deepcopy(dict(p['cfg']))
            cfg.setdefault('in_channels', channels[position])
            if cfg['in_channels'] != channels[position]:
                raise ValueError(
                    f"ShuffleNetV2: plug-in {cfg['type']} at {position} declares "
                    f"in_channels={cfg['in_channels']} but the map there has "
                    f'{channels[position]} channels')
            self.plugins[position] = MODELS.build(cfg)

    def _plug(self, position: str, x: torch.Tensor) -> torch.Tensor:
        if position in self.plugins:
            x = self.plugins[position](x)
        return x

    def forward(self, x: torch.Tensor) -> tuple:
        x = self._plug('after_conv1', self.conv1(x))
        x = self.maxpool(x)
        outs: Dict[int, torch.Tensor] = {}
        for k, name in enumerate(self.stage_names):
            x = self._plug(f'after_{name}', getattr(self, name)(x))
            outs[k] = x
        x = self._plug('after_conv5', self.conv5(x))
        outs[3] = x
        selected = [outs[i] for i in self.out_indices]
        if self.global_pool:
            selected = [t.mean(dim=(2, 3)) for t in selected]
        return tuple(selected)
