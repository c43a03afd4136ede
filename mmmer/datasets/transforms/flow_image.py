"""Loaders for precomputed flow images in the HTNet layout.

HTNet's ``STSNet_whole_norm_u_v_os/<name> .png`` files are 28x28x3 uint8
images whose channels are each min-max scaled to 0..255. Read with cv2 the
planes come out as (B, G, R) = (strain, v, u) (the blue plane holds the
strain-like map, the folder name says u, v, os). mmmer's motion inputs are
ordered (u, v, strain), so :class:`LoadFlowImage` reorders the planes on load. The
apex face next to it (``combined_datasets_whole/<imagename>``, 224x224) is
where the facial-region crops are placed (:class:`LoadApexFace` ->
``HTNetOfficialPoints`` (MTCNN, as the official code) or
``DetectFaceLandmarks`` (dlib) -> ``FacialRegionTiles``).
"""
import os.path as osp

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmmer.registry import TRANSFORMS

from .loading_frames import sample_name

__all__ = ['LoadApexFace', 'LoadFlowImage', 'read_image_bgr']


def read_image_bgr(path: str, owner: str, name: str, flags=cv2.IMREAD_COLOR) -> np.ndarray:
    """cv2-decode ``path`` (works for non-ASCII paths); clear errors."""
    if path is None or not osp.isfile(path):
        raise FileNotFoundError(
            f'{owner}: file {path} of sample {name} does not exist; check data_root '
            'and the dataset layout (docs/datasets.md).')
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, flags) if data.size else None
    if img is None:
        raise ValueError(f'{owner}: cannot decode {path} of sample {name}; the file is '
                         'damaged or not an image.')
    return img


@TRANSFORMS.register_module()
class LoadFlowImage(BaseTransform):
    """Read an HTNet-layout flow PNG as the model input ``img``.

    Required keys: ``flow_path``.
    Added keys: ``img`` (HxWx3 float32, values kept in 0..255, no rescaling,
    as HTNet feeds them), ``img_shape``, ``ori_shape``.

    Args:
        channel_order (str): ``'uvs'`` (default): (u, v, strain), mmmer's
            order, i.e. the file's (R, G, B). ``'file'``: the planes as cv2
            returns them, (strain, v, u), which is what the official HTNet
            code feeds its network (use it to reproduce that code exactly).
    """

    def __init__(self, channel_order: str = 'uvs'):
        if channel_order not in ('uvs', 'file'):
            raise ValueError(f"LoadFlowImage: channel_order must be 'uvs' or 'file', "
                             f'got {channel_order!r}')
        self.channel_order = channel_order

    def transform(self, results: dict) -> dict:
        name = sample_name(results)
        bgr = read_image_bgr(results.get('flow_path'), type(self).__name__, name)
        planes = bgr if self.channel_order == 'file' else bgr[..., ::-1]
        img = np.ascontiguousarray(planes, dtype=np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self):
        return f'{type(self).__name__}(channel_order={self.channel_order!r})'


@TRANSFORMS.register_module()
class LoadApexFace(BaseTransform):
    """Read the sample's apex face image so landmarks can be found on it.

    Required keys: ``apex_face_path``.
    Added keys: ``frames`` (``[HxWx3 uint8 RGB]``), ``frame_files``
    (``[path]``), ``frame_ids`` (``[apex]`` when known, else ``[-1]``),
    ``frame_keys`` (``['apex']``, so ``frame_index='apex'`` finds it).
    ``img``/``img_shape`` are left alone: ``DetectFaceLandmarks`` records the
    face's own shape in ``landmarks_shape`` and ``FacialRegionTiles`` rescales
    the points to ``img``.

    Args:
        allow_missing (bool): a sample without ``apex_face_path`` passes
            through unchanged (no ``frames``), so the region crops use their
            fixed fallback points; otherwise it is an error.
    """

    def __init__(self, allow_missing: bool = False):
        self.allow_missing = bool(allow_missing)

    def transform(self, results: dict) -> dict:
        path = results.get('apex_face_path')
        if path is None and self.allow_missing:
            return results
        bgr = read_image_bgr(path, type(self).__name__, sample_name(results))
        results['frames'] = [cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)]
        results['frame_files'] = [path]
        results['frame_ids'] = [int(results.get('apex', -1))]
        results['frame_keys'] = ['apex']
        return results

    def __repr__(self):
        return f'{type(self).__name__}(allow_missing={self.allow_missing})'
