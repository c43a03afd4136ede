"""Non-maximum suppression for the MTCNN cascade, torch and numpy only.

Two overlap rules are used by the detector (it reproduces facenet-pytorch
2.6.0, which takes the first from torchvision and the second from the
original MATLAB release of MTCNN):

* :func:`nms_iou` - greedy NMS with intersection over union and continuous
  box areas ``(x2 - x1) * (y2 - y1)``; candidates are visited by score,
  highest first, ties in input order (a stable sort); a box is dropped when
  its IoU with a kept box is strictly above the threshold. This is the
  semantics of ``torchvision.ops.nms``, which mmmer does not depend on.
* :func:`nms_min` - greedy NMS with intersection over the *smaller* box and
  pixel-inclusive areas ``(x2 - x1 + 1) * (y2 - y1 + 1)``; boxes are kept
  while the overlap is at most the threshold. Used after O-Net, where a box
  nested inside another must go even when their IoU is small.

Both return the kept indices in the order they were kept (score
descending).
"""
import numpy as np
import torch

__all__ = ['nms_iou', 'nms_min']


def nms_iou(boxes: torch.Tensor, scores: torch.Tensor,
            iou_threshold: float) -> torch.Tensor:
    """Indices (int64) of ``boxes`` (N, 4: x1, y1, x2, y2) kept by IoU NMS."""
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long)
    order = torch.sort(scores, dim=0, descending=True, stable=True).indices
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    areas = (x2 - x1) * (y2 - y1)
    alive = torch.ones(len(order), dtype=torch.bool)
    keep = []
    for pos in range(len(order)):
        if not alive[pos]:
            continue
        i = order[pos]
        keep.append(int(i))
        rest = order[pos + 1:]
        if len(rest) == 0:
            break
        w = (torch.minimum(x2[i], x2[rest]) - torch.maximum(x1[i], x1[rest])).clamp(min=0)
        h = (torch.minimum(y2[i], y2[rest]) - torch.maximum(y1[i], y1[rest])).clamp(min=0)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        # Compare in double, as a C++ kernel comparing float with a double
        # threshold does.
        alive[pos + 1:] &= ~(iou.double() > float(iou_threshold))
    return torch.as_tensor(keep, dtype=torch.long)


def nms_min(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    """Indices kept by NMS with intersection over the smaller box.

    ``boxes`` (N, 4) and ``scores`` (N,) keep their dtype (float32 from the
    detector), so overlaps are computed in that precision.
    """
    if len(boxes) == 0:
        return np.empty(0, dtype=np.int64)
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    remaining = np.argsort(scores)  # ascending; the best is last
    keep = []
    while remaining.size > 0:
        i = remaining[-1]
        keep.append(int(i))
        others = remaining[:-1]
        w = np.maximum(0.0, np.minimum(x2[i], x2[others]) - np.maximum(x1[i], x1[others]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[others]) - np.maximum(y1[i], y1[others]) + 1)
        overlap = (w * h) / np.minimum(areas[i], areas[others])
        remaining = others[overlap <= threshold]
    return np.asarray(keep, dtype=np.int64)
