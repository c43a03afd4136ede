"""Checkpoint retention, finished-fold storage policy, stage-2 resume, and
tools/test.py on a single checkpoint (toy scale)."""
import glob
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch

from mmmer.engine import LOSOLoop, fold_dir_name
from tests.fixtures.repo import TOY_CFG, load_script, toy_cfg
from tests.fixtures.toy import Interrupt, with_interrupt

FOLD = 'toy_s01'


def read(path):
    with open(path) as f:
        return json.load(f)


def ckpts(fold_dir):
    return sorted(osp.basename(p) for p in glob.glob(osp.join(fold_dir, '*.pth')))


def scores(path):
    return np.array([r['pred_score'] for r in read(path)])


def test_max_keep_ckpts_1_leaves_one_checkpoint(tmp_path):
    # MMEngine's deque(maxlen=...) never let the pruning run: 3 epochs kept 3.
    cfg = toy_cfg(**{'train_cfg.max_epochs': 3, 'loso.keep_checkpoints': 'full',
                     'default_hooks.checkpoint.interval': 1,
                     'default_hooks.checkpoint.max_keep_ckpts': 1})
    LOSOLoop(cfg, work_dir=str(tmp_path), folds=[FOLD]).run()
    fold = osp.join(tmp_path, fold_dir_name(FOLD))
    assert ckpts(fold) == ['epoch_3.pth']
    # 'full': the finished fold keeps the resumable state.
    assert {'optimizer', 'message_hub'} <= set(
        torch.load(osp.join(fold, 'epoch_3.pth'), weights_only=True))


def test_max_keep_ckpts_2_keeps_the_latest_two(tmp_path):
    cfg = toy_cfg(**{'train_cfg.max_epochs': 4, 'loso.keep_checkpoints': 'full',
                     'default_hooks.checkpoint.max_keep_ckpts': 2})
    LOSOLoop(cfg, work_dir=str(tmp_path), folds=[FOLD]).run()
    assert ckpts(osp.join(tmp_path, fold_dir_name(FOLD))) == ['epoch_3.pth', 'epoch_4.pth']


def test_last_policy_keeps_weights_only_and_they_still_load(tmp_path):
    wd = str(tmp_path / 'run')
    cfg = toy_cfg(**{'train_cfg.max_epochs': 3,
                     'default_hooks.checkpoint.max_keep_ckpts': 3})
    LOSOLoop(cfg, work_dir=wd, folds=[FOLD]).run()
    fold = osp.join(wd, fold_dir_name(FOLD))
    assert ckpts(fold) == ['epoch_3.pth']  # default policy 'last'
    state = torch.load(osp.join(fold, 'epoch_3.pth'), weights_only=True)
    assert set(state) == {'meta', 'state_dict'} and state['meta']['epoch'] == 3
    assert read(osp.join(fold, 'checkpoint_policy.json'))['policy'] == 'last'

    # tools/test.py on the single reduced checkpoint reproduces the fold's
    # own test predictions.
    out = str(tmp_path / 'single')
    load_script('tools/test.py').main([TOY_CFG, osp.join(fold, 'epoch_3.pth'), '--subjects', FOLD,
                           '--work-dir', out])
    np.testing.assert_allclose(scores(osp.join(out, 'predictions.json')),
                               scores(osp.join(fold, 'predictions.json')), rtol=0, atol=1e-6)
    summary = read(osp.join(out, 'loso_summary.json'))
    preds = read(osp.join(fold, 'predictions.json'))
    acc = np.mean([r['gt_label'] == r['pred_label'] for r in preds])
    assert summary['Acc'] == pytest.approx(acc) and summary['num_samples'] == 9

    # Predictions lost after the reduction: the rerun only re-tests the kept
    # weights (a weights-only checkpoint cannot be resumed).
    reference = scores(osp.join(fold, 'predictions.json'))
    os.remove(osp.join(fold, 'predictions.json'))
    LOSOLoop(cfg, work_dir=wd, folds=[FOLD]).run()
    np.testing.assert_allclose(scores(osp.join(fold, 'predictions.json')), reference,
                               rtol=0, atol=1e-6)
    assert ckpts(fold) == ['epoch_3.pth']


