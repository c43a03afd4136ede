"""HTNet's facial-region points: MTCNN on the apex face shrunk to 28x28.

In "HTNet for micro-expression recognition" (Z. Wang, K. Zhang, W. Luo,
R. Sankaranarayana, Neurocomputing 2024) the network sees four 14x14 crops of
the 28x28 flow map, centred on the eyes and mouth corners. The official code
finds those points as follows, and :class:`HTNetOfficialPoints` reproduces
it step by step:

1. the apex face image (224x224 in the published 3DB data) is read with
   OpenCV, i.e. in **BGR** channel order, as uint8;
2. it is resized to 28x28 with ``cv2.INTER_AREA``;
3. facenet-pytorch's MTCNN (``margin=0, image_size=28, select_largest=True,
   post_process=False``) runs ``detect(..., landmarks=True)`` on it, still in
   BGR although MTCNN was trained on RGB; mmmer's own
   :class:`~mmmer.utils.mtcnn.MTCNNDetector` gives the same boxes and
   points;
4. the five points of the first (largest) face are used; without a face,
   five constant points (:data:`~.regions.HTNET_FALLBACK_POINTS`);
5. every coordinate is clamped to [7, 21] and truncated to int, and crop k
   is ``flow[x_k-7:x_k+7, y_k-7:y_k+7]`` (rows indexed by x).

Steps 1-4 are this transform; step 5 is :class:`~.regions.FacialRegionTiles`
(its defaults are the official rule), which reads the points from
``five_points``.
"""
import logging

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from mmmer.registry import TRANSFORMS
from .alignment import KEY_FRAME_NAMES, _frame_file, resolve_frame_index
from .loading_frames import sample_name
from .regions import HTNET_FALLBACK_POINTS, HTNET_MAP_SIZE, rescale_points

__all__ = ['HTNetOfficialPoints']


@TRANSFORMS.register_module()
class HTNetOfficialPoints(BaseTransform):
    """Five facial points of the apex face by HTNet's official rule (MTCNN).

    Required keys: ``frames`` (HxWx3 uint8 RGB, mmmer's convention) and what
    :func:`~.alignment.resolve_frame_index` needs to find ``frame_index``.
    Added keys: ``five_points`` ((5, 2) (x, y) in the ``size`` x
    ``size`` detection image: left eye, right eye, nose, mouth left, mouth
    right; float64), ``five_points_shape`` (``(size, size)``), ``landmark_fallback``
    (True when MTCNN found no face and the constant points were used),
    ``mtcnn_box`` ((4,) float32, NaN without a face), ``mtcnn_prob``.
    Modified keys: ``face_fallback`` is set True on a fallback (kept True if an
    earlier detector set it), so the preprocessing cache counts and names
    these samples like dlib's.

    Args:
        frame_index: the frame to detect on: ``'apex'`` (default; HTNet uses
            the apex), another key-frame name, or an int index.
        size: side of the shrunken detection image (official: 28).
        channel_order: ``'bgr'`` (default) feeds MTCNN the BGR image as the
            official code does; ``'rgb'`` feeds the order MTCNN was trained
            on (finds faces more often; not the official points).
        on_missing: ``'fallback'`` (official: constant points) or
            ``'error'`` (raise, naming the sample and the file).
        detector: keyword arguments of
            :class:`~mmmer.utils.mtcnn.MTCNNDetector` (default: facenet-pytorch's
            defaults, min face 20, thresholds (0.6, 0.7, 0.7), factor 0.709,
            largest face first).
    """

    def __init__(self, frame_index='apex', size: int = HTNET_MAP_SIZE,
                 channel_order: str = 'bgr', on_missing: str = 'fallback',
                 detector: dict = None):
        if isinstance(frame_index, str) and frame_index not in KEY_FRAME_NAMES:
            raise ValueError(f'HTNetOfficialPoints: frame_index must be an int or one of '
                             f'{KEY_FRAME_NAMES}, got {frame_index!r}')
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"HTNetOfficialPoints: channel_order must be 'bgr' or 'rgb', "
                             f'got {channel_order!r}')
        if on_missing not in ('fallback', 'error'):
            raise ValueError(f"HTNetOfficialPoints: on_missing must be 'fallback' or "
                             f"'error', got {on_missing!r}")
        if int(size) < 12:
            raise ValueError(f'HTNetOfficialPoints: size must be >= 12 (MTCNN window), got {size}')
        self.frame_index = frame_index if isinstance(frame_index, str) else int(frame_index)
        self.size = int(size)
        self.channel_order = channel_order
        self.on_missing = on_missing
        self.detector = dict(detector or {})

    def small_image(self, image: np.ndarray) -> np.ndarray:
        """The image MTCNN sees: uint8, ``size`` x ``size`` INTER_AREA, channel order."""
        image = np.asarray(image)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'expected an HxWx3 image, got shape {image.shape}')
        if image.dtype != np.uint8:
            image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
        small = cv2.resize(np.ascontiguousarray(image), (self.size, self.size),
                           interpolation=cv2.INTER_AREA)
        if self.channel_order == 'bgr':  # frames are RGB; area resizing is per channel
            small = small[..., ::-1]
        return np.ascontiguousarray(small)

    def transform(self, results: dict) -> dict:
        from mmmer.utils.mtcnn import get_mtcnn_detector
        owner = type(self).__name__
        index = resolve_frame_index(results, self.frame_index, owner)
        try:
            small = self.small_image(results['frames'][index])
        except ValueError as e:
            raise ValueError(f'{owner}: sample {sample_name(results)}: {e}') from e
        found = get_mtcnn_detector(**self.detector).detect(small)
        fallback = len(found) == 0
        if fallback:
            where = _frame_file(results, index)
            if self.on_missing == 'error':
                raise RuntimeError(
                    f'{owner}: MTCNN found no face in {where} of sample '
                    f'{sample_name(results)} at {self.size}x{self.size}; use '
                    "on_missing='fallback' for HTNet's constant points.")
            print_log(f'{owner}: MTCNN found no face in {where} of sample '
                      f'{sample_name(results)} at {self.size}x{self.size}; using '
                      "HTNet's constant points.", logger='current', level=logging.INFO)
            points = rescale_points(HTNET_FALLBACK_POINTS, (HTNET_MAP_SIZE, ) * 2,
                                    (self.size, ) * 2)
            box, prob = np.full(4, np.nan, np.float32), float('nan')
        else:
            points, box, prob = found.points[0], found.boxes[0], float(found.probs[0])
        # float64 holds MTCNN's float32 points and the constants exactly.
        results['five_points'] = np.asarray(points, dtype=np.float64)
        results['five_points_shape'] = (self.size, self.size)
        results['landmark_fallback'] = fallback
        results['face_fallback'] = bool(results.get('face_fallback')) or fallback
        results['mtcnn_box'] = np.asarray(box, dtype=np.float32)
        results['mtcnn_prob'] = prob
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(frame_index={self.frame_index!r}, size={self.size}, '
                f'channel_order={self.channel_order!r}, on_missing={self.on_missing!r}, '
                f'detector={self.detector})')
