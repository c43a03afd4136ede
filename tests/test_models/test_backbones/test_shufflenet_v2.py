"""ShuffleNetV2 of Liu et al. 2022 (Table 1) and the parameter counts of the variants."""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmmer.models.backbones.shufflenet_v2 import (ShuffleNetV2, ShuffleUnit,
                                                  channel_shuffle)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def n_params(m):
    return sum(p.numel() for p in m.parameters() if p.requires_grad)


def test_plain_backbone_matches_published_count():
    # ShuffleNetV2 1.0x has 2,278,604 parameters with its ImageNet classifier
    # (Linear 1024 -> 1000 = 1,025,000); the backbone alone is the rest.
    assert n_params(ShuffleNetV2()) == 2_278_604 - (1024 * 1000 + 1000)


def test_table1_output_shapes():
    model = ShuffleNetV2(out_indices=(0, 1, 2, 3), global_pool=False).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 224, 224))
    assert [tuple(o.shape) for o in outs] == [
        (1, 116, 28, 28), (1, 232, 14, 14), (1, 464, 7, 7), (1, 1024, 7, 7)]
    assert [len(getattr(model, f'stage{k}')) for k in (2, 3, 4)] == [4, 8, 4]
    with torch.no_grad():
        pooled = ShuffleNetV2().eval()(torch.randn(2, 3, 64, 64))
    assert len(pooled) == 1 and pooled[0].shape == (2, 1024)


def test_leaky_relu_replaces_relu():
    model = ShuffleNetV2()
    acts = [m for m in model.modules() if isinstance(m, (nn.ReLU, nn.LeakyReLU))]
    assert acts and all(isinstance(a, nn.LeakyReLU) for a in acts)
    assert {a.negative_slope for a in acts} == {0.01}


def test_channel_shuffle_permutation():
    x = torch.arange(6.).view(1, 6, 1, 1)
    # two groups (0 1 2 | 3 4 5) interleave to 0 3 1 4 2 5
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]
    with pytest.raises(ValueError):
        channel_shuffle(torch.zeros(1, 5, 1, 1), 2)


def test_stride1_unit_keeps_half_of_the_channels():
    unit = ShuffleUnit(8, 8, 1, dict(type='LeakyReLU', negative_slope=0.01)).eval()
    x = torch.randn(2, 8, 5, 5)
    with torch.no_grad():
        y = unit(x)
    # identity half x[:, :4] ends on the even channels after the shuffle
    assert torch.equal(y[:, 0::2], x[:, :4])
    down = ShuffleUnit(8, 16, 2, dict(type='LeakyReLU', negative_slope=0.01))
    assert down(x).shape == (2, 16, 3, 3)


def test_plugin_validation():
    with pytest.raises(ValueError, match='position'):
        ShuffleNetV2(plugins=[dict(position='after_stage1', cfg=dict(type='CBAM'))])
    with pytest.raises(ValueError, match='in_channels'):
        ShuffleNetV2(plugins=[dict(position='after_conv5',
                                   cfg=dict(type='CBAM', in_channels=464))])
    with pytest.raises(ValueError, match='out_indices'):
        ShuffleNetV2(out_indices=(4, ))


def _lite_vit_params(c, d, layers=2, mode='lite', k=3):
    """Hand count of one LiteViTBlock (BN = 2 per channel, LN = 2 per dim)."""
    if mode == 'lite':
        local = k * k * c + 2 * c                       # n x n depthwise
        fuse = k * k * 2 * c + 2 * c                    # C groups of (x_c, y_c)
    elif mode == 'separable':
        local = (k * k * c + 2 * c) + (c * c + 2 * c)
        fuse = (k * k * 2 * c + 2 * 2 * c) + (2 * c * c + 2 * c)
    else:
        local = k * k * c * c + 2 * c
        fuse = k * k * 2 * c * c + 2 * c
    half = d // 2
    ghost = (d * half + half) + (9 * half + half)
    layer = 2 * d + ghost + (d * d + d) + 2 * d + (d * 2 * d + 2 * d) + (2 * d * d + d)
    return local + c * d + layers * layer + 2 * d + (d * c + 2 * c) + fuse


BACKBONE = 1_253_604
HEAD3 = 1024 * 3 + 3
CBAM1024 = (1024 * 64 + 64) + (64 * 1024 + 1024) + (2 * 49 + 1)
PAPER_VIT_MODEL = 1_530_000   # "only 1.53 million training parameters" (abstract)


@pytest.mark.parametrize('cfg_name,expected', [
    ('shufflenetv2_cbam.py', 1_388_938),
    ('shufflenetv2_vit.py', 1_549_503),
    ('shufflenetv2_plain.py', 1_256_679),
])
def test_variant_parameter_counts(cfg_name, expected):
    from mmmer.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models', cfg_name))
    model = MODELS.build(cfg.model)
    if 'cbam' in cfg_name:
        hand = BACKBONE + CBAM1024 + HEAD3
    elif 'vit' in cfg_name:
        hand = BACKBONE + _lite_vit_params(232, 64) + _lite_vit_params(464, 96) + HEAD3
    else:
        hand = BACKBONE + HEAD3
    assert hand == expected
    assert n_params(model) == expected


def test_proposed_vit_model_has_the_published_size():
    # the ViT sizes are chosen so the proposed model matches 1.53 M (+-3 %)
    from mmmer.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models',
                                   'shufflenetv2_vit.py'))
    count = n_params(MODELS.build(cfg.model))
    assert abs(count - PAPER_VIT_MODEL) <= 0.03 * PAPER_VIT_MODEL, count


@pytest.mark.parametrize('mode,expected', [
    # the literal "standard" n x n convolutions and the separable reading
    # (with d = 96 / 120) are far above the published size
    ('standard', 8_945_964), ('separable', 2_510_052)])
def test_other_conv_mode_counts(mode, expected):
    plugins = [dict(position='after_stage3',
                    cfg=dict(type='LiteViTBlock', embed_dims=96, conv_mode=mode)),
               dict(position='after_stage4',
                    cfg=dict(type='LiteViTBlock', embed_dims=120, conv_mode=mode))]
    hand = BACKBONE + _lite_vit_params(232, 96, mode=mode) + \
        _lite_vit_params(464, 120, mode=mode)
    assert hand == expected
    assert n_params(ShuffleNetV2(plugins=plugins)) == expected
