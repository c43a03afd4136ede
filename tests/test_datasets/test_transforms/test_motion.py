"""TV-L1 flow, optical strain, stacking and resizing of motion maps."""
import pickle

import cv2
import numpy as np
import pytest
import skimage.data

from mmmer.datasets.transforms import (OpticalStrain, ResizeMotion,
                                       StackMotion, TVL1Flow)
from mmmer.registry import TRANSFORMS


def _grid(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    return x, y


def test_strain_of_affine_field_is_exact():
    # u = a x + b y, v = c x + d y has constant gradient everywhere
    # (np.gradient is exact for linear fields, borders included).
    a, b, c, d = 0.03, -0.02, 0.05, 0.01
    x, y = _grid(40, 50)
    flow = np.stack([a * x + b * y, c * x + d * y], -1).astype(np.float32)
    out = OpticalStrain()(dict(flow=flow))['strain']
    expected = np.sqrt(a**2 + d**2 + 2 * ((b + c) / 2)**2)
    assert out.shape == (40, 50) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_strain_of_smooth_nonlinear_field():
    # u = A sin(kx x) cos(ky y), v = B cos(kx x) sin(ky y): analytic derivatives.
    A, B, kx, ky = 1.5, 0.8, 0.11, 0.07
    x, y = _grid(64, 80)
    u = A * np.sin(kx * x) * np.cos(ky * y)
    v = B * np.cos(kx * x) * np.sin(ky * y)
    e_xx = A * kx * np.cos(kx * x) * np.cos(ky * y)
    e_yy = B * ky * np.cos(kx * x) * np.cos(ky * y)
    du_dy = -A * ky * np.sin(kx * x) * np.sin(ky * y)
    dv_dx = -B * kx * np.sin(kx * x) * np.sin(ky * y)
    expected = np.sqrt(e_xx**2 + e_yy**2 + 2 * (0.5 * (du_dy + dv_dx))**2)
    out = OpticalStrain()(dict(flow=np.stack([u, v], -1)))['strain']
    inner = (slice(2, -2), slice(2, -2))
    # Central differences: error ~ k^2/6 * |derivative| (< 0.3% here).
    np.testing.assert_allclose(out[inner], expected[inner], atol=2e-3 * expected.max())


def _face_224():
    img = skimage.data.astronaut()
    # Face box (175,76)-(265,166) grown to 144 px, scaled to 224x224.
    return cv2.resize(img[49:193, 148:292], (224, 224), interpolation=cv2.INTER_CUBIC)


def _displacement(x, y, amp):
    g1 = np.exp(-((x - 80)**2 + (y - 150)**2) / (2 * 18.0**2))
    g2 = np.exp(-((x - 150)**2 + (y - 80)**2) / (2 * 18.0**2))
    return amp * (0.6 * g1 - 0.8 * g2), amp * (-0.8 * g1 + 0.6 * g2)


def test_tvl1_recovers_synthetic_displacement():
    amp = 1.8
    ref = _face_224()
    x, y = _grid(224, 224)
    dx, dy = _displacement(x, y, amp)
    # target(p) = ref(p - d(p)): content at q moves to p with p - d(p) = q.
    target = cv2.remap(ref, (x - dx).astype(np.float32), (y - dy).astype(np.float32),
                       cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    # Exact forward displacement of ref's content: fixed point p = q + d(p).
    px, py = x.copy(), y.copy()
    for _ in range(30):
        ux, uy = _displacement(px, py, amp)
        px, py = x + ux, y + uy
    gt = np.stack([px - x, py - y], -1)
    t = TRANSFORMS.build(dict(type='TVL1Flow'))
    flow = t(dict(frames=[ref, target]))['flow']
    assert flow.shape == (224, 224, 2) and flow.dtype == np.float32
    moving = np.linalg.norm(gt, axis=-1) > 0.25 * amp
    epe = np.linalg.norm(flow - gt, axis=-1)
    assert moving.sum() > 2000
    assert epe[moving].mean() <= 0.25 * amp
    assert epe[~moving].mean() <= 0.1 * amp
    # Reversing the frames reverses the motion (sign convention check).
    back = TVL1Flow(ref=1, target=0)(dict(frames=[ref, target]))['flow']
    corr = (back[moving] * gt[moving]).sum() / (gt[moving]**2).sum()
    assert corr < -0.7


def test_tvl1_parameters_and_pickling():
    t = TVL1Flow(**{'lambda': 0.2, 'nscales': 3, 'warps': 2})
    assert t.tvl1.getLambda() == pytest.approx(0.2)
    assert t.tvl1.getScalesNumber() == 3 and t.tvl1.getWarpingsNumber() == 2
    clone = pickle.loads(pickle.dumps(t))
    assert clone._tvl1 is None and clone.tvl1.getScalesNumber() == 3
    with pytest.raises(TypeError, match='unknown TV-L1'):
        TVL1Flow(iterations=3)
    frame = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match='differ in size'):
        TVL1Flow()(dict(frames=[frame, np.zeros((9, 8, 3), np.uint8)],
                        subject='s', clip='c'))


def test_stack_motion_minmax_and_constant_channel():
    rng = np.random.default_rng(1)
    flow = rng.normal(size=(6, 7, 2)).astype(np.float32)
    strain = np.full((6, 7), 3.0, np.float32)
    out = StackMotion()(dict(flow=flow, strain=strain))
    img = out['img']
    assert img.shape == (6, 7, 3) and img.dtype == np.float32
    for c in range(2):
        ch = flow[..., c]
        np.testing.assert_allclose(
            img[..., c], (ch - ch.min()) / (ch.max() - ch.min()) * 255, rtol=1e-5, atol=1e-4)
    assert img[..., :2].min() == pytest.approx(0, abs=1e-4)
    assert img[..., :2].max() == pytest.approx(255, abs=1e-3)
    np.testing.assert_allclose(img[..., 2], 0, atol=1e-6)
    raw = StackMotion(normalize='none')(dict(flow=flow, strain=strain))['img']
    np.testing.assert_array_equal(raw, np.dstack([flow, strain]))


def test_resize_motion_area_and_flow_units():
    img = np.arange(224 * 224 * 3, dtype=np.float32).reshape(224, 224, 3)
    out = ResizeMotion(size=28)(dict(img=img, landmarks=np.zeros((68, 2)),
                                     landmarks_shape=(224, 224)))
    assert out['img'].shape == (28, 28, 3) and out['img_shape'] == (28, 28)
    # Area averaging by an integer factor = mean of each 8x8 block.
    blocks = img.reshape(28, 8, 28, 8, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(out['img'], blocks, rtol=1e-5)
    assert out['landmarks_shape'] == (224, 224)
    flow = np.ones((224, 112, 2), np.float32)
    out = ResizeMotion(size=28, keys=('flow', ))(dict(flow=flow))
    np.testing.assert_allclose(out['flow'][..., 0], 28 / 112)
    np.testing.assert_allclose(out['flow'][..., 1], 28 / 224)
