"""Temporal normalisation and EDMDBN's entire / detail motion.

EDMDBN ("Entire-detail motion dual-branch network for micro-expression
recognition", Ma et al., 2025), Sec. 3.1: the three key frames (onset, apex, offset) are
linearly interpolated to T + 1 frames; Sec. 3.2: entire motion
``M_entire = F_apex - F_onset`` and detail motion
``M_detail = {F_2 - F_1, ..., F_{T+1} - F_T}``, both pixel differences of
normalised frames.

Two interpolation modes (:func:`interpolation_weights`):

* ``'index'`` -- what the authors' code does (docs/methods/edmdbn.md):
  ``F.interpolate(mode='trilinear', align_corners=False)`` over time, i.e.
  output j samples source position ``(j + 0.5) * S / n - 0.5`` clamped to
  ``[0, S - 1]``, ignoring when the key frames happened. For 3 -> 9 frames the
  frames are ``O, O, O+(A-O)/3, O+2(A-O)/3, A, A+(F-A)/3, A+2(F-A)/3, F, F``,
  so the 8 differences are ``0, d1, d1, d1, d2, d2, d2, 0``.
* ``'time'`` -- the paper's "linear interpolation" taken literally: each key
  frame sits at its frame number, and the n outputs are sampled evenly from
  the first to the last (end points included), piecewise linearly. The apex
  keeps its real place in the clip (e.g. 35 % of the way), and no difference
  is identically zero. With dense frames it interpolates real intermediate
  frames the same way.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from mmmer.registry import TRANSFORMS

from .loading_frames import sample_name

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


def interpolation_weights(num_in: int, num_out: int, mode: str = 'index',
                          positions: Optional[Sequence[float]] = None
                          ) -> List[Tuple[int, int, float]]:
    """For each output frame, ``(i0, i1, w)``: out = (1 - w) f[i0] + w f[i1].

    Args:
        num_in: number of source frames S (>= 1).
        num_out: number of output frames n (>= 1).
        mode: ``'index'`` (align_corners=False resampling of the index axis,
            as ``torch.nn.functional.interpolate``) or ``'time'`` (sources at
            ``positions``, outputs evenly spaced over [first, last]).
        positions: strictly needed for ``'time'``: non-decreasing source
            times, e.g. the key frames' frame numbers.
    """
    if num_in < 1 or num_out < 1:
        raise ValueError(
            f'interpolation needs >= 1 input and output frame, got {num_in}, {num_out}')
    out = []
    if mode == 'index':
        scale = num_in / num_out
        for j in range(num_out):
            src = min(max((j + 0.5) * scale - 0.5, 0.0), num_in - 1.0)
            i0 = int(np.floor(src))
            i1 = min(i0 + 1, num_in - 1)
            out.append((i0, i1, float(src - i0)))
        return out
    if mode != 'time':
        raise ValueError(f"interpolation mode must be 'index' or 'time', got {mode!r}")
    if positions is None or len(positions) != num_in:
        raise ValueError(f"mode 'time' needs {num_in} positions, got {positions}")
    pos = np.asarray(positions, dtype=np.float64)
    if np.any(np.diff(pos) < 0):
        raise ValueError(f'positions must be non-decreasing, got {list(positions)}')
    start, stop = pos[0], pos[-1]
    times = np.linspace(start, stop, num_out) if num_out > 1 else np.array([start])
    for t in times:
        # Last source at or before t (ties go to the later segment).
        i0 = int(np.searchsorted(pos, t, side='right')) - 1
        i0 = min(max(i0, 0), num_in - 1)
        if i0 == num_in - 1:
            out.append((i0, i0, 0.0))
            continue
        i1 = i0 + 1
        span = pos[i1] - pos[i0]
        w = 0.0 if span <= 0 else float((t - pos[i0]) / span)
        out.append((i0, i1, min(max(w, 0.0), 1.0)))
    return out


def interpolate_frames(frames: np.ndarray, num_out: int, mode: str = 'index',
                       positions: Optional[Sequence[float]] = None) -> np.ndarray:
    """Linear temporal interpolation of (S, H, W, C) frames -> (n, H, W, C)
    float32."""
    frames = np.asarray(frames)
    weights = interpolation_weights(frames.shape[0], num_out, mode, positions)
    src = frames.astype(np.float32, copy=False)
    out = np.empty((num_out, ) + frames.shape[1:], dtype=np.float32)
    for j, (i0, i1, w) in enumerate(weights):
        if w == 0.0:
            out[j] = src[i0]
        else:
            out[j] = (1.0 - w) * src[i0] + w * src[i1]
    return out


def _positions(results: dict, num: int, time_keys: Sequence[str]):
    ids = results.get('frame_ids')
    if ids is not None and len(ids) == num:
        return [float(i) for i in ids]
    if len(time_keys) == num and all(k in results for k in time_keys):
        return [float(results[k]) for k in time_keys]
    raise KeyError(
        f'sample {sample_name(results)}: time interpolation needs the frame '
        f'numbers of its {num} frames (`frame_ids`, or the keys {tuple(time_keys)}); '
        "cache 'frame_ids' with the frames or use mode='index'.")


@TRANSFORMS.register_module()
class StackFrames(BaseTransform):
    """Stack the list ``frames`` (HxWxC each) into one (T, H, W, C) array.

    Required keys: ``frames``. Added keys: ``img`` (same dtype as the frames),
    ``img_shape``.
    """

    def transform(self, results: dict) -> dict:
        frames = results.get('frames')
        if not frames:
            raise KeyError(f'StackFrames: sample {sample_name(results)} has no frames; '
                           'load them first (e.g. LoadKeyFrames).')
        shapes = {f.shape for f in frames}
        if len(shapes) != 1:
            raise ValueError(f'StackFrames: frames of sample {sample_name(results)} '
                             f'differ in shape: {sorted(shapes)}')
        results['img'] = np.stack(frames, axis=0)
        results['img_shape'] = results['img'].shape[1:3]
        return results


@TRANSFORMS.register_module()
class TemporalInterpolation(BaseTransform):
    """Linearly interpolate a clip ``img`` (S, H, W, C) to ``num_frames``.

    Required keys: ``img``; for ``mode='time'`` also ``frame_ids`` (or
    ``onset``/``apex``/``offset`` when S = 3). Modified keys: ``img``
    (float32, (num_frames, H, W, C)). See :func:`interpolation_weights`.
    """

    def __init__(self, num_frames: int = 9, mode: str = 'index',
                 time_keys: Sequence[str] = ('onset', 'apex', 'offset')):
        if mode not in ('index', 'time'):
            raise ValueError(f"TemporalInterpolation: mode must be 'index' or 'time', got {mode!r}")
        self.num_frames = int(num_frames)
        self.mode = mode
        self.time_keys = tuple(time_keys)

    def transform(self, results: dict) -> dict:
        img = np.asarray(results['img'])
        if img.ndim != 4:
            raise ValueError(f'TemporalInterpolation: sample {sample_name(results)} '
                             f'has img of shape {img.shape}, expected (T, H, W, C)')
        pos = _positions(results, img.shape[0], self.time_keys) if self.mode == 'time' else None
        results['img'] = interpolate_frames(img, self.num_frames, self.mode, pos)
        return results

    def __repr__(self):
        return f'{type(self).__name__}(num_frames={self.num_frames}, mode={self.mode!r})'


@TRANSFORMS.register_module()
class EntireDetailMotion(BaseTransform):
    """EDMDBN input: entire and detail motion of normalised key frames.

    Steps (EDMDBN paper Sec. 3.1-3.2, in the order of the authors' code):
    normalise each key frame per channel,
    ``(x - mean) / std``; entire motion = ``n[apex_index] - n[onset_index]``;
    interpolate the normalised key frames to ``num_frames + 1`` frames
    (``mode``, see :func:`interpolation_weights`); detail motion = their
    ``num_frames`` adjacent differences.

    Packing: ``img`` = the entire motion followed by the detail motion along
    time, shape (1 + T, H, W, 3) float32, which ``PackMEInputs`` turns into
    (3, 1 + T, H, W) and :class:`mmmer.models.backbones.EDMDBN` splits back
    (slice 0 entire, 1..T detail).

    Required keys: ``img`` (S, H, W, 3) key frames in [onset, apex, offset]
    order (uint8 or float, 0..255 scale); for ``mode='time'`` ``frame_ids`` or
    ``onset``/``apex``/``offset``. Modified keys: ``img``. Added keys:
    ``num_detail_frames``.

    Args:
        num_frames (int): T (8 in the paper).
        mode (str): ``'index'`` (official) or ``'time'`` (paper).
        mean, std: per-channel statistics in 0..255 scale (ImageNet's, as the
            official code normalises with them).
        onset_index, apex_index (int): positions of onset and apex in ``img``.
    """

    def __init__(self, num_frames: int = 8, mode: str = 'index',
                 mean: Sequence[float] = IMAGENET_MEAN,
                 std: Sequence[float] = IMAGENET_STD,
                 onset_index: int = 0, apex_index: int = 1,
                 time_keys: Sequence[str] = ('onset', 'apex', 'offset')):
        if mode not in ('index', 'time'):
            raise ValueError(f"EntireDetailMotion: mode must be 'index' or 'time', got {mode!r}")
        if num_frames < 1:
            raise ValueError(f'EntireDetailMotion: num_frames must be >= 1, got {num_frames}')
        self.num_frames = int(num_frames)
        self.mode = mode
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        if np.any(self.std <= 0):
            raise ValueError(f'EntireDetailMotion: std must be positive, got {std}')
        self.onset_index = int(onset_index)
        self.apex_index = int(apex_index)
        self.time_keys = tuple(time_keys)

    def transform(self, results: dict) -> dict:
        name = sample_name(results)
        if 'img' not in results:
            raise KeyError(f'EntireDetailMotion: sample {name} has no img; load the cached '
                           'key frames first (LoadCachedArrays).')
        img = np.asarray(results['img'])
        if img.ndim != 4 or img.shape[-1] != self.mean.size:
            raise ValueError(f'EntireDetailMotion: sample {name} has img of shape {img.shape}; '
                             f'expected (S, H, W, {self.mean.size}) key frames')
        s = img.shape[0]
        if not (0 <= self.onset_index < s and 0 <= self.apex_index < s):
            raise ValueError(f'EntireDetailMotion: sample {name} has {s} key frames, '
                             f'onset/apex indices {self.onset_index}/{self.apex_index}')
        norm = (img.astype(np.float32) - self.mean) / self.std
        entire = norm[self.apex_index] - norm[self.onset_index]
        pos = _positions(results, s, self.time_keys) if self.mode == 'time' else None
        frames = interpolate_frames(norm, self.num_frames + 1, self.mode, pos)
        detail = np.diff(frames, axis=0)
        results['img'] = np.concatenate([entire[None], detail], axis=0)
        results['num_detail_frames'] = self.num_frames
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(num_frames={self.num_frames}, mode={self.mode!r}, '
                f'mean={self.mean.tolist()}, std={self.std.tolist()})')
