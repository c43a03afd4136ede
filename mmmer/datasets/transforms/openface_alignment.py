"""OpenFace-template face alignment and landmark-based face crop (EDMDBN).

Paper C (EDMDBN) Sec. 3.1 and 4.3: dlib landmarks are detected on the first
frame; the left outer eye corner, right outer eye corner and nose are matched
to the same points of the OpenFace template face, giving one affine transform
that is applied to every frame; then a crop box from the chin, eyebrow and eye
landmarks is cut and resized to H x W.

Facts used (numbers, not code): the template is the 68-point mean face of
CMU OpenFace (``openface/align_dlib.py``), min-max normalised to [0, 1] over
all 68 points, and its "outer eyes and nose" triple is dlib landmarks
36 (image-left outer eye corner), 45 (image-right outer eye corner) and 33
(nose bottom / tip); an output of side S maps those points to
``S * template``. The reference pipeline (merlib ``crop_face.py``) crops with
top = brow line minus half the eye-brow distance, bottom = chin, left/right =
landmark extremes.
"""
from typing import Sequence, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmmer.registry import TRANSFORMS

from .loading_frames import sample_name

# CMU OpenFace mean-face coordinates of dlib points 36, 45, 33 and the
# min / max over all 68 template points (x: points 0 / 16, y: 24 / 8).
_OPENFACE_POINTS = {
    36: (0.252418718401, 0.331052263829),
    45: (0.782865376271, 0.321305281656),
    33: (0.520712933176, 0.634268222208),
}
_OPENFACE_MIN = (0.0792396913815, 0.182360984545)
_OPENFACE_MAX = (0.971193274221, 1.06080371126)


def openface_template(indices: Sequence[int] = (36, 45, 33)) -> np.ndarray:
    """Min-max normalised OpenFace template coordinates (k, 2) in [0, 1]."""
    missing = [i for i in indices if i not in _OPENFACE_POINTS]
    if missing:
        raise ValueError(f'OpenFace template points available: {sorted(_OPENFACE_POINTS)}; '
                         f'got {missing}')
    pts = np.array([_OPENFACE_POINTS[i] for i in indices], dtype=np.float64)
    lo, hi = np.array(_OPENFACE_MIN), np.array(_OPENFACE_MAX)
    return (pts - lo) / (hi - lo)


_INTERP = dict(nearest=cv2.INTER_NEAREST, linear=cv2.INTER_LINEAR,
               cubic=cv2.INTER_CUBIC, area=cv2.INTER_AREA)


def _check(results: dict, who: str):
    name = sample_name(results)
    for k in ('frames', 'landmarks'):
        if k not in results:
            raise KeyError(f'{who}: sample {name} lacks {k!r}; run LoadKeyFrames and '
                           'DetectFaceLandmarks first.')
    lm = np.asarray(results['landmarks'], dtype=np.float64)
    if lm.shape != (68, 2):
        raise ValueError(
            f'{who}: sample {name} has landmarks of shape {lm.shape}; expected (68, 2)')
    return name, lm


def _warp_all(results: dict, matrix: np.ndarray, size_wh, interp: str, border: str):
    mode = cv2.BORDER_REPLICATE if border == 'replicate' else cv2.BORDER_CONSTANT
    results['frames'] = [
        cv2.warpAffine(f, matrix, tuple(size_wh), flags=_INTERP[interp], borderMode=mode)
        for f in results['frames']]
    lm = np.asarray(results['landmarks'], dtype=np.float64)
    results['landmarks'] = (lm @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)
    w, h = size_wh
    results['landmarks_shape'] = (h, w)
    results['img_shape'] = (h, w)


