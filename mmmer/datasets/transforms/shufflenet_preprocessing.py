"""Method-specific preprocessing of "Micro-expression recognition model based
on TV-L1 optical flow method and improved ShuffleNet" (Liu et al., Scientific
Reports 2022; ShuffleNetV2 + TV-L1 + SVM).

The paper, "Pre-processing" (Fig. 2): grayscale -> dlib face + 68 landmarks ->
224x224 crop -> eye-line rotation (eq. 1) -> TV-L1 flow between onset and
apex -> masks over the eyes (blinks) and regions without expression motion.
Detection, rotation and crop are :class:`DetectFaceLandmarks` and
:class:`AlignCropFace` (``alignment.py``), the flow is :class:`TVL1Flow`
(``motion.py``); this file adds the masking, the 3-channel gray appearance
input, the flow image of the pre-training stage and the horizontal flip of
the flip-expanded copies (the ``flip_expansion`` option of
:class:`mmmer.datasets.MEDataset`).
"""
from typing import Sequence, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmmer.registry import TRANSFORMS

from .loading_frames import sample_name

#: dlib 68-point regions (0-based indices).
LANDMARK_REGIONS = {
    'left_eye': tuple(range(36, 42)),    # image-left eye (subject's right)
    'right_eye': tuple(range(42, 48)),
    'left_brow': tuple(range(17, 22)),
    'right_brow': tuple(range(22, 27)),
    'nose': tuple(range(27, 36)),
    'mouth': tuple(range(48, 60)),
}


def _mirror_permutation() -> np.ndarray:
    """Index map of the 68 dlib points under a horizontal mirror: point i of
    the mirrored face is point ``perm[i]`` of the original (jaw, brows,
    nostrils, eyes and lips swap sides; the midline points stay)."""
    pairs = [(i, 16 - i) for i in range(8)]
    pairs += [(17 + i, 26 - i) for i in range(5)]
    pairs += [(31, 35), (32, 34)]
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
    pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)]
    pairs += [(60, 64), (61, 63), (65, 67)]
    perm = np.arange(68)
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return perm


MIRROR_68 = _mirror_permutation()


def _check_landmarks(results: dict, who: str) -> np.ndarray:
    lm = results.get('landmarks')
    if lm is None:
        raise KeyError(f'{who}: sample {sample_name(results)} has no landmarks; run '
                       'DetectFaceLandmarks (and AlignCropFace) first.')
    lm = np.asarray(lm, dtype=np.float32)
    if lm.shape != (68, 2):
        raise ValueError(f'{who}: sample {sample_name(results)} has landmarks of shape '
                         f'{lm.shape}; expected (68, 2) dlib points.')
    return lm


def _apply_to(value, fn):
    """Apply ``fn`` to an array or to every array of a list (``frames``)."""
    if isinstance(value, (list, tuple)):
        return [fn(v) for v in value]
    return fn(value)


