"""The embedded synthetic dataset: layout, ground truth, determinism, reuse.

Tiny versions (2 subjects x 3 clips, 128x128 frames, 6-8 frames a clip) keep
the file fast; the default dataset has the same code path.
"""
import glob
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from scipy.ndimage import map_coordinates

from mmmer.datasets import (CASME2Dataset, DatasetLayoutError, SyntheticMEDataset,
                            generate_synthetic_dataset)
from mmmer.datasets import synthetic as synth

TINY = dict(num_subjects=2, clips_per_class=1, frame_size=128, clip_length_range=(6, 8))
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthetic') / 'tiny')
    record = generate_synthetic_dataset(root, **TINY)
    assert record['action'] == 'generated'
    return root, record


def all_files(root):
    out = {}
    for path in sorted(glob.glob(osp.join(root, '**', '*'), recursive=True)):
        if osp.isfile(path):
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = f.read()
    return out


def read_rgb(path):
    return cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)


def test_layout_sheet_and_counts(tiny):
    root, record = tiny
    from openpyxl import load_workbook
    header = [c.value for c in next(load_workbook(osp.join(root, 'annotation.xlsx'))
                                    .worksheets[0].iter_rows(max_row=1))]
    assert header == ['Subject', 'Filename', None, 'OnsetFrame', 'ApexFrame', 'OffsetFrame',
                      None, 'Action Units', 'Estimated Emotion']
    ds = CASME2Dataset(data_root=root, ann_file='annotation.xlsx')
    assert len(ds) == 6 and ds.class_counts() == [2, 2, 2]
    assert ds.get_subjects() == ['casme2_sub01', 'casme2_sub02']
    by_class = {'negative': ('4+15', {'disgust', 'repression'}),
                'positive': ('12', {'happiness'}), 'surprise': ('1+2+26', {'surprise'})}
    clips = {(c['subject'], c['clip']): c for c in record['clips']}
    for d in ds.data_list:
        meta = clips[(d['subject'].split('_')[1], d['clip'])]
        aus, emotions = by_class[meta['cls']]
        assert d['action_units'] == aus and d['emotion'] in emotions
        assert d['gt_label'] == ['negative', 'positive', 'surprise'].index(meta['cls'])
        # every file of the clip folder is listed; onset at frame 1 or 2 of the
        # clip, offset = last frame, apex at 35-60 % of the clip
        files = os.listdir(osp.dirname(d['frame_paths'][0]))
        numbers = sorted(int(f[len('reg_img'):-4]) for f in files)
        assert numbers == list(range(numbers[0], numbers[-1] + 1))
        assert 6 <= len(numbers) <= 8 and d['onset'] - numbers[0] in (0, 1)
        assert d['offset'] == numbers[-1]
        frac = (d['apex'] - numbers[0]) / (len(numbers) - 1)
        assert 0.35 - 0.5 / (len(numbers) - 1) <= frac <= 0.6 + 0.5 / (len(numbers) - 1)
        assert d['onset'] < d['apex'] < d['offset']
        assert 0.6 <= meta['amplitude_px'] <= 2.0
        img = read_rgb(d['frame_paths'][0])
        assert img.shape == (128, 128, 3)
        gt = np.load(osp.join(root, meta['gt_flow']))
        assert gt.shape == (128, 128, 2) and gt.dtype == np.float32
    # first frame numbers differ between clips (random absolute offsets)
    assert len({d['frame_numbers'][0] for d in ds.data_list}) > 1


def test_extra_negative_imbalance(tmp_path):
    record = generate_synthetic_dataset(str(tmp_path / 'imb'), num_subjects=1,
                                        clips_per_class=1, extra_negative=2,
                                        frame_size=128, clip_length_range=(5, 5))
    assert [c['cls'] for c in record['clips']].count('negative') == 3
    assert len(record['clips']) == 5


def test_raised_cosine_timing():
    s = synth.raised_cosine_profile(12, 1, 5, 11)
    assert s[0] == s[1] == 0 and s[5] == 1 and s[11] == pytest.approx(0, abs=1e-12)
    assert np.all(np.diff(s[1:6]) > 0) and np.all(np.diff(s[5:]) < 0)
    assert s[3] == pytest.approx(0.5)  # half-way in time = half amplitude


def _bilinear(field, x, y):
    return np.stack([map_coordinates(field[..., c], [[y], [x]], order=1)[0]
                     for c in range(field.shape[2])])


