"""Face landmarks (dlib) and eye-line alignment of the key frames.

HTNet-style inputs start from dlib landmarks and aligned, face-cropped frames
(AHMSA-Net sec. 3.1: "we use the Dlib toolkit to locate facial landmarks and
crop the images accordingly ... perform facial alignment on these frames").
"""
import logging
import math

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from mmmer.registry import TRANSFORMS
from mmmer.utils.face import (centered_mean_shape, detect_face_and_landmarks,
                              eye_centers)
from .loading_frames import sample_name

__all__ = ['AlignCropFace', 'DetectFaceLandmarks', 'KEY_FRAME_NAMES', 'resolve_frame_index']


KEY_FRAME_NAMES = ('onset', 'apex', 'offset')


def resolve_frame_index(results: dict, frame, owner: str) -> int:
    """Index into ``results['frames']`` of ``frame``.

    Args:
        frame: an int index into the loaded frames, or the name of a key frame
            (``'onset'``, ``'apex'``, ``'offset'``). A name is looked up in
            ``frame_keys`` when the loader records them (``LoadApexFace``),
            else by frame number: the frame whose ``frame_ids`` entry equals
            ``results[frame]`` (``LoadKeyFrames`` loads ``keys=('onset',
            'apex')`` -> the apex is index 1). Two loaded frames with the same
            number are the same image, so the first match is used.
        owner: transform name for error messages.
    """
    name = sample_name(results)
    frames = results.get('frames')
    if not frames:
        raise KeyError(
            f'{owner}: sample {name} has no frames; put LoadKeyFrames (or '
            'LoadApexFace) before it in the pipeline.')
    if isinstance(frame, str):
        if frame not in KEY_FRAME_NAMES:
            raise ValueError(f'{owner}: frame {frame!r} is not one of {KEY_FRAME_NAMES} or an int')
        keys = results.get('frame_keys')
        if keys is not None:
            keys = list(keys)
            if frame in keys:
                return keys.index(frame)
            raise KeyError(f'{owner}: sample {name} loaded the frames {keys}, not the '
                           f'{frame}; load it (LoadKeyFrames keys=...).')
        ids, number = results.get('frame_ids'), results.get(frame)
        if ids is None or number is None:
            raise KeyError(
                f'{owner}: cannot tell which loaded frame of sample {name} is the '
                f'{frame} (needs frame_ids and {frame!r}); pass an int frame_index.')
        for i, n in enumerate(ids):
            if int(n) == int(number):
                return i
        raise KeyError(
            f'{owner}: the {frame} frame {number} of sample {name} is not among the '
            f'loaded frames {list(ids)}; add {frame!r} to LoadKeyFrames keys.')
    index = int(frame)
    if not -len(frames) <= index < len(frames):
        raise IndexError(
            f'{owner}: frame_index {index} but sample {name} has {len(frames)} frames.')
    return index


def _frame_file(results: dict, index: int) -> str:
    files = results.get('frame_files')
    if files is not None and -len(files) <= index < len(files):
        return files[index]
    ids = results.get('frame_ids')
    if ids is not None and -len(ids) <= index < len(ids):
        return f'frame number {ids[index]}'
    return f'frames[{index}]'


