"""The DDPM leaf configs compose their bases and describe the default generator."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmmer.generation.ddpm import build_unet
from mmmer.generation.group_generators import generation_settings

CONFIGS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                   'configs', 'htnet')


@pytest.mark.parametrize('name, base, params', [
    ('htnet_lape_esaat_ddpm_3db.py', 'htnet_lape_esaat_3db.py', 6_804_483),
    ('htnet_lape_esaat_ddpm_synthetic.py', 'htnet_synthetic.py', None),
])
def test_ddpm_config(name, base, params):
    if not osp.exists(osp.join(CONFIGS, base)):
        pytest.skip(f'base config {base} not written yet')
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    base_cfg = Config.fromfile(osp.join(CONFIGS, base))
    dataset, generators_dir, diffusion = generation_settings(cfg)
    # The wrapped dataset is exactly the base's training dataset.
    assert dataset == base_cfg.train_dataloader.dataset.to_dict()
    assert generators_dir.startswith(cfg.diffusion.work_dir)
    assert cfg.test_dataloader.dataset.type != 'GeneratedAugmentDataset'
    assert diffusion['scheduler']['beta_schedule'] == 'squaredcos_cap_v2'
    if params is not None:
        unet = build_unet(diffusion['unet'], num_classes=3)
        assert sum(p.numel() for p in unet.parameters()) == params
        assert diffusion['train']['steps'] == 20000
        assert diffusion['sample']['num_inference_steps'] == 1000
        assert diffusion['topup'] == 'majority'
