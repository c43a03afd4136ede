"""ESAAT in one LOSO command: the ESAATLayerSelection fold preparer.

Per fold a full LAPE-HTNet is trained on the training subjects, the greedy
entropy selection runs on their features, and the fold trains the pruned
agent-attention model. Checked here: the synthetic twin through
tools/train.py, no selection ever loads its fold's test subject (a spy
dataset), the recorded subjects, interrupted selections resume to the same
result, stale selections are refused, and the 3DB configs compose.
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

import tests.fixtures.toy  # noqa: F401  (ToyMEDataset, ToyLoad, Interrupt hook)
from mmmer.engine import LOSOLoop, fold_dir_name
from mmmer.engine.fold_preparers import esaat_selection as es
from mmmer.engine.fold_preparers.esaat_selection import (ESAATLayerSelection,
                                                         ESAATLeakageError,
                                                         selection_dataset_cfg)
from mmmer.generation.groups import split_subject_groups
from mmmer.registry import DATASETS
from tests.fixtures.toy import Interrupt, ToyMEDataset, with_interrupt

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SUBJECTS = ['toy_s00', 'toy_s01', 'toy_s02', 'toy_s03']


@DATASETS.register_module(force=True)
class ESAATSpyToyDataset(ToyMEDataset):
    """Raises if a sample of a ``forbidden`` subject is ever loaded; records
    the subjects loaded while a fold's preparer runs."""
    forbidden = set()
    loaded = set()

    def get_data_info(self, idx):
        info = super().get_data_info(idx)
        cls = ESAATSpyToyDataset
        if cls.forbidden:
            if info['subject'] in cls.forbidden:
                raise AssertionError(f'sample of test subject {info["subject"]} loaded '
                                     'during its fold\'s ESAAT selection')
            cls.loaded.add(info['subject'])
        return info


def toy_cfg(mode='per_fold', subjects=None, **preparer):
    cfg = f'''
_base_ = [{osp.join(ROOT, 'configs/_base_/default_runtime.py')!r}]
dataset = dict(type='ESAATSpyToyDataset', num_subjects=4, per_class=3, size=28,
               pipeline=[dict(type='ToyLoad'), dict(type='PackMEInputs')])
train_dataloader = dict(batch_size=8, num_workers=0,
                        sampler=dict(type='DefaultSampler', shuffle=True), dataset=dataset)
test_dataloader = dict(batch_size=16, num_workers=0,
                       sampler=dict(type='DefaultSampler', shuffle=False), dataset=dataset)
test_evaluator = dict(type='MEMetric')
model = dict(type='MEClassifier',
             backbone=dict(type='HTNet', dim=8, heads=2, block_repeats=(1, 1, 4), lape=True,
                           attention=dict(type='AgentAttention', agent_pool_size=1,
                                          bias_type='official', dwc_kernel_size=3,
                                          fast_single_token=True),
                           drop_attention=[-2, -1]),
             head=dict(type='LinearClsHead', num_classes=3, in_channels=32))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
train_cfg = dict(by_epoch=True, max_epochs=1)
val_cfg = None
test_cfg = dict()
default_hooks = dict(logger=dict(interval=1))
'''
    c = Config.fromstring(cfg, '.py')
    preparer = dict(dict(k=2, selection_epochs=2, num_groups=2), **preparer)
    c.loso.fold_preparers = [dict(type='ESAATLayerSelection', mode=mode, **preparer)]
    if subjects:
        c.loso.subjects = subjects
    return c


def read(path):
    with open(path) as f:
        return json.load(f)


def fold_record(wd, subject):
    return read(osp.join(wd, fold_dir_name(subject), 'esaat_selection.json'))


