"""A generator group whose training is interrupted resumes from its training
checkpoint to the same weights as an uninterrupted run (tiny U-Net, 4 steps)."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch

from mmmer.generation.ddpm import ClassConditionalDDPM, resolve_diffusion_cfg
from mmmer.generation.group_generators import (CHECKPOINT_FILE, WEIGHTS_FILE, group_dir,
                                               is_finished, plan_from_dataset_cfg,
                                               read_meta, train_group_generator)
from mmmer.utils import register_all_modules

from .toy_flow_maps import TINY_DIFFUSION, toy_dataset_cfg

STEPS = 4
INTERRUPT_AT = 2  # steps 0 and 1 are checkpointed, step 2 dies half-way


class Interrupted(Exception):
    """Stands in for a killed process."""


def diffusion_cfg():
    d = copy.deepcopy(TINY_DIFFUSION)
    d['num_groups'] = 2
    d['unet'] = dict(block_out_channels=(8, 16, 16), layers_per_block=1, norm_num_groups=4)
    d['train'].update(steps=STEPS, batch_size=8, checkpoint_interval=1, log_interval=1)
    return resolve_diffusion_cfg(d)


def train(tmp_path, name, init_seed):
    register_all_modules()
    dataset_cfg = toy_dataset_cfg(tmp_path / 'cache', datasets={'toya': 4})
    plan, universe = plan_from_dataset_cfg(dataset_cfg, diffusion_cfg())
    generators_dir = str(tmp_path / name)
    torch.manual_seed(init_seed)  # the U-Net's initial weights
    meta = train_group_generator(plan, 0, generators_dir, universe,
                                 dataset_cfg['pipeline'], progress=False)
    return plan, universe, dataset_cfg, generators_dir, meta


def ema_weights(generators_dir):
    with np.load(osp.join(group_dir(generators_dir, 0), WEIGHTS_FILE)) as z:
        return {k: z[k] for k in z.files}


def test_interrupted_group_training_resumes_to_the_same_weights(tmp_path, monkeypatch):
    *_, ref_dir, ref_meta = train(tmp_path, 'uninterrupted', init_seed=0)
    ref = ema_weights(ref_dir)

    original = ClassConditionalDDPM.update_ema

    def dying_update_ema(self, decay, num_updates):
        if num_updates == INTERRUPT_AT:
            raise Interrupted
        return original(self, decay, num_updates)

    with monkeypatch.context() as m:
        m.setattr(ClassConditionalDDPM, 'update_ema', dying_update_ema)
        with pytest.raises(Interrupted):
            train(tmp_path, 'interrupted', init_seed=0)
    run_dir = str(tmp_path / 'interrupted')
    ckpt = torch.load(osp.join(group_dir(run_dir, 0), CHECKPOINT_FILE), weights_only=True)
    assert int(ckpt['step']) == INTERRUPT_AT
    assert read_meta(run_dir, 0) is None
    assert not osp.exists(osp.join(group_dir(run_dir, 0), WEIGHTS_FILE))

    # The rerun is a fresh process: other initial weights, restored from the
    # checkpoint, so the result cannot come from re-running the same init.
    plan, *_, meta = train(tmp_path, 'interrupted', init_seed=123)
    assert is_finished(run_dir, 0, plan.hash(0))
    assert not osp.exists(osp.join(group_dir(run_dir, 0), CHECKPOINT_FILE))
    resumed = ema_weights(run_dir)
    assert sorted(resumed) == sorted(ref)
    for k in ref:
        np.testing.assert_allclose(resumed[k], ref[k], rtol=1e-5, atol=1e-6, err_msg=k)
    assert meta['loss_first'] == pytest.approx(ref_meta['loss_first'], rel=1e-5)
    assert meta['loss_last'] == pytest.approx(ref_meta['loss_last'], rel=1e-5)

    # Control: a run from other initial weights and no checkpoint differs, so
    # the comparison above can fail.
    *_, other_dir, _ = train(tmp_path, 'other_init', init_seed=123)
    other = ema_weights(other_dir)
    assert max(float(np.abs(other[k] - ref[k]).max()) for k in ref) > 1e-3
