"""Motion features between key frames: TV-L1 flow, optical strain, stacking.

AHMSA-Net (Zhang et al., 2025, sec. 3.2) and HTNet's published inputs (Wang
et al., "HTNet for micro-expression recognition"; docs/methods/htnet.md,
"The method in short") use TV-L1 flow (u, v) between onset and apex plus the
optical strain derived from it, as a 3-channel map.
"""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmmer.registry import TRANSFORMS
from mmmer.utils.compat import require_cv2_optflow
from .loading_frames import sample_name

# Friendly names of cv2.optflow.DualTVL1OpticalFlow parameters -> setters.
# (The factory's own keyword names are 'lambda_' and the misspelt
# 'innnerIterations', so the setters are the robust interface.)
_TVL1_SETTERS = dict(
    tau='setTau', lambda_='setLambda', theta='setTheta',
    nscales='setScalesNumber', warps='setWarpingsNumber',
    epsilon='setEpsilon', inner_iterations='setInnerIterations',
    outer_iterations='setOuterIterations', scale_step='setScaleStep',
    gamma='setGamma', median_filtering='setMedianFiltering')
_TVL1_INT = ('nscales', 'warps', 'inner_iterations', 'outer_iterations',
             'median_filtering')


@TRANSFORMS.register_module()
class TVL1Flow(BaseTransform):
    """Dual TV-L1 optical flow (Zach et al. 2007; Wedel et al. 2009) via OpenCV.

    ``flow[y, x] = (u, v)`` is the displacement, in pixels, of the content at
    (x, y) of ``frames[ref]`` to its position in ``frames[target]``, i.e.
    ``frames[ref](x, y) ~ frames[target](x + u, y + v)``; u along x (columns),
    v along y (rows, downwards).

    Required keys: ``frames``. Added keys: ``flow`` (HxWx2 float32).

    Args:
        ref, target: indices into ``frames`` (default onset -> apex with
            ``LoadKeyFrames(keys=('onset', 'apex'))``).
        grayscale: convert RGB frames to gray first (OpenCV's TV-L1 takes one
            channel; set False only for frames already single-channel).
        **tvl1_params: OpenCV parameters by name: tau, lambda_ (or 'lambda'),
            theta, nscales, warps, epsilon, inner_iterations,
            outer_iterations, scale_step, gamma, median_filtering. Unset ones
            keep OpenCV's defaults (tau 0.25, lambda 0.15, theta 0.3,
            nscales 5, warps 5, epsilon 0.01, 30 inner / 10 outer iterations,
            scale_step 0.8, gamma 0, median filter 5).

    The OpenCV object is created lazily once per transform instance and is
    not pickled (DataLoader workers each build their own).
    """

    def __init__(self, ref: int = 0, target: int = 1, grayscale: bool = True,
                 **tvl1_params):
        if 'lambda' in tvl1_params:
            tvl1_params['lambda_'] = tvl1_params.pop('lambda')
        unknown = sorted(set(tvl1_params) - set(_TVL1_SETTERS))
        if unknown:
            raise TypeError(
                f'TVL1Flow: unknown TV-L1 parameter(s) {unknown}; known: '
                f'{sorted(_TVL1_SETTERS)}')
        self.ref = int(ref)
        self.target = int(target)
        self.grayscale = bool(grayscale)
        self.tvl1_params = {
            k: (int(v) if k in _TVL1_INT else float(v))
            for k, v in tvl1_params.items()
        }
        self._tvl1 = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_tvl1'] = None
        return state

    @property
    def tvl1(self):
        if self._tvl1 is None:
            cv2_ = require_cv2_optflow()
            tvl1 = cv2_.optflow.DualTVL1OpticalFlow_create()
            for k, v in self.tvl1_params.items():
                getattr(tvl1, _TVL1_SETTERS[k])(v)
            self._tvl1 = tvl1
        return self._tvl1

    def _prepare(self, img: np.ndarray) -> np.ndarray:
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[..., 0]
        if self.grayscale and img.ndim == 3:
            if img.dtype != np.uint8:
                img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
            img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        if img.ndim != 2:
            raise ValueError(
                'TVL1Flow needs single-channel images; use grayscale=True for '
                f'colour frames (got shape {img.shape}).')
        if img.dtype not in (np.uint8, np.float32):
            img = img.astype(np.float32)
        return np.ascontiguousarray(img)

    def transform(self, results: dict) -> dict:
        name = sample_name(results)
        frames = results.get('frames')
        if not frames:
            raise KeyError(f'TVL1Flow: sample {name} has no frames; load them first.')
        n = len(frames)
        for i in (self.ref, self.target):
            if not -n <= i < n:
                raise IndexError(
                    f'TVL1Flow: frame index {i} but sample {name} has {n} frames.')
        prev = self._prepare(frames[self.ref])
        nxt = self._prepare(frames[self.target])
        if prev.shape != nxt.shape:
            raise ValueError(
                f'TVL1Flow: sample {name}: frames {self.ref} and {self.target} '
                f'differ in size ({prev.shape} vs {nxt.shape}).')
        flow = self.tvl1.calc(prev, nxt, None)
        results['flow'] = np.asarray(flow, dtype=np.float32)
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(ref={self.ref}, target={self.target}, '
                f'grayscale={self.grayscale}, **{self.tvl1_params})')