# --------------------------------------------------------------- leakage
def test_spy_dataset_fires_on_a_forbidden_subject():
    """Control: the spy below is not vacuous."""
    ds = ESAATSpyToyDataset(num_subjects=2, per_class=1, size=28, pipeline=[])
    ESAATSpyToyDataset.forbidden = {'toy_s00'}
    try:
        with pytest.raises(AssertionError, match='toy_s00'):
            ds[0]
    finally:
        ESAATSpyToyDataset.forbidden = set()


@pytest.mark.parametrize('mode', ['per_fold', 'subject_groups'])
def test_no_selection_sees_its_test_subject(mode, tmp_path, monkeypatch):
    loaded = {}
    original = ESAATLayerSelection.prepare

    def spy_prepare(self, loop, subject, train_subjects, fold_cfg):
        ESAATSpyToyDataset.forbidden = {subject}
        ESAATSpyToyDataset.loaded = set()
        try:
            return original(self, loop, subject, train_subjects, fold_cfg)
        finally:
            loaded[subject] = set(ESAATSpyToyDataset.loaded)
            ESAATSpyToyDataset.forbidden = set()

    monkeypatch.setattr(ESAATLayerSelection, 'prepare', spy_prepare)
    wd = str(tmp_path)
    LOSOLoop(toy_cfg(mode), work_dir=wd).run()

    groups = split_subject_groups({s: 'toy' for s in SUBJECTS}, 2, 0)
    assert sorted(s for g in groups for s in g) == SUBJECTS
    selections = {}
    for s in SUBJECTS:
        rec = fold_record(wd, s)
        assert rec['test_subject'] == s
        held_out = [s] if mode == 'per_fold' else next(g for g in groups if s in g)
        assert rec['held_out'] == held_out
        expected_train = [x for x in SUBJECTS if x not in held_out]
        # The recorded subjects of the selection model and of its features.
        assert rec['selection_train_subjects'] == expected_train
        assert rec['feature_subjects'] == expected_train
        assert rec['num_samples'] == 9 * len(expected_train)
        assert s not in loaded[s]
        assert len(rec['selected']) == 2 and set(rec['selected']) <= {2, 3, 4, 5}
        # The fold's model was built with exactly that removal.
        dumped, = glob.glob(osp.join(wd, fold_dir_name(s), '*.py'))  # the Runner's dump
        fold_cfg = Config.fromfile(dumped)
        assert fold_cfg.model.backbone.drop_attention == sorted(rec['selected'])
        selections.setdefault(rec['selection'], []).append(s)
    if mode == 'per_fold':
        assert sorted(selections) == sorted(fold_dir_name(s) for s in SUBJECTS)
        # each fold's selection loaded exactly its training subjects' samples
        assert all(loaded[s] == set(SUBJECTS) - {s} for s in SUBJECTS)
    else:
        assert sorted(selections) == ['group_0', 'group_1']  # 2 trainings, 4 folds
        for name, folds in selections.items():
            g = int(name.split('_')[1])
            assert sorted(folds) == groups[g]
            first = min(folds, key=SUBJECTS.index)
            assert loaded[first] == set(SUBJECTS) - set(groups[g])
    table = open(osp.join(wd, 'esaat_selections.md')).read()
    assert all(f'| {s} |' in table for s in SUBJECTS)


def test_stale_selection_with_the_test_subject_is_refused(tmp_path):
    wd = str(tmp_path)
    LOSOLoop(toy_cfg(subjects=['toy_s00']), work_dir=wd).run()
    sel = osp.join(wd, 'esaat_selection', 'fold_toy_s00', 'selection.json')
    rec = read(sel)
    rec['selection_train_subjects'].append('toy_s00')
    with open(sel, 'w') as f:
        json.dump(rec, f)
    for name in ('predictions.json', 'esaat_selection.json'):
        os.remove(osp.join(wd, 'fold_toy_s00', name))
    with pytest.raises(ESAATLeakageError, match='toy_s00'):
        LOSOLoop(toy_cfg(subjects=['toy_s00']), work_dir=wd).run()
    # other settings than the saved selection's: refused, not silently reused
    rec['selection_train_subjects'].remove('toy_s00')
    with open(sel, 'w') as f:
        json.dump(rec, f)
    with pytest.raises(es.ESAATSelectionError, match='settings'):
        LOSOLoop(toy_cfg(subjects=['toy_s00'], k=1), work_dir=wd).run()


