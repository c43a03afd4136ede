"""``tools/train.py configs/edmdbn/swin_aa_casme2.py`` end to end (issue 5).

The config under test is the real CASME II leaf config; only its data
location and sizes are overridden from the command line: the data are a
tiny synthetic dataset written in the CASME II layout
(:func:`generate_synthetic_dataset`: ``Cropped/subXX/EPYY_ZZ/reg_img*.jpg``
and a CASME II-header ``annotation.xlsx``), the network is the same EDMDBN
(both branches, accumulated token attention, fusion by addition) with
C=16, one block per stage and 112 px input, trained for one epoch.
"""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmmer.datasets.synthetic import generate_synthetic_dataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'edmdbn', 'swin_aa_casme2.py')
NUM_SUBJECTS = 3
NUM_CLASSES = 3
SIZE = 112


def train(args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'train.py'), CONFIG,
                           *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def tiny_options(data_root, cache_dir):
    # Last stage: (SIZE / 16)^2 = 7 x 7 tokens of 4C = 64 channels, so one
    # (8, 7, 7) window and a 3,136-feature flatten head.
    opts = ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=2',
            'model.backbone.embed_dims=16', 'model.backbone.depths=(1,1,1)',
            'model.backbone.num_heads=(1,2,4)', 'model.backbone.drop_path_rate=0.0',
            f'model.head.in_channels={64 * (SIZE // 16) ** 2}',
            # ClipRandomCrop of the train pipeline
            f'train_dataloader.dataset.pipeline.3.size={SIZE}']
    for loader in ('train_dataloader', 'test_dataloader'):
        opts += [f'{loader}.num_workers=0',
                 f'{loader}.dataset.data_root={data_root}',
                 # the synthetic set's sheet name; it has no sub24/EP02_07
                 f'{loader}.dataset.ann_file=annotation.xlsx',
                 f'{loader}.dataset.exclude_clips=[]',
                 f'{loader}.dataset.preprocess.cache_dir={cache_dir}',
                 f'{loader}.dataset.preprocess.workers=1',
                 # ClipResize of edmdbn_preprocess_cropped
                 f'{loader}.dataset.preprocess.pipeline.2.size={SIZE}']
    return opts


@pytest.fixture(scope='module')
def finished(tmp_path_factory):
    base = tmp_path_factory.mktemp('edmdbn_casme2')
    data_root = str(base / 'casme2')
    info = generate_synthetic_dataset(data_root, num_subjects=NUM_SUBJECTS,
                                      clips_per_class=1, seed=0, frame_size=128,
                                      clip_length_range=(8, 10))
    wd, cache = str(base / 'work'), str(base / 'cache')
    proc = train(['--work-dir', wd, '--cfg-options', *tiny_options(data_root, cache)])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(osp.join(wd, 'loso_summary.json')) as f:
        return dict(info=info, wd=wd, cache=cache, summary=json.load(f),
                    out=proc.stdout + proc.stderr)


def test_loso_runs_to_a_summary(finished):
    summary, info, wd = finished['summary'], finished['info'], finished['wd']
    assert len(info['clips']) == NUM_SUBJECTS * NUM_CLASSES
    assert summary['num_folds'] == NUM_SUBJECTS
    assert summary['num_samples'] == NUM_SUBJECTS * NUM_CLASSES
    # 1 clip per class and subject: every row of the confusion matrix holds 3.
    assert [sum(row) for row in summary['confusion_matrix']] == [NUM_SUBJECTS] * NUM_CLASSES
    assert summary['class_names'] == ['negative', 'positive', 'surprise']
    assert 0.0 <= summary['UF1'] <= 1.0 and 0.0 <= summary['UAR'] <= 1.0
    assert summary['config'] == CONFIG
    for subject in ('sub01', 'sub02', 'sub03'):
        with open(osp.join(wd, f'fold_casme2_{subject}', 'predictions.json')) as f:
            preds = json.load(f)
        assert {r['subject'] for r in preds} == {f'casme2_{subject}'}
        assert sorted(r['gt_label'] for r in preds) == [0, 1, 2]
    assert 'LOSO done' in finished['out']


def test_config_under_test_is_edmdbn_with_overrides_only(finished):
    cfg = finished['summary']['config_dict']
    backbone = cfg['model']['backbone']
    # What the leaf config fixes is kept: the official dual-branch EDMDBN
    # with accumulated token attention and additive fusion, 8 frames.
    assert backbone['type'] == 'EDMDBN' and backbone['variant'] == 'official'
    assert backbone['token_attention'] is True and backbone['fusion'] == 'add'
    assert list(backbone['branches']) == ['entire', 'detail']
    assert backbone['num_frames'] == 8
    assert cfg['train_dataloader']['dataset']['type'] == 'CASME2Dataset'
    assert cfg['train_dataloader']['dataset']['frames_dir'] == 'Cropped'
    # The shrink reached the cached clips: onset/apex/offset at SIZE px.
    caches = [osp.join(d, f) for d, _, fs in os.walk(finished['cache']) for f in fs
              if f.endswith('.npz')]
    assert len(caches) == NUM_SUBJECTS * NUM_CLASSES
    with np.load(caches[0]) as z:
        assert z['img'].shape == (3, SIZE, SIZE, 3) and z['img'].dtype == np.uint8


def test_missing_data_root_names_where_casme2_goes(tmp_path):
    # Run from an empty folder: the config's own data_root 'data/casme2'
    # does not exist there.
    proc = train(['--work-dir', str(tmp_path / 'work')], cwd=str(tmp_path))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "CASME2Dataset: data_root 'data/casme2' is not a directory" in out
    # ... and says what must be there.
    assert 'Expected layout' in out
    assert 'CASME2-coding-20140508.xlsx' in out and 'Cropped/' in out
    assert 'reg_img' in out
    assert not osp.exists(osp.join(str(tmp_path / 'work'), 'loso_summary.json'))
