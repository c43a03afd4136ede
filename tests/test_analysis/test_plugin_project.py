"""The projects/example_backbone plugin: registration through custom_imports."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from .tool_loader import REPO

PLUGIN_CONFIG = osp.join(REPO, 'projects', 'example_backbone', 'configs',
                         'tinynet_synthetic.py')
HTNET_BASE = osp.join(REPO, 'configs', 'htnet', 'htnet_synthetic.py')

# conv3x3 3->16 + bias, BN(16), conv3x3 16->32 + bias, BN(32)
TINYNET_PARAMS = (3 * 16 * 9 + 16) + 2 * 16 + (16 * 32 * 9 + 32) + 2 * 32


def _plugin_cfg(tmp_path, module):
    path = tmp_path / 'plugin_cfg.py'
    path.write_text(
        f"_base_ = ['{REPO}/tests/fixtures/toy_config.py']\n"
        f"custom_imports = dict(imports=['{module}'], allow_failed_imports=False)\n"
        "model = dict(backbone=dict(_delete_=True, type='TinyNet', widths=(16, 32)),\n"
        "             head=dict(in_channels=32))\n"
        "input_shape = (3, 28, 28)\n")
    return str(path)


def test_custom_imports_registers_tinynet(tmp_path):
    from mmmer.analysis.complexity import build_model_from_cfg, count_parameters
    from mmmer.registry import MODELS
    cfg = Config.fromfile(_plugin_cfg(tmp_path, 'projects.example_backbone.models'))
    cls = MODELS.get('TinyNet')
    assert cls.__module__ == 'projects.example_backbone.models.tiny_net'
    model = build_model_from_cfg(cfg)
    assert count_parameters(model.backbone) == (TINYNET_PARAMS, TINYNET_PARAMS)
    assert TINYNET_PARAMS == 5184  # the number stated in TinyNet's docstring
    logits = model(torch.randn(2, 3, 28, 28), mode='tensor')
    assert logits.shape == (2, 3)


def test_custom_imports_typo_fails_at_parse(tmp_path):
    with pytest.raises(ImportError):
        Config.fromfile(_plugin_cfg(tmp_path, 'projects.example_backbone.modelz'))


@pytest.mark.skipif(not osp.isfile(HTNET_BASE),
                    reason='configs/htnet/htnet_synthetic.py (the base) not written yet')
def test_plugin_config_builds_model():
    from mmmer.analysis.complexity import build_model_from_cfg
    cfg = Config.fromfile(PLUGIN_CONFIG)
    model = build_model_from_cfg(cfg)
    assert type(model.backbone).__name__ == 'TinyNet'
    assert type(model.head).__name__ == 'LinearClsHead'
    shape = tuple(cfg.get('input_shape', (3, 28, 28)))
    assert model(torch.randn(2, *shape), mode='tensor').shape == \
        (2, model.head.num_classes)