@TRANSFORMS.register_module()
class DetectFaceLandmarks(BaseTransform):
    """68 dlib landmarks of one key frame (by default the first loaded).

    HTNet and AHMSA-Net place their facial regions on the apex frame: use
    ``frame_index='apex'`` there (see :func:`resolve_frame_index`).

    Required keys: ``frames``. Added keys: ``landmarks`` ((68, 2) float32,
    (x, y) pixels), ``landmarks_shape`` ((H, W) of the frame they refer to),
    ``face_box`` (float32 (x0, y0, x1, y1)) and ``face_fallback`` (bool).

    Args:
        frame_index: index into ``frames`` of the frame to detect on, or a
            key-frame name (``'apex'``, ``'onset'``, ``'offset'``).
        upsample: dlib upsampling steps (1 finds faces of about 40 px).
        on_failure: what to do when dlib finds no face. ``'error'`` raises a
            RuntimeError naming the sample and frame file. ``'center_fallback'``
            places dlib's own mean shape (read from the model file, see
            :func:`mmmer.utils.face.dlib_mean_shape`) in a centred square box of
            side ``fallback_box_fraction * min(H, W)``, logs a warning naming
            the sample and sets ``face_fallback=True`` so callers can count
            such samples. This suits the datasets' pre-cropped face frames,
            where the face fills the frame.
        fallback_box_fraction: box side of the fallback, as a fraction of the
            shorter image side.
    """

    def __init__(self, frame_index: int = 0, upsample: int = 1,
                 on_failure: str = 'error',
                 fallback_box_fraction: float = 0.7):
        if on_failure not in ('error', 'center_fallback'):
            raise ValueError(
                "DetectFaceLandmarks: on_failure must be 'error' or "
                f"'center_fallback', got {on_failure!r}")
        if not 0 < fallback_box_fraction <= 1:
            raise ValueError('fallback_box_fraction must be in (0, 1]')
        if isinstance(frame_index, str) and frame_index not in KEY_FRAME_NAMES:
            raise ValueError(f'DetectFaceLandmarks: frame_index must be an int or one of '
                             f'{KEY_FRAME_NAMES}, got {frame_index!r}')
        self.frame_index = frame_index if isinstance(frame_index, str) else int(frame_index)
        self.upsample = int(upsample)
        self.on_failure = on_failure
        self.fallback_box_fraction = float(fallback_box_fraction)

    def transform(self, results: dict) -> dict:
        name = sample_name(results)
        index = resolve_frame_index(results, self.frame_index, type(self).__name__)
        image = results['frames'][index]
        found = detect_face_and_landmarks(image, self.upsample)
        fallback = found is None
        if fallback:
            where = _frame_file(results, index)
            if self.on_failure == 'error':
                raise RuntimeError(
                    f'DetectFaceLandmarks: dlib found no face in {where} of '
                    f'sample {name} (image {image.shape[1]}x{image.shape[0]}). '
                    'Increase upsample, or use '
                    "on_failure='center_fallback' for pre-cropped faces.")
            print_log(
                f'DetectFaceLandmarks: no face found in {where} of sample '
                f'{name}; using the dlib mean shape in a centred box '
                f'({self.fallback_box_fraction:.2f} of the shorter side).',
                logger='current', level=logging.WARNING)
            found = centered_mean_shape(image.shape[0], image.shape[1],
                                        self.fallback_box_fraction)
        box, landmarks = found
        results['landmarks'] = landmarks
        results['landmarks_shape'] = tuple(image.shape[:2])
        results['face_box'] = box
        results['face_fallback'] = fallback
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(frame_index={self.frame_index}, '
                f'upsample={self.upsample}, on_failure={self.on_failure!r})')


