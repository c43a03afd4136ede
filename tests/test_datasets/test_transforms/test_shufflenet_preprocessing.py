"""Preprocessing of the ShuffleNetV2 + TV-L1 + SVM method (Liu et al. 2022): masks, gray input, flow image, flip expansion,
class-balanced sampling."""
from collections import Counter

import numpy as np
import pytest
from mmengine.dataset import BaseDataset

from mmmer.datasets.flip_expanded_dataset import FlipExpandedDataset
from mmmer.datasets.samplers.class_balanced_sampler import ClassBalancedSampler
from mmmer.datasets.transforms.shufflenet_preprocessing import (
    MIRROR_68, ExpansionFlip, FlowToImage, GrayToThreeChannels, MaskRegions)


def _landmarks():
    """68 points on a 64x64 face; eyes are axis-aligned boxes
    x 16..24 / 40..48, y 22..28 (6 points: 4 corners + 2 mid-edge points)."""
    lm = np.zeros((68, 2), np.float32)
    lm[:17] = np.stack([np.linspace(8, 56, 17), np.full(17, 50)], 1)   # jaw
    lm[17:27] = np.stack([np.linspace(14, 50, 10), np.full(10, 16)], 1)  # brows
    lm[27:36] = [32, 34]
    lm[48:68] = [32, 44]

    def box(x0, x1):
        return [(x0, 25), (x0 + 4, 22), (x1, 22), (x1, 25), (x1, 28), (x0, 28)]
    lm[36:42] = box(16, 24)
    lm[42:48] = box(40, 48)
    return lm


def test_mask_regions_eye_boxes_and_dilation():
    img = np.full((64, 64, 3), 9, np.uint8)
    res = MaskRegions(keys=('img', 'frames'), dilate=0)(
        dict(img=img, frames=[img, img], landmarks=_landmarks()))
    mask = res['region_mask']
    boxes = np.zeros((64, 64), bool)
    boxes[22:29, 16:25] = True
    boxes[22:29, 40:49] = True
    assert not mask[~boxes].any()                   # nothing outside the eye boxes
    for x0 in (16, 40):                             # box minus its cut corner
        assert mask[22:29, x0 + 4:x0 + 9].all() and mask[25:29, x0:x0 + 9].all()
        assert not mask[22, x0] and mask[25, x0]
    assert not mask[21, 20] and not mask[25, 25]
    assert (res['img'][mask] == 0).all() and (res['img'][~mask] == 9).all()
    assert all((f[mask] == 0).all() for f in res['frames'])
    assert (img == 9).all()                 # input not modified in place
    grown = MaskRegions(dilate=3).compute_mask(_landmarks(), (64, 64))
    assert grown[25, 13] and not grown[25, 12]      # 3 px left of x0 = 16
    assert grown[31, 20] and not grown[32, 20]      # 3 px below y1 = 28
    assert not grown[25, 32]                       # between the eyes: kept


def test_mask_regions_outside_face_and_errors():
    m = MaskRegions(outside_face=True, face_margin=0).compute_mask(_landmarks(), (64, 64))
    assert m[0, 0] and m[63, 32] and m[32, 2]      # background
    assert not m[40, 32] and not m[12, 32]         # face and forehead strip
    with pytest.raises(KeyError, match='landmarks'):
        MaskRegions()(dict(img=np.zeros((8, 8)), subject='s', clip='c'))
    with pytest.raises(ValueError, match='different sizes'):
        MaskRegions(keys=('img', 'flow'))(dict(
            img=np.zeros((64, 64)), flow=np.zeros((32, 32, 2)), landmarks=_landmarks()))
    with pytest.raises(ValueError, match='unknown regions'):
        MaskRegions(regions=('ears', ))


def test_gray_to_three_channels_selects_apex():
    onset = np.zeros((4, 5, 3), np.uint8)
    apex = np.empty((4, 5, 3), np.uint8)
    apex[...] = (100, 150, 200)
    res = GrayToThreeChannels()(dict(frames=[onset, apex], frame_ids=[10, 17], apex=17))
    # ITU-R BT.601 luma: 0.299 R + 0.587 G + 0.114 B = 140.75
    np.testing.assert_allclose(res['img'], 140.75 / 255, rtol=1e-5)
    assert res['img'].shape == (4, 5, 3) and res['img'].dtype == np.float32
    with pytest.raises(KeyError, match='apex frame 12'):
        GrayToThreeChannels()(dict(frames=[onset], frame_ids=[10], apex=12))


