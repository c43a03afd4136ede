"""MTCNN face detection with five facial points, as facenet-pytorch does it.

The cascade of Zhang et al., "Joint Face Detection and Alignment using
Multi-task Cascaded Convolutional Networks" (IEEE SPL 2016), sec. II-A:

1. **Image pyramid.** The image is rescaled so that a face of
   ``min_face_size`` pixels spans P-Net's 12x12 window (scale 12/min_face),
   then again by ``factor`` until the shorter side falls below 12 px. Each
   level is area-resampled to ``(int(H*s + 1), int(W*s + 1))``.
2. **P-Net** scores every 12x12 window (stride 2). Windows with face
   probability >= ``thresholds[0]`` become boxes ``floor((2*p + 1) / s)`` to
   ``floor((2*p + 12) / s)``; NMS (IoU 0.5) within each level, then over
   all levels (IoU 0.7); the box offsets are applied (scaled by the box's
   continuous width/height) and boxes are squared about their centre.
3. **R-Net** sees each box's pixels (the part inside the image, 1-based
   corners truncated to int), area-resampled to 24x24; probability >
   ``thresholds[1]`` survives, NMS (IoU 0.7), offsets (scaled by the
   pixel-inclusive width + 1), squaring.
4. **O-Net** on 48x48 crops: probability > ``thresholds[2]``; the five points
   are placed in the box *before* its final regression; offsets; NMS with
   intersection over the smaller box (0.7).

Inputs are normalised as ``(x - 127.5) / 128``. Every step uses the same
float32 arithmetic in the same order as facenet-pytorch 2.6.0 (what the
official HTNet code runs), so boxes and points agree with it to float
rounding; the tests compare both on the same images.

Differences from facenet-pytorch, none of which changes a result it can
produce: one image at a time; no torchvision (:mod:`.nms`); a box whose
crop is empty (it lies entirely outside the image) is rejected, where
facenet-pytorch would shift the following boxes' scores onto the wrong
crops.
"""
import os
import threading
from typing import NamedTuple, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .nets import build_mtcnn_nets
from .nms import nms_iou, nms_min

__all__ = ['MTCNNDetector', 'MTCNNResult', 'get_mtcnn_detector']

#: normalisation of the pixels fed to all three nets: (x - 127.5) * 1/128
_MEAN, _SCALE = 127.5, 0.0078125


class MTCNNResult(NamedTuple):
    """Detections of one image, best first (see ``order``).

    ``boxes`` (N, 4) float32 ``(x1, y1, x2, y2)``; ``probs`` (N,) float32;
    ``points`` (N, 5, 2) float32 ``(x, y)`` of left eye, right eye, nose,
    mouth left, mouth right ("left" = image-left as the points come out of
    O-Net).
    """
    boxes: np.ndarray
    probs: np.ndarray
    points: np.ndarray

    def __len__(self):
        return len(self.boxes)


def _normalise(x: torch.Tensor) -> torch.Tensor:
    return (x - _MEAN) * _SCALE


def _square(boxes: torch.Tensor) -> torch.Tensor:
    """Grow each box to a square of its longer side, same centre (in place)."""
    h = boxes[:, 3] - boxes[:, 1]
    w = boxes[:, 2] - boxes[:, 0]
    side = torch.max(w, h)
    boxes[:, 0] = boxes[:, 0] + w * 0.5 - side * 0.5
    boxes[:, 1] = boxes[:, 1] + h * 0.5 - side * 0.5
    boxes[:, 2] = boxes[:, 0] + side
    boxes[:, 3] = boxes[:, 1] + side
    return boxes


