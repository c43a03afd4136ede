"""EDMDBN input transforms: interpolation, motion, clip augmentation, alignment."""
import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmmer.datasets.transforms import (ClipRandomCrop, ClipRandomFlip,
                                       ClipRandomRotation, ClipResize,
                                       EntireDetailMotion, LandmarkFaceCrop,
                                       OpenFaceAlignment, PackMEInputs,
                                       StackFrames, TemporalInterpolation)
from mmmer.datasets.transforms.openface_alignment import openface_template
from mmmer.datasets.transforms.temporal import (interpolate_frames,
                                                interpolation_weights)

MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)


def _keyframes(h=6, w=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(3, h, w, 3)).astype(np.uint8)


# ------------------------------------------------------------- interpolation
def test_index_interpolation_matches_hand_computation():
    """3 -> 9 with align_corners=False: O, O, O+(A-O)/3, O+2(A-O)/3, A,
    A+(F-A)/3, A+2(F-A)/3, F, F (the authors' code)."""
    o, a, f = 10.0, 40.0, 16.0
    clip = np.array([o, a, f], dtype=np.float32).reshape(3, 1, 1, 1)
    got = interpolate_frames(clip, 9, 'index').ravel()
    hand = [o, o, o + (a - o) / 3, o + 2 * (a - o) / 3, a,
            a + (f - a) / 3, a + 2 * (f - a) / 3, f, f]
    np.testing.assert_allclose(got, hand, rtol=0, atol=1e-5)


@pytest.mark.parametrize('s,n', [(3, 9), (2, 9), (5, 3), (4, 7)])
def test_index_interpolation_equals_torch_interpolate(s, n):
    clip = np.random.default_rng(s).normal(size=(s, 4, 3, 2)).astype(np.float32)
    ref = F.interpolate(torch.from_numpy(clip).permute(3, 0, 1, 2)[None],
                        size=(n, 4, 3), mode='trilinear', align_corners=False)
    ref = ref[0].permute(1, 2, 3, 0).numpy()
    np.testing.assert_allclose(interpolate_frames(clip, n, 'index'), ref, atol=1e-5)


def test_time_interpolation_uses_frame_numbers():
    # onset 10, apex 13, offset 22; 5 outputs at 10, 13, 16, 19, 22.
    w = interpolation_weights(3, 5, 'time', positions=[10, 13, 22])
    assert w[0] == (0, 1, 0.0)
    assert w[1] == (1, 2, 0.0)  # exactly the apex
    assert w[2][:2] == (1, 2) and w[2][2] == pytest.approx(3 / 9)
    assert w[3][:2] == (1, 2) and w[3][2] == pytest.approx(6 / 9)
    assert w[4] == (2, 2, 0.0)
    with pytest.raises(ValueError, match='non-decreasing'):
        interpolation_weights(3, 5, 'time', positions=[10, 9, 22])


def test_temporal_interpolation_transform_time_mode_from_annotation():
    clip = _keyframes()
    res = TemporalInterpolation(num_frames=5, mode='time')(
        dict(img=clip, onset=10, apex=13, offset=22))
    assert res['img'].shape == (5, 6, 5, 3) and res['img'].dtype == np.float32
    c = clip.astype(np.float32)
    np.testing.assert_allclose(res['img'][2], c[1] + (c[2] - c[1]) / 3, atol=1e-4)


# ------------------------------------------------------------- motion
def test_entire_and_detail_motion_are_differences():
    clip = _keyframes()
    res = EntireDetailMotion(num_frames=8, mode='index')(dict(img=clip))
    out = res['img']
    assert out.shape == (9, 6, 5, 3) and out.dtype == np.float32
    o, a, f = (clip.astype(np.float64) - MEAN) / STD
    np.testing.assert_allclose(out[0], a - o, atol=1e-5)  # M_entire
    d1, d2 = (a - o) / 3, (f - a) / 3
    for t, ref in enumerate([0 * d1, d1, d1, d1, d2, d2, d2, 0 * d1]):
        np.testing.assert_allclose(out[1 + t], ref, atol=1e-5)
    # The differences telescope to offset - onset.
    np.testing.assert_allclose(out[1:].sum(0), f - o, atol=1e-4)
    packed = PackMEInputs()(dict(res, gt_label=1))
    assert packed['inputs'].shape == (3, 9, 6, 5)


