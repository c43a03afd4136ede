"""Train the deployable model (tools/train.py --all-subjects) on a tiny
synthetic set, then classify clips of never-seen synthetic subjects (another
generator seed) with the API and the demo CLI."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from .synthetic_clips import generator_options, make_clips

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'htnet', 'htnet_synthetic.py')


def options(data_root):
    opts = ['train_cfg.max_epochs=30', 'train_dataloader.batch_size=8']
    for loader in ('train_dataloader', 'test_dataloader'):
        opts += generator_options(loader, data_root, num_subjects=6, clips_per_class=2,
                                  seed=0)
        # TV-L1 on a 112 px face instead of 224 px: 4x cheaper.
        opts.append(f'{loader}.dataset.preprocess.pipeline.2.size=112')
    return opts


def as_dict(opts):
    from mmengine.config import DictAction
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument('--o', nargs='+', action=DictAction)
    return p.parse_args(['--o', *opts]).o


def run(args, **kw):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, **kw)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    data_root = str(tmp_path_factory.mktemp('train_data'))
    wd = str(tmp_path_factory.mktemp('work'))
    proc = run([osp.join(ROOT, 'tools', 'train.py'), CONFIG, '--all-subjects', '--work-dir',
                wd, '--cfg-options', *options(data_root)])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert osp.exists(osp.join(wd, 'all_subjects', 'last_checkpoint'))
    return wd, options(data_root)


@pytest.fixture(scope='module')
def unseen(tmp_path_factory):
    # seed 1: other subject transforms and clips than the training set (seed 0)
    return make_clips(str(tmp_path_factory.mktemp('unseen')), num_subjects=3,
                      clips_per_class=2, seed=1)


@pytest.fixture(scope='module')
def model(trained):
    from mmmer.apis import init_model
    wd, opts = trained
    return init_model(CONFIG, osp.join(wd, 'all_subjects'), cfg_options=as_dict(opts))


def test_api_classifies_unseen_subjects_above_chance(model, unseen):
    from mmmer.apis import inference_model
    classes = list(model.dataset_meta['classes'])
    assert classes == ['negative', 'positive', 'surprise']
    hits = []
    for c in unseen:
        res = inference_model(model, c['onset_path'], c['apex_path'], name=c['clip'])
        scores = res.pred_score.numpy()
        assert scores.shape == (3, ) and abs(scores.sum() - 1) < 1e-4
        assert res.pred_class == classes[int(res.pred_label)]
        hits.append(res.pred_class == c['cls'])
    # 18 clips, 3 balanced classes: chance is 1/3 (P(>= 10 hits | chance) < 2 %).
    assert np.mean(hits) >= 10 / 18, hits


def test_the_work_dir_itself_is_a_checkpoint(trained, unseen):
    from mmmer.apis import resolve_checkpoint
    wd, _ = trained
    path = resolve_checkpoint(wd)
    assert path.startswith(osp.join(wd, 'all_subjects')) and path.endswith('.pth')


def test_demo_prints_the_api_class_and_draws_the_panels(trained, model, unseen, tmp_path):
    from mmmer.apis import inference_model
    wd, opts = trained
    c = unseen[0]
    api = inference_model(model, c['onset_path'], c['apex_path'])
    proc = run([osp.join(ROOT, 'demo', 'clip_demo.py'), CONFIG, osp.join(wd, 'all_subjects'),
                '--onset', c['onset_path'], '--apex', c['apex_path'], '--out-dir',
                str(tmp_path), '--json', '--cfg-options', *opts])
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out['pred_class'] == api.pred_class
    assert out['pred_label'] == int(api.pred_label)
    np.testing.assert_allclose([out['scores'][k] for k in api.classes],
                               api.pred_score.numpy(), atol=1e-5)
    assert f"prediction: {api.pred_class}" in proc.stdout
    assert len(out['panels']) == 6 and 'Grad-CAM' in out['panels']
    from PIL import Image
    with Image.open(out['picture']) as im:
        assert im.size == tuple(out['picture_size'])
        assert im.size[0] > 800 and im.size[1] > 500


def test_demo_on_a_video_estimates_the_apex(trained, unseen, tmp_path):
    import cv2
    wd, opts = trained
    c = unseen[1]
    frames = [osp.join(c['folder'], f'reg_img{n}.jpg')
              for n in range(c['onset'], c['offset'] + 1)]
    video = str(tmp_path / 'clip.avi')
    first = cv2.imread(frames[0])
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 25,
                             first.shape[1::-1])
    for f in frames:
        writer.write(cv2.imread(f))
    writer.release()
    onset, offset = 0, len(frames) - 1  # 0-based video indices
    proc = run([osp.join(ROOT, 'demo', 'clip_demo.py'), CONFIG, osp.join(wd, 'all_subjects'),
                '--video', video, '--onset-frame', str(onset), '--offset-frame',
                str(offset), '--out-dir', str(tmp_path), '--json', '--cfg-options', *opts])
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    true_apex = c['apex'] - c['onset']
    assert abs(out['apex_estimate']['apex_frame'] - true_apex) <= 2
    assert out['key_frames'] == dict(onset=onset, apex=out['apex_estimate']['apex_frame'],
                                     offset=offset)
