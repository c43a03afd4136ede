"""The hard synthetic preset: realism options, exact ground truth, calibration.

Tiny versions (128x128 frames, short clips) keep the file fast; the preset
itself (configs/_base_/datasets/synthetic_hard.py) has the same code paths.
"""
import glob
import os.path as osp
from collections import Counter

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmmer.datasets import generate_synthetic_dataset
from mmmer.datasets import synthetic as synth
from mmmer.datasets.synthetic import variation
from mmmer.datasets.synthetic.calibration import calibrate, gt_flow_features, loso_logistic
from mmmer.datasets.synthetic.writer import REALISM_DEFAULTS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = dict(num_subjects=2, clips_per_class=1, frame_size=128, clip_length_range=(6, 8))
HARD = dict(identity_variation=1.0, head_motion_px=1.5, head_rotation_deg=1.0,
            blink_prob=0.5, au_variation=0.5, amplitude_range=(0.2, 1.0))


def file_bytes(root):
    out = {}
    for path in sorted(glob.glob(osp.join(root, '**', '*'), recursive=True)):
        if osp.isfile(path):
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = f.read()
    return out


def test_realism_defaults_leave_the_default_dataset_unchanged(tmp_path):
    plain = generate_synthetic_dataset(str(tmp_path / 'plain'), **TINY)
    explicit = generate_synthetic_dataset(str(tmp_path / 'explicit'), **TINY,
                                          **REALISM_DEFAULTS)
    # the settings record of the original generator: no new keys
    assert sorted(plain['settings']) == sorted(
        ['generator', 'generator_version', 'source', 'num_subjects', 'clips_per_class',
         'extra_negative', 'seed', 'frame_size', 'amplitude_range', 'clip_length_range',
         'jpeg_quality'])
    a, b = file_bytes(plain['root']), file_bytes(explicit['root'])
    assert sorted(a) == sorted(b) and [k for k in a if a[k] != b[k]] == []
    hard = generate_synthetic_dataset(str(tmp_path / 'hard'), **TINY, blink_prob=1.0)
    assert hard['settings']['blink_prob'] == 1.0
    assert file_bytes(hard['root'])['annotation.xlsx'] == a['annotation.xlsx']
    assert file_bytes(hard['root'])['gt_flow/sub01_' + plain['clips'][0]['clip'] + '.npy'] \
        != a['gt_flow/sub01_' + plain['clips'][0]['clip'] + '.npy']


