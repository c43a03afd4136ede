"""Facial-region crops of a motion map, recombined into one model input.

Two recombinations are provided:

* :class:`FacialRegionTiles` reproduces HTNet's tiling of its 28x28 u/v/strain
  maps into four 14x14 crops around eye and mouth-corner points (as read
  in the official code of "HTNet for micro-expression recognition", Wang et
  al.).
* :class:`AHMSARegions` is AHMSA-Net's five-region map ("AHMSA-Net:
  Adaptive Hierarchical Multi-Scale Attention Network for Micro-Expression
  Recognition", Zhang et al., sec. 3.2); the paper leaves the
  recombination unspecified, so the layout is a documented proposal (see
  the class docstring).

Where the points come from. The official HTNet code detects them with MTCNN
on the apex face shrunk to 28x28 (:class:`~.htnet_points.HTNetOfficialPoints`
reproduces it and stores them as ``five_points``); mmmer can also take them
from dlib's 68 landmarks (``DetectFaceLandmarks``). ``five_points`` win when
both are present.

Five-point convention. HTNet's points come from MTCNN in the order
(left eye, right eye, nose, mouth left, mouth right), where "left" means
*image*-left (smaller x, the subject's right side): the official fallback
points put the "left eye" at x = 9.53 of 28. From dlib's 68 landmarks mmmer
maps them as

    0 left eye  = mean of 36-41 (dlib's first eye, at image-left)
    1 right eye = mean of 42-47 (image-right)
    2 nose      = 30 (nose tip)
    3 mouth left  = 48 (image-left mouth corner)
    4 mouth right = 54 (image-right mouth corner)

so index k means the same facial point in both detectors.
"""
import logging

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from mmmer.registry import TRANSFORMS
from .loading_frames import sample_name

__all__ = ['AHMSARegions', 'FacialRegionTiles', 'HTNET_FALLBACK_POINTS', 'HTNET_MAP_SIZE',
           'crop_resize', 'five_points_from_dlib', 'rescale_points']

#: HTNet's constant points (x, y) on a 28x28 map, used by the official code
#: (main_HTNet.py) when MTCNN finds no face.
HTNET_FALLBACK_POINTS = np.array(
    [[9.528073, 11.062551], [21.396168, 10.919773], [15.380184, 17.380562],
     [10.255435, 22.121233], [20.583706, 22.25584]], dtype=np.float64)
HTNET_MAP_SIZE = 28


def five_points_from_dlib(landmarks: np.ndarray) -> np.ndarray:
    """(5, 2) float64 points (x, y) in the MTCNN order from 68 dlib landmarks."""
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.shape != (68, 2):
        raise ValueError(f'expected (68, 2) dlib landmarks, got {lm.shape}')
    return np.stack([lm[36:42].mean(0), lm[42:48].mean(0), lm[30], lm[48],
                     lm[54]])


def rescale_points(points: np.ndarray, src_shape, dst_shape) -> np.ndarray:
    """Map (x, y) points between two resolutions of the same image.

    Pixel-centred convention (pixel i covers i-0.5..i+0.5), which is the
    geometry of ``cv2.resize``: x' = (x + 0.5) * W'/W - 0.5.
    """
    src_h, src_w = src_shape[:2]
    dst_h, dst_w = dst_shape[:2]
    if (src_h, src_w) == (dst_h, dst_w):
        return np.array(points, dtype=np.float64)
    scale = np.array([dst_w / src_w, dst_h / src_h], dtype=np.float64)
    return (np.asarray(points, dtype=np.float64) + 0.5) * scale - 0.5


