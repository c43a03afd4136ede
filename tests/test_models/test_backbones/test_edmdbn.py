"""EDMDBN backbone, accumulated token attention, pinned counts and compute,
and the EDMDBN leaf configs."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmmer.models.backbones.edmdbn import EDMDBN
from mmmer.models.layers.token_attention import AccumulatedTokenAttention
from mmmer.registry import MODELS
from mmmer.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
MODEL_CFG = osp.join(ROOT, 'configs/_base_/models/edmdbn.py')
TINY = dict(embed_dims=8, depths=(1, 1, 1), num_heads=(1, 2, 2), num_frames=8)


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def build_classifier(num_classes=3, device='meta', **backbone):
    """The model of the base config; on the meta device by default (shapes
    only: counting parameters and FLOPs needs no storage or compute)."""
    register_all_modules()
    cfg = Config.fromfile(MODEL_CFG).model
    cfg.head.num_classes = num_classes
    cfg.backbone.update(backbone)
    with torch.device(device):
        return MODELS.build(cfg)


# ------------------------------------------------------------- token attention
def test_token_attention_eq1_by_hand():
    torch.manual_seed(0)
    ta = AccumulatedTokenAttention()
    x = torch.randn(2, 1, 4, 4, 6)
    y, a = ta(x)
    w, b = ta.fc.weight.detach()[0], ta.fc.bias.detach()[0]
    xn = x.numpy()
    ref = 1 / (1 + np.exp(-(w[0].item() * xn.mean(-1) + w[1].item() * xn.max(-1) + b.item())))
    np.testing.assert_allclose(a[..., 0].detach().numpy(), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y.detach().numpy(), xn * ref[..., None], rtol=1e-5, atol=1e-6)
    assert n_params(ta) == 3


def test_token_attention_eq2_accumulates_with_max_pool():
    torch.manual_seed(0)
    ta = AccumulatedTokenAttention()
    x = torch.randn(1, 1, 2, 3, 4)
    prev = torch.rand(1, 1, 4, 5, 1)  # odd width: ceil pooling (merge pads)
    _, a = ta(x, prev)
    cur = ta.current_attention(x)[0, 0, ..., 0].detach().numpy()
    p = prev[0, 0, ..., 0].numpy()
    pooled = np.array([[p[2 * i:2 * i + 2, 2 * j:2 * j + 2].max() for j in range(3)]
                       for i in range(2)])
    np.testing.assert_allclose(a[0, 0, ..., 0].detach().numpy(), cur * pooled, rtol=1e-6)


def test_attention_is_a_product_over_stages_inside_swin():
    torch.manual_seed(0)
    model = EDMDBN(**TINY).eval()
    branch = model.detail_branch
    seen = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: seen.append((mod, inp, out)))
             for m in branch.token_attentions]
    with torch.no_grad():
        model(torch.randn(1, 3, 9, 64, 64))
    for h in hooks:
        h.remove()
    assert len(seen) == 3
    prev = None
    for mod, (x, given_prev), (_, a) in seen:
        assert (given_prev is None) == (prev is None)
        expected = mod.current_attention(x)
        if prev is not None:
            assert torch.equal(given_prev, prev)
            expected = expected * F.max_pool3d(
                prev.permute(0, 4, 1, 2, 3), (1, 2, 2), (1, 2, 2), ceil_mode=True
            ).permute(0, 2, 3, 4, 1)
        torch.testing.assert_close(a, expected)
        prev = a
    # A product of sigmoids shrinks: stage 3 <= the pooled stage-2 map.
    assert torch.all(seen[2][2][1] <= F.max_pool3d(
        seen[1][2][1].permute(0, 4, 1, 2, 3), (1, 2, 2), (1, 2, 2)).permute(0, 2, 3, 4, 1))


def test_without_token_attention():
    with_aa, without = EDMDBN(**TINY), EDMDBN(token_attention=False, **TINY)
    assert n_params(with_aa) - n_params(without) == 18  # 3 per stage, 2 branches
    assert not hasattr(without.detail_branch, 'token_attentions')


# ------------------------------------------------------------- pinned counts
def test_official_parameter_counts_pinned():
    """The network the authors' code executes (docs/methods/edmdbn.md)."""
    model3 = build_classifier(3)
    assert n_params(model3) == 44_108_197
    assert n_params(model3.backbone.entire_branch) == 21_903_569
    assert n_params(model3.head) == 301_059
    model5 = build_classifier(5)
    assert n_params(model5) == 44_308_903


