"""Clip inputs: video/folder readers, the apex estimate on synthetic ground
truth, one clear message per bad input, the face-detection fallback flag."""
import json
import os
import os.path as osp
import subprocess
import sys
import warnings

import cv2
import numpy as np
import pytest

from mmmer.apis import (InferenceFileError, InferenceInputError, estimate_apex,
                        folder_frames, read_video_frames)
from mmmer.utils.errors import MMMERUserError

from .synthetic_clips import make_clips

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HTNET = osp.join(ROOT, 'configs', 'htnet', 'htnet_synthetic.py')
SMALL = dict(**{'model.backbone.dim': 32, 'model.head.in_channels': 128})


@pytest.fixture(scope='module')
def clips(tmp_path_factory):
    return make_clips(str(tmp_path_factory.mktemp('inputs')), num_subjects=3,
                      clips_per_class=2, seed=5)


@pytest.fixture(scope='module')
def model():
    from mmmer.apis import init_model
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return init_model(HTNET, None, cfg_options=SMALL)


def write_video(path, frames):
    first = cv2.imread(frames[0])
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 25,
                             first.shape[1::-1])
    for f in frames:
        writer.write(cv2.imread(f))
    writer.release()


def clip_frames(c):
    return [osp.join(c['folder'], f'reg_img{n}.jpg') for n in range(c['onset'], c['offset'] + 1)]


def test_apex_estimate_within_two_frames_of_the_ground_truth(clips):
    errors = []
    for c in clips:
        index, mags = estimate_apex(clip_frames(c))
        assert mags[0] == 0 and len(mags) == c['offset'] - c['onset'] + 1
        errors.append(c['onset'] + index - c['apex'])
    assert max(abs(e) for e in errors) <= 2, errors


def test_video_and_folder_readers_return_the_frames(clips, tmp_path):
    c = clips[0]
    files = clip_frames(c)
    video = tmp_path / 'clip.avi'
    write_video(video, files)
    got = read_video_frames(str(video), [0, 3])
    assert set(got) == {0, 3} and got[0].dtype == np.uint8 and got[0].shape == (160, 160, 3)
    # MJPG re-encodes the JPEG frames: close, not identical
    assert np.abs(got[3].astype(int) - cv2.imread(files[3]).astype(int)).mean() < 4
    paths = folder_frames(c['folder'], [c['onset'], c['apex']])
    assert paths[c['apex']] == files[c['apex'] - c['onset']]
    by_position = folder_frames(c['folder'], [0], by='position')
    assert osp.basename(by_position[0]) == sorted(
        os.listdir(c['folder']), key=lambda f: int(''.join(filter(str.isdigit, f))))[0]


def test_missing_frame_path(model, clips):
    from mmmer.apis import inference_model
    with pytest.raises(InferenceFileError, match=r'the apex frame file .*nope\.jpg does not exist'):
        inference_model(model, clips[0]['onset_path'], '/no/such/nope.jpg')


def test_unreadable_image(model, clips, tmp_path):
    from mmmer.apis import inference_model
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'not a jpeg at all')
    with pytest.raises(InferenceInputError, match=r'cannot decode the onset frame .*broken\.jpg'):
        inference_model(model, str(bad), clips[0]['apex_path'])


def test_video_shorter_than_the_requested_frame(clips, tmp_path):
    from mmmer.apis import resolve_clip
    video = tmp_path / 'short.avi'
    write_video(video, clip_frames(clips[0])[:5])
    with pytest.raises(InferenceInputError, match=r'has only 5 readable frames .* frame 40 '
                                                  'was requested'):
        resolve_clip(dict(video=str(video), onset_frame=0, apex_frame=40))


def test_onset_after_apex(clips, tmp_path):
    from mmmer.apis import resolve_clip
    c = clips[0]
    with pytest.raises(InferenceInputError, match='onset frame 9 is not before the apex frame 3'):
        resolve_clip(dict(frames_dir=c['folder'], onset_frame=9, apex_frame=3))
    assert issubclass(InferenceInputError, MMMERUserError)


def test_config_that_needs_the_offset_says_so(clips):
    from mmmer.apis import inference_model, init_model
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = init_model(osp.join(ROOT, 'configs', 'edmdbn', 'swin_aa_synthetic.py'))
    with pytest.raises(InferenceInputError, match='needs|loads the offset frame'):
        inference_model(model, clips[0]['onset_path'], clips[0]['apex_path'])


def test_cli_errors_are_one_line_without_traceback(clips, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'demo', 'clip_demo.py'), HTNET, 'none', '--onset',
         clips[0]['onset_path'], '--apex', str(tmp_path / 'missing.jpg')],
        cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert 'Traceback' not in proc.stderr
    assert 'missing.jpg does not exist' in proc.stderr


def test_face_detection_fallback_is_flagged_in_result_and_picture(tmp_path):
    """A frame without a face (uniform texture): dlib finds nothing, the
    centred fallback is used, and both the result and the picture say so."""
    from mmmer.apis import MERInferencer
    rng = np.random.default_rng(0)
    blank = np.full((160, 160, 3), 128, np.uint8)
    onset = np.clip(blank + rng.normal(0, 3, blank.shape), 0, 255).astype(np.uint8)
    apex = np.roll(onset, 1, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        inferencer = MERInferencer(HTNET, None, cfg_options=SMALL)
    out = inferencer(dict(onset=onset, apex=apex, name='noface'), out_dir=str(tmp_path))
    pred, vis = out['predictions'][0], out['visualization'][0]
    assert pred['face_fallback'] is True
    assert pred['fallback_step'] == 'DetectFaceLandmarks'
    assert vis['face_fallback'] is True and 'FACE-DETECTION FALLBACK' in vis['title']
    assert osp.isfile(vis['file'])
    json.dumps(pred)  # JSON-ready


def test_prefetching_inferencer_equals_in_line_preprocessing(clips, tmp_path):
    """Background preprocessing (prefetch) changes nothing but timing: the same
    predictions and scores, in input order, as in-line preprocessing; an error
    in a later clip surfaces with its own message."""
    from mmmer.apis import MERInferencer
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        inferencer = MERInferencer(HTNET, None, cfg_options=SMALL)
    batch = [dict(onset=c['onset_path'], apex=c['apex_path'], name=c['clip'])
             for c in clips[:5]]
    ahead = inferencer(batch, batch_size=2, prefetch=2)['predictions']
    in_line = inferencer(batch, batch_size=2, prefetch=0)['predictions']
    assert [p['name'] for p in ahead] == [c['clip'] for c in clips[:5]]
    assert [p['pred_label'] for p in ahead] == [p['pred_label'] for p in in_line]
    np.testing.assert_allclose([list(p['scores'].values()) for p in ahead],
                               [list(p['scores'].values()) for p in in_line],
                               rtol=1e-5, atol=1e-6)
    broken = batch[:2] + [dict(onset=batch[2]['onset'], apex=str(tmp_path / 'gone.jpg'))]
    with pytest.raises(MMMERUserError, match='gone.jpg'):
        inferencer(broken, batch_size=2, prefetch=2)