def _points_in_img(results: dict, img_shape, owner: str):
    """Five points in ``img`` coordinates, or ``None`` without landmarks.

    ``five_points`` ((5, 2) in MTCNN order, with ``five_points_shape``) take
    precedence over dlib's 68 ``landmarks`` (with ``landmarks_shape``).
    """
    if results.get('five_points') is not None:
        src_shape = results.get('five_points_shape')
        if src_shape is None:
            raise KeyError(
                f'{owner}: sample {sample_name(results)} has five_points but no '
                'five_points_shape (the (H, W) they refer to); HTNetOfficialPoints '
                'sets both.')
        points = np.asarray(results['five_points'], dtype=np.float64)
        if points.shape != (5, 2):
            raise ValueError(f'{owner}: sample {sample_name(results)}: five_points '
                             f'must be (5, 2), got {points.shape}')
        return rescale_points(points, src_shape, img_shape)
    if results.get('landmarks') is None:
        return None
    src_shape = results.get('landmarks_shape')
    if src_shape is None:
        raise KeyError(
            f'{owner}: sample {sample_name(results)} has landmarks but no '
            'landmarks_shape (the (H, W) they refer to); DetectFaceLandmarks '
            'and AlignCropFace set it.')
    return rescale_points(five_points_from_dlib(results['landmarks']),
                          src_shape, img_shape)


@TRANSFORMS.register_module()
class FacialRegionTiles(BaseTransform):
    """HTNet's four-region tiling of a 28x28 motion map (official code).

    Steps (as the official HTNet code does them):

    1. Five points: ``five_points`` (from ``HTNetOfficialPoints``, the
       official MTCNN rule) or else dlib ``landmarks`` (see the module
       docstring for the dlib -> MTCNN mapping), rescaled from their image
       shape to the shape of ``img``. Without either, the official constant
       points are used (scaled from 28x28 if ``img`` is another size) and a
       warning names the sample.
    2. Each coordinate is clamped to ``clamp`` and truncated to int.
    3. Crop k is ``img[a-7:a+7, b-7:b+7]`` (for ``patch=14``). **The official
       code indexes rows with x**: with ``transpose_xy=True`` (default,
       reproduces it) (a, b) = (x, y); with False (a, b) = (y, x), i.e. crops
       really centred on the points.
    4. The crops listed in ``use`` are tiled 2x2 in that order: top row
       [use[0] | use[1]], bottom row [use[2] | use[3]]. The default (0, 1, 3, 4)
       drops the nose. Because of the transposition the official tiles show
       TL = left-eye area, TR = left-mouth area, BL = right-eye area,
       BR = right-mouth area (with the fallback points: rows 2:16/cols 4:18,
       rows 14:28/cols 3:17, rows 3:17/cols 14:28, rows 13:27/cols 14:28).

    Required keys: ``img`` (HxWxC), optional ``five_points`` +
    ``five_points_shape`` (+ ``landmark_fallback``) or ``landmarks`` +
    ``landmarks_shape``. Modified keys: ``img`` (2*patch x 2*patch x C),
    ``img_shape``. Added keys: ``region_points`` ((5, 2) int, (x, y) after
    clamping), ``region_fallback`` (True when the constant points were used,
    here or by ``HTNetOfficialPoints``).

    Args:
        patch: crop side (HTNet: 14).
        use: the four point indices to tile (TL, TR, BL, BR).
        transpose_xy: index rows by x as the official code does.
        clamp: (lo, hi) for every coordinate before truncation; ``None`` uses
            (patch // 2, side - patch // 2) of ``img``.
    """

    def __init__(self, patch: int = 14, use=(0, 1, 3, 4),
                 transpose_xy: bool = True, clamp=(7, 21)):
        self.patch = int(patch)
        self.use = tuple(int(u) for u in use)
        if len(self.use) != 4 or not all(0 <= u < 5 for u in self.use):
            raise ValueError(
                f'FacialRegionTiles: use must be 4 indices in 0..4, got {use}')
        self.transpose_xy = bool(transpose_xy)
        self.clamp = None if clamp is None else tuple(float(c) for c in clamp)

    def points(self, results: dict, img_shape) -> np.ndarray:
        points = _points_in_img(results, img_shape, type(self).__name__)
        results['region_fallback'] = points is None or (
            results.get('five_points') is not None and bool(results.get('landmark_fallback')))
        if points is None:
            print_log(
                f'FacialRegionTiles: sample {sample_name(results)} has no '
                'landmarks; using HTNet\'s constant fallback points.',
                logger='current', level=logging.WARNING)
            points = rescale_points(HTNET_FALLBACK_POINTS,
                                    (HTNET_MAP_SIZE, HTNET_MAP_SIZE), img_shape)
        return points

    def transform(self, results: dict) -> dict:
        name = sample_name(results)
        if 'img' not in results:
            raise KeyError(
                f'FacialRegionTiles: sample {name} has no img; build it with '
                'StackMotion (and ResizeMotion) first.')
        img = np.asarray(results['img'])
        if img.ndim == 2:
            img = img[..., None]
        h, w = img.shape[:2]
        half = self.patch // 2
        points = self.points(results, (h, w))
        lo, hi = self.clamp if self.clamp is not None else \
            (half, min(h, w) - (self.patch - half))
        # Clamp, then truncate toward zero (int()), as the official code does.
        pts = np.trunc(np.clip(points, lo, hi)).astype(np.int64)
        crops = []
        for k in self.use:
            x, y = pts[k]
            a, b = (x, y) if self.transpose_xy else (y, x)
            r0, c0 = a - half, b - half
            r1, c1 = r0 + self.patch, c0 + self.patch
            if r0 < 0 or c0 < 0 or r1 > h or c1 > w:
                raise ValueError(
                    f'FacialRegionTiles: sample {name}: crop rows {r0}:{r1}, '
                    f'cols {c0}:{c1} leaves the {h}x{w} img; set clamp to keep '
                    f'points within [{half}, side-{self.patch - half}].')
            crops.append(img[r0:r1, c0:c1])
        tiled = np.concatenate([
            np.concatenate(crops[:2], axis=1),
            np.concatenate(crops[2:], axis=1)
        ], axis=0)
        results['img'] = np.ascontiguousarray(tiled)
        results['img_shape'] = tiled.shape[:2]
        results['region_points'] = pts
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(patch={self.patch}, use={self.use}, '
                f'transpose_xy={self.transpose_xy}, clamp={self.clamp})')


