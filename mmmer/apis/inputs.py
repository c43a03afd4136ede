"""What people have to run a model on: frame files, arrays, a video, a folder.

Every reader returns BGR uint8 HxWx3 frames (OpenCV's order; grayscale and
16-bit frames are converted exactly as the dataset loader
:class:`~mmmer.datasets.transforms.LoadKeyFrames` converts them) and every
problem is an :class:`InferenceInputError` (a ``ValueError``) or an
:class:`InferenceFileError` (a ``FileNotFoundError``) whose message names the
file or frame and what to do.

When only the onset and offset of a clip are known, :func:`estimate_apex`
picks the apex as the frame whose dense optical flow against the onset has the
largest mean magnitude once the global (head) translation, the median flow
vector, is removed (a heuristic: the apex is the frame of the largest
displacement from the neutral onset, which holds for one expression per clip
without large head rotation).
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from mmmer.utils.errors import MMMERUserError

__all__ = ['InferenceInputError', 'InferenceFileError', 'FrameSource', 'load_frame',
           'check_key_frame_order', 'read_video_frames', 'folder_frames',
           'estimate_apex', 'flow_magnitude_profile']

FrameSource = Union[str, np.ndarray]


class InferenceInputError(ValueError, MMMERUserError):
    """An inference input (frame, video, index) is unusable; the message says why."""


class InferenceFileError(FileNotFoundError, MMMERUserError):
    """An inference input file or folder does not exist."""


def _to_bgr_uint8(img: np.ndarray, what: str) -> np.ndarray:
    """The conversions of the dataset loader: 16-bit -> top byte, gray/BGRA -> BGR."""
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise InferenceInputError(
            f'{what}: pixel type {img.dtype} is not supported; pass 8-bit BGR '
            'images (uint8, HxWx3) as OpenCV reads them.')
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    elif img.ndim == 3 and img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3:
        raise InferenceInputError(
            f'{what}: expected an HxW or HxWx3 image, got shape {img.shape}.')
    return np.ascontiguousarray(img)


def load_frame(src: FrameSource, role: str = 'frame') -> np.ndarray:
    """One key frame as BGR uint8 from a file path or an array.

    Args:
        src: an image file path, or a BGR uint8 array (HxWx3, or HxW gray).
        role: ``'onset'``, ``'apex'``, ... for the error messages.
    """
    if isinstance(src, np.ndarray):
        return _to_bgr_uint8(src, f'the {role} array')
    if not isinstance(src, (str, bytes)) and not hasattr(src, '__fspath__'):
        raise InferenceInputError(
            f'the {role} frame must be an image path or a BGR uint8 array, got '
            f'{type(src).__name__}.')
    path = str(src)
    if not osp.isfile(path):
        raise InferenceFileError(
            f'the {role} frame file {path} does not exist; check the path.')
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise InferenceInputError(
            f'cannot decode the {role} frame {path}: the file is empty, damaged or '
            'not an image (use JPEG, PNG, BMP or TIFF).')
    return _to_bgr_uint8(img, f'the {role} frame {path}')


def check_key_frame_order(onset: int, apex: int, offset: Optional[int] = None,
                          where: str = 'the clip') -> None:
    """onset < apex (<= offset); the key frames are frame indices/numbers."""
    for name, value in (('onset', onset), ('apex', apex), ('offset', offset)):
        if value is not None and int(value) < 0:
            raise InferenceInputError(f'{where}: the {name} frame {value} is negative.')
    if int(onset) >= int(apex):
        raise InferenceInputError(
            f'{where}: the onset frame {onset} is not before the apex frame {apex}; '
            'the onset is the neutral frame where the expression starts and must come '
            'first (swapped arguments?).')
    if offset is not None and int(offset) < int(apex):
        raise InferenceInputError(
            f'{where}: the offset frame {offset} comes before the apex frame {apex}; '
            'the offset is where the expression ends.')


def read_video_frames(video: str, indices: Sequence[int]) -> Dict[int, np.ndarray]:
    """Frames ``indices`` (0-based) of a video file, decoded with OpenCV.

    The video is read sequentially up to the largest index (seeking by frame
    number is not exact for every codec).
    """
    video = str(video)
    if not osp.isfile(video):
        raise InferenceFileError(f'the video file {video} does not exist; check the path.')
    wanted = sorted({int(i) for i in indices})
    if wanted and wanted[0] < 0:
        raise InferenceInputError(f'{video}: frame index {wanted[0]} is negative.')
    cap = cv2.VideoCapture(video)
    if not cap.isOpened():
        raise InferenceInputError(
            f'OpenCV cannot open the video {video} (unknown container/codec or a '
            'damaged file); convert it, e.g. `ffmpeg -i IN -c:v mjpeg OUT.avi`, or '
            'extract the frames to a folder and use --frames-dir.')
    frames, index = {}, 0
    try:
        while wanted and index <= wanted[-1]:
            ok, frame = cap.read()
            if not ok:
                break
            if index in wanted:
                frames[index] = _to_bgr_uint8(frame, f'{video} frame {index}')
            index += 1
    finally:
        cap.release()
    missing = [i for i in wanted if i not in frames]
    if missing:
        raise InferenceInputError(
            f'the video {video} has only {index} readable frames (0..{index - 1}) but '
            f'frame {missing[0]} was requested; frame indices are 0-based, check '
            'the onset/apex/offset frame numbers.')
    return frames


def folder_frames(folder: str, indices: Sequence[int],
                  by: str = 'number') -> Dict[int, str]:
    """Paths of frames ``indices`` in a folder of frame images.

    Args:
        by: ``'number'``: an index is the frame number in the file name (the
            last run of digits, as the dataset parsers read it, e.g.
            ``reg_img46.jpg`` -> 46); ``'position'``: the 0-based position in
            the numerically sorted file list.
    """
    from mmmer.datasets.annotation.frames import list_frames
    folder = str(folder)
    if not osp.isdir(folder):
        raise InferenceFileError(f'the frames folder {folder} does not exist.')
    try:
        listed = list_frames(folder)
    except MMMERUserError as e:
        raise InferenceInputError(str(e)) from e
    if not listed:
        raise InferenceInputError(f'the frames folder {folder} holds no image files '
                                  '(.jpg, .png, .bmp, .tif) with a frame number.')
    if by == 'number':
        table = dict(listed)
    elif by == 'position':
        table = {i: p for i, (_, p) in enumerate(listed)}
    else:
        raise ValueError(f"by must be 'number' or 'position', got {by!r}")
    out = {}
    for i in indices:
        if int(i) not in table:
            raise InferenceInputError(
                f'the frames folder {folder} has no frame {i} (frames '
                f'{min(table)}..{max(table)} by {by}, {len(table)} files).')
        out[int(i)] = table[int(i)]
    return out


def _gray(img: np.ndarray, max_side: int) -> np.ndarray:
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    scale = max_side / max(gray.shape[:2])
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return gray


def flow_magnitude_profile(frames: Sequence[np.ndarray], max_side: int = 256,
                           border: float = 0.1) -> np.ndarray:
    """Mean optical-flow magnitude of every frame against ``frames[0]``.

    Farneback flow (OpenCV, pyramid 3 levels, window 15) on the grayscale
    frames shrunk to at most ``max_side`` pixels; a ``border`` fraction of
    each side is left out (flow at image borders is unreliable). The median
    flow vector (the global head translation) is subtracted before the
    magnitude is averaged, so a small head drift does not outweigh the local
    facial motion (on the synthetic clips, whose heads jitter by up to 0.5 px,
    the uncompensated mean was up to 7 frames off the true apex).
    """
    ref = _gray(frames[0], max_side)
    h, w = ref.shape
    by, bx = int(border * h), int(border * w)
    out = np.zeros(len(frames))
    for i, f in enumerate(frames[1:], start=1):
        cur = _gray(f, max_side)
        if cur.shape != ref.shape:
            raise InferenceInputError(
                f'frame {i} of the clip has size {f.shape[:2]}, the onset '
                f'{frames[0].shape[:2]}; every frame of a clip must have one size.')
        flow = cv2.calcOpticalFlowFarneback(ref, cur, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        flow = flow[by:h - by, bx:w - bx]
        flow = flow - np.median(flow.reshape(-1, 2), axis=0)
        mag = np.linalg.norm(flow, axis=2)
        out[i] = float(mag.mean())
    return out


def estimate_apex(frames: Sequence[FrameSource], onset_index: int = 0,
                  offset_index: Optional[int] = None, **kwargs) -> Tuple[int, np.ndarray]:
    """Estimate the apex of a clip whose onset and offset are known.

    The heuristic: the apex is the frame of peak mean optical-flow magnitude
    against the onset (:func:`flow_magnitude_profile`), searched strictly
    after the onset and up to the offset.

    Args:
        frames: the clip's frames in time order (paths or BGR arrays).
        onset_index, offset_index: positions in ``frames`` (default: the
            first and the last frame).

    Returns:
        ``(apex_index, magnitudes)``: the position in ``frames`` and the
        per-frame mean magnitude from the onset to the offset (index 0 = onset).
    """
    frames = list(frames)
    offset_index = len(frames) - 1 if offset_index is None else int(offset_index)
    onset_index = int(onset_index)
    if not 0 <= onset_index < offset_index < len(frames):
        raise InferenceInputError(
            f'estimate_apex: need 0 <= onset < offset < {len(frames)} frames, got onset '
            f'{onset_index} and offset {offset_index}.')
    imgs = [load_frame(f, f'frame {i}') for i, f in
            enumerate(frames[onset_index:offset_index + 1], start=onset_index)]
    mags = flow_magnitude_profile(imgs, **kwargs)
    return onset_index + int(np.argmax(mags[1:])) + 1, mags


def frames_to_list(frames: Dict[int, np.ndarray]) -> List[np.ndarray]:
    return [frames[k] for k in sorted(frames)]