# ---------------------------------------------------------------- resume
def test_interrupted_selections_resume_to_the_same_result(tmp_path, monkeypatch):
    subjects = ['toy_s00', 'toy_s01']
    ref = str(tmp_path / 'ref')
    LOSOLoop(toy_cfg(subjects=subjects), work_dir=ref).run()

    calls = []
    original_train = es.train_selection_model

    def counting_train(run_cfg):
        calls.append((osp.basename(run_cfg.work_dir), bool(run_cfg.resume)))
        return original_train(run_cfg)

    monkeypatch.setattr(es, 'train_selection_model', counting_train)
    wd = str(tmp_path / 'run')
    # 1) killed inside the first selection model's training (after epoch 1 of 2)
    with pytest.raises(Interrupt):
        LOSOLoop(with_interrupt(toy_cfg(subjects=subjects), 1), work_dir=wd).run()
    first = osp.join(wd, 'esaat_selection', 'fold_toy_s00')
    assert osp.exists(osp.join(first, 'epoch_1.pth'))
    assert not osp.exists(osp.join(first, 'selection.json'))

    # 2) resumed; killed right after the first selection (before its fold trains)
    original_prepare = ESAATLayerSelection.prepare

    def prepare_then_kill(self, *args):
        original_prepare(self, *args)
        raise Interrupt('killed after the first selection')

    monkeypatch.setattr(ESAATLayerSelection, 'prepare', prepare_then_kill)
    with pytest.raises(Interrupt):
        LOSOLoop(toy_cfg(subjects=subjects), work_dir=wd).run()
    assert calls == [('fold_toy_s00', False), ('fold_toy_s00', True)]
    saved = read(osp.join(first, 'selection.json'))
    mtime = os.stat(osp.join(first, 'selection.json')).st_mtime_ns

    # 3) rerun: the first selection is reused, the second one is computed
    monkeypatch.setattr(ESAATLayerSelection, 'prepare', original_prepare)
    LOSOLoop(toy_cfg(subjects=subjects), work_dir=wd).run()
    assert calls[2:] == [('fold_toy_s01', False)]
    assert os.stat(osp.join(first, 'selection.json')).st_mtime_ns == mtime
    assert read(osp.join(first, 'selection.json')) == saved
    for s in subjects:
        got, want = fold_record(wd, s), fold_record(ref, s)
        assert got['selected'] == want['selected']
        assert got['te'] == pytest.approx(want['te'], rel=1e-5, abs=1e-8)
        assert got['h_full'] == pytest.approx(want['h_full'], rel=1e-6)
        assert osp.exists(osp.join(wd, fold_dir_name(s), 'predictions.json'))


# --------------------------------------------------------------- configs
def test_3db_configs_compose():
    cfgs = {n: Config.fromfile(osp.join(ROOT, 'configs', 'htnet', f'htnet_lape_esaat{n}_3db.py'))
            for n in ('', '-groups', '-fixed', '_ddpm')}
    main = cfgs[''].loso.fold_preparers
    assert main == [dict(type='ESAATLayerSelection', mode='per_fold', k=6,
                         candidates='top', selection_epochs=200)]
    assert cfgs['_ddpm'].loso.fold_preparers == main
    assert cfgs['-groups'].loso.fold_preparers == [dict(main[0], mode='subject_groups',
                                                        num_groups=5, group_seed=0)]
    assert cfgs['-fixed'].loso.fold_preparers == []
    # The DDPM config's selection uses its real training samples, not generated ones.
    ddpm = cfgs['_ddpm']
    assert ddpm.train_dataloader.dataset.type == 'GeneratedAugmentDataset'
    ds = selection_dataset_cfg(ddpm, ['casme2_sub01'], pipeline='train', all_subjects=True)
    assert ds == dict(cfgs[''].train_dataloader.dataset.to_dict(),
                      exclude_subjects=['casme2_sub01'], test_mode=False)
    preparer = ESAATLayerSelection(**{k: v for k, v in main[0].items() if k != 'type'})
    assert preparer.settings()['selection_epochs'] == 200