def test_paper_variant_parameter_count_pinned():
    model = build_classifier(3, variant='paper')
    # 43,008 fewer embed weights (2D 4x4 patches) and 120 head-blocks x
    # (2535 - 169) fewer relative-position rows than the official build.
    assert n_params(model) == 44_108_197 - 43_008 - 120 * (2535 - 169) == 43_781_269


def _closed_form_macs(h, w, c=128, depths=(2, 2, 6), win=49, k=3):
    """MACs per clip from closed forms (matmul/conv/bmm only):
    12C^2N + 2*N*49*C per block, N/4*8C^2 per merge, the (8,4,4) tubelet
    conv on the zero-padded input, 2 MACs per token for token attention,
    both branches, plus the head."""
    n = (h // 4) * (w // 4)
    per_branch = n * 3 * 8 * 16 * c  # embed
    dim = c
    for i, d in enumerate(depths):
        per_branch += d * (12 * dim * dim * n + 2 * n * min(win, n) * dim) + 2 * n
        if i < len(depths) - 1:
            per_branch += n // 4 * 8 * dim * dim
            n //= 4
            dim *= 2
    return 2 * per_branch + n * dim * k


def test_official_macs_flop_counter():
    """FlopCounterMode (FLOPs = 2 MACs; attention counted through the MATH
    SDPA kernel) on the official 3-class model at T=8, 224x224: 13.405 GMACs
    = 26.81 GFLOPs (measured on the authors' classes), equal to the closed form. Run on
    the meta device, which propagates shapes only."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    model = build_classifier(3).eval()
    x = torch.zeros(1, 3, 9, 224, 224, device='meta')
    with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), \
            FlopCounterMode(display=False) as counter:
        logits = model(x, mode='tensor')
    assert logits.shape == (1, 3)
    macs = counter.get_total_flops() // 2
    assert macs == _closed_form_macs(224, 224) == 13_404_936_272
    assert round(macs / 1e9, 3) == 13.405


# ------------------------------------------------------------- behaviour
@pytest.mark.parametrize('variant', ['official', 'paper'])
@pytest.mark.parametrize('branches,fusion,channels', [
    (('entire', 'detail'), 'add', 32), (('entire', 'detail'), 'concat', 64),
    (('entire', ), 'add', 32), (('detail', ), 'add', 32)])
def test_tiny_shapes(variant, branches, fusion, channels):
    torch.manual_seed(0)
    model = EDMDBN(variant=variant, branches=branches, fusion=fusion, **TINY)
    out = model(torch.randn(2, 3, 9, 64, 64))
    assert model.out_channels == channels
    assert out.shape == (2, channels, *model.feature_size(64, 64)) == (2, channels, 4, 4)


def test_input_check():
    with pytest.raises(ValueError, match=r'1 \+ T'):
        EDMDBN(**TINY)(torch.randn(1, 3, 8, 64, 64))
    with pytest.raises(ValueError, match='variant'):
        EDMDBN(variant='other')


def test_official_entire_branch_sees_only_first_kernel_slice():
    """The single entire-motion frame is zero-padded to 8 in time, so only
    slice 0 of the (8, 4, 4) tubelet kernel acts."""
    torch.manual_seed(0)
    model = EDMDBN(branches=('entire', ), **TINY).eval()
    x = torch.randn(1, 3, 9, 64, 64)
    with torch.no_grad():
        y0 = model(x)
        model.entire_branch.patch_embed.proj.weight[:, :, 1:] += 1.0
        y1 = model(x)
        x2 = x.clone()
        x2[:, :, 1:] = 0  # detail slices do not reach the entire branch
        y2 = model(x2)
    torch.testing.assert_close(y0, y1)
    torch.testing.assert_close(y0, y2)


def test_classifier_loss_and_predict_tiny():
    from mmmer.structures import MEDataSample
    register_all_modules()
    cfg = Config.fromfile(MODEL_CFG).model
    cfg.backbone.update(TINY)
    cfg.head.in_channels = 32 * 4 * 4
    model = MODELS.build(cfg)
    inputs = torch.randn(2, 3, 9, 64, 64)
    samples = [MEDataSample().set_gt_label(i) for i in (0, 2)]
    losses = model(inputs, samples, mode='loss')
    assert losses['loss_cls'].ndim == 0
    losses['loss_cls'].backward()
    preds = model(inputs, samples, mode='predict')
    assert preds[0].pred_score.shape == (3, )


# ------------------------------------------------------------- leaf configs
EDMDBN_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'edmdbn', '*.py')))
BRANCH = 21_903_569  # one official branch (pinned above)


def _head(k, features=512 * 14 * 14):
    return features * k + k


# Paper table of each ablation, and its parameter count: closed forms from
# the pinned branch count (token attention: 3 parameters x 3 stages x 2).
ABLATIONS = {
    'swin_aa_entire_only': ('Table 6', lambda k: BRANCH + _head(k)),
    'swin_aa_detail_only': ('Table 6', lambda k: BRANCH + _head(k)),
    'swin_noaa': ('Table 8', lambda k: 2 * BRANCH - 18 + _head(k)),
    'swin_aa_concat': ('Table 9', lambda k: 2 * BRANCH + _head(k, 1024 * 14 * 14)),
}
ABLATION_DATASETS = {  # suffix -> (dataset type, label set, K)
    '3db': ('CompositeDataset', None, 3),
    'casme2_5cls': ('CASME2Dataset', '5class', 5),
    'samm_5cls': ('SAMMDataset', '5class', 5),
    'casme2': ('CASME2Dataset', '3class', 3),
}


def _header(path):
    lines = []
    for line in open(path):
        if not line.startswith('#'):
            break
        lines.append(line)
    return ''.join(lines)


def _crop_steps(cfg):
    steps = []
    for loader in ('train_dataloader', 'test_dataloader'):
        pre = cfg[loader].dataset.get('preprocess', {}).get('pipeline', [])
        steps += [t for t in pre if t['type'] == 'LandmarkFaceCrop']
    return steps


@pytest.mark.parametrize('path', EDMDBN_CONFIGS, ids=osp.basename)
def test_every_edmdbn_config_resolves(path):
    cfg = Config.fromfile(path)
    assert cfg.model.backbone.type == 'EDMDBN'
    assert 'docs/methods/edmdbn.md' in _header(path)
    # The authors' oracle rule is configured; selection stays honest.
    assert cfg.loso.oracle_rule == 'best_uf1_fold_mean'
    assert cfg.loso.selection == 'last' and cfg.loso.oracle is False
    # Wherever mmmer crops faces itself, it is the paper's crop.
    for step in _crop_steps(cfg):
        assert step.get('mode') == 'paper'
    head = cfg.model.head
    assert head.num_classes in (3, 5)


def test_crop_default_pipelines_use_the_paper_rule():
    cfg = Config.fromfile(MODEL_CFG)
    for name in ('edmdbn_preprocess_aligned', 'edmdbn_preprocess_aligned_official'):
        crops = [t for t in cfg[name] if t['type'] == 'LandmarkFaceCrop']
        assert len(crops) == 1 and crops[0]['mode'] == 'paper'
    assert _crop_steps(Config.fromfile(osp.join(ROOT, 'configs/edmdbn/swin_aa_samm.py')))


@pytest.mark.parametrize('prefix', sorted(ABLATIONS))
@pytest.mark.parametrize('suffix', sorted(ABLATION_DATASETS))
def test_ablation_configs_name_the_paper_table_and_pin_counts(prefix, suffix):
    path = osp.join(ROOT, 'configs', 'edmdbn', f'{prefix}_{suffix}.py')
    assert osp.isfile(path)
    table, count = ABLATIONS[prefix]
    header = _header(path)
    assert table in header
    ds_type, label_set, k = ABLATION_DATASETS[suffix]
    cfg = Config.fromfile(path)
    ds = cfg.train_dataloader.dataset
    assert ds.type == ds_type
    if label_set is not None:
        assert ds.label_set == label_set
    assert cfg.model.head.num_classes == k
    if suffix == 'samm_5cls':  # paper Sec. 4.3: class weights on SAMM only
        assert cfg.model.head.loss.class_weight == 'auto'
    expected = count(k)
    assert f'{expected:,}' in header
    model_cfg = cfg.model
    model_cfg.head.loss.pop('class_weight', None)  # 'auto': per fold, no parameters
    register_all_modules()
    with torch.device('meta'):
        model = MODELS.build(model_cfg)
    assert n_params(model) == expected


def test_official_casme2_sample_set_option():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/edmdbn/swin_aa_casme2_official_set.py'))
    for loader in ('train_dataloader', 'test_dataloader'):
        ds = cfg[loader].dataset
        assert ds.bad_apex == 'midpoint' and list(ds.exclude_clips) == []
        assert ds.label_set == '3class'
    assert cfg.expected_counts.total == 147
    default = Config.fromfile(osp.join(ROOT, 'configs/edmdbn/swin_aa_casme2.py'))
    assert default.train_dataloader.dataset.bad_apex == 'drop'
    assert default.expected_counts.total == 145
