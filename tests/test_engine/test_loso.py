import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from sklearn.metrics import f1_score, recall_score

from mmmer.engine import LOSOLoop
from mmmer.engine import fold_dir_name, split_validation_subjects
from tests.fixtures.repo import ROOT, TOY_CFG, toy_cfg

def read(path):
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def finished_run(tmp_path_factory):
    wd = str(tmp_path_factory.mktemp('loso_full'))
    cfg = toy_cfg(**{'train_cfg.max_epochs': 3})
    summary = LOSOLoop(cfg, work_dir=wd).run()
    return wd, summary


def test_summary_equals_sklearn_on_pooled_predictions(finished_run):
    wd, summary = finished_run
    on_disk = read(osp.join(wd, 'loso_summary.json'))
    for key in ('UF1', 'UAR', 'Acc', 'num_folds', 'num_samples', 'per_dataset',
                'confusion_matrix', 'config'):
        assert key in on_disk
    records = []
    for s in ('toy_s00', 'toy_s01', 'toy_s02', 'toy_s03'):
        preds = read(osp.join(wd, fold_dir_name(s), 'predictions.json'))
        assert {r['subject'] for r in preds} == {s}, 'a fold scored another subject'
        records += preds
    y = [r['gt_label'] for r in records]
    p = [r['pred_label'] for r in records]
    present = sorted(set(y))
    assert on_disk['UF1'] == pytest.approx(f1_score(y, p, average='macro', labels=present))
    assert on_disk['UAR'] == pytest.approx(recall_score(y, p, average='macro', labels=present))
    assert on_disk['num_samples'] == 36 and on_disk['num_folds'] == 4
    # The toy task is learnable: this is the positive twin of the shuffled control.
    assert on_disk['UF1'] >= 0.9
    assert osp.exists(osp.join(wd, 'loso_summary.md'))


def test_fold_config_never_trains_on_test_subject(tmp_path):
    cfg = toy_cfg(**{'loso.val_subjects': dict(fraction=0.34, seed=1)})
    loop = LOSOLoop(cfg, work_dir=str(tmp_path))
    for subject in loop.subjects():
        fold = loop.build_fold_cfg(subject)
        assert subject in fold.train_dataloader.dataset.exclude_subjects
        assert fold.test_dataloader.dataset.subjects == [subject]
        val_subjects = fold.val_dataloader.dataset.subjects
        assert subject not in val_subjects and val_subjects
        # validation subjects are removed from training too
        assert set(val_subjects) <= set(fold.train_dataloader.dataset.exclude_subjects)


def test_validation_split_is_subject_grouped_and_deterministic():
    subjects = [f's{i}' for i in range(10)]
    a = split_validation_subjects(subjects, 0.2, seed=3)
    assert a == split_validation_subjects(subjects[::-1], 0.2, seed=3)
    assert len(a) == 2 and set(a) <= set(subjects)


def test_auto_class_weight_uses_training_subjects_only(tmp_path):
    cfg = toy_cfg()
    cfg.model.head.loss = dict(type='CrossEntropyLoss', class_weight='auto')
    cfg.train_dataloader.dataset.num_subjects = 3
    loop = LOSOLoop(cfg, work_dir=str(tmp_path))
    fold = loop.build_fold_cfg('toy_s00')
    # 2 training subjects x 3 per class: balanced -> all weights 1.
    assert fold.model.head.loss.class_weight == pytest.approx([1.0, 1.0, 1.0])


def test_rerun_skips_finished_folds(finished_run):
    wd, summary = finished_run
    pred = osp.join(wd, fold_dir_name('toy_s00'), 'predictions.json')
    before = os.stat(pred).st_mtime_ns
    again = LOSOLoop(toy_cfg(**{'train_cfg.max_epochs': 3}), work_dir=wd).run()
    assert os.stat(pred).st_mtime_ns == before
    assert again['UF1'] == summary['UF1']