def crop_resize(img: np.ndarray, center, src_size, out_size) -> np.ndarray:
    """Crop a ``src_size`` (w, h) box centred at ``center`` (x, y), resize it.

    Parts outside ``img`` replicate its border (neutral for motion maps, where
    zero would be a real value). Shrinking uses area averaging (no aliasing),
    enlarging bilinear interpolation.
    """
    h, w = img.shape[:2]
    box_w = max(1, int(round(src_size[0])))
    box_h = max(1, int(round(src_size[1])))
    x0 = int(round(center[0] - box_w / 2.0 + 0.5))
    y0 = int(round(center[1] - box_h / 2.0 + 0.5))
    x1, y1 = x0 + box_w, y0 + box_h
    pad = [max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w)]
    if any(pad):
        widths = [(pad[0], pad[1]), (pad[2], pad[3])] + [(0, 0)] * (img.ndim - 2)
        img = np.pad(img, widths, mode='edge')
    patch = img[y0 + pad[0]:y1 + pad[0], x0 + pad[2]:x1 + pad[2]]
    out_w, out_h = out_size
    interp = cv2.INTER_AREA if box_w >= out_w and box_h >= out_h \
        else cv2.INTER_LINEAR
    resized = cv2.resize(np.ascontiguousarray(patch, dtype=np.float32),
                         (out_w, out_h), interpolation=interp)
    if patch.ndim == 3 and resized.ndim == 2:
        resized = resized[..., None]
    return resized


