"""LOSO-level tracking: TensorBoard event files and the progress bar / ETA."""
import glob
import importlib
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmmer.engine.tracking import (LOSOProgress, TrackedLOSOLoop, format_seconds,
                                   tracking_options)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_CFG = osp.join(ROOT, 'tests', 'fixtures', 'toy_config.py')


def toy_cfg(**options):
    cfg = Config.fromfile(TOY_CFG)
    importlib.import_module('tests.fixtures.toy')
    cfg.merge_from_dict(options)
    return cfg


def read_events(log_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    scalars = {}
    for path in glob.glob(osp.join(log_dir, '**', 'events.out.tfevents.*'), recursive=True):
        acc = EventAccumulator(path)
        acc.Reload()
        for tag in acc.Tags()['scalars']:
            scalars.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
    return scalars


@pytest.fixture(scope='module')
def tracked_run(tmp_path_factory):
    pytest.importorskip('tensorboard')
    wd = str(tmp_path_factory.mktemp('tracked'))
    cfg = toy_cfg(**{'train_cfg.max_epochs': 2, 'tracking': dict(backends=['tensorboard'])})
    summary = TrackedLOSOLoop(cfg, work_dir=wd).run()
    return wd, summary


def test_pooled_metrics_read_back_from_tensorboard(tracked_run):
    wd, summary = tracked_run
    with open(osp.join(wd, 'loso_summary.json')) as f:
        on_disk = json.load(f)
    scalars = read_events(osp.join(wd, 'tf_logs'))
    for key in ('UF1', 'UAR', 'Acc'):
        values = scalars[f'loso/{key}']
        assert len(values) == 1  # logged once per run
        step, value = values[0]
        assert step == on_disk['num_folds'] == 4
        assert value == pytest.approx(on_disk[key], abs=1e-6)


def test_per_fold_curves_under_fold_tags(tracked_run):
    wd, _ = tracked_run
    scalars = read_events(osp.join(wd, 'tf_logs'))
    folds = sorted(osp.basename(p) for p in glob.glob(osp.join(wd, 'fold_*')))
    assert len(folds) == 4
    for fold in folds:
        loss = scalars[f'{fold}/train/loss']
        assert [s for s, _ in loss] == [1, 2]  # one point per epoch
        assert f'{fold}/train/lr' in scalars
        # the fold's own test score, once
        with open(osp.join(wd, fold, 'predictions.json')) as f:
            records = json.load(f)
        acc = sum(r['gt_label'] == r['pred_label'] for r in records) / len(records)
        (_, logged), = scalars[f'{fold}/test/Acc']
        assert logged == pytest.approx(acc, abs=1e-6)


def test_progress_lines_in_the_log(tracked_run):
    wd, _ = tracked_run
    with open(osp.join(wd, 'loso.log')) as f:
        lines = [ln for ln in f if 'LOSO progress:' in ln]
    assert len(lines) == 4
    assert '4/4 folds' in lines[-1] and 'ETA 00:00' in lines[-1]


def test_eta_from_a_fake_clock():
    now = [100.0]
    progress = LOSOProgress(total=5, done=1, bar=False, clock=lambda: now[0])
    assert progress.eta() is None
    now[0] = 130.0  # one fold took 30 s; 3 are left
    line = progress.update('sub02')
    assert progress.eta() == pytest.approx(90.0)
    assert '2/5 folds' in line and 'ETA 01:30' in line and 'elapsed 00:30' in line
    assert format_seconds(3725) == '1:02:05'


def test_bad_tracking_options():
    with pytest.raises(ValueError, match='backends'):
        tracking_options(Config(dict(tracking=dict(backends=['mlflow']))))
    with pytest.raises(ValueError, match='unknown option'):
        tracking_options(Config(dict(tracking=dict(backend='tensorboard'))))
    assert tracking_options(Config(dict()))['backends'] == []


def wandb_history(path):
    """History items of an offline W&B run file (its record log: 32 KiB blocks,
    7-byte fragment headers, protobuf records)."""
    import struct

    from wandb.proto import wandb_internal_pb2 as pb
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:4] == b':W&B'
    pos, block, raw, cur = 7, 32768, [], b''
    while pos + 7 <= len(data):
        left = block - pos % block
        if left < 7:
            pos += left
            continue
        _, length, kind = struct.unpack('<IHB', data[pos:pos + 7])
        if length == 0 and kind == 0:
            pos += left
            continue
        frag = data[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            raw.append(cur + frag if kind == 4 else frag)
            cur = b''
        elif kind in (2, 3):
            cur = frag if kind == 2 else cur + frag
    history = {}
    for item_bytes in raw:
        record = pb.Record()
        record.ParseFromString(item_bytes)
        if record.WhichOneof('record_type') == 'history':
            for item in record.history.item:
                key = item.key or '/'.join(item.nested_key)
                history.setdefault(key, []).append(json.loads(item.value_json))
    return history


def test_wandb_offline_run_holds_the_pooled_metrics(tmp_path, monkeypatch):
    """W&B, offline (no account, no network): the run file holds the pooled
    metrics once and every fold's curves under its tag."""
    pytest.importorskip('wandb')
    monkeypatch.setenv('WANDB_MODE', 'offline')
    monkeypatch.setenv('WANDB_SILENT', 'true')
    wd = str(tmp_path / 'wb')
    cfg = toy_cfg(**{'train_cfg.max_epochs': 1, 'tracking': dict(backends=['wandb'])})
    summary = TrackedLOSOLoop(cfg, work_dir=wd).run()
    runs = glob.glob(osp.join(wd, 'wandb', '**', 'offline-run-*', 'run-*.wandb'),
                     recursive=True)
    assert len(runs) == 1
    history = wandb_history(runs[0])
    for key in ('UF1', 'UAR', 'Acc'):
        assert history[f'loso/{key}'] == [pytest.approx(summary[key], abs=1e-9)]
    for fold in sorted(osp.basename(p) for p in glob.glob(osp.join(wd, 'fold_*'))):
        assert len(history[f'{fold}/train/loss']) == 1