def test_gt_flow_is_the_forward_displacement_exact_render():
    """Render a smooth analytic pattern with the same motion; warping the apex
    frame back by the saved displacement must give the onset frame."""
    hw = (128, 128)
    face = synth.render_subject(0, 0, hw)
    yy, xx = np.mgrid[0:hw[0], 0:hw[1]].astype(np.float32)
    pattern = 128 + 60 * np.sin(2 * np.pi * xx / 53) * np.cos(2 * np.pi * yy / 47)
    neutral = np.repeat(pattern[..., None], 3, axis=2).astype(np.float32)
    for clip_idx, cls in enumerate(('positive', 'negative', 'surprise')):
        plan = synth.clip_plan(0, 0, clip_idx, cls, face['landmarks'], hw,
                                (1.5, 2.0), (10, 10))
        field = synth.apex_field(plan, face['landmarks'], hw)
        frames = synth.render_clip(neutral, field, plan, noise_std=0.0)
        gt = synth.apex_ground_truth(field, plan)
        onset = frames[plan['onset_idx']].astype(np.float32)
        apex = frames[plan['apex_idx']].astype(np.float32)

        moving = np.linalg.norm(gt - gt[0, 0], axis=2) > 0.5

        def residual(flow):
            back = cv2.remap(apex, xx + flow[..., 0], yy + flow[..., 1], cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT101)
            return np.abs(back - onset)[moving].mean()
        err_gt, err_zero, err_inverse = residual(gt), residual(0 * gt), residual(-gt)
        assert err_gt < 0.6 and err_zero > 5 * err_gt, (cls, err_gt, err_zero)
        # the opposite sign (what the inverse map holds) is clearly wrong
        assert err_inverse > 5 * err_gt, (cls, err_gt, err_inverse)


def test_gt_flow_matches_the_written_frames_and_the_action_units(tiny):
    root, record = tiny
    subjects = {s['subject']: s for s in record['subjects']}
    for meta in record['clips']:
        clip_dir = osp.join(root, 'Cropped', meta['subject'], meta['clip'])
        onset = read_rgb(osp.join(clip_dir, f'reg_img{meta["onset"]}.jpg')).astype(np.float32)
        apex = read_rgb(osp.join(clip_dir, f'reg_img{meta["apex"]}.jpg')).astype(np.float32)
        gt = np.load(osp.join(root, meta['gt_flow']))
        # blur first: JPEG and sensor noise would dominate a pixel comparison
        onset, apex = (cv2.GaussianBlur(f, (0, 0), 1.0) for f in (onset, apex))
        h, w = gt.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        jitter = np.array(meta['jitter_at_apex_px'], np.float32)
        moving = np.linalg.norm(gt - jitter, axis=2) > 0.5 * meta['amplitude_px']

        def err(flow):
            back = cv2.remap(apex, xx + flow[..., 0], yy + flow[..., 1], cv2.INTER_LINEAR)
            return np.abs(back - onset)[moving].mean()
        assert err(gt) < 0.75 * err(0 * gt) and err(gt) < 0.6 * err(-gt), meta
        # global head jitter <= 0.5 px; far from the face only the jitter moves
        assert np.linalg.norm(jitter) <= 0.5 + 1e-6
        assert np.allclose(gt[0, 0], jitter, atol=1e-3)
        # AU directions at the landmarks, in face coordinates
        lm = np.array(subjects[meta['subject']]['landmarks'])
        up = (lm[27] - lm[8]) / np.linalg.norm(lm[27] - lm[8])
        amp = meta['amplitude_px']

        def along_up(k):
            return float((_bilinear(gt, *lm[k]) - jitter) @ up)
        if meta['cls'] == 'positive':
            mouth = lm[48:68].mean(0)
            for k in (48, 54):
                d = _bilinear(gt, *lm[k]) - jitter
                assert abs(np.linalg.norm(d) - amp) < 0.35
                assert along_up(k) > 0.4 * amp and d @ (lm[k] - mouth) > 0
        elif meta['cls'] == 'negative':
            assert along_up(21) < -0.5 * amp and along_up(22) < -0.5 * amp
            assert along_up(48) < -0.7 * amp and along_up(54) < -0.7 * amp
            inner = (_bilinear(gt, *lm[21]) - _bilinear(gt, *lm[22])) @ (lm[22] - lm[21])
            assert inner > 0  # the inner brows move towards each other
        else:
            assert all(along_up(k) > 0.7 * amp for k in range(17, 27))
            assert along_up(8) < -0.3 * amp
        # untouched landmarks move at most by the distractor bound (0.3 px)
        still = [k for k in range(68) if k not in (6, 7, 8, 9, 10, 17, 18, 19, 20, 21, 22,
                                                  23, 24, 25, 26, 48, 54)
                 and min(np.linalg.norm(lm[k] - lm[m]) for m in (21, 22, 48, 54, 8))
                 > 3 * meta['sigma_px']]
        for k in still:
            assert np.linalg.norm(_bilinear(gt, *lm[k]) - jitter) <= 0.3 + 1e-3


def test_dlib_finds_the_face_in_every_frame(tiny):
    import dlib

    from mmmer.utils.compat import find_dlib_landmark_model
    root, record = tiny
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(find_dlib_landmark_model())
    frames = sorted(glob.glob(osp.join(root, 'Cropped', '*', '*', '*.jpg')))
    assert len(frames) == sum(c['num_frames'] for c in record['clips'])
    for path in frames:
        assert len(detector(read_rgb(path), 0)) == 1, path
    # the landmarks recorded per subject are where dlib finds them
    for subject in record['subjects']:
        clip = next(c for c in record['clips'] if c['subject'] == subject['subject'])
        img = read_rgb(osp.join(root, 'Cropped', clip['subject'], clip['clip'],
                                f'reg_img{clip["onset"]}.jpg'))
        box = detector(img, 0)[0]
        found = np.array([[p.x, p.y] for p in predictor(img, box).parts()])
        err = np.linalg.norm(found - np.array(subject['landmarks']), axis=1)
        assert err.mean() < 2.0, (subject['subject'], subject['flip'], err.mean())


