"""LOSO under ``--launcher pytorch``: two gloo ranks on CPU, toy scale.

What must hold with 2 ranks (tools/train.py, tools/dist_train.sh):
- the training data are sharded (each rank sees half an epoch),
- the test subject's samples are scored exactly once although the
  DistributedSampler pads the odd-sized test set (9 samples -> 2 x 5),
- the pooled summary equals scikit-learn on the pooled fold predictions,
- torchrun exits 0 (the gloo group is torn down before interpreter exit),
- a rerun skips every finished fold on both ranks.
"""
import glob
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
from sklearn.metrics import accuracy_score, f1_score, recall_score

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_CFG = osp.join(ROOT, 'tests', 'fixtures', 'toy_config.py')
SUBJECTS = ['toy_s00', 'toy_s01', 'toy_s02', 'toy_s03']
# ToyMEDataset(num_subjects=4, per_class=3): 3 kept classes x 3 clips per
# subject ('fear' is outside the 3-class set).
PER_SUBJECT = 9
TRAIN_SAMPLES = PER_SUBJECT * (len(SUBJECTS) - 1)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def env():
    # dist_train.sh runs $PYTHON -m torch.distributed.run: this interpreter,
    # whether or not its virtual environment is activated.
    return dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT, PYTHON=sys.executable)


def run(cmd, **kwargs):
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=240, **kwargs)
    assert proc.returncode == 0, f'{cmd} failed ({proc.returncode}):\n{proc.stdout[-4000:]}'
    return proc.stdout


def read(path):
    with open(path) as f:
        return json.load(f)


def fold_log(fold_dir):
    logs = glob.glob(osp.join(fold_dir, '*', '*.log'))
    assert len(logs) == 1, logs
    with open(logs[0]) as f:
        return f.read()


def last_iter(fold_dir):
    scalars = glob.glob(osp.join(fold_dir, '*', 'vis_data', 'scalars.json'))
    assert len(scalars) == 1, scalars
    with open(scalars[0]) as f:
        return [json.loads(line) for line in f][-1]['iter']


def test_two_rank_fold_scores_each_test_sample_once(tmp_path):
    wd = str(tmp_path)
    epochs = 2
    run([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
         '--master_port', str(free_port()), osp.join('tools', 'train.py'), TOY_CFG,
         '--launcher', 'pytorch', '--work-dir', wd, '--folds', 'toy_s00',
         '--cfg-options', f'train_cfg.max_epochs={epochs}'], env=env())
    fold = osp.join(wd, 'fold_toy_s00')
    log = fold_log(fold)
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    # DDP shards training: ceil(27 / 2) = 14 samples per rank, batch 8 ->
    # 2 iterations per epoch (a single process would take ceil(27 / 8) = 4).
    per_rank = -(-TRAIN_SAMPLES // 2)
    assert last_iter(fold) == epochs * -(-per_rank // 8)

    preds = read(osp.join(fold, 'predictions.json'))
    # 9 test samples, padded to 10 by the sampler: the padded copy is dropped.
    assert len(preds) == PER_SUBJECT
    assert len({r['clip'] for r in preds}) == PER_SUBJECT
    assert {r['subject'] for r in preds} == {'toy_s00'}
    assert sorted(r['gt_label'] for r in preds) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    # Other folds were not run, so there is no summary yet.
    assert not osp.exists(osp.join(wd, 'loso_summary.json'))
    assert sorted(os.listdir(wd)) == ['fold_toy_s00', 'loso.log']


def test_dist_train_sh_full_loso_summary_and_rerun(tmp_path):
    wd = str(tmp_path)
    cmd = ['bash', osp.join('tools', 'dist_train.sh'), TOY_CFG, '2', '--work-dir', wd,
           '--cfg-options', 'train_cfg.max_epochs=3']
    run(cmd, env=dict(env(), PORT=str(free_port())))

    summary = read(osp.join(wd, 'loso_summary.json'))
    records = []
    for s in SUBJECTS:
        preds = read(osp.join(wd, f'fold_{s}', 'predictions.json'))
        assert {r['subject'] for r in preds} == {s}
        assert len({r['clip'] for r in preds}) == len(preds) == PER_SUBJECT
        records += preds
    y = [r['gt_label'] for r in records]
    p = [r['pred_label'] for r in records]
    assert summary['num_samples'] == len(SUBJECTS) * PER_SUBJECT
    assert summary['num_folds'] == len(SUBJECTS)
    assert summary['UF1'] == pytest.approx(f1_score(y, p, average='macro', labels=[0, 1, 2]))
    assert summary['UAR'] == pytest.approx(
        recall_score(y, p, average='macro', labels=[0, 1, 2]))
    assert summary['Acc'] == pytest.approx(accuracy_score(y, p))
    assert sum(map(sum, summary['confusion_matrix'])) == len(records)
    for name in ('loso_summary.md', 'confusion_matrix.png'):
        assert osp.exists(osp.join(wd, name))
    # No temporary files left behind by two ranks writing at once.
    assert not glob.glob(osp.join(wd, '**', '.tmp_*'), recursive=True)

    # A rerun on both ranks skips every finished fold and re-pools the same numbers.
    mtimes = {s: os.stat(osp.join(wd, f'fold_{s}', 'predictions.json')).st_mtime_ns
              for s in SUBJECTS}
    run(cmd, env=dict(env(), PORT=str(free_port())))
    for s in SUBJECTS:
        assert os.stat(osp.join(wd, f'fold_{s}', 'predictions.json')).st_mtime_ns == mtimes[s]
    again = read(osp.join(wd, 'loso_summary.json'))
    assert again['confusion_matrix'] == summary['confusion_matrix']
    with open(osp.join(wd, 'loso.log')) as f:
        assert f.read().count('already finished: skipped') == len(SUBJECTS)
