"""HTNet region tiling and AHMSA-Net's five-region map."""
import numpy as np
import pytest

import mmmer.datasets.transforms.regions as regions
from mmmer.datasets.transforms import AHMSARegions, FacialRegionTiles
from mmmer.registry import TRANSFORMS
from mmmer.utils.face import centered_mean_shape


@pytest.fixture
def img28():
    return np.random.default_rng(0).uniform(0, 255, (28, 28, 3)).astype(np.float32)


def test_fallback_points_give_documented_official_crops(img28, monkeypatch):
    logged = []
    monkeypatch.setattr(regions, 'print_log', lambda msg, **kw: logged.append(msg))
    out = TRANSFORMS.build(dict(type='FacialRegionTiles'))(
        dict(img=img28.copy(), subject='smic_s01', clip='s01_ne_01'))
    # HTNet's official code: crops 0, 1, 3, 4 with its
    # constant points, tiled [crop0 | crop1] over [crop3 | crop4].
    expected = np.concatenate([
        np.concatenate([img28[2:16, 4:18], img28[14:28, 3:17]], axis=1),
        np.concatenate([img28[3:17, 14:28], img28[13:27, 14:28]], axis=1)], axis=0)
    assert out['img'].shape == (28, 28, 3) and out['img_shape'] == (28, 28)
    np.testing.assert_array_equal(out['img'], expected)
    assert out['region_fallback'] is True
    assert len(logged) == 1 and 'smic_s01/s01_ne_01' in logged[0]


def _landmarks_with_points(points, src=224, dst=28):
    """68 landmarks whose five points map to ``points`` on a dst x dst map."""
    src_pts = (np.asarray(points) + 0.5) * (src / dst) - 0.5
    lm = np.zeros((68, 2), np.float32)
    # Spread the eye landmarks around their centre so only the mean matters.
    offsets = np.array([[-3, 0], [-2, -1], [2, -1], [3, 0], [2, 1], [-2, 1]], np.float32)
    lm[36:42] = src_pts[0] + offsets
    lm[42:48] = src_pts[1] + offsets
    lm[30], lm[48], lm[54] = src_pts[2], src_pts[3], src_pts[4]
    return lm


@pytest.mark.parametrize('transpose_xy', [True, False])
def test_landmark_points_rescaled_clamped_truncated(img28, transpose_xy):
    # Five points on the 28x28 map: left eye, right eye, nose, mouth L, mouth R.
    points = [(10.2, 12.7), (19.9, 12.1), (14.5, 17.0), (9.8, 20.3), (18.6, 22.9)]
    lm = _landmarks_with_points(points)
    out = FacialRegionTiles(transpose_xy=transpose_xy)(
        dict(img=img28.copy(), landmarks=lm, landmarks_shape=(224, 224)))
    # clamp to [7, 21] then truncate: (10,12) (19,12) (14,17) (9,20) (18,21)
    np.testing.assert_array_equal(
        out['region_points'], [[10, 12], [19, 12], [14, 17], [9, 20], [18, 21]])
    if transpose_xy:  # official: rows indexed by x
        crops = [img28[3:17, 5:19], img28[12:26, 5:19], img28[2:16, 13:27], img28[11:25, 14:28]]
    else:
        crops = [img28[5:19, 3:17], img28[5:19, 12:26], img28[13:27, 2:16], img28[14:28, 11:25]]
    expected = np.concatenate([np.concatenate(crops[:2], 1), np.concatenate(crops[2:], 1)], 0)
    np.testing.assert_array_equal(out['img'], expected)
    assert out['region_fallback'] is False


def test_tiles_reject_crops_outside_map(img28):
    lm = _landmarks_with_points([(2, 2)] * 5)
    with pytest.raises(ValueError, match='leaves the 28x28'):
        FacialRegionTiles(clamp=(0, 27))(
            dict(img=img28, landmarks=lm, landmarks_shape=(224, 224), subject='a', clip='b'))