def test_shards_then_merge_equal_full_run(tmp_path, finished_run):
    _, full = finished_run
    wd = str(tmp_path)
    cfg = toy_cfg(**{'train_cfg.max_epochs': 3})
    assert LOSOLoop(cfg, work_dir=wd, shard='0/2').run() is None
    merged = LOSOLoop(cfg, work_dir=wd, shard='1/2').run()
    assert merged is not None
    assert merged['confusion_matrix'] == full['confusion_matrix']
    assert LOSOLoop(cfg, work_dir=wd).summarize()['UF1'] == full['UF1']


def test_bad_shard_and_unknown_fold(tmp_path):
    with pytest.raises(ValueError, match='shard'):
        LOSOLoop(toy_cfg(), work_dir=str(tmp_path), shard='2/2')
    loop = LOSOLoop(toy_cfg(), work_dir=str(tmp_path), folds=['nobody'])
    with pytest.raises(ValueError, match='nobody'):
        loop.my_folds()


def test_empty_dataset_gives_clear_error(tmp_path):
    cfg = toy_cfg(**{'train_dataloader.dataset.num_subjects': 0})
    with pytest.raises(ValueError, match='no samples'):
        LOSOLoop(cfg, work_dir=str(tmp_path)).subjects()


def test_shuffled_labels_control_is_near_chance(tmp_path):
    cfg = toy_cfg(**{'train_cfg.max_epochs': 6,
                     'train_dataloader.dataset.shuffle_labels': True,
                     'train_dataloader.dataset.num_subjects': 6,
                     'test_dataloader.dataset.num_subjects': 6})
    summary = LOSOLoop(cfg, work_dir=str(tmp_path)).run()
    assert summary['UF1'] <= 0.5