def test_detail_motion_time_mode_follows_real_timing():
    clip = _keyframes()
    out = EntireDetailMotion(num_frames=4, mode='time')(
        dict(img=clip, frame_ids=[0, 1, 4]))['img']
    o, a, f = (clip.astype(np.float64) - MEAN) / STD
    # Frames at t = 0, 1, 2, 3, 4: onset->apex takes one step, apex->offset three.
    np.testing.assert_allclose(out[1], a - o, atol=1e-5)
    for t in (2, 3, 4):
        np.testing.assert_allclose(out[t], (f - a) / 3, atol=1e-5)


def test_motion_rejects_bad_input():
    with pytest.raises(ValueError, match='expected'):
        EntireDetailMotion()(dict(img=np.zeros((6, 5, 3)), subject='s', clip='c'))
    with pytest.raises(KeyError, match='frame numbers'):
        EntireDetailMotion(mode='time')(dict(img=_keyframes()[:2]))


# ------------------------------------------------------------- augmentation
def _augment(results, seed):
    np.random.seed(seed)
    for t in (ClipRandomFlip(prob=0.5), ClipRandomRotation(max_angle=4.0),
              ClipRandomCrop(size=(60, 50), padding=4)):
        results = t(results)
    return results


def test_same_augmentation_for_every_frame():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, size=(60, 50, 3)).astype(np.uint8)
    # Identical frames must stay identical (no fake motion) ...
    for seed in range(6):
        out = _augment(dict(img=np.stack([base] * 3)), seed)['img']
        assert out.shape == (3, 60, 50, 3)
        assert np.array_equal(out[0], out[1]) and np.array_equal(out[0], out[2])
    # ... and each frame gets exactly the recorded flip / angle / crop.
    frames = np.stack([base, 255 - base, base // 2])
    res = _augment(dict(img=frames.copy()), seed=3)
    for i in range(3):
        single = dict(img=frames[i:i + 1].copy())
        if res['flip']:
            single['img'] = single['img'][:, :, ::-1]
        m = cv2.getRotationMatrix2D((24.5, 29.5), res['rotation_angle'], 1.0)
        rot = cv2.warpAffine(single['img'][0], m, (50, 60), flags=cv2.INTER_NEAREST)
        pad = np.pad(rot, ((4, 4), (4, 4), (0, 0)), mode='edge')
        x0, y0, x1, y1 = res['crop_bbox']
        assert np.array_equal(res['img'][i], pad[y0:y1, x0:x1])


def test_flip_probability_and_resize():
    np.random.seed(0)
    flips = [ClipRandomFlip(0.5)(dict(img=np.zeros((2, 4, 4, 3))))['flip'] for _ in range(200)]
    assert 70 < sum(flips) < 130
    out = ClipResize(size=(20, 10))(dict(img=np.zeros((3, 40, 30, 3), np.uint8)))
    assert out['img'].shape == (3, 20, 10, 3)


# ------------------------------------------------------------- alignment
def _face_landmarks(rng):
    """A plausible 68-point layout: random similarity of a canonical face."""
    canon = np.zeros((68, 2))
    canon[0:17] = np.c_[np.linspace(-1, 1, 17), 0.2 + 0.8 * np.sin(np.linspace(0, np.pi, 17))]
    canon[17:27] = np.c_[np.linspace(-0.8, 0.8, 10), -0.55 * np.ones(10)]
    canon[27:36] = np.c_[np.zeros(9), np.linspace(-0.35, 0.25, 9)]
    canon[33] = (0.0, 0.25)
    canon[36:42] = np.c_[np.linspace(-0.65, -0.25, 6), -0.3 * np.ones(6)]
    canon[42:48] = np.c_[np.linspace(0.25, 0.65, 6), -0.3 * np.ones(6)]
    canon[36], canon[45] = (-0.7, -0.3), (0.7, -0.32)
    canon[48:68] = np.c_[np.linspace(-0.4, 0.4, 20), 0.55 * np.ones(20)]
    angle = np.deg2rad(rng.uniform(-15, 15))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (canon @ rot.T) * rng.uniform(50, 70) + rng.uniform(140, 180, size=2)


def test_openface_alignment_maps_landmarks_onto_template():
    rng = np.random.default_rng(1)
    lm = _face_landmarks(rng).astype(np.float32)
    frames = []
    for k in range(2):
        img = np.zeros((320, 320, 3), np.uint8)
        for idx, value in ((36, 250), (45, 200), (33, 150)):
            x, y = np.round(lm[idx]).astype(int)
            img[y - 1:y + 2, x - 1:x + 2] = value - 40 * k
        frames.append(img)
    t = OpenFaceAlignment(output_size=200, template_scale=1.0)
    res = t(dict(frames=frames, landmarks=lm.copy()))
    template = 200 * openface_template()
    np.testing.assert_allclose(res['landmarks'][[36, 45, 33]], template, atol=1e-3)
    # The image content moves with them, identically in every frame.
    for k, frame in enumerate(res['frames']):
        assert frame.shape == (200, 200, 3)
        for (idx, value), (tx, ty) in zip(((36, 250), (45, 200), (33, 150)), template):
            ys, xs = np.nonzero(frame[..., 0] > (value - 40 * k) // 2)
            near = (abs(xs - tx) < 6) & (abs(ys - ty) < 6)
            weights = frame[ys[near], xs[near], 0].astype(float)
            cx = (xs[near] * weights).sum() / weights.sum()
            cy = (ys[near] * weights).sum() / weights.sum()
            # blobs are 3x3 around the rounded landmark: within ~1.5 px
            assert abs(cx - tx) < 1.5 and abs(cy - ty) < 1.5


def test_openface_template_values():
    tpl = openface_template()
    assert tpl.shape == (3, 2)
    assert np.all((tpl > 0) & (tpl < 1))
    assert tpl[0, 0] < tpl[2, 0] < tpl[1, 0]  # left eye, nose, right eye
    with pytest.raises(ValueError, match='collinear'):
        OpenFaceAlignment()(dict(frames=[np.zeros((10, 10, 3), np.uint8)],
                                 landmarks=np.tile([[1.0, 1.0]], (68, 1))))


def test_landmark_crop_box_fills_output():
    rng = np.random.default_rng(2)
    lm = _face_landmarks(rng).astype(np.float32)
    frames = [rng.integers(0, 255, (320, 320, 3)).astype(np.uint8) for _ in range(3)]
    crop = LandmarkFaceCrop(size=(100, 80), mode='extremes', brow_margin=0.5)
    res = StackFrames()(crop(dict(frames=frames, landmarks=lm.copy())))
    assert res['img'].shape == (3, 100, 80, 3)
    out = res['landmarks']
    # left/right extremes and the chin land on the output borders
    assert out[:, 0].min() == pytest.approx(-0.5, abs=1e-3)
    assert out[:, 0].max() == pytest.approx(79.5, abs=1e-3)
    assert out[:, 1].max() == pytest.approx(99.5, abs=1e-3)
    # the brows sit below the top by half the eye-brow distance
    x0, y0, x1, y1 = res['crop_box']
    brow_top = lm[17:27, 1].min()
    gap = lm[36:48, 1].mean() - lm[17:27, 1].mean()
    assert brow_top - y0 == pytest.approx(0.5 * gap, rel=1e-5)


def test_alignment_on_real_face_with_dlib():
    """dlib on the astronaut photo, aligned: re-detected landmarks land near
    the template points."""
    from skimage import data

    from mmmer.datasets.transforms import DetectFaceLandmarks
    from mmmer.utils.face import detect_face_and_landmarks
    img = np.ascontiguousarray(data.astronaut())
    res = DetectFaceLandmarks(upsample=0)(dict(frames=[img, img.copy()]))
    res = OpenFaceAlignment(output_size=256, template_scale=0.8)(res)
    found = detect_face_and_landmarks(res["frames"][0], 0)
    assert found is not None
    redetected = found[1][[36, 45, 33]]
    template = 256 * (0.8 * openface_template() + 0.1)
    assert np.abs(redetected - template).max() < 6.0
    assert np.array_equal(res['frames'][0], res['frames'][1])


# ------------------------------------------------------------- paper face crop
@pytest.fixture(scope='module')
def astronaut_landmarks():
    """dlib's 68 points on skimage's astronaut photo, via mmmer's detector."""
    from skimage import data

    from mmmer.datasets.transforms import DetectFaceLandmarks
    img = np.ascontiguousarray(data.astronaut())
    res = DetectFaceLandmarks(upsample=0)(dict(frames=[img]))
    return img, np.asarray(res['landmarks'], dtype=np.float64)


def _paper_rule_by_hand(lm):
    """The paper's crop written out point by point: x from the brow and eye
    extremes, bottom from chin points 7-9, top = eye line - 0.45 IOD."""
    left = min([lm[i][0] for i in (17, 18, 19, 20, 21, 36, 37, 38, 39, 40, 41)])
    right = max([lm[i][0] for i in (22, 23, 24, 25, 26, 42, 43, 44, 45, 46, 47)])
    bottom = (lm[7][1] + lm[8][1] + lm[9][1]) / 3.0
    (ax, ay), (bx, by) = lm[36], lm[45]
    iod = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
    top = (ay + by) / 2.0 - 0.45 * iod
    return left, top, right, bottom


def test_paper_crop_on_real_face_equals_the_rule(astronaut_landmarks):
    img, lm = astronaut_landmarks
    crop = LandmarkFaceCrop(size=224)  # mode='paper' is the default
    res = crop(dict(frames=[img.copy(), img.copy()], landmarks=lm.copy()))
    hand = _paper_rule_by_hand(lm)
    np.testing.assert_allclose(res['crop_box'], hand, rtol=0, atol=1e-6)
    # The box lies inside the face: narrower than the jaw, above the chin tip.
    x0, y0, x1, y1 = hand
    assert lm[:, 0].min() <= x0 < x1 <= lm[:, 0].max()
    assert y0 < lm[17:27, 1].min() and y1 <= lm[:, 1].max()
    # Mapped landmarks: chin 7-9 on the bottom edge, eye line 0.45 IOD below
    # the top edge (in output pixels), brow/eye extremes on the side edges.
    out = res['landmarks'].astype(np.float64)
    sy = 224 / (y1 - y0)
    assert out[7:10, 1].mean() == pytest.approx(223.5, abs=1e-3)
    iod = np.hypot(*(lm[45] - lm[36]))
    assert out[[36, 45], 1].mean() == pytest.approx(-0.5 + 0.45 * iod * sy, abs=1e-3)
    assert min(out[17:22, 0].min(), out[36:42, 0].min()) == pytest.approx(-0.5, abs=1e-3)
    assert max(out[22:27, 0].max(), out[42:48, 0].max()) == pytest.approx(223.5, abs=1e-3)
    assert res['frames'][0].shape == (224, 224, 3)
    assert np.array_equal(res['frames'][0], res['frames'][1])


def test_paper_crop_after_alignment_keeps_the_face(astronaut_landmarks):
    """mmmer's EDMDBN preprocessing (OpenFace alignment with a margin, then
    the paper crop): dlib finds the face again in the 224 crop, with its eye
    corners and chin where the transformed landmarks say (image content, not
    only coordinates, follows the rule)."""
    from mmmer.utils.face import detect_face_and_landmarks
    img, lm = astronaut_landmarks
    res = OpenFaceAlignment(output_size=256, template_scale=0.8)(
        dict(frames=[img.copy()], landmarks=lm.copy()))
    aligned = res['landmarks'].astype(np.float64)
    res = LandmarkFaceCrop(size=224)(res)
    # With the 0.8 template margin the rule's box fits the aligned frame.
    np.testing.assert_allclose(res['crop_box'], _paper_rule_by_hand(aligned), atol=1e-6)
    found = detect_face_and_landmarks(res['frames'][0], 1)
    assert found is not None
    err = np.abs(found[1][[36, 45, 8]] - res['landmarks'][[36, 45, 8]])
    assert err.max() < 6.0


def test_paper_crop_clips_to_the_frame(astronaut_landmarks):
    """Aligned as the authors' code does (224 px, template filling the frame)
    the rule's top lies above the frame; it is clipped to row 0, as the
    authors' script does, unless clip_to_frame=False."""
    img, lm = astronaut_landmarks
    res = OpenFaceAlignment(output_size=224, template_scale=1.0)(
        dict(frames=[img.copy()], landmarks=lm.copy()))
    aligned = res['landmarks'].astype(np.float64)
    hand = _paper_rule_by_hand(aligned)
    assert hand[1] < 0
    clipped = LandmarkFaceCrop(size=224).crop_box(aligned, (224, 224))
    np.testing.assert_allclose(clipped, (hand[0], 0.0, hand[2], hand[3]), atol=1e-6)
    free = LandmarkFaceCrop(size=224, clip_to_frame=False).crop_box(aligned, (224, 224))
    np.testing.assert_allclose(free, hand, atol=1e-6)


def test_brow_jaw_crop_box_and_mode_check():
    rng = np.random.default_rng(3)
    lm = _face_landmarks(rng)
    crop = LandmarkFaceCrop(size=64, mode='brow_jaw', top_margin_px=10)
    box = crop.crop_box(lm, (320, 320))
    expected = (lm[17, 0], lm[:, 1].min() - 10, lm[26, 0], (lm[5, 1] + lm[11, 1]) / 2)
    np.testing.assert_allclose(box, expected, atol=1e-9)
    with pytest.raises(ValueError, match='mode'):
        LandmarkFaceCrop(mode='crop_once')
    with pytest.raises(ValueError, match='degenerate face box'):
        LandmarkFaceCrop()(dict(frames=[np.zeros((50, 50, 3), np.uint8)],
                                landmarks=np.tile([[5.0, 5.0]], (68, 1)), img_path='x/y.jpg'))