def optical_strain(flow: np.ndarray) -> np.ndarray:
    """Magnitude of the infinitesimal strain tensor of a flow field.

    With e_xx = du/dx, e_yy = dv/dy and e_xy = (du/dy + dv/dx) / 2 (central
    differences inside, one-sided at the border, ``np.gradient``), returns
    ``sqrt(e_xx^2 + e_yy^2 + 2 e_xy^2)`` (the Frobenius norm of the symmetric
    strain tensor; Shreve et al., "Macro- and micro-expression spotting in
    long videos using spatio-temporal strain", FG 2011). AHMSA-Net sec. 3.2
    computes its third channel this way (its eq. 1 is not legible in the
    available text, so mmmer uses this standard definition).
    """
    flow = np.asarray(flow, dtype=np.float64)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'optical_strain expects HxWx2 flow, got {flow.shape}')
    u, v = flow[..., 0], flow[..., 1]
    du_dy, du_dx = np.gradient(u)
    dv_dy, dv_dx = np.gradient(v)
    e_xy = 0.5 * (du_dy + dv_dx)
    return np.sqrt(du_dx**2 + dv_dy**2 + 2.0 * e_xy**2).astype(np.float32)


@TRANSFORMS.register_module()
class OpticalStrain(BaseTransform):
    """Optical strain magnitude of ``flow`` (see :func:`optical_strain`).

    Required keys: ``flow``. Added keys: ``strain`` (HxW float32).
    """

    def transform(self, results: dict) -> dict:
        if 'flow' not in results:
            raise KeyError(
                f'OpticalStrain: sample {sample_name(results)} has no flow; '
                'put TVL1Flow before it.')
        results['strain'] = optical_strain(results['flow'])
        return results


def minmax_255(channel: np.ndarray) -> np.ndarray:
    """Scale one channel to 0..255; a constant channel becomes all zeros."""
    channel = np.asarray(channel, dtype=np.float64)
    lo, hi = float(channel.min()), float(channel.max())
    if not hi > lo:
        return np.zeros(channel.shape, dtype=np.float32)
    # float64 and a final clip keep the range exactly [0, 255] (float32
    # rounding of (x - lo) * 255 / (hi - lo) can give 255.00002).
    scaled = (channel - lo) * (255.0 / (hi - lo))
    return np.clip(scaled, 0.0, 255.0).astype(np.float32)