def _regress_inclusive(boxes: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Apply R/O-Net offsets scaled by the pixel-inclusive size (in place)."""
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    new = torch.stack([boxes[:, 0] + offsets[:, 0] * w, boxes[:, 1] + offsets[:, 1] * h,
                       boxes[:, 2] + offsets[:, 2] * w, boxes[:, 3] + offsets[:, 3] * h], 1)
    boxes[:, :4] = new
    return boxes


class MTCNNDetector:
    """Five-point face detector reproducing facenet-pytorch's ``MTCNN.detect``.

    Args:
        min_face_size: smallest face searched for, in pixels (20).
        thresholds: face-probability thresholds of P-, R- and O-Net.
        factor: pyramid scale step (0.709 ~ 1/sqrt(2)).
        order: ``'largest'`` (facenet-pytorch's ``select_largest=True``: box
            area, largest first) or ``'probability'`` (the O-Net NMS order).
        batch_size: crops per R/O-Net forward pass (512 as facenet-pytorch;
            kept so the arithmetic is batched identically).
        nets: ``(pnet, rnet, onet)``; default the pretrained ones.
    """

    def __init__(self, min_face_size: float = 20, thresholds: Sequence[float] = (0.6, 0.7, 0.7),
                 factor: float = 0.709, order: str = 'largest', batch_size: int = 512,
                 nets=None):
        if order not in ('largest', 'probability'):
            raise ValueError("MTCNNDetector: order must be 'largest' or 'probability', "
                             f'got {order!r}')
        if len(thresholds) != 3:
            raise ValueError(f'MTCNNDetector: need 3 thresholds, got {thresholds}')
        if not 0 < factor < 1:
            raise ValueError(f'MTCNNDetector: factor must be in (0, 1), got {factor}')
        self.min_face_size = min_face_size
        self.thresholds = tuple(float(t) for t in thresholds)
        self.factor = factor
        self.order = order
        self.batch_size = int(batch_size)
        self.pnet, self.rnet, self.onet = nets if nets is not None else build_mtcnn_nets()

    # ------------------------------------------------------------- helpers
    def scales(self, height: int, width: int) -> list:
        """Pyramid scales for an image of this size."""
        m = 12.0 / self.min_face_size
        side = min(height, width) * m
        scales, s = [], m
        while side >= 12:
            scales.append(s)
            s = s * self.factor
            side = side * self.factor
        return scales

    def _batched(self, net, crops: torch.Tensor):
        outs = [net(crops[i:i + self.batch_size]) for i in range(0, len(crops), self.batch_size)]
        return tuple(torch.cat(parts, 0) for parts in zip(*outs))

    @staticmethod
    def _crops(img: torch.Tensor, boxes: torch.Tensor, size: int):
        """Area-resampled ``size`` crops of the in-image part of each box.

        Corners are truncated to int and treated as 1-based inclusive
        (x1 clipped to >= 1, x2 to <= W), as the original MTCNN release did.
        Returns the crops and a mask of boxes whose crop is not empty.
        """
        h, w = img.shape[2:]
        corners = boxes[:, :4].trunc().int().numpy()
        x0 = np.maximum(corners[:, 0], 1)
        y0 = np.maximum(corners[:, 1], 1)
        x1 = np.minimum(corners[:, 2], w)
        y1 = np.minimum(corners[:, 3], h)
        valid = (y1 > y0 - 1) & (x1 > x0 - 1)
        # img[0, ...].unsqueeze(0) has a batch stride of 3, which makes the
        # area resampling return a plain NCHW tensor, the layout (and so the
        # R/O-Net kernels and their float rounding) facenet-pytorch gets.
        crops = [F.interpolate(img[0, :, y0[k] - 1:y1[k], x0[k] - 1:x1[k]].unsqueeze(0),
                               size=(size, size), mode='area') for k in np.flatnonzero(valid)]
        return crops, torch.from_numpy(valid)

    # -------------------------------------------------------------- stages
    def _proposals(self, img: torch.Tensor) -> torch.Tensor:
        """P-Net over the pyramid -> squared boxes (M, 5: x1, y1, x2, y2, p)."""
        h, w = img.shape[2:]
        per_scale = []
        for s in self.scales(h, w):
            level = F.interpolate(img, size=(int(h * s + 1), int(w * s + 1)), mode='area')
            offsets, prob = self.pnet(_normalise(level))
            face = prob[0, 1]
            hit = face >= self.thresholds[0]
            yx = hit.nonzero()
            xy = yx.to(offsets.dtype).flip(1)
            start = ((2 * xy + 1) / s).floor()
            end = ((2 * xy + 12) / s).floor()
            cand = torch.cat([start, end, face[hit].unsqueeze(1),
                              offsets[0][:, hit].permute(1, 0)], 1)
            per_scale.append(cand[nms_iou(cand[:, :4], cand[:, 4], 0.5)])
        if not per_scale:
            return torch.zeros(0, 5)
        cand = torch.cat(per_scale, 0)
        cand = cand[nms_iou(cand[:, :4], cand[:, 4], 0.7)]
        bw = cand[:, 2] - cand[:, 0]
        bh = cand[:, 3] - cand[:, 1]
        boxes = torch.stack([cand[:, 0] + cand[:, 5] * bw, cand[:, 1] + cand[:, 6] * bh,
                             cand[:, 2] + cand[:, 7] * bw, cand[:, 3] + cand[:, 8] * bh,
                             cand[:, 4]], 1)
        return _square(boxes)

    def _refine(self, img: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """R-Net: rescore, NMS, regress, square."""
        crops, valid = self._crops(img, boxes, 24)
        if not crops:
            return torch.zeros(0, 5)
        offsets, prob = self._batched(self.rnet, _normalise(torch.cat(crops, 0)))
        boxes = boxes[valid]
        score = prob[:, 1]
        keep = score > self.thresholds[1]
        boxes = torch.cat([boxes[keep, :4], score[keep].unsqueeze(1)], 1)
        offsets = offsets[keep]
        pick = nms_iou(boxes[:, :4], boxes[:, 4], 0.7)
        return _square(_regress_inclusive(boxes[pick], offsets[pick]))

    def _output(self, img: torch.Tensor, boxes: torch.Tensor):
        """O-Net: rescore, five points, regress, NMS (min overlap)."""
        crops, valid = self._crops(img, boxes, 48)
        if not crops:
            return torch.zeros(0, 5), torch.zeros(0, 5, 2)
        offsets, marks, prob = self._batched(self.onet, _normalise(torch.cat(crops, 0)))
        boxes = boxes[valid]
        score = prob[:, 1]
        keep = score > self.thresholds[2]
        boxes = torch.cat([boxes[keep, :4], score[keep].unsqueeze(1)], 1)
        offsets, marks = offsets[keep], marks[keep]
        bw = (boxes[:, 2] - boxes[:, 0] + 1).unsqueeze(1)
        bh = (boxes[:, 3] - boxes[:, 1] + 1).unsqueeze(1)
        px = bw * marks[:, :5] + boxes[:, 0:1] - 1
        py = bh * marks[:, 5:] + boxes[:, 1:2] - 1
        points = torch.stack([px, py], 2)
        boxes = _regress_inclusive(boxes, offsets)
        pick = torch.from_numpy(nms_min(boxes[:, :4].numpy(), boxes[:, 4].numpy(), 0.7))
        return boxes[pick], points[pick]

    # ---------------------------------------------------------------- API
    @torch.no_grad()
    def detect(self, image: np.ndarray) -> MTCNNResult:
        """Faces in one HxWx3 image (uint8, channel order as given).

        MTCNN was trained on RGB; the image is used as given (the official
        HTNet code, for one, passes cv2's BGR).
        """
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'MTCNNDetector: expected an HxWx3 image, got shape {image.shape}')
        dtype = next(self.pnet.parameters()).dtype
        # (1, H, W, 3) viewed as NCHW: the channels-last strides (batch stride
        # H*W*3) select the same conv/pool kernels as facenet-pytorch, whose
        # float results then agree bit for bit.
        img = torch.as_tensor(np.ascontiguousarray(image))[None].permute(0, 3, 1, 2).to(dtype)
        boxes = self._proposals(img)
        points = torch.zeros(0, 5, 2)
        if len(boxes):
            boxes = self._refine(img, boxes)
        if len(boxes):
            boxes, points = self._output(img, boxes)
        boxes_np = boxes.numpy().astype(np.float32, copy=False)
        points_np = points.numpy().astype(np.float32, copy=False)
        if self.order == 'largest' and len(boxes_np):
            area = (boxes_np[:, 2] - boxes_np[:, 0]) * (boxes_np[:, 3] - boxes_np[:, 1])
            rank = np.argsort(area)[::-1]
            boxes_np, points_np = boxes_np[rank], points_np[rank]
        return MTCNNResult(np.ascontiguousarray(boxes_np[:, :4]),
                           np.ascontiguousarray(boxes_np[:, 4]),
                           np.ascontiguousarray(points_np))

    __call__ = detect


_DETECTORS = {}
_LOCK = threading.Lock()


def get_mtcnn_detector(**kwargs) -> MTCNNDetector:
    """A pretrained :class:`MTCNNDetector`, built once per process and settings.

    Keyed by pid so a forked DataLoader/preprocessing worker builds its own.
    """
    key = (os.getpid(), tuple(sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v)
                                     for k, v in kwargs.items())))
    with _LOCK:
        det: Optional[MTCNNDetector] = _DETECTORS.get(key)
        if det is None:
            det = _DETECTORS[key] = MTCNNDetector(**kwargs)
    return det