def test_checkpoint_loads_with_weights_only(finished_run):
    import torch
    wd, _ = finished_run
    fold = osp.join(wd, fold_dir_name('toy_s01'))
    with open(osp.join(fold, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    state = torch.load(ckpt, weights_only=True)
    # finished fold, default loso.keep_checkpoints='last': weights only
    assert set(state) == {'meta', 'state_dict'} and state['meta']['epoch'] == 3


def _train_cmd(wd, epochs):
    return [sys.executable, osp.join(ROOT, 'tools', 'train.py'), TOY_CFG,
            '--work-dir', wd, '--cfg-options', f'train_cfg.max_epochs={epochs}']


def test_kill_mid_fold_then_rerun_gives_same_summary(tmp_path):
    epochs = 12
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    ref = str(tmp_path / 'ref')
    subprocess.run(_train_cmd(ref, epochs), check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)

    wd = str(tmp_path / 'killed')
    proc = subprocess.Popen(_train_cmd(wd, epochs), env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    fold = osp.join(wd, fold_dir_name('toy_s01'))
    deadline = time.time() + 240
    killed = False
    while time.time() < deadline and proc.poll() is None:
        ckpts = [f for f in os.listdir(fold)] if osp.isdir(fold) else []
        if any(f.startswith('epoch_') and f != f'epoch_{epochs}.pth' for f in ckpts):
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.05)
    proc.wait()
    assert killed, 'training finished before it could be interrupted'
    assert not osp.exists(osp.join(fold, 'predictions.json'))
    subprocess.run(_train_cmd(wd, epochs), check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    a = read(osp.join(ref, 'loso_summary.json'))
    b = read(osp.join(wd, 'loso_summary.json'))
    for key in ('UF1', 'UAR', 'Acc', 'confusion_matrix'):
        assert a[key] == b[key]
    for s in ('toy_s00', 'toy_s01', 'toy_s02', 'toy_s03'):
        pa = read(osp.join(ref, fold_dir_name(s), 'predictions.json'))
        pb = read(osp.join(wd, fold_dir_name(s), 'predictions.json'))
        np.testing.assert_allclose([r['pred_score'] for r in pa],
                                   [r['pred_score'] for r in pb], rtol=0, atol=1e-6)


def test_merge_only_cli_pools_shards(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    wd = str(tmp_path)
    for shard in ('0/2', '1/2'):
        subprocess.run(_train_cmd(wd, 2) + ['--shard', shard], check=True, env=env,
                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.remove(osp.join(wd, 'loso_summary.json'))
    subprocess.run(_train_cmd(wd, 2) + ['--merge-only'], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    summary = read(osp.join(wd, 'loso_summary.json'))
    assert summary['num_folds'] == 4 and summary['num_samples'] == 36


def test_validation_split_needs_two_training_subjects(tmp_path):
    cfg = toy_cfg(**{'loso.val_subjects': dict(fraction=0.5, seed=0),
                     'train_dataloader.dataset.num_subjects': 2})
    loop = LOSOLoop(cfg, work_dir=str(tmp_path))
    with pytest.raises(ValueError, match='at least 2 training'):
        loop.build_fold_cfg('toy_s00')


def test_two_loops_in_one_process_log_into_their_own_work_dirs(tmp_path):
    wd_a, wd_b = str(tmp_path / 'a'), str(tmp_path / 'b')
    loop_a = LOSOLoop(toy_cfg(), work_dir=wd_a)
    loop_b = LOSOLoop(toy_cfg(), work_dir=wd_b)
    loop_a.logger.info('line of run A')
    loop_b.logger.info('line of run B')
    for h in loop_a.logger.handlers + loop_b.logger.handlers:
        h.flush()
    text_a = open(osp.join(wd_a, 'loso.log')).read()
    text_b = open(osp.join(wd_b, 'loso.log')).read()
    assert 'line of run A' in text_a and 'line of run B' not in text_a
    assert 'line of run B' in text_b and 'line of run A' not in text_b
    # the same work dir again (a rerun in the same process) appends
    LOSOLoop(toy_cfg(), work_dir=wd_a).logger.info('second loop on A')
    for h in loop_a.logger.handlers:
        h.flush()
    text_a = open(osp.join(wd_a, 'loso.log')).read()
    assert 'line of run A' in text_a and 'second loop on A' in text_a


def test_fold_preparers_run_before_unfinished_folds_only(tmp_path):
    from mmmer.registry import FOLD_PREPARERS

    @FOLD_PREPARERS.register_module(force=True)
    class ShortenFoldForTest:
        calls = []

        def __init__(self, epochs):
            self.epochs = epochs

        def prepare(self, loop, subject, train_subjects, fold_cfg):
            ShortenFoldForTest.calls.append((subject, list(train_subjects)))
            fold_cfg.train_cfg.max_epochs = self.epochs
            return fold_cfg

    wd = str(tmp_path)
    LOSOLoop(toy_cfg(**{'train_cfg.max_epochs': 2}), work_dir=wd, folds=['toy_s00']).run()
    cfg = toy_cfg(**{'train_cfg.max_epochs': 2,
                     'loso.fold_preparers': [dict(type='ShortenFoldForTest', epochs=1)]})
    LOSOLoop(cfg, work_dir=wd, folds=['toy_s00', 'toy_s01']).run()
    assert ShortenFoldForTest.calls == [('toy_s01', ['toy_s00', 'toy_s02', 'toy_s03'])]
    # the prepared config is the one the fold's Runner trained with
    assert os.listdir(osp.join(wd, fold_dir_name('toy_s01'))).count('epoch_1.pth') == 1
    assert 'epoch_2.pth' in os.listdir(osp.join(wd, fold_dir_name('toy_s00')))


def test_unknown_selection_is_refused_with_the_valid_values(tmp_path):
    with pytest.raises(ValueError, match=r"loso.selection='best_val'.*valid: \['last'\]"):
        LOSOLoop(toy_cfg(**{'loso.selection': 'best_val'}), work_dir=str(tmp_path))