@TRANSFORMS.register_module()
class AHMSARegions(BaseTransform):
    """AHMSA-Net's five facial regions recombined into one size x size map.

    What the AHMSA-Net paper says (sec. 3.2): the five key regions "left eye, right eye,
    nose, left lip, and right lip" are located on the apex frame (with
    MediaPipe; mmmer uses the same five points from dlib, mapped as in the
    module docstring), and "using these coordinates, we map, crop, and
    recombine the three-dimensional optical flow maps ... All optical flow
    feature maps are then unified to the size of 28x28". The layout of the
    recombination and the crop sizes are not given.

    Our reading (a PROPOSAL, stated here and in configs that use it): the
    regions are cropped from the full-resolution (u, v, strain) map and pasted
    into a mosaic that keeps the face's topology, so a 7x7 patch of the model
    always sees the same facial area::

        +-----------+-----------+  rows 0:11   (size 28)
        | left eye  | right eye |
        +-----------+-----------+  rows 11:17
        |          nose         |
        +-----------+-----------+  rows 17:28
        | mouth L   | mouth R   |
        +-----------+-----------+
          cols 0:14   cols 14:28

    The band heights are 11/6/11 of 28 (scaled for other sizes). Every region
    keeps the aspect ratio of its cell and one common scale: a cell of
    ``c_w x c_h`` output pixels crops ``c_w*k x c_h*k`` source pixels centred
    on its point, with ``k = region_scale * IOD / (size/2)`` and IOD the
    distance between the eye centres. With ``region_scale=1`` an eye cell
    spans one IOD across (the two eye cells meet between the eyes) and
    +-0.39 IOD vertically (brows included), the nose strip spans 2 IOD across
    the nose tip (nose wings and inner cheeks, AU9/AU10), and each mouth
    cell is centred on its mouth corner (AU12/AU15). Crop first, then
    resize: apply this to the full-resolution map, before ``ResizeMotion``.

    Required keys: ``img`` (HxWxC), ``landmarks``, ``landmarks_shape``.
    Modified keys: ``img`` (size x size x C), ``img_shape``. Added keys:
    ``region_boxes`` ((5, 4) float (x0, y0, x1, y1) source boxes in the order
    left eye, right eye, nose, mouth left, mouth right).

    Args:
        size: output side (the paper's 28).
        region_scale: crop size relative to the inter-ocular distance.
    """

    def __init__(self, size: int = 28, region_scale: float = 1.0):
        self.size = int(size)
        if self.size < 4:
            raise ValueError(f'AHMSARegions: size must be >= 4, got {size}')
        if region_scale <= 0:
            raise ValueError('AHMSARegions: region_scale must be > 0')
        self.region_scale = float(region_scale)

    def layout(self):
        """Cells as (point index, x0, y0, w, h) in output pixels."""
        s = self.size
        band = int(round(s * 11 / 28))
        nose_h = s - 2 * band
        left_w = s // 2
        right_w = s - left_w
        return [
            (0, 0, 0, left_w, band),
            (1, left_w, 0, right_w, band),
            (2, 0, band, s, nose_h),
            (3, 0, band + nose_h, left_w, band),
            (4, left_w, band + nose_h, right_w, band),
        ]

    def transform(self, results: dict) -> dict:
        name = sample_name(results)
        if 'img' not in results:
            raise KeyError(f'AHMSARegions: sample {name} has no img; run StackMotion first.')
        img = np.asarray(results['img'], dtype=np.float32)
        if img.ndim == 2:
            img = img[..., None]
        points = _points_in_img(results, img.shape[:2], type(self).__name__)
        if points is None:
            raise KeyError(
                f'AHMSARegions: sample {name} has no landmarks; run '
                'DetectFaceLandmarks (and AlignCropFace) first.')
        iod = float(np.linalg.norm(points[1] - points[0]))
        if not iod > 1.0:
            raise ValueError(
                f'AHMSARegions: sample {name}: eye centres {points[0]} and '
                f'{points[1]} are {iod:.2f} px apart in the map; landmarks '
                'are degenerate or refer to another image.')
        k = self.region_scale * iod / (self.size / 2.0)
        out = np.zeros((self.size, self.size, img.shape[2]), np.float32)
        boxes = np.zeros((5, 4), np.float64)
        for idx, x0, y0, cw, ch in self.layout():
            src_w, src_h = cw * k, ch * k
            cx, cy = points[idx]
            out[y0:y0 + ch, x0:x0 + cw] = crop_resize(
                img, (cx, cy), (src_w, src_h), (cw, ch))
            boxes[idx] = (cx - src_w / 2, cy - src_h / 2, cx + src_w / 2,
                          cy + src_h / 2)
        results['img'] = out
        results['img_shape'] = out.shape[:2]
        results['region_boxes'] = boxes
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(size={self.size}, '
                f'region_scale={self.region_scale})')
