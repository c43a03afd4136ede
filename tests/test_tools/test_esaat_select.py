"""tools/analysis/esaat_select.py end to end on toy data and a tiny HTNet."""
import importlib.util
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmmer.registry import MODELS
from mmmer.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'esaat_select', osp.join(ROOT, 'tools', 'analysis', 'esaat_select.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


CONFIG = f'''
_base_ = [{osp.join(ROOT, 'configs/_base_/default_runtime.py')!r}]
custom_imports = dict(imports=['tests.fixtures.toy'], allow_failed_imports=False)
dataset = dict(type='ToyMEDataset', num_subjects=4, per_class=3, size=28,
               pipeline=[dict(type='ToyLoad'), dict(type='PackMEInputs')])
train_dataloader = dict(batch_size=8, dataset=dict(
    type='GeneratedAugmentDataset', dataset=dataset))
test_dataloader = dict(batch_size=8, dataset=dataset)
model = dict(type='MEClassifier',
             backbone=dict(type='HTNet', dim=8, heads=2, block_repeats=(1, 1, 4), lape=True),
             head=dict(type='LinearClsHead', num_classes=3, in_channels=32))
'''


def test_esaat_select_end_to_end(tmp_path):
    tool = load_tool()
    register_all_modules()
    cfg_file = tmp_path / 'tiny_htnet.py'
    cfg_file.write_text(CONFIG)
    cfg = Config.fromfile(str(cfg_file))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ckpt = tmp_path / 'fold.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)

    # the wrapper is unwrapped, the test subject excluded
    ds_cfg = tool.training_dataset_cfg(cfg, 'toy_s01')
    assert ds_cfg['type'] == 'ToyMEDataset' and ds_cfg['exclude_subjects'] == ['toy_s01']
    bad = Config.fromfile(str(cfg_file))
    bad.train_dataloader.dataset.dataset['subjects'] = ['toy_s00', 'toy_s01']
    with pytest.raises(ValueError, match='test subject'):
        tool.training_dataset_cfg(bad, 'toy_s01')

    result, json_path, cfg_path = tool.main([
        str(cfg_file), str(ckpt), '--test-subject', 'toy_s01', '--k', '2',
        '--out', str(tmp_path / 'out')])
    assert 'toy_s01' not in result['train_subjects']
    assert result['train_subjects'] == ['toy_s00', 'toy_s02', 'toy_s03']
    assert result['num_samples'] == 27
    assert len(result['selected']) == 2 and set(result['selected']) <= {2, 3, 4, 5}
    saved = json.load(open(json_path))
    assert saved['selected'] == result['selected']

    derived = Config.fromfile(cfg_path)
    assert sorted(derived.model.backbone.drop_attention) == sorted(result['selected'])
    assert derived.loso.subjects == ['toy_s01']
    pruned = MODELS.build(derived.model)
    per_attn = sum(p.numel() for p in model.backbone.levels[2].blocks[0].attn.parameters()) + 64
    assert sum(p.numel() for p in model.parameters()) - \
        sum(p.numel() for p in pruned.parameters()) == 2 * per_attn

    # rerun gives the same ranking (deterministic)
    again, _, _ = tool.main([str(cfg_file), str(ckpt), '--test-subject', 'toy_s01',
                             '--k', '2', '--out', str(tmp_path / 'out2')])
    assert again['selected'] == result['selected'] and again['te'] == result['te']