# ------------------------------------------------- the synthetic twin, CLI
def test_synthetic_twin_one_command(tmp_path):
    data = str(tmp_path / 'data')
    wd = str(tmp_path / 'wd')
    folds = ['synthetic_sub01', 'synthetic_sub03']
    opts = ['train_cfg.max_epochs=2', 'train_dataloader.batch_size=8',
            'model.backbone.dim=16', 'model.head.in_channels=64',
            f'loso.subjects=[{",".join(folds)}]',
            'loso.fold_preparers.0.selection_epochs=2']
    gen = dict(num_subjects=4, clips_per_class=1, frame_size=160,
               clip_length_range='[8,10]')
    for loader in ('train_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={data}',
                 *[f'{loader}.dataset.generator.{k}={v}' for k, v in gen.items()],
                 f'{loader}.dataset.preprocess.cache_dir={data}/cache',
                 f'{loader}.dataset.preprocess.workers=1',
                 f'{loader}.dataset.preprocess.pipeline.2.size=112']
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'),
         osp.join(ROOT, 'configs', 'htnet', 'htnet_lape_esaat_synthetic.py'),
         '--work-dir', wd, '--cfg-options', *opts],
        cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'LOSO done' in proc.stdout
    all_subjects = [f'synthetic_sub{i:02d}' for i in range(1, 5)]
    table = open(osp.join(wd, 'esaat_selections.md')).read()
    for s in folds:
        rec = fold_record(wd, s)
        train = [x for x in all_subjects if x != s]
        assert rec['selection_train_subjects'] == train
        assert rec['feature_subjects'] == train and rec['num_samples'] == 9
        # demo HTNet blocks (2, 2, 2): the top-level sublayers are 4 and 5
        assert rec['candidates'] == [4, 5] and len(rec['selected']) == 1
        assert len(rec['steps'][0]) == 2 and rec['te'][0] == min(rec['steps'][0].values())
        assert osp.isfile(rec['checkpoint'])
        assert f'| {s} | - | {rec["selected"]} |' in table
        # the fold's trained model lacks exactly the selected attention
        ckpt = torch.load(osp.join(wd, fold_dir_name(s), 'epoch_2.pth'),
                          map_location='cpu', weights_only=False)
        attn = {int(k.split('.')[4]) for k in ckpt['state_dict']
                if k.startswith('backbone.levels.2.blocks.') and '.attn.' in k}
        assert attn == {0, 1} - {rec['selected'][0] - 4}
    summary = read(osp.join(wd, 'loso_summary.json'))
    assert summary['num_samples'] == 6


def test_selection_lock_serialises_jobs_on_one_directory(tmp_path):
    """Two shard jobs sharing a subject group: the second waits for the first."""
    import threading
    import time
    events = []

    def job(name, hold):
        with es.selection_lock(str(tmp_path / 'group_0')):
            events.append((name, 'in', time.monotonic()))
            time.sleep(hold)
            events.append((name, 'out', time.monotonic()))

    a = threading.Thread(target=job, args=('a', 0.5))
    a.start()
    time.sleep(0.1)
    b = threading.Thread(target=job, args=('b', 0.0))
    b.start()
    a.join()
    b.join()
    assert [(n, e) for n, e, _ in events] == [('a', 'in'), ('a', 'out'), ('b', 'in'),
                                              ('b', 'out')]
