"""OpenFace-template face alignment and landmark-based face crop (EDMDBN).

"Entire-detail motion dual-branch network for micro-expression recognition"
(Ma et al., Pattern Recognition Letters 2025), Sec. 3.1 and 4.3: dlib
landmarks are detected on the first frame; the left outer eye corner, right
outer eye corner and nose tip are matched to the same points of the OpenFace
template face, giving one affine transform that is applied to every frame;
then a crop box from the chin, eyebrow and eye landmarks is cut and resized
to H x W.

Facts used (numbers, not code): the template is the 68-point mean face of
CMU OpenFace (``openface/align_dlib.py``), min-max normalised to [0, 1] over
all 68 points, and its "outer eyes and nose" triple is dlib landmarks
36 (image-left outer eye corner), 45 (image-right outer eye corner) and 33
(nose bottom / tip); an output of side S maps those points to
``S * template``. The crop rule of the paper is the one of the authors'
preprocessing (brow/eye x extremes, chin points 7-9, top = eye line - 0.45
x the inter-ocular distance; :func:`paper_crop_box`). Where mmmer differs
from the authors' pipeline is listed in ``docs/methods/edmdbn.md``.
"""
from typing import Sequence, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmmer.registry import TRANSFORMS

from .loading_frames import sample_name

__all__ = ['OpenFaceAlignment', 'LandmarkFaceCrop', 'openface_template',
           'paper_crop_box', 'extremes_crop_box', 'brow_jaw_crop_box', 'CROP_MODES']

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


#: Face-box rules of :class:`LandmarkFaceCrop` (dlib 68-point indices).
CROP_MODES = ('paper', 'extremes', 'brow_jaw')


def paper_crop_box(landmarks: np.ndarray, top_factor: float = 0.45):
    """The EDMDBN face box from chin, eyebrow and eye landmarks (Sec. 3.1).

    - left: the smallest x of the image-left eyebrow (17-21) and eye (36-41);
    - right: the largest x of the image-right eyebrow (22-26) and eye (42-47);
    - bottom: the mean y of the three lowest chin points 7, 8, 9;
    - top: the mean y of the outer eye corners 36 and 45 minus
      ``top_factor`` times their distance (the inter-ocular distance, IOD),
      which keeps a strip of forehead above the brows (AU1/AU2/AU4).

    This is the geometry of the preprocessing the authors' code documents
    for the paper (the ``dlib_crop_face_v3`` rule of its helper package).
    Returns ``(x0, y0, x1, y1)`` before any clipping.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    x0 = min(lm[17:22, 0].min(), lm[36:42, 0].min())
    x1 = max(lm[22:27, 0].max(), lm[42:48, 0].max())
    y1 = lm[7:10, 1].mean()
    left_eye, right_eye = lm[36], lm[45]
    iod = float(np.hypot(*(right_eye - left_eye)))
    y0 = 0.5 * (left_eye[1] + right_eye[1]) - top_factor * iod
    return float(x0), float(y0), float(x1), float(y1)


def extremes_crop_box(landmarks: np.ndarray, brow_margin: float = 0.5):
    """All-landmark extremes, top raised by ``brow_margin`` x eye-brow gap.

    left / right = the extreme x of the 68 landmarks (jaw line), bottom = the
    lowest landmark, top = the highest eyebrow point (17-26) minus
    ``brow_margin`` times (mean y of the eye points 36-47 minus mean y of the
    brow points 17-26). Close to the classic "crop once" dlib rule.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    brows, eyes = lm[17:27], lm[36:48]
    eye_brow = max(eyes[:, 1].mean() - brows[:, 1].mean(), 0.0)
    y0 = brows[:, 1].min() - brow_margin * eye_brow
    return float(lm[:, 0].min()), float(y0), float(lm[:, 0].max()), float(lm[:, 1].max())