@pytest.mark.parametrize('kwargs, match', [
    (dict(class_totals=(3, 2)), 'class_totals'),
    (dict(class_totals=(1, 0, 0)), 'class_totals'),
    (dict(class_totals=(3, 2, 1), extra_negative=1), 'extra_negative'),
    (dict(blink_prob=1.5), 'blink_prob'),
    (dict(identity_variation=-0.1), 'identity_variation'),
])
def test_bad_realism_options(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_synthetic_dataset(str(tmp_path / 'bad'), **dict(TINY, **kwargs))


def test_class_totals_are_dealt_over_the_subjects():
    dealt = variation.allocate_classes((54, 24, 18), 16, 0, synth.writer.CLASSES)
    assert [len(d) for d in dealt] == [6] * 16
    total = Counter(c for d in dealt for c in d)
    assert total == {'negative': 54, 'positive': 24, 'surprise': 18}
    # class mixes differ between subjects (not the same block everywhere)
    assert len({tuple(sorted(Counter(d).items())) for d in dealt}) > 3


def test_hard_gt_flow_is_exact_with_blinks_rotation_and_identity_warp():
    """Analytic pattern rendered with every extra motion: warping the apex
    frame back by the saved displacement gives the onset frame, and the
    displacement without the extras is clearly worse."""
    hw = (128, 128)
    face = synth.render_subject(0, 1, hw, identity_variation=1.0)
    plain = synth.render_subject(0, 1, hw)
    # the identity warp moved the landmarks by up to a few px, not more
    shift = np.linalg.norm(face['landmarks'] - plain['landmarks'], axis=1)
    assert 0.2 < shift.max() < 12
    yy, xx = np.mgrid[0:hw[0], 0:hw[1]].astype(np.float32)
    pattern = 128 + 60 * np.sin(2 * np.pi * xx / 23) * np.cos(2 * np.pi * yy / 19)
    neutral = np.repeat(pattern[..., None], 3, axis=2).astype(np.float32)
    checked = 0
    for clip_idx in range(12):
        plan = synth.clip_plan(0, 1, clip_idx, 'negative', face['landmarks'], hw,
                                (0.2, 1.0), (10, 10), head_motion_px=1.5, au_variation=0.5)
        extra, record = variation.extra_motion(0, 1, clip_idx, plan, face['landmarks'], hw,
                                               blink_prob=1.0, head_rotation_deg=1.0)
        assert 'blink' in record and record['head_rotation_deg'] <= 1.0
        for profile, _ in extra:
            assert profile[plan['onset_idx']] == 0
        if record['blink']['at_apex'] < 0.3:
            continue  # the blink must be visible at the apex for this check
        field = synth.apex_field(plan, face['landmarks'], hw)
        frames = synth.render_clip(neutral, field, plan, 0.0, extra)
        gt = synth.apex_ground_truth(field, plan, extra)
        without = synth.apex_ground_truth(field, plan)
        onset = frames[plan['onset_idx']].astype(np.float32)
        apex = frames[plan['apex_idx']].astype(np.float32)
        lids = np.zeros(hw, bool)
        for k in variation._UPPER_LIDS:
            x, y = face['landmarks'][k]
            lids[max(int(y) - 2, 0):int(y) + 3, max(int(x) - 2, 0):int(x) + 3] = True

        def residual(flow, mask):
            back = cv2.remap(apex, xx + flow[..., 0], yy + flow[..., 1], cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT101)
            return np.abs(back - onset)[mask].mean()
        inner = np.zeros(hw, bool)
        inner[16:-16, 16:-16] = True
        assert residual(gt, inner) < 1.0
        assert residual(gt, lids) < 1.0
        assert residual(without, lids) > 2 * residual(gt, lids)
        checked += 1
    assert checked >= 2


def test_shared_action_units_and_subject_identity():
    hw = (128, 128)
    face = synth.render_subject(0, 0, hw)
    dropped = borrowed = 0
    for clip_idx in range(40):
        full = synth.clip_plan(0, 0, clip_idx, 'negative', face['landmarks'], hw,
                               (0.5, 0.5), (8, 8))
        varied = synth.clip_plan(0, 0, clip_idx, 'negative', face['landmarks'], hw,
                                 (0.5, 0.5), (8, 8), au_variation=0.5)
        own = [tuple(i) for i, _ in full['components']]
        got = [tuple(i) for i, _ in varied['components']]
        dropped += len(set(own) - set(got)) > 0
        borrowed += len(set(got) - set(own)) > 0
        for idx, vector in varied['components']:
            if tuple(idx) not in own:  # borrowed groups are weaker (AU26: 0.6x)
                assert 0.3 * 0.6 * 0.5 - 1e-9 <= np.linalg.norm(vector) <= 0.7 * 0.5 + 1e-9
    assert 8 <= dropped <= 32 and 8 <= borrowed <= 32
    tones = [variation.identity_params(0, s, 1.0, hw)['gains'] for s in range(6)]
    assert np.ptp(np.array(tones), axis=0).max() > 0.05


@pytest.fixture(scope='module')
def hard_tiny(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('hard') / 'ds')
    record = generate_synthetic_dataset(
        root, num_subjects=8, class_totals=(24, 12, 12), frame_size=128,
        clip_length_range=(6, 7), **HARD)
    return root, record


def test_hard_dataset_counts_amplitudes_and_dlib(hard_tiny):
    import dlib
    root, record = hard_tiny
    assert Counter(c['cls'] for c in record['clips']) == \
        {'negative': 24, 'positive': 12, 'surprise': 12}
    assert all(0.2 <= c['amplitude_px'] <= 1.0 for c in record['clips'])
    assert any('blink' in c for c in record['clips'])
    assert any('blink' not in c for c in record['clips'])
    detector = dlib.get_frontal_face_detector()
    found = 0
    for clip in record['clips'][:12]:
        path = osp.join(root, 'Cropped', clip['subject'], clip['clip'],
                        f'reg_img{clip["apex"]}.jpg')
        found += len(detector(cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB), 0)) == 1
    assert found >= 10


def test_shuffled_label_control_is_at_chance_and_the_ceiling_is_not(hard_tiny):
    root, _ = hard_tiny
    result = calibrate(root, size=8, shuffle_seeds=(0, 1, 2, 3))
    chance = result['chance_uar']
    assert result['shuffled_label_control']['UAR'] <= chance + 0.1
    assert result['gt_flow_logistic']['UAR'] >= chance + 0.25
    # the same classifier matches a direct scikit-learn LOSO on the features
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import LeaveOneGroupOut
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y, subjects = gt_flow_features(root, 8)
    pred = np.empty_like(y)
    for train, test in LeaveOneGroupOut().split(X, y, subjects):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        pred[test] = model.fit(X[train], y[train]).predict(X[test])
    assert loso_logistic(X, y, subjects)['UF1'] == pytest.approx(
        f1_score(y, pred, average='macro'), abs=1e-6)


def test_hard_preset_config_resolves():
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/synthetic_hard.py'))
    gen = cfg.train_dataloader.dataset.generator
    assert gen.num_subjects >= 16 and tuple(gen.class_totals) == (54, 24, 18)
    assert tuple(gen.amplitude_range) == (0.2, 1.0)
    assert cfg.test_dataloader.dataset.data_root == cfg.train_dataloader.dataset.data_root
    assert sum(gen.class_totals) == cfg.expected_counts.total
    for path in glob.glob(osp.join(REPO, 'configs', '*', '*_synthetic-hard.py')):
        twin = Config.fromfile(path)
        for loader in (twin.train_dataloader, twin.test_dataloader):
            assert loader.dataset.data_root == 'data/synthetic_hard', path
            assert loader.dataset.generator.class_totals == gen.class_totals, path
            assert loader.dataset.preprocess.cache_dir.startswith('data/synthetic_hard'), path
