"""Load the key frames (onset, apex, offset) of a micro-expression clip."""
import os.path as osp

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmmer.registry import TRANSFORMS

_KEY_NAMES = ('onset', 'apex', 'offset')


def sample_name(results: dict) -> str:
    """``subject/clip`` of a sample, for error messages."""
    return f'{results.get("subject", "?")}/{results.get("clip", "?")}'


@TRANSFORMS.register_module()
class LoadKeyFrames(BaseTransform):
    """Read the annotated key frames of one clip as RGB arrays.

    Key frames are named by frame *number* (as in the dataset annotation), and
    looked up in ``frame_numbers`` to find the file. Grayscale frames (SAMM) are
    repeated to three channels so every dataset yields HxWx3.

    Required keys: ``frame_paths``, ``frame_numbers``, ``onset``, ``apex``,
    ``offset`` (and ``subject``/``clip`` for messages).
    Added keys: ``frames`` (list of HxWx3 uint8, in ``keys`` order),
    ``frame_ids`` (their frame numbers), ``frame_files`` (their paths),
    ``img_shape`` and ``ori_shape`` ((H, W) of the frames).

    Args:
        keys: which annotated frames to load, any of 'onset', 'apex', 'offset'.
        color: 'rgb' (default) or 'bgr' channel order of ``frames``.

    Raises:
        FileNotFoundError: a key frame number has no file, or the file is gone.
        ValueError: the apex is outside [onset, offset], a file cannot be
            decoded, or the key frames differ in size.
    """

    def __init__(self, keys=('onset', 'apex'), color: str = 'rgb'):
        keys = (keys, ) if isinstance(keys, str) else tuple(keys)
        bad = [k for k in keys if k not in _KEY_NAMES]
        if not keys or bad:
            raise ValueError(
                f'LoadKeyFrames: keys must be a non-empty subset of '
                f'{_KEY_NAMES}, got {keys}')
        if color not in ('rgb', 'bgr'):
            raise ValueError(f"LoadKeyFrames: color must be 'rgb' or 'bgr', got {color!r}")
        self.keys = keys
        self.color = color

    @staticmethod
    def _read(path: str, name: str) -> np.ndarray:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'LoadKeyFrames: frame file {path} of sample {name} does not '
                'exist; check the dataset root and re-extract the frames.')
        # imdecode of the raw bytes also works for non-ASCII paths, where
        # cv2.imread silently returns None on some platforms.
        data = np.fromfile(path, dtype=np.uint8)
        img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
        if img is None:
            raise ValueError(
                f'LoadKeyFrames: cannot decode image {path} of sample {name} '
                '(empty or corrupt file); replace it from the original dataset.')
        if img.dtype == np.uint16:
            # 16-bit frames: keep the top byte so all datasets share uint8.
            img = (img >> 8).astype(np.uint8)
        elif img.dtype != np.uint8:
            raise ValueError(
                f'LoadKeyFrames: unsupported pixel type {img.dtype} in {path} '
                f'of sample {name}; convert the frames to 8-bit.')
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        elif img.shape[2] == 4:
            img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
        elif img.shape[2] == 1:
            img = np.repeat(img, 3, axis=2)
        return img

    def transform(self, results: dict) -> dict:
        name = sample_name(results)
        for k in ('frame_paths', 'frame_numbers', 'onset', 'apex', 'offset'):
            if k not in results:
                raise KeyError(
                    f'LoadKeyFrames: sample {name} lacks key {k!r}; the '
                    'dataset must provide frame_paths, frame_numbers, onset, '
                    'apex and offset.')
        numbers = [int(n) for n in results['frame_numbers']]
        paths = list(results['frame_paths'])
        if len(numbers) != len(paths):
            raise ValueError(
                f'LoadKeyFrames: sample {name} has {len(paths)} frame_paths '
                f'but {len(numbers)} frame_numbers.')
        onset, apex, offset = (int(results[k]) for k in _KEY_NAMES)
        if not onset <= apex <= offset:
            raise ValueError(
                f'LoadKeyFrames: sample {name} has apex {apex} outside '
                f'[onset, offset] = [{onset}, {offset}]; fix the annotation.')
        index_of = {n: i for i, n in enumerate(numbers)}
        frames, ids, files = [], [], []
        for key in self.keys:
            number = int(results[key])
            if number not in index_of:
                folder = osp.dirname(paths[0]) if paths else '?'
                raise FileNotFoundError(
                    f'LoadKeyFrames: sample {name}: no file for {key} frame '
                    f'{number} in {folder} (frames found: '
                    f'{numbers[0] if numbers else None}..'
                    f'{numbers[-1] if numbers else None}, {len(numbers)} files).')
            path = paths[index_of[number]]
            img = self._read(path, name)
            if self.color == 'rgb':
                img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
            frames.append(img)
            ids.append(number)
            files.append(path)
        shapes = {f.shape for f in frames}
        if len(shapes) > 1:
            raise ValueError(
                f'LoadKeyFrames: key frames of sample {name} differ in size '
                f'({dict(zip(files, [f.shape for f in frames]))}).')
        results['frames'] = frames
        results['frame_ids'] = ids
        results['frame_files'] = files
        results['img_shape'] = frames[0].shape[:2]
        results['ori_shape'] = frames[0].shape[:2]
        return results

    def __repr__(self):
        return f'{type(self).__name__}(keys={self.keys}, color={self.color!r})'