@TRANSFORMS.register_module()
class OpenFaceAlignment(BaseTransform):
    """Affine-align all frames so three landmarks land on the OpenFace template.

    The affine is solved from the landmarks of the frame they were detected on
    (``DetectFaceLandmarks``, by default the first key frame) and applied to
    every frame, so the frames stay registered with each other and the motion
    between them is kept.

    Required keys: ``frames``, ``landmarks`` ((68, 2) x, y). Modified keys:
    ``frames`` (each ``output_size`` x ``output_size``), ``landmarks``,
    ``landmarks_shape``, ``img_shape``. Added keys: ``align_matrix`` (2x3,
    source -> aligned).

    Args:
        output_size (int): side S of the aligned frames.
        landmark_indices (Sequence[int]): dlib points matched to the template
            (default OpenFace's outer eyes and nose, 36, 45, 33).
        template_scale (float): the template occupies the central
            ``template_scale`` fraction of the output (1.0 = OpenFace: the
            template's landmark box spans the whole output). Values < 1 keep a
            margin around the face for the crop that follows.
        interpolation (str): 'linear' (default), 'cubic', 'nearest', 'area'.
        border (str): 'constant' (black, OpenFace) or 'replicate'.
    """

    def __init__(self, output_size: int = 224,
                 landmark_indices: Sequence[int] = (36, 45, 33),
                 template_scale: float = 1.0, interpolation: str = 'linear',
                 border: str = 'constant'):
        if len(landmark_indices) != 3:
            raise ValueError('OpenFaceAlignment: an affine needs exactly 3 landmark indices')
        if not 0 < template_scale <= 1:
            raise ValueError(
                f'OpenFaceAlignment: template_scale must be in (0, 1], got {template_scale}')
        if interpolation not in _INTERP:
            raise ValueError(f'OpenFaceAlignment: interpolation must be one of {sorted(_INTERP)}')
        if border not in ('constant', 'replicate'):
            raise ValueError("OpenFaceAlignment: border must be 'constant' or 'replicate'")
        self.output_size = int(output_size)
        self.landmark_indices = tuple(int(i) for i in landmark_indices)
        self.template_scale = float(template_scale)
        self.interpolation = interpolation
        self.border = border
        s = self.output_size
        self.template = (s * (self.template_scale * openface_template(self.landmark_indices)
                              + (1 - self.template_scale) / 2)).astype(np.float32)

    def transform(self, results: dict) -> dict:
        name, lm = _check(results, 'OpenFaceAlignment')
        src = lm[list(self.landmark_indices)].astype(np.float32)
        # Collinear points (a failed detection) give a singular system.
        area = np.cross(src[1] - src[0], src[2] - src[0])
        if abs(float(area)) < 1e-3:
            raise ValueError(f'OpenFaceAlignment: landmarks {self.landmark_indices} of sample '
                             f'{name} are collinear ({src.tolist()}); the face detection failed.')
        matrix = cv2.getAffineTransform(src, self.template).astype(np.float64)
        _warp_all(results, matrix, (self.output_size, self.output_size),
                  self.interpolation, self.border)
        results['align_matrix'] = matrix
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(output_size={self.output_size}, '
                f'landmark_indices={self.landmark_indices}, '
                f'template_scale={self.template_scale})')


@TRANSFORMS.register_module()
class LandmarkFaceCrop(BaseTransform):
    """Crop the face box given by chin, eyebrow and eye landmarks, resize.

    Box: left / right = the extreme x of the 68 landmarks (jaw line), bottom =
    the lowest landmark (chin), top = the highest eyebrow point (17-26) minus
    ``brow_margin`` times the eye-to-brow distance (mean y of the eye points
    36-47 minus mean y of the brow points 17-26), so the forehead strip where
    AU1/AU2 show is kept. Then scaled to ``size`` (aspect ratio not kept, as
    EDMDBN resizes to H x W). Out-of-frame pixels replicate the border.

    Required keys: ``frames``, ``landmarks``. Modified keys: ``frames``,
    ``landmarks``, ``landmarks_shape``, ``img_shape``. Added keys:
    ``crop_box`` ((x0, y0, x1, y1) float, in the input frame).
    """

    def __init__(self, size: Union[int, Sequence[int]] = 224, brow_margin: float = 0.5,
                 interpolation: str = 'cubic'):
        if isinstance(size, int):
            size = (size, size)
        self.size_hw = (int(size[0]), int(size[1]))
        if brow_margin < 0:
            raise ValueError(f'LandmarkFaceCrop: brow_margin must be >= 0, got {brow_margin}')
        if interpolation not in _INTERP:
            raise ValueError(f'LandmarkFaceCrop: interpolation must be one of {sorted(_INTERP)}')
        self.brow_margin = float(brow_margin)
        self.interpolation = interpolation

    def crop_box(self, landmarks: np.ndarray):
        lm = np.asarray(landmarks, dtype=np.float64)
        brows, eyes = lm[17:27], lm[36:48]
        eye_brow = max(eyes[:, 1].mean() - brows[:, 1].mean(), 0.0)
        x0, x1 = lm[:, 0].min(), lm[:, 0].max()
        y0 = brows[:, 1].min() - self.brow_margin * eye_brow
        y1 = lm[:, 1].max()
        return float(x0), float(y0), float(x1), float(y1)

    def transform(self, results: dict) -> dict:
        name, lm = _check(results, 'LandmarkFaceCrop')
        x0, y0, x1, y1 = self.crop_box(lm)
        if x1 - x0 < 2 or y1 - y0 < 2:
            raise ValueError(f'LandmarkFaceCrop: degenerate face box {(x0, y0, x1, y1)} '
                             f'for sample {name}')
        h, w = self.size_hw
        # Pixel-centre convention: box edges map to -0.5 and size - 0.5.
        sx, sy = w / (x1 - x0), h / (y1 - y0)
        matrix = np.array([[sx, 0.0, -0.5 - sx * x0],
                           [0.0, sy, -0.5 - sy * y0]])
        _warp_all(results, matrix, (w, h), self.interpolation, 'replicate')
        results['crop_box'] = (x0, y0, x1, y1)
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(size={self.size_hw}, brow_margin={self.brow_margin})')