@TRANSFORMS.register_module()
class MaskRegions(BaseTransform):
    """Blank the eyes and, optionally, everything outside the face.

    The paper: "eye regions and regions that produce little or no movement are
    masked by marked facial marker points so as to avoid noise caused by eye
    movements (e.g., blinking)". The paper draws the mask (Fig. 2e) but does
    not define it; the default follows our choice: filled polygons of
    both eyes (landmarks 36-41, 42-47) dilated by 5 px; brows, nose, mouth and
    cheeks are kept. ``outside_face=True`` also blanks the pixels outside the
    convex hull of the 68 landmarks grown by ``face_margin`` px and raised by
    ``forehead`` x (face height) above the brows (the forehead strip carries
    AU1/2 motion).

    Paper order: the flow is computed on the aligned, *unmasked* frames and
    the mask is applied last, so list ``'flow'`` in ``keys`` after
    :class:`TVL1Flow` and the image keys for the appearance input.

    Required keys: ``landmarks`` (in the coordinates of the masked arrays) and
    each of ``keys`` present in the results (arrays HxW or HxWxC, or lists of
    them such as ``frames``). Added keys: ``region_mask`` (HxW bool, True =
    blanked). Modified keys: ``keys``.

    Args:
        keys (Sequence[str]): arrays to mask; missing keys are skipped, but at
            least one must be present.
        regions (Sequence[str]): names from :data:`LANDMARK_REGIONS`.
        dilate (int): dilation of the region polygons in pixels.
        outside_face (bool): also blank outside the face hull.
        face_margin (int): growth of the face hull in pixels.
        forehead (float): how far the hull extends above the brows, as a
            fraction of the landmark box height.
        fill (float): value written into masked pixels.
    """

    def __init__(self, keys: Sequence[str] = ('img', ),
                 regions: Sequence[str] = ('left_eye', 'right_eye'),
                 dilate: int = 5, outside_face: bool = False, face_margin: int = 5,
                 forehead: float = 0.15, fill: float = 0.0):
        unknown = [r for r in regions if r not in LANDMARK_REGIONS]
        if unknown:
            raise ValueError(f'MaskRegions: unknown regions {unknown}; known: '
                             f'{sorted(LANDMARK_REGIONS)}')
        if dilate < 0 or face_margin < 0:
            raise ValueError('MaskRegions: dilate and face_margin must be >= 0')
        self.keys = (keys, ) if isinstance(keys, str) else tuple(keys)
        self.regions = tuple(regions)
        self.dilate = int(dilate)
        self.outside_face = bool(outside_face)
        self.face_margin = int(face_margin)
        self.forehead = float(forehead)
        self.fill = fill

    @staticmethod
    def _grow(mask: np.ndarray, pixels: int) -> np.ndarray:
        if pixels <= 0:
            return mask
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                           (2 * pixels + 1, 2 * pixels + 1))
        return cv2.dilate(mask, kernel)

    def compute_mask(self, landmarks: np.ndarray, shape) -> np.ndarray:
        """HxW bool mask (True = blanked) for landmarks in an HxW image."""
        h, w = shape
        regions = np.zeros((h, w), np.uint8)
        for name in self.regions:
            poly = np.round(landmarks[list(LANDMARK_REGIONS[name])]).astype(np.int32)
            cv2.fillPoly(regions, [poly], 1)
        mask = self._grow(regions, self.dilate).astype(bool)
        if self.outside_face:
            pts = landmarks.copy()
            height = float(pts[:, 1].max() - pts[:, 1].min())
            brows = pts[17:27].copy()
            brows[:, 1] -= self.forehead * height
            hull = cv2.convexHull(np.round(np.concatenate([pts, brows])).astype(np.int32))
            face = np.zeros((h, w), np.uint8)
            cv2.fillConvexPoly(face, hull, 1)
            mask |= ~self._grow(face, self.face_margin).astype(bool)
        return mask

    def transform(self, results: dict) -> dict:
        name = sample_name(results)
        lm = _check_landmarks(results, 'MaskRegions')
        present = [k for k in self.keys if k in results]
        if not present:
            raise KeyError(f'MaskRegions: sample {name} has none of {self.keys}; '
                           f'it has {sorted(results)}')
        first = results[present[0]]
        first = first[0] if isinstance(first, (list, tuple)) else first
        shape = tuple(np.asarray(first).shape[:2])
        mask = self.compute_mask(lm, shape)

        def blank(arr):
            arr = np.array(arr, copy=True)
            if tuple(arr.shape[:2]) != shape:
                raise ValueError(
                    f'MaskRegions: sample {name}: arrays of different sizes '
                    f'({arr.shape[:2]} vs {shape}) under one set of landmarks')
            arr[mask] = self.fill
            return arr

        for k in present:
            results[k] = _apply_to(results[k], blank)
        results['region_mask'] = mask
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(keys={self.keys}, regions={self.regions}, '
                f'dilate={self.dilate}, outside_face={self.outside_face})')


