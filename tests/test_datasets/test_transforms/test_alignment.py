"""dlib landmarks on a real face, eye-line alignment, and no-face handling."""
import cv2
import numpy as np
import pytest
import skimage.data

import mmmer.datasets.transforms.alignment as alignment
from mmmer.datasets.transforms import AlignCropFace, DetectFaceLandmarks
from mmmer.utils.face import (centered_mean_shape, detect_face_and_landmarks,
                              dlib_mean_shape, eye_centers)

# dlib's frontal detector box of skimage's astronaut face (the face of the
# embedded synthetic dataset).
ASTRONAUT_BOX = np.array([175, 76, 265, 166], np.float32)


@pytest.fixture(scope='module')
def astronaut():
    return skimage.data.astronaut()


def _eye_angle(landmarks):
    left, right = eye_centers(landmarks)
    return np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0]))


def test_dlib_finds_astronaut_face(astronaut):
    results = DetectFaceLandmarks()(dict(frames=[astronaut], subject='s', clip='c'))
    assert results['face_fallback'] is False
    assert results['landmarks_shape'] == (512, 512)
    np.testing.assert_allclose(results['face_box'], ASTRONAUT_BOX, atol=6)
    lm = results['landmarks']
    assert lm.shape == (68, 2) and lm.dtype == np.float32
    # Every landmark lies in the face box grown by 15 px (the chin may sit
    # just under dlib's box).
    assert (lm >= ASTRONAUT_BOX[:2] - 15).all() and (lm <= ASTRONAUT_BOX[2:] + 15).all()
    left, right = eye_centers(lm)
    assert left[0] < right[0]  # 36-41 is the image-left eye
    assert lm[30, 1] > left[1] and lm[48, 1] > lm[30, 1]  # nose below eyes, mouth below nose


def test_alignment_levels_eye_line(astronaut):
    # Tilt the face by a further 10 degrees, then align.
    tilt = cv2.getRotationMatrix2D((220.0, 121.0), -10, 1.0)
    tilted = cv2.warpAffine(astronaut, tilt, (512, 512), borderMode=cv2.BORDER_REFLECT)
    other = cv2.GaussianBlur(tilted, (5, 5), 0)
    results = dict(frames=[tilted, other], subject='s', clip='c')
    results = DetectFaceLandmarks()(results)
    assert abs(_eye_angle(results['landmarks'])) > 8
    src_landmarks = results['landmarks'].copy()
    results = AlignCropFace(size=160)(results)
    aligned = results['frames'][0]
    assert aligned.shape == (160, 160, 3) and results['frames'][1].shape == (160, 160, 3)
    assert results['img_shape'] == (160, 160) == results['landmarks_shape']
    # Independent check: dlib run again on the aligned frame sees level eyes.
    found = detect_face_and_landmarks(aligned)
    assert found is not None
    assert abs(_eye_angle(found[1])) < 2.0
    # ... and finds the landmarks where the transform put them.
    assert np.abs(found[1] - results['landmarks']).mean() < 2.0
    assert abs(_eye_angle(results['landmarks'])) < 1e-3
    # The same affine moved pixels and landmarks: the aligned frame at a
    # transformed landmark shows the source pixel at that landmark.
    m = results['align_matrix']
    for frame_src, frame_dst in zip((tilted, other), results['frames']):
        for p in src_landmarks[[30, 33, 8]]:
            q = m[:, :2] @ p + m[:, 2]
            src_val = cv2.getRectSubPix(frame_src, (1, 1), tuple(map(float, p)))
            dst_val = cv2.getRectSubPix(frame_dst, (1, 1), tuple(map(float, q)))
            np.testing.assert_allclose(dst_val.astype(float), src_val.astype(float), atol=25)
    # The landmarks fill the crop with the margin left around them.
    lm = results['landmarks']
    assert lm.min() > 5 and lm.max() < 155


def test_no_rotation_keeps_angle(astronaut):
    results = DetectFaceLandmarks()(dict(frames=[astronaut], subject='s', clip='c'))
    before = _eye_angle(results['landmarks'])
    results = AlignCropFace(size=100, rotate=False)(results)
    assert results['eye_angle'] == 0.0
    assert _eye_angle(results['landmarks']) == pytest.approx(before, abs=1e-4)


def test_no_face_error_names_sample_and_file():
    blank = np.full((120, 100, 3), 127, np.uint8)
    results = dict(frames=[blank], frame_files=['/data/sub09/EP01/img7.jpg'],
                   subject='casme2_sub09', clip='EP01')
    with pytest.raises(RuntimeError) as e:
        DetectFaceLandmarks()(results)
    assert 'casme2_sub09/EP01' in str(e.value) and '/data/sub09/EP01/img7.jpg' in str(e.value)


def test_no_face_center_fallback_is_flagged_and_logged(monkeypatch):
    logged = []
    monkeypatch.setattr(alignment, 'print_log', lambda msg, **kw: logged.append((msg, kw)))
    blank = np.full((120, 100, 3), 127, np.uint8)
    results = DetectFaceLandmarks(on_failure='center_fallback')(
        dict(frames=[blank], subject='casme2_sub09', clip='EP01'))
    assert results['face_fallback'] is True
    assert len(logged) == 1 and 'casme2_sub09/EP01' in logged[0][0]
    lm = results['landmarks']
    assert lm.shape == (68, 2) and results['landmarks_shape'] == (120, 100)
    # Mean shape in a centred 70 x 70 box: eyes level and symmetric about x=50.
    left, right = eye_centers(lm)
    assert left[1] == pytest.approx(right[1], abs=0.05)
    assert (left[0] + right[0]) / 2 == pytest.approx(50, abs=0.1)
    np.testing.assert_allclose(results['face_box'], [15, 25, 85, 95])
    # Alignment still works downstream.
    out = AlignCropFace(size=64)(results)
    assert out['frames'][0].shape == (64, 64, 3)


def test_mean_shape_read_from_model():
    shape = dlib_mean_shape()
    assert shape.shape == (68, 2)
    # Unit-box coordinates: a symmetric face, chin slightly below the box.
    assert 0 < shape[:, 0].min() and shape[:, 0].max() < 1
    assert shape[8, 1] > 1.0 and shape[8, 0] == pytest.approx(0.5, abs=0.01)
    mirror = np.r_[16:-1:-1]  # jaw 0..16 mirrors to 16..0
    np.testing.assert_allclose(shape[mirror, 0], 1 - shape[0:17, 0], atol=0.01)
    box, lm = centered_mean_shape(200, 100, 0.5)
    np.testing.assert_allclose(box, [25, 75, 75, 125])


def test_align_requires_landmarks():
    with pytest.raises(KeyError, match='DetectFaceLandmarks'):
        AlignCropFace()(dict(frames=[np.zeros((4, 4, 3), np.uint8)], subject='s', clip='c'))
