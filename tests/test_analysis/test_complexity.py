"""Parameter/MAC/FLOP counts against hand-computed values."""
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmmer.analysis.complexity import (count_parameters, input_shape_of,
                                       mmengine_flop_analyzer, model_complexity,
                                       sdpa_macs)

from .tool_loader import REPO, TOY_CONFIG, load_tool


class ConvAttnNet(nn.Module):
    """conv 3->8 (3x3, pad 1) on 8x8 -> 64 tokens of dim 8 -> qkv linear ->
    2-head SDPA (d=4) -> mean -> linear 8->3."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.qkv = nn.Linear(8, 24)
        self.fc = nn.Linear(8, 3)

    def forward(self, x, mode='tensor'):
        x = self.conv(x)
        t = x.flatten(2).transpose(1, 2)
        b, n, _ = t.shape
        q, k, v = self.qkv(t).reshape(b, n, 3, 2, 4).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v)
        return self.fc(a.transpose(1, 2).reshape(b, n, 8).mean(1))


# Hand count for one 3x8x8 input (bias adds are not MACs).
CONV_MACS = 8 * 3 * 3 * 3 * 8 * 8          # C_out * C_in * k * k * H * W
QKV_MACS = 64 * 8 * 24                     # tokens * in * out
ATTN_MACS = 1 * 2 * 64 * 64 * (4 + 4)      # B * H * N * M * (d_qk + d_v)
FC_MACS = 8 * 3
TOTAL_MACS = CONV_MACS + QKV_MACS + ATTN_MACS + FC_MACS
PARAMS = (8 * 3 * 9 + 8) + (8 * 24 + 24) + (8 * 3 + 3)


def test_sdpa_macs_formula():
    assert sdpa_macs((2, 4, 10, 16), (2, 4, 7, 16), (2, 4, 7, 8)) == \
        2 * 4 * 10 * 7 * (16 + 8)


def test_model_complexity_exact_with_attention():
    res = model_complexity(ConvAttnNet(), (3, 8, 8))
    assert res['params'] == PARAMS
    assert res['trainable_params'] == PARAMS
    assert res['macs'] == TOTAL_MACS
    assert res['flops'] == 2 * TOTAL_MACS
    # mmengine's analyzer (used for the per-module table) agrees once the
    # SDPA handle is registered ...
    assert res['mmengine_macs'] == TOTAL_MACS
    assert 'conv' in res['table'] and 'qkv' in res['table']


def test_mmengine_without_handle_misses_attention():
    # ... and without it drops exactly the attention term (the reason for the
    # handle, see mmmer/analysis/complexity.py).
    from mmengine.analysis import FlopAnalyzer
    from mmmer.analysis.complexity import TensorForward
    x = torch.randn(1, 3, 8, 8)
    model = TensorForward(ConvAttnNet().eval())
    plain = FlopAnalyzer(model, (x, ))
    plain.unsupported_ops_warnings(False)
    assert plain.total() == TOTAL_MACS - ATTN_MACS
    assert mmengine_flop_analyzer(model, x).total() == TOTAL_MACS


def test_trainable_parameters_exclude_frozen():
    model = ConvAttnNet()
    model.conv.requires_grad_(False)
    total, trainable = count_parameters(model)
    assert total == PARAMS
    assert trainable == PARAMS - (8 * 3 * 9 + 8)


def test_input_shape_resolution():
    from mmengine.config import Config
    assert input_shape_of(Config(dict())) == (3, 28, 28)
    assert input_shape_of(Config(dict(input_shape=(2, 4, 16, 16)))) == (2, 4, 16, 16)
    assert input_shape_of(Config(dict(input_shape=(3, 28, 28))), [1, 5, 5]) == (1, 5, 5)
    with pytest.raises(ValueError, match='input_shape'):
        input_shape_of(Config(dict(input_shape=(28, 28))))


# ToyBackbone: conv 3->8 3x3 pad 1 on 8x8, pool; LinearClsHead 32->3.
TOY_MACS = 8 * 3 * 9 * 64 + 32 * 3
TOY_PARAMS = (8 * 3 * 9 + 8) + (32 * 3 + 3)


def test_get_flops_tool_lines(tmp_path, capsys):
    cfg = tmp_path / 'toy_flops.py'
    cfg.write_text(TOY_CONFIG.format(repo=REPO))
    load_tool('get_flops').main([str(cfg)])
    out = capsys.readouterr().out
    assert re.search(r'^params: (\d+)$', out, re.M).group(1) == str(TOY_PARAMS)
    macs = float(re.search(r'^macs: (\S+) G$', out, re.M).group(1))
    flops = float(re.search(r'^flops: (\S+) G$', out, re.M).group(1))
    assert macs == pytest.approx(TOY_MACS / 1e9, rel=1e-6)
    assert flops == pytest.approx(2 * TOY_MACS / 1e9, rel=1e-6)
    assert 'backbone.net.0' in out  # the per-module table


def test_get_flops_all_markdown(tmp_path, capsys):
    root = tmp_path / 'configs'
    (root / '_base_').mkdir(parents=True)
    (root / 'toy').mkdir()
    (root / '_base_' / 'skipped.py').write_text('model = dict(type="Nope")\n')
    (root / 'toy' / 'toy_ok.py').write_text(TOY_CONFIG.format(repo=REPO))
    (root / 'toy' / 'toy_broken.py').write_text(
        TOY_CONFIG.format(repo=REPO) + "model = dict(backbone=dict(type='NoSuchNet'))\n")
    load_tool('get_flops').main(['--all', '--config-dir', str(root)])
    out = capsys.readouterr().out
    rows = [l for l in out.splitlines() if l.startswith('| ')]
    assert rows[0].startswith('| config |') and len(rows) == 3  # header + 2
    ok = next(r for r in rows if 'toy_ok.py' in r)
    cells = [c.strip() for c in ok.strip('|').split('|')]
    assert cells[2] == f'{TOY_PARAMS:,}'
    assert float(cells[3]) == pytest.approx(TOY_MACS / 1e9, abs=1e-4)
    assert 'error' in next(r for r in rows if 'toy_broken.py' in r)
    assert 'skipped.py' not in out