def test_none_policy_deletes_checkpoints_once_predictions_exist(tmp_path):
    cfg = toy_cfg(**{'train_cfg.max_epochs': 2, 'loso.keep_checkpoints': 'none'})
    LOSOLoop(cfg, work_dir=str(tmp_path), folds=[FOLD]).run()
    fold = osp.join(tmp_path, fold_dir_name(FOLD))
    assert ckpts(fold) == []
    assert not osp.exists(osp.join(fold, 'last_checkpoint'))
    assert len(read(osp.join(fold, 'predictions.json'))) == 9


def test_policy_is_applied_to_a_fold_killed_before_it(tmp_path):
    # A fold finished under 'full' (or killed between predictions.json and
    # the policy) gets the policy on the next run, without retraining.
    wd = str(tmp_path)
    LOSOLoop(toy_cfg(**{'train_cfg.max_epochs': 2, 'loso.keep_checkpoints': 'full'}),
             work_dir=wd, folds=[FOLD]).run()
    fold = osp.join(wd, fold_dir_name(FOLD))
    mtime = os.stat(osp.join(fold, 'predictions.json')).st_mtime_ns
    LOSOLoop(toy_cfg(**{'train_cfg.max_epochs': 2}), work_dir=wd, folds=[FOLD]).run()
    assert os.stat(osp.join(fold, 'predictions.json')).st_mtime_ns == mtime
    assert set(torch.load(osp.join(fold, 'epoch_2.pth'), weights_only=True)) == {
        'meta', 'state_dict'}


def test_bad_keep_checkpoints_value(tmp_path):
    with pytest.raises(ValueError, match="'last', 'full', 'none'"):
        LOSOLoop(toy_cfg(**{'loso.keep_checkpoints': 'some'}), work_dir=str(tmp_path))


@pytest.fixture(scope='module')
def stage1(tmp_path_factory):
    wd = str(tmp_path_factory.mktemp('stage1'))
    # default policy: stage 2 starts from the reduced (weights-only) checkpoint
    LOSOLoop(toy_cfg(**{'train_cfg.max_epochs': 2}), work_dir=wd, folds=[FOLD]).run()
    return wd


def stage2_cfg(stage1_dir):
    return toy_cfg(**{'train_cfg.max_epochs': 5, 'loso.init_from': dict(work_dir=stage1_dir),
                      'optim_wrapper.optimizer.lr': 3e-3,
                      'model.backbone.dropout': 0.2})


def test_interrupted_stage2_fold_resumes_its_own_checkpoint(tmp_path, stage1):
    ref = str(tmp_path / 'ref')
    LOSOLoop(stage2_cfg(stage1), work_dir=ref, folds=[FOLD]).run()

    wd = str(tmp_path / 'interrupted')
    with pytest.raises(Interrupt):
        LOSOLoop(with_interrupt(stage2_cfg(stage1), 3), work_dir=wd, folds=[FOLD]).run()
    fold = osp.join(wd, fold_dir_name(FOLD))
    assert not osp.exists(osp.join(fold, 'predictions.json'))
    assert osp.basename(open(osp.join(fold, 'last_checkpoint')).read().strip()) == \
        'epoch_3.pth'
    resumed_cfg = LOSOLoop(stage2_cfg(stage1), work_dir=wd).build_fold_cfg(FOLD)
    assert resumed_cfg.resume and resumed_cfg.load_from.endswith('epoch_3.pth')

    LOSOLoop(stage2_cfg(stage1), work_dir=wd, folds=[FOLD]).run()
    np.testing.assert_allclose(scores(osp.join(fold, 'predictions.json')),
                               scores(osp.join(ref, fold_dir_name(FOLD), 'predictions.json')),
                               rtol=0, atol=1e-6)


def test_stage2_first_start_loads_stage1(tmp_path, stage1):
    cfg = LOSOLoop(stage2_cfg(stage1), work_dir=str(tmp_path)).build_fold_cfg(FOLD)
    assert not cfg.resume
    assert cfg.load_from == osp.join(stage1, fold_dir_name(FOLD), 'epoch_2.pth')