@TRANSFORMS.register_module()
class GrayToThreeChannels(BaseTransform):
    """Gray appearance input: one frame -> luminance -> 3 identical channels.

    The paper processes grayscale frames (Fig. 2b) and feeds a 3-channel network
    (Table 1 input 224x224x3), so the gray image is repeated.

    Required keys: ``frames`` (+ ``frame_ids`` and the annotated ``apex``
    when ``src='apex'``), or ``img`` when ``src='img'``.
    Added keys: ``out_key`` (HxWx3 float32, gray * ``scale``), ``img_shape``.

    Args:
        src (str | int): ``'apex'`` (the loaded frame whose number is the
            annotated apex), ``'img'``, or an index into ``frames``.
        scale (float): multiplier of the 0..255 gray values (1/255: [0, 1]).
        out_key (str): where to write the result.
    """

    def __init__(self, src: Union[str, int] = 'apex', scale: float = 1.0 / 255,
                 out_key: str = 'img'):
        if not (isinstance(src, int) or src in ('apex', 'img')):
            raise ValueError(f"GrayToThreeChannels: src must be 'apex', 'img' or an "
                             f'int, got {src!r}')
        self.src = src
        self.scale = float(scale)
        self.out_key = out_key

    def _source(self, results):
        name = sample_name(results)
        if self.src == 'img':
            if 'img' not in results:
                raise KeyError(f'GrayToThreeChannels: sample {name} has no img')
            return results['img']
        frames = results.get('frames')
        if not frames:
            raise KeyError(f'GrayToThreeChannels: sample {name} has no frames; put '
                           'LoadKeyFrames before it.')
        if self.src == 'apex':
            ids = list(results.get('frame_ids') or [])
            apex = results.get('apex')
            if apex not in ids:
                raise KeyError(
                    f'GrayToThreeChannels: apex frame {apex} of sample {name} is not '
                    f'among the loaded frames {ids}; load it with '
                    "LoadKeyFrames(keys=(..., 'apex')).")
            return frames[ids.index(apex)]
        if not -len(frames) <= self.src < len(frames):
            raise IndexError(f'GrayToThreeChannels: frame index {self.src} but sample '
                             f'{name} has {len(frames)} frames')
        return frames[self.src]

    def transform(self, results: dict) -> dict:
        img = np.asarray(self._source(results))
        if img.ndim == 3 and img.shape[2] == 3:
            gray = cv2.cvtColor(img.astype(np.float32), cv2.COLOR_RGB2GRAY)
        elif img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1):
            gray = img.reshape(img.shape[:2]).astype(np.float32)
        else:
            raise ValueError(f'GrayToThreeChannels: sample {sample_name(results)}: '
                             f'expected HxW or HxWx3, got {img.shape}')
        out = np.repeat((gray * self.scale)[:, :, None], 3, axis=2).astype(np.float32)
        results[self.out_key] = out
        results['img_shape'] = out.shape[:2]
        return results


