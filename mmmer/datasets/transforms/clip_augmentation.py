"""Clip-level spatial transforms: one random draw for all frames of a clip.

EDMDBN's online augmentation (Ma et al., "Entire-detail motion dual-branch
network for micro-expression recognition", 2025, Sec. 4.3: "horizontal flipping, random
cropping, and random rotation (-4 deg, +4 deg)"); the official code applies
them to the stacked key frames, so every frame gets the same parameters, in
the order resize -> flip (p 0.5) -> rotation (nearest, zero fill) -> crop
(224 with 4 px edge padding) (docs/methods/edmdbn.md). The same draw for all
frames matters: different draws would add fake motion to the differences.

All transforms act on ``img`` of shape (T, H, W, C) (uint8 or float) and
record what they did, so tests and visualisations can replay it. Landmarks
are not carried through (the EDMDBN pipeline does not need them after
alignment); a stale ``landmarks`` key is removed.
"""
from typing import Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmmer.registry import TRANSFORMS

from .loading_frames import sample_name

_INTERP = dict(nearest=cv2.INTER_NEAREST, bilinear=cv2.INTER_LINEAR,
               bicubic=cv2.INTER_CUBIC, area=cv2.INTER_AREA)


def _clip(results: dict, who: str) -> np.ndarray:
    img = results.get('img')
    if img is None:
        raise KeyError(f'{who}: sample {sample_name(results)} has no img')
    img = np.asarray(img)
    if img.ndim != 4:
        raise ValueError(f'{who}: sample {sample_name(results)} has img of shape '
                         f'{img.shape}; expected a clip (T, H, W, C)')
    return img


def _size(size) -> Tuple[int, int]:
    """(height, width) from an int or (h, w)."""
    if isinstance(size, int):
        return size, size
    h, w = (int(s) for s in size)
    return h, w


def _store(results: dict, img: np.ndarray) -> None:
    results['img'] = img
    results['img_shape'] = img.shape[1:3]
    results.pop('landmarks', None)


@TRANSFORMS.register_module()
class ClipResize(BaseTransform):
    """Resize every frame to ``size`` = (h, w) (aspect ratio not kept).

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.
    """

    def __init__(self, size: Union[int, Sequence[int]] = 224,
                 interpolation: str = 'bicubic'):
        self.size = _size(size)
        if interpolation not in _INTERP:
            raise ValueError(f'ClipResize: interpolation must be one of {sorted(_INTERP)}')
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        img = _clip(results, 'ClipResize')
        h, w = self.size
        if img.shape[1:3] != (h, w):
            img = np.stack([cv2.resize(f, (w, h), interpolation=_INTERP[self.interpolation])
                            .reshape(h, w, -1) for f in img])
        _store(results, img)
        return results


@TRANSFORMS.register_module()
class ClipRandomFlip(BaseTransform):
    """Horizontal flip of all frames with probability ``prob``.

    Modified keys: ``img``. Added keys: ``flip`` (bool).
    """

    def __init__(self, prob: float = 0.5):
        if not 0 <= prob <= 1:
            raise ValueError(f'ClipRandomFlip: prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        img = _clip(results, 'ClipRandomFlip')
        flip = bool(np.random.rand() < self.prob)
        if flip:
            img = np.ascontiguousarray(img[:, :, ::-1])
        _store(results, img)
        results['flip'] = flip
        return results


@TRANSFORMS.register_module()
class ClipRandomRotation(BaseTransform):
    """Rotate all frames by one angle drawn from U(-max_angle, max_angle).

    About the image centre, same size, pixels from outside filled with
    ``fill``. Modified keys: ``img``. Added keys: ``rotation_angle``
    (degrees, counter-clockwise as displayed).
    """

    def __init__(self, max_angle: float = 4.0, interpolation: str = 'nearest',
                 fill: float = 0.0):
        if max_angle < 0:
            raise ValueError(f'ClipRandomRotation: max_angle must be >= 0, got {max_angle}')
        if interpolation not in _INTERP:
            raise ValueError(f'ClipRandomRotation: interpolation must be one of {sorted(_INTERP)}')
        self.max_angle = float(max_angle)
        self.interpolation = interpolation
        self.fill = fill

    def transform(self, results: dict) -> dict:
        img = _clip(results, 'ClipRandomRotation')
        angle = float(np.random.uniform(-self.max_angle, self.max_angle))
        _, h, w, c = img.shape
        matrix = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), angle, 1.0)
        img = np.stack([
            cv2.warpAffine(f, matrix, (w, h), flags=_INTERP[self.interpolation],
                           borderMode=cv2.BORDER_CONSTANT,
                           borderValue=(self.fill, ) * 4).reshape(h, w, c)
            for f in img])
        _store(results, img)
        results['rotation_angle'] = angle
        return results


@TRANSFORMS.register_module()
class ClipRandomCrop(BaseTransform):
    """Pad by ``padding`` px (edge mode by default) and crop ``size`` at one
    random position for all frames.

    Modified keys: ``img``, ``img_shape``. Added keys: ``crop_bbox``
    ((x0, y0, x1, y1) in the padded frame).
    """

    def __init__(self, size: Union[int, Sequence[int]] = 224, padding: int = 4,
                 padding_mode: str = 'edge'):
        self.size = _size(size)
        if padding < 0:
            raise ValueError(f'ClipRandomCrop: padding must be >= 0, got {padding}')
        if padding_mode not in ('edge', 'constant', 'reflect'):
            raise ValueError(
                "ClipRandomCrop: padding_mode must be 'edge', 'constant' or 'reflect', "
                f'got {padding_mode!r}')
        self.padding = int(padding)
        self.padding_mode = padding_mode

    def transform(self, results: dict) -> dict:
        img = _clip(results, 'ClipRandomCrop')
        p = self.padding
        if p:
            img = np.pad(img, ((0, 0), (p, p), (p, p), (0, 0)), mode=self.padding_mode)
        _, h, w, _ = img.shape
        ch, cw = self.size
        if ch > h or cw > w:
            raise ValueError(f'ClipRandomCrop: crop {self.size} larger than the padded '
                             f'frame {(h, w)} of sample {sample_name(results)}')
        y0 = int(np.random.randint(0, h - ch + 1))
        x0 = int(np.random.randint(0, w - cw + 1))
        _store(results, np.ascontiguousarray(img[:, y0:y0 + ch, x0:x0 + cw]))
        results['crop_bbox'] = (x0, y0, x0 + cw, y0 + ch)
        return results