def brow_jaw_crop_box(landmarks: np.ndarray, top_margin_px: float = 10.0):
    """Brow-end x range, jaw-middle bottom (the authors' "more ROI" crop).

    left = x of point 17, right = x of point 26 (outer brow ends), top = the
    highest landmark minus ``top_margin_px`` pixels, bottom = the mean y of
    jaw points 5 and 11 (cuts the chin off).
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    return (float(lm[17, 0]), float(lm[:, 1].min() - top_margin_px),
            float(lm[26, 0]), float(0.5 * (lm[5, 1] + lm[11, 1])))


@TRANSFORMS.register_module()
class LandmarkFaceCrop(BaseTransform):
    """Cut a face box found from landmarks out of every frame and resize it.

    "Entire-detail motion dual-branch network for micro-expression
    recognition" (Ma et al., Pattern Recognition Letters 2025), Sec. 3.1:
    after the alignment, "based on the coordinates of keypoints on the chin,
    eyebrows, and eyes, the cropping boundary is determined", then the crop
    is resized to H x W (aspect ratio not kept). One box, from the landmarks
    of the detection frame, is used for all frames, so the motion between
    them is kept.

    Modes (``mode``):

    - ``'paper'`` (default): :func:`paper_crop_box`, brow/eye x extremes,
      chin points 7-9, top = eye line - ``top_factor`` (0.45) x IOD;
    - ``'extremes'``: :func:`extremes_crop_box`, all-landmark box with
      ``brow_margin`` (mmmer's earlier default);
    - ``'brow_jaw'``: :func:`brow_jaw_crop_box`, ``top_margin_px``.

    With ``clip_to_frame`` (default) the box is first limited to the
    landmark extremes and then to the frame, as the authors' script does, so
    no border pixels are invented; otherwise out-of-frame pixels replicate
    the border.

    Required keys: ``frames``, ``landmarks``. Modified keys: ``frames``,
    ``landmarks``, ``landmarks_shape``, ``img_shape``. Added keys:
    ``crop_box`` ((x0, y0, x1, y1) float, in the input frame).

    Args:
        size (int | tuple): output (H, W) or side.
        mode (str): one of :data:`CROP_MODES`.
        top_factor (float): ``'paper'`` mode: IOD multiple above the eyes.
        brow_margin (float): ``'extremes'`` mode: eye-brow gaps above brows.
        top_margin_px (float): ``'brow_jaw'`` mode: pixels above the top.
        clip_to_frame (bool): limit the box to the landmarks and the frame.
        interpolation (str): 'cubic' (default), 'linear', 'nearest', 'area'.
    """

    def __init__(self, size: Union[int, Sequence[int]] = 224, mode: str = 'paper',
                 top_factor: float = 0.45, brow_margin: float = 0.5,
                 top_margin_px: float = 10.0, clip_to_frame: bool = True,
                 interpolation: str = 'cubic'):
        if isinstance(size, int):
            size = (size, size)
        self.size_hw = (int(size[0]), int(size[1]))
        if mode not in CROP_MODES:
            raise ValueError(f'LandmarkFaceCrop: mode must be one of {CROP_MODES}, got {mode!r}')
        for name, value in (('top_factor', top_factor), ('brow_margin', brow_margin),
                            ('top_margin_px', top_margin_px)):
            if value < 0:
                raise ValueError(f'LandmarkFaceCrop: {name} must be >= 0, got {value}')
        if interpolation not in _INTERP:
            raise ValueError(f'LandmarkFaceCrop: interpolation must be one of {sorted(_INTERP)}')
        self.mode = mode
        self.top_factor = float(top_factor)
        self.brow_margin = float(brow_margin)
        self.top_margin_px = float(top_margin_px)
        self.clip_to_frame = bool(clip_to_frame)
        self.interpolation = interpolation

    def crop_box(self, landmarks: np.ndarray, frame_hw=None):
        """``(x0, y0, x1, y1)`` for these landmarks (and frame (H, W))."""
        lm = np.asarray(landmarks, dtype=np.float64)
        if self.mode == 'paper':
            x0, y0, x1, y1 = paper_crop_box(lm, self.top_factor)
        elif self.mode == 'extremes':
            x0, y0, x1, y1 = extremes_crop_box(lm, self.brow_margin)
        else:
            x0, y0, x1, y1 = brow_jaw_crop_box(lm, self.top_margin_px)
        if self.clip_to_frame:
            x0, x1 = max(x0, lm[:, 0].min()), min(x1, lm[:, 0].max())
            y1 = min(y1, lm[:, 1].max())
            if frame_hw is not None:
                h, w = frame_hw
                x0, y0 = max(x0, 0.0), max(y0, 0.0)
                x1, y1 = min(x1, float(w)), min(y1, float(h))
        return float(x0), float(y0), float(x1), float(y1)

    def transform(self, results: dict) -> dict:
        name, lm = _check(results, 'LandmarkFaceCrop')
        frame_hw = np.asarray(results['frames'][0]).shape[:2]
        x0, y0, x1, y1 = self.crop_box(lm, frame_hw)
        if x1 - x0 < 2 or y1 - y0 < 2:
            raise ValueError(
                f'LandmarkFaceCrop: degenerate face box {(x0, y0, x1, y1)} for sample '
                f'{name} (mode {self.mode!r}); the landmarks are probably wrong: check '
                'the detection (DetectFaceLandmarks) on its first key frame.')
        h, w = self.size_hw
        # Pixel-centre convention: box edges map to -0.5 and size - 0.5.
        sx, sy = w / (x1 - x0), h / (y1 - y0)
        matrix = np.array([[sx, 0.0, -0.5 - sx * x0],
                           [0.0, sy, -0.5 - sy * y0]])
        _warp_all(results, matrix, (w, h), self.interpolation, 'replicate')
        results['crop_box'] = (x0, y0, x1, y1)
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(size={self.size_hw}, mode={self.mode!r}, '
                f'top_factor={self.top_factor}, brow_margin={self.brow_margin}, '
                f'top_margin_px={self.top_margin_px}, clip_to_frame={self.clip_to_frame})')