def test_ahmsa_regions_sample_the_right_places():
    h = w = 224
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    coords = np.dstack([x, y, np.full_like(x, 5.0)])
    _, lm = centered_mean_shape(h, w, 0.7)
    out = AHMSARegions(size=28)(
        dict(img=coords, landmarks=lm, landmarks_shape=(h, w)))
    mosaic = out['img']
    assert mosaic.shape == (28, 28, 3) and out['img_shape'] == (28, 28)
    np.testing.assert_allclose(mosaic[..., 2], 5.0)
    pts = np.stack([lm[36:42].mean(0), lm[42:48].mean(0), lm[30], lm[48], lm[54]])
    iod = np.linalg.norm(pts[1] - pts[0])
    k = iod / 14.0  # source pixels per output pixel (region_scale=1)
    # Layout: eye band rows 0:11, nose rows 11:17, mouth rows 17:28.
    cells = {0: (slice(0, 11), slice(0, 14)), 1: (slice(0, 11), slice(14, 28)),
             2: (slice(11, 17), slice(0, 28)), 3: (slice(17, 28), slice(0, 14)),
             4: (slice(17, 28), slice(14, 28))}
    for idx, (rows, cols) in cells.items():
        cell = mosaic[rows, cols]
        # A linear ramp averaged over the box: the cell centre is the point.
        assert cell[..., 0].mean() == pytest.approx(pts[idx, 0], abs=0.6)
        assert cell[..., 1].mean() == pytest.approx(pts[idx, 1], abs=0.6)
        ch, cw = cell.shape[:2]
        # Pixel-centre spans scale by k: (cw - 1) output pixels -> (cw - 1) * k.
        assert cell[0, -1, 0] - cell[0, 0, 0] == pytest.approx((cw - 1) * k, abs=1.0)
        assert cell[-1, 0, 1] - cell[0, 0, 1] == pytest.approx((ch - 1) * k, abs=1.0)
    # Eye cells meet between the eyes with region_scale=1.
    boxes = out['region_boxes']
    assert boxes[0, 2] == pytest.approx(boxes[1, 0], abs=1e-3)


def test_ahmsa_regions_replicate_border_and_need_landmarks():
    ramp = np.tile(np.arange(40, dtype=np.float32), (40, 1))[..., None]
    lm = _landmarks_with_points([(0, 20), (20, 20), (5, 30), (0, 35), (39, 35)], src=40, dst=40)
    out = AHMSARegions(size=28)(dict(img=ramp, landmarks=lm, landmarks_shape=(40, 40)))
    # Left-eye box centred at x=0 reaches x<0: those pixels repeat column 0.
    left_eye = out['img'][0:11, 0:14, 0]
    assert left_eye.min() == 0.0 and (left_eye[:, :3] == 0).all()
    with pytest.raises(KeyError, match='DetectFaceLandmarks'):
        AHMSARegions()(dict(img=ramp, subject='a', clip='b'))


def test_five_points_win_over_dlib_and_carry_the_fallback(img28):
    """HTNetOfficialPoints' five_points (MTCNN order) are used as given; dlib
    landmarks of the same sample are ignored; its fallback flag is reported."""
    points = np.array([[10.9, 6.2], [23.5, 12.0], [14.0, 17.0], [8.99, 20.0], [18.0, 21.7]])
    lm = _landmarks_with_points([(20, 20)] * 5)
    out = FacialRegionTiles()(dict(img=img28.copy(), five_points=points,
                                   five_points_shape=(28, 28), landmark_fallback=False,
                                   landmarks=lm, landmarks_shape=(224, 224)))
    # clamp [7, 21] then truncate: (10, 7) (21, 12) (14, 17) (8, 20) (18, 21)
    np.testing.assert_array_equal(out['region_points'],
                                  [[10, 7], [21, 12], [14, 17], [8, 20], [18, 21]])
    crops = [img28[3:17, 0:14], img28[14:28, 5:19], img28[1:15, 13:27], img28[11:25, 14:28]]
    expected = np.concatenate([np.concatenate(crops[:2], 1), np.concatenate(crops[2:], 1)], 0)
    np.testing.assert_array_equal(out['img'], expected)
    assert out['region_fallback'] is False
    # points of a 56x56 detection image are rescaled to the 28x28 map
    out = FacialRegionTiles()(dict(img=img28.copy(), five_points=(points + 0.5) * 2 - 0.5,
                                   five_points_shape=(56, 56), landmark_fallback=True))
    np.testing.assert_array_equal(out['region_points'],
                                  [[10, 7], [21, 12], [14, 17], [8, 20], [18, 21]])
    assert out['region_fallback'] is True
    with pytest.raises(KeyError, match='five_points_shape'):
        FacialRegionTiles()(dict(img=img28, five_points=points))