@TRANSFORMS.register_module()
class FlowToImage(BaseTransform):
    """TV-L1 flow -> the 3-channel "feature image" of the pre-training stage.

    The paper feeds the TV-L1 flow between onset and apex to the network as an
    image (Fig. 2f) without giving the encoding. Modes:

    - ``'uvm'`` (default, our choice): channels (u, v, |flow|), each
      min-max scaled per sample to [0, 1];
    - ``'hsv'``: the usual flow picture: hue = direction, saturation 1,
      value = |flow| / max |flow|, converted to RGB in [0, 1].

    Masked pixels (``region_mask`` from :class:`MaskRegions`) are left out of
    the min/max and set to 0 afterwards, so the mask stays a mask after the
    scaling (a masked zero flow would otherwise become mid-gray).

    Required keys: ``flow`` (HxWx2 float32, u along x, v along y).
    Optional keys: ``region_mask``. Added keys: ``img`` (HxWx3 float32),
    ``img_shape``.

    Args:
        mode (str): ``'uvm'`` or ``'hsv'``.
        key (str): the flow key.
        respect_mask (bool): use ``region_mask`` as described above.
    """

    def __init__(self, mode: str = 'uvm', key: str = 'flow', respect_mask: bool = True):
        if mode not in ('uvm', 'hsv'):
            raise ValueError(f"FlowToImage: mode must be 'uvm' or 'hsv', got {mode!r}")
        self.mode = mode
        self.key = key
        self.respect_mask = respect_mask

    def transform(self, results: dict) -> dict:
        name = sample_name(results)
        if self.key not in results:
            raise KeyError(f'FlowToImage: sample {name} has no {self.key!r}; run '
                           'TVL1Flow (or load cached flow) first.')
        flow = np.asarray(results[self.key], dtype=np.float32)
        if flow.ndim != 3 or flow.shape[2] != 2:
            raise ValueError(f'FlowToImage: sample {name}: flow must be HxWx2, got '
                             f'{flow.shape}')
        if not np.isfinite(flow).all():
            raise ValueError(f'FlowToImage: sample {name}: flow has NaN/inf values')
        keep = np.ones(flow.shape[:2], bool)
        if self.respect_mask and results.get('region_mask') is not None:
            keep = ~np.asarray(results['region_mask'], bool)
            if keep.shape != flow.shape[:2]:
                raise ValueError(f'FlowToImage: sample {name}: region_mask '
                                 f'{keep.shape} vs flow {flow.shape[:2]}')
        u, v = flow[..., 0], flow[..., 1]
        mag = np.sqrt(u * u + v * v)
        if self.mode == 'uvm':
            chans = []
            for c in (u, v, mag):
                vals = c[keep]
                lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (0., 0.)
                chans.append((c - lo) / (hi - lo) if hi > lo else np.zeros_like(c))
            img = np.stack(chans, axis=2)
        else:
            peak = float(mag[keep].max()) if keep.any() else 0.0
            hsv = np.empty(flow.shape[:2] + (3, ), np.float32)
            hsv[..., 0] = (np.degrees(np.arctan2(v, u)) + 360.0) % 360.0
            hsv[..., 1] = 1.0
            hsv[..., 2] = mag / peak if peak > 0 else 0.0
            img = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
        img = img.astype(np.float32)
        img[~keep] = 0.0
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class ExpansionFlip(BaseTransform):
    """Mirror the flip-expanded copies of a training dataset with
    ``flip_expansion=dict(classes=...)`` (or the deprecated
    :class:`FlipExpandedDataset` wrapper).

    The paper, "Pre-processing": "The positive emotion as well as the surprise
    emotion were therefore expanded by horizontal inversion." The dataset
    marks each added copy with ``flip_expanded=True``; this transform mirrors
    it (and does nothing to original samples), so put it in the *training*
    pipeline right after loading the (cached) arrays.

    Mirroring is exact for every key type: image keys are reversed along x;
    flow keys are reversed along x and their u component negated (content
    moving right moves left in the mirror); ``landmarks`` get x' = W - 1 - x
    and the dlib left/right point permutation (:data:`MIRROR_68`), so
    ``left_eye`` stays the image-left eye. Do not list an image already
    derived from flow (``FlowToImage``) in ``keys``: flip the flow first.

    Required keys: none. Optional keys: ``flip_expanded``, ``keys``,
    ``flow_keys``, ``landmarks``. Modified keys: the same.
    Added keys: ``flip`` (bool), ``flip_direction`` (``'horizontal'`` or None).
    """

    def __init__(self, keys: Sequence[str] = ('img', 'frames', 'region_mask'),
                 flow_keys: Sequence[str] = ('flow', )):
        self.keys = (keys, ) if isinstance(keys, str) else tuple(keys)
        self.flow_keys = (flow_keys, ) if isinstance(flow_keys, str) else tuple(flow_keys)

    @staticmethod
    def _flip(arr):
        return np.ascontiguousarray(np.asarray(arr)[:, ::-1])

    @staticmethod
    def _flip_flow(flow):
        out = np.ascontiguousarray(np.asarray(flow, dtype=np.float32)[:, ::-1])
        out[..., 0] *= -1.0
        return out

    def transform(self, results: dict) -> dict:
        if not results.get('flip_expanded'):
            results['flip'] = False
            results['flip_direction'] = None
            return results
        width = None
        for k in self.keys:
            if k in results:
                results[k] = _apply_to(results[k], self._flip)
                first = results[k][0] if isinstance(results[k], list) else results[k]
                width = first.shape[1]
        for k in self.flow_keys:
            if k in results:
                results[k] = _apply_to(results[k], self._flip_flow)
                first = results[k][0] if isinstance(results[k], list) else results[k]
                width = first.shape[1]
        if results.get('landmarks') is not None:
            if width is None:
                raise KeyError(f'ExpansionFlip: sample {sample_name(results)} has '
                               'landmarks but no image/flow to take the width from')
            lm = _check_landmarks(results, 'ExpansionFlip').copy()
            lm[:, 0] = width - 1 - lm[:, 0]
            results['landmarks'] = lm[MIRROR_68]
        results['flip'] = True
        results['flip_direction'] = 'horizontal'
        return results