@TRANSFORMS.register_module()
class AlignCropFace(BaseTransform):
    """Rotate the eye line to horizontal, crop a square face box, resize.

    One similarity transform is computed from ``landmarks`` and applied to every
    frame in ``frames`` (so onset and apex stay registered, which the optical
    flow needs) and to ``landmarks``:

    1. rotation about the landmark-box centre by the angle of the line from the
       image-left eye centre (mean of landmarks 36-41) to the image-right eye
       centre (mean of 42-47), making that line horizontal (if ``rotate``);
    2. the axis-aligned box of the rotated landmarks, grown by ``margin`` times
       its longer side on each side, then squared about its centre;
    3. scaling of that square to ``size`` x ``size``.

    Pixels outside the source frame replicate its border, so a face near the
    frame edge gets no artificial black band in the crop.

    Required keys: ``frames``, ``landmarks``, ``landmarks_shape``.
    Modified keys: ``frames``, ``landmarks``, ``landmarks_shape``,
    ``img_shape``. Added keys: ``align_matrix`` (2x3 float64 affine mapping
    source (x, y) to aligned (x, y)), ``eye_angle`` (degrees removed).

    Args:
        size: output side in pixels (int) or (width, height).
        margin: fraction of the landmark box's longer side added on each side;
            a float, or a 4-tuple (left, top, right, bottom). The default 0.15
            keeps the brows, a strip of forehead and the chin, where the
            AU1/2/4 and AU26 motions happen.
        rotate: apply the eye-line rotation (otherwise only crop and scale).
        interpolation: 'linear' (default), 'cubic' or 'nearest'.
    """

    # cv2.warpAffine has no area averaging, so 'area' is not offered.
    _INTERP = dict(linear=cv2.INTER_LINEAR, cubic=cv2.INTER_CUBIC,
                   nearest=cv2.INTER_NEAREST)

    def __init__(self, size=224, margin=0.15, rotate: bool = True,
                 interpolation: str = 'linear'):
        if isinstance(size, int):
            size = (size, size)
        self.size = tuple(int(s) for s in size)
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f'AlignCropFace: bad size {size}')
        if isinstance(margin, (int, float)):
            margin = (float(margin), ) * 4
        self.margin = tuple(float(m) for m in margin)
        if len(self.margin) != 4 or min(self.margin) <= -0.5:
            raise ValueError(
                f'AlignCropFace: margin must be a float or 4 floats > -0.5, got {margin}')
        if interpolation not in self._INTERP:
            raise ValueError(f'AlignCropFace: interpolation must be one of {sorted(self._INTERP)}')
        self.rotate = bool(rotate)
        self.interpolation = interpolation

    def compute_matrix(self, landmarks: np.ndarray):
        """2x3 affine from source pixels to the aligned crop, and the angle."""
        pts = np.asarray(landmarks, dtype=np.float64)
        left_eye, right_eye = eye_centers(pts)
        angle = 0.0
        if self.rotate:
            dx, dy = right_eye - left_eye
            angle = math.degrees(math.atan2(dy, dx))
        centre = (pts.min(0) + pts.max(0)) / 2.0
        # cv2 rotates counter-clockwise for positive angles in image display;
        # with y pointing down, rotating by +angle removes a line sloping down
        # to the right by `angle` degrees.
        rot = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])),
                                      angle, 1.0)
        rotated = pts @ rot[:, :2].T + rot[:, 2]
        lo, hi = rotated.min(0), rotated.max(0)
        extent = float(max(hi - lo))
        if extent <= 0:
            raise ValueError('degenerate landmarks (zero extent)')
        ml, mt, mr, mb = self.margin
        x0, y0 = lo[0] - ml * extent, lo[1] - mt * extent
        x1, y1 = hi[0] + mr * extent, hi[1] + mb * extent
        side = max(x1 - x0, y1 - y0)
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        out_w, out_h = self.size
        # Square box of `side` pixels onto out_w x out_h. Coordinates are
        # pixel-centred (pixel i spans i-0.5..i+0.5), so the box edges go to
        # the output edges -0.5 and out-0.5 and the centres correspond.
        sx, sy = out_w / side, out_h / side
        crop = np.array([[sx, 0.0, out_w / 2.0 - 0.5 - sx * cx],
                         [0.0, sy, out_h / 2.0 - 0.5 - sy * cy]])
        full = crop[:, :2] @ rot
        full[:, 2] += crop[:, 2]
        return full, angle

    def transform(self, results: dict) -> dict:
        name = sample_name(results)
        for k in ('frames', 'landmarks'):
            if k not in results:
                raise KeyError(
                    f'AlignCropFace: sample {name} lacks {k!r}; run '
                    'LoadKeyFrames and DetectFaceLandmarks first.')
        frames = results['frames']
        lm_shape = tuple(results.get('landmarks_shape', frames[0].shape[:2]))
        for f in frames:
            if tuple(f.shape[:2]) != lm_shape:
                raise ValueError(
                    f'AlignCropFace: sample {name} has a frame of size '
                    f'{f.shape[:2]} but landmarks refer to {lm_shape}; align '
                    'before any resize.')
        try:
            matrix, angle = self.compute_matrix(results['landmarks'])
        except ValueError as e:
            raise ValueError(f'AlignCropFace: sample {name}: {e}') from e
        flags = self._INTERP[self.interpolation]
        results['frames'] = [
            cv2.warpAffine(f, matrix, self.size, flags=flags,
                           borderMode=cv2.BORDER_REPLICATE) for f in frames
        ]
        pts = np.asarray(results['landmarks'], dtype=np.float64)
        results['landmarks'] = (pts @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)
        out_w, out_h = self.size
        results['landmarks_shape'] = (out_h, out_w)
        results['img_shape'] = (out_h, out_w)
        results['align_matrix'] = matrix
        results['eye_angle'] = angle
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(size={self.size}, margin={self.margin}, '
                f'rotate={self.rotate})')