def test_deterministic_bytes(tiny, tmp_path):
    root, _ = tiny
    again = str(tmp_path / 'again')
    generate_synthetic_dataset(again, **TINY)
    first, second = all_files(root), all_files(again)
    assert sorted(first) == sorted(second)
    assert [k for k in first if first[k] != second[k]] == []
    other = all_files(generate_synthetic_dataset(str(tmp_path / 'seed1'), seed=1,
                                                 **TINY)['root'])
    assert other['annotation.xlsx'] != first['annotation.xlsx']


def test_reuse_regenerate_and_interruption(tmp_path, monkeypatch):
    root = str(tmp_path / 'ds')
    generate_synthetic_dataset(root, **TINY)
    frame = sorted(glob.glob(osp.join(root, 'Cropped', '*', '*', '*.jpg')))[0]
    stamp = os.stat(frame).st_mtime_ns
    assert generate_synthetic_dataset(root, **TINY)['action'] == 'reused'
    assert os.stat(frame).st_mtime_ns == stamp
    before = all_files(root)

    # An interrupted regeneration leaves the complete old dataset in place.
    def crash(out_dir, settings):
        os.makedirs(osp.join(out_dir, 'Cropped', 'sub01'))
        raise KeyboardInterrupt

    monkeypatch.setattr(synth.writer, '_write_dataset', crash)
    with pytest.raises(KeyboardInterrupt):
        generate_synthetic_dataset(root, **dict(TINY, seed=5))
    assert all_files(root) == before
    with pytest.raises(KeyboardInterrupt):
        generate_synthetic_dataset(str(tmp_path / 'fresh'), **TINY)
    assert not osp.exists(str(tmp_path / 'fresh'))
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ['ds']  # no temporary folders left

    record = generate_synthetic_dataset(root, **dict(TINY, seed=5))
    assert record['action'] == 'regenerated'
    with open(osp.join(root, 'synthetic_settings.json')) as f:
        assert json.load(f)['settings']['seed'] == 5
    assert all_files(root)['annotation.xlsx'] != before['annotation.xlsx']
    assert sorted(os.listdir(tmp_path)) == ['ds']

    # A folder that is not a synthetic dataset is never overwritten.
    mine = tmp_path / 'mine'
    mine.mkdir()
    (mine / 'notes.txt').write_text('keep me')
    with pytest.raises(DatasetLayoutError, match='refusing to overwrite'):
        generate_synthetic_dataset(str(mine), **TINY)
    assert (mine / 'notes.txt').read_text() == 'keep me'
    with pytest.raises(ValueError, match='too small'):
        generate_synthetic_dataset(str(tmp_path / 'small'), frame_size=64)


def test_synthetic_dataset_generates_on_first_use(tmp_path):
    root = str(tmp_path / 'syn')
    cfg = dict(type='SyntheticMEDataset', data_root=root,
               generator=dict(TINY, extra_negative=1))
    from mmmer.registry import DATASETS
    ds = DATASETS.build(cfg)
    assert isinstance(ds, SyntheticMEDataset)
    assert ds.generation_record['action'] == 'generated'
    assert len(ds) == 8 and ds.class_counts() == [4, 2, 2]
    assert ds.get_subjects() == ['synthetic_sub01', 'synthetic_sub02']
    for d in ds.data_list:
        assert d['dataset'] == 'synthetic' and osp.isfile(d['gt_flow_path'])
        assert ['negative', 'positive', 'surprise'][d['gt_label']] == d['synthetic_class']
    again = DATASETS.build(dict(cfg, subjects=['synthetic_sub02']))
    assert again.generation_record['action'] == 'reused' and len(again) == 4


def test_command_line_tool(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'generate_synthetic', osp.join(REPO, 'tools', 'generate_synthetic.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    root = str(tmp_path / 'cli')
    assert tool.main([root, '--subjects', '1', '--clips-per-class', '1',
                      '--frame-size', '128', '--seed', '3']) == 0
    out = capsys.readouterr().out
    assert 'generated' in out and "{'negative': 1, 'positive': 1, 'surprise': 1}" in out
    with open(osp.join(root, 'synthetic_settings.json')) as f:
        assert json.load(f)['settings']['seed'] == 3
    assert tool.main([root, '--subjects', '1', '--clips-per-class', '1',
                      '--frame-size', '128', '--seed', '3']) == 0
    assert capsys.readouterr().out.startswith('reused')
    assert tool.main([str(tmp_path / 'bad'), '--frame-size', '64']) == 2
    assert 'too small' in capsys.readouterr().err