def test_flow_to_image_uvm_and_hsv():
    h, w = 6, 8
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    flow = np.stack([xs, -ys], 2)
    img = FlowToImage()(dict(flow=flow))['img']
    np.testing.assert_allclose(img[..., 0], xs / (w - 1), atol=1e-6)
    np.testing.assert_allclose(img[..., 1], 1 - ys / (h - 1), atol=1e-6)
    mag = np.hypot(xs, ys)
    np.testing.assert_allclose(img[..., 2], mag / mag.max(), atol=1e-6)
    # masked pixels: left out of min/max and zero afterwards
    mask = np.zeros((h, w), bool)
    mask[:, -1] = True
    img = FlowToImage()(dict(flow=flow, region_mask=mask))['img']
    np.testing.assert_allclose(img[:, :-1, 0], xs[:, :-1] / (w - 2), atol=1e-6)
    assert (img[mask] == 0).all()
    right = np.zeros((2, 2, 2), np.float32)
    right[..., 0] = [[1, 2], [0.5, 2]]        # pointing right: hue 0 -> red
    rgb = FlowToImage(mode='hsv')(dict(flow=right))['img']
    np.testing.assert_allclose(rgb[0, 1], [1, 0, 0], atol=1e-5)
    np.testing.assert_allclose(rgb[1, 0], [0.25, 0, 0], atol=1e-5)
    down = np.zeros((1, 1, 2), np.float32)
    down[..., 1] = 1                          # +v (down): hue 90 -> (0.5, 1, 0)
    np.testing.assert_allclose(FlowToImage(mode='hsv')(dict(flow=down))['img'][0, 0],
                               [0.5, 1, 0], atol=1e-5)
    with pytest.raises(ValueError, match='HxWx2'):
        FlowToImage()(dict(flow=np.zeros((4, 4, 3))))


def test_expansion_flip_mirrors_images_flow_and_landmarks():
    rng = np.random.default_rng(0)
    img = rng.random((6, 8, 3)).astype(np.float32)
    flow = rng.normal(size=(6, 8, 2)).astype(np.float32)
    lm = _landmarks() / 8.0
    plain = ExpansionFlip()(dict(img=img.copy(), flow=flow.copy()))
    assert plain['flip'] is False and np.array_equal(plain['flow'], flow)
    res = ExpansionFlip()(dict(img=img.copy(), flow=flow.copy(), landmarks=lm.copy(),
                               flip_expanded=True))
    assert np.array_equal(res['img'], img[:, ::-1])
    # content moving right by u moves left by u in the mirror image
    np.testing.assert_array_equal(res['flow'][:, :, 0], -flow[:, ::-1, 0])
    np.testing.assert_array_equal(res['flow'][:, :, 1], flow[:, ::-1, 1])
    assert np.array_equal(MIRROR_68[MIRROR_68], np.arange(68))
    # the image-left eye after mirroring is the mirror of the image-right eye
    np.testing.assert_allclose(res['landmarks'][36:42, 0].mean(),
                               7 - lm[42:48, 0].mean(), atol=1e-6)
    assert res['landmarks'][36:42, 0].mean() < res['landmarks'][42:48, 0].mean()
    again = ExpansionFlip()(dict(res, flip_expanded=True))
    np.testing.assert_allclose(again['landmarks'], lm, atol=1e-6)


class _ToyDataset(BaseDataset):
    METAINFO = dict(classes=('negative', 'positive', 'surprise'))
    LABELS = [0, 0, 0, 0, 0, 0, 1, 1, 2]

    def load_data_list(self):
        return [dict(gt_label=y, img=np.full((2, 3), i, np.float32)[:, :, None]
                     * np.array([1, 2, 3], np.float32), subject=f's{i % 3}', clip=str(i))
                for i, y in enumerate(self.LABELS)]


def test_flip_expanded_dataset_adds_flipped_minority_copies():
    ds = FlipExpandedDataset(_ToyDataset(pipeline=[ExpansionFlip()]))
    assert len(ds) == 12
    assert ds.get_gt_labels().tolist() == _ToyDataset.LABELS + [1, 1, 2]
    assert ds.class_counts() == [6, 4, 2]
    assert [ds.get_data_info(i)['flip_expanded'] for i in (0, 8, 9, 11)] == \
        [False, False, True, True]
    original, copy_ = ds[6], ds[9]          # copy 9 is sample 6 mirrored
    assert original['flip'] is False and copy_['flip'] is True
    assert np.array_equal(copy_['img'], original['img'][:, ::-1])
    with pytest.raises(ValueError, match='test_mode'):
        FlipExpandedDataset(_ToyDataset(test_mode=True))
    with pytest.raises(ValueError, match='angry'):
        FlipExpandedDataset(_ToyDataset(), expand_classes=('angry', ))


def test_class_balanced_sampler():
    ds = FlipExpandedDataset(_ToyDataset())
    labels = ds.get_gt_labels()
    s = ClassBalancedSampler(ds, seed=3)
    order = list(s)
    assert len(order) == len(s) == 18         # 3 classes x 6 (largest class)
    assert Counter(labels[order].tolist()) == {0: 6, 1: 6, 2: 6}
    for k in range(0, 18, 3):                  # every block of 3 is balanced
        assert sorted(labels[order[k:k + 3]].tolist()) == [0, 1, 2]
    counts = Counter(order)
    assert all(counts[i] == 1 for i in np.flatnonzero(labels == 0))
    assert sorted(counts[i] for i in np.flatnonzero(labels == 1)) == [1, 1, 2, 2]
    assert all(counts[i] == 3 for i in np.flatnonzero(labels == 2))
    assert list(ClassBalancedSampler(ds, seed=3)) == order
    s.set_epoch(1)
    assert list(s) != order
    assert len(ClassBalancedSampler(ds, samples_per_class='min', seed=0)) == 6
    with pytest.raises(ValueError):
        ClassBalancedSampler(ds, samples_per_class='median')
