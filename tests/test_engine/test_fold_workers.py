"""``tools/train.py --fold-workers N``: concurrent shard processes on one
machine give the sequential run's pooled summary (the README's synthetic main
job at toy scale), and failures/refusals are reported clearly."""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from mmmer.engine import fold_dir_name
from mmmer.engine.fold_workers import (FoldWorkerFailed, FoldWorkersError,
                                       run_fold_workers, split_fold_workers_arg,
                                       threads_per_worker, worker_commands)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'htnet', 'htnet_synthetic.py')
SUBJECTS = 3


def tiny_options(data_root):
    gen = dict(num_subjects=SUBJECTS, clips_per_class=1, seed=0, frame_size=160,
               clip_length_range='[8,10]')
    opts = ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=4',
            'model.backbone.dim=12', 'model.backbone.block_repeats=[1,1,1]',
            'model.head.in_channels=48']
    for loader in ('train_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={data_root}',
                 *[f'{loader}.dataset.generator.{k}={v}' for k, v in gen.items()],
                 f'{loader}.dataset.preprocess.cache_dir={data_root}/cache',
                 f'{loader}.dataset.preprocess.workers=1',
                 f'{loader}.dataset.preprocess.pipeline.2.size=112']
    return opts


def train(work_dir, data_root, *extra, threads=1):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS=str(threads))
    proc = subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'train.py'), CONFIG,
                           '--work-dir', work_dir, *extra,
                           '--cfg-options', *tiny_options(data_root)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(osp.join(work_dir, 'loso_summary.json')) as f:
        return json.load(f), proc.stdout + proc.stderr


def test_two_fold_workers_give_the_sequential_summary(tmp_path):
    data_root = str(tmp_path / 'synthetic')
    seq, _ = train(str(tmp_path / 'sequential'), data_root)
    # 2 threads split over 2 workers: each runs with 1 thread, as the
    # sequential run did, so the folds compute the same numbers.
    par_dir = str(tmp_path / 'workers')
    par, out = train(par_dir, data_root, '--fold-workers', '2', threads=2)
    assert '2 worker process(es) x 1 thread(s)' in out
    assert 'LOSO done' in out
    for i in range(2):
        log = osp.join(par_dir, 'fold_workers', f'worker_{i}.log')
        assert osp.getsize(log) > 0
    assert par['num_folds'] == seq['num_folds'] == SUBJECTS
    assert par['num_samples'] == seq['num_samples'] == 3 * SUBJECTS
    seq['config_dict'].pop('work_dir')
    par['config_dict'].pop('work_dir')
    assert par == seq  # the whole pooled summary, metrics and config alike
    subjects = sorted(d[len('fold_'):] for d in os.listdir(par_dir) if d.startswith('fold_')
                      and d != 'fold_workers')
    assert len(subjects) == SUBJECTS
    for s in subjects:
        with open(osp.join(par_dir, fold_dir_name(s), 'predictions.json')) as f:
            a = json.load(f)
        with open(osp.join(tmp_path, 'sequential', fold_dir_name(s), 'predictions.json')) as f:
            b = json.load(f)
        assert [r['pred_label'] for r in a] == [r['pred_label'] for r in b]
        for ra, rb in zip(a, b):
            assert ra['pred_score'] == pytest.approx(rb['pred_score'], abs=1e-6)


def test_split_flag_and_threads():
    assert split_fold_workers_arg(['c.py', '--fold-workers', '3', '--oracle']) == \
        (['c.py', '--oracle'], 3)
    assert split_fold_workers_arg(['c.py', '--fold-workers=2']) == (['c.py'], 2)
    assert split_fold_workers_arg(['c.py']) == (['c.py'], 0)
    for bad in (['--fold-workers'], ['--fold-workers', '0'], ['--fold-workers=x']):
        with pytest.raises(FoldWorkersError, match='--fold-workers'):
            split_fold_workers_arg(bad)
    assert threads_per_worker(2, total=16) == 8
    assert threads_per_worker(3, total=2) == 1
    cmds = worker_commands('tools/train.py', ['c.py', '--oracle'], 2, '/wd')
    assert [c[-2:] for c in cmds] == [['--shard', '0/2'], ['--shard', '1/2']]
    assert all(c[c.index('--work-dir') + 1] == '/wd' for c in cmds)


def toy_args(**kw):
    base = dict(shard=None, merge_only=False, all_subjects=False, launcher='none',
                folds=None)
    base.update(kw)
    return argparse.Namespace(**base)


def toy_cfg(work_dir):
    import importlib
    cfg = Config.fromfile(osp.join(ROOT, 'tests', 'fixtures', 'toy_config.py'))
    importlib.import_module('tests.fixtures.toy')
    cfg.work_dir = work_dir
    return cfg


def test_refused_combinations(tmp_path):
    cfg = toy_cfg(str(tmp_path))
    for kw, flag in ((dict(shard='0/2'), '--shard'), (dict(merge_only=True), '--merge-only'),
                     (dict(launcher='pytorch'), '--launcher pytorch')):
        with pytest.raises(FoldWorkersError, match=flag):
            run_fold_workers('train.py', [], toy_args(**kw), cfg, 2)


def test_failing_worker_names_its_log(tmp_path):
    script = tmp_path / 'fails.py'
    script.write_text('import sys\nprint("worker saw", sys.argv[-1])\nsys.exit(3)\n')
    wd = str(tmp_path / 'wd')
    with pytest.raises(FoldWorkerFailed) as err:
        run_fold_workers(str(script), [], toy_args(), toy_cfg(wd), 2, poll_s=0.05)
    msg = str(err.value)
    assert 'exited with status 3' in msg and '2 of 2 worker(s) failed' in msg
    assert 'worker saw 0/2' in msg and osp.join(wd, 'fold_workers', 'worker_0.log') in msg