@TRANSFORMS.register_module()
class StackMotion(BaseTransform):
    """Stack (u, v, strain) into the model input ``img``.

    Required keys: ``flow``, ``strain``. Added keys: ``img`` (HxWx3 float32,
    channels u, v, strain), ``img_shape``.

    Args:
        normalize: ``'minmax255'`` scales each channel independently to
            0..255, as in HTNet's published 28x28 inputs (every channel of
            every file spans exactly 0..255, as measured on the released
            files); a
            constant channel becomes 0. ``'none'`` keeps pixels (u, v) and the
            raw strain. Values are not rounded (HTNet stores uint8 PNGs).
    """

    def __init__(self, normalize: str = 'minmax255'):
        if normalize not in ('minmax255', 'none'):
            raise ValueError(
                f"StackMotion: normalize must be 'minmax255' or 'none', got {normalize!r}")
        self.normalize = normalize

    def transform(self, results: dict) -> dict:
        for k in ('flow', 'strain'):
            if k not in results:
                raise KeyError(
                    f'StackMotion: sample {sample_name(results)} has no {k!r}; '
                    'run TVL1Flow and OpticalStrain first.')
        flow, strain = results['flow'], results['strain']
        if flow.shape[:2] != strain.shape[:2]:
            raise ValueError(
                f'StackMotion: flow {flow.shape[:2]} and strain '
                f'{strain.shape[:2]} differ in size for sample {sample_name(results)}.')
        channels = [flow[..., 0], flow[..., 1], strain]
        if self.normalize == 'minmax255':
            channels = [minmax_255(c) for c in channels]
        img = np.stack(channels, axis=-1).astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        return results

    def __repr__(self):
        return f'{type(self).__name__}(normalize={self.normalize!r})'


@TRANSFORMS.register_module()
class ResizeMotion(BaseTransform):
    """Resize motion maps (by default the stacked ``img``) to ``size``.

    Landmarks are left unchanged: they keep referring to ``landmarks_shape``,
    and region transforms rescale them to the map they crop from.
    When ``flow`` is resized its vectors are rescaled to the new pixel units
    (u * W'/W, v * H'/H) so it stays "displacement in pixels of this map";
    ``img`` and ``strain`` are resized as values (strain is a ratio of
    displacements to distances and does not change with scale).

    Required keys: those in ``keys``. Modified keys: ``keys`` and
    ``img_shape`` (if ``img`` is resized).

    Args:
        size: int side or (width, height).
        interpolation: 'area' (default: averages, as HTNet's cv2 INTER_AREA
            resize of images to 28x28), 'linear', 'cubic' or 'nearest'.
        keys: which maps to resize, from 'img', 'flow', 'strain'.
    """

    _INTERP = dict(area=cv2.INTER_AREA, linear=cv2.INTER_LINEAR,
                   cubic=cv2.INTER_CUBIC, nearest=cv2.INTER_NEAREST)

    def __init__(self, size=28, interpolation: str = 'area', keys=('img', )):
        if isinstance(size, int):
            size = (size, size)
        self.size = tuple(int(s) for s in size)
        if interpolation not in self._INTERP:
            raise ValueError(
                f'ResizeMotion: interpolation must be one of {sorted(self._INTERP)}')
        self.interpolation = interpolation
        self.keys = (keys, ) if isinstance(keys, str) else tuple(keys)

    def transform(self, results: dict) -> dict:
        out_w, out_h = self.size
        for key in self.keys:
            if key not in results:
                raise KeyError(
                    f'ResizeMotion: sample {sample_name(results)} has no {key!r}.')
            arr = np.asarray(results[key], dtype=np.float32)
            h, w = arr.shape[:2]
            resized = cv2.resize(arr, (out_w, out_h),
                                 interpolation=self._INTERP[self.interpolation])
            if arr.ndim == 3 and resized.ndim == 2:
                resized = resized[..., None]
            if key == 'flow':
                resized = resized * np.array([out_w / w, out_h / h], np.float32)
            results[key] = resized.astype(np.float32)
            if key == 'img':
                results['img_shape'] = (out_h, out_w)
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(size={self.size}, '
                f'interpolation={self.interpolation!r}, keys={self.keys})')
