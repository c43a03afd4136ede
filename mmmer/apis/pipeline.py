"""A config's own preprocessing, applied to one clip in memory.

Training reads a sample through two pipelines of the dataset config (see
:class:`mmmer.datasets.base.MEDataset`): the offline ``preprocess.pipeline``,
run once per sample with its ``preprocess.keys`` arrays written to a cache
file, and the online ``pipeline``, which starts by reading those arrays back
(``LoadCachedArrays``). :class:`ClipPipeline` runs exactly these two
pipelines of the config's TEST dataloader on a clip given as frames, with two
substitutions that change where data comes from, never what is computed:

- the dataset's frame loader (``LoadKeyFrames``) is replaced by a loader of
  the frames handed in (same keys, same colour order, same decoding);
- the cache round trip (write ``keys`` -> ``LoadCachedArrays``) is replaced
  by handing the same ``keys`` arrays to the online pipeline in memory.

The transforms are built once per pipeline, so dlib/MTCNN models (cached per
process) and OpenCV's TV-L1 object (cached per transform) are created once,
not per clip.

Configs on precomputed flow images (``LoadFlowImage`` + ``LoadApexFace``,
HTNet's published MEGC2019 inputs) take a flow image plus the apex face. Fed
raw frames instead, their loading block is replaced by mmmer's raw-frame
flow block (dlib alignment on the apex -> OpenCV TV-L1 -> optical strain ->
resize -> per-plane min-max to 0..255); that is NOT the estimator that made
the published images, so a warning says so.
"""
import copy
import warnings
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from mmmer.utils.errors import MMMERUserError
from .inputs import InferenceInputError, load_frame

__all__ = ['ClipPipeline', 'FLOW_ESTIMATOR_WARNING', 'test_dataset_cfg', 'STAGE_KEYS']

#: Keys recorded after every transform (for the demo picture and the browser).
STAGE_KEYS = ('frames', 'landmarks', 'five_points', 'five_points_shape', 'flow', 'strain',
              'img', 'region_mask', 'face_fallback')

FLOW_ESTIMATOR_WARNING = (
    'this config was made for precomputed flow images (HTNet\'s published '
    'MEGC2019 inputs); fed raw frames, mmmer computes the flow itself (dlib '
    'alignment, OpenCV TV-L1, optical strain, min-max to 0..255), which is a '
    'different flow estimator than the one that made those images: a model '
    'trained on them sees inputs of another distribution. Pass the flow image '
    'and the apex face (flow=..., apex_face=...) made the same way as its '
    'training data, or train on raw frames.')


def test_dataset_cfg(cfg) -> dict:
    """The innermost dataset config of the test (else val, else train) loader."""
    from mmmer.datasets.builder import innermost_dataset_cfg
    for name in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        loader = cfg.get(name)
        if loader and loader.get('dataset'):
            return innermost_dataset_cfg(loader['dataset'])
    raise ValueError('the config has no test_dataloader.dataset (nor val/train): '
                     'inference reads its preprocessing from there.')


def _type_name(step) -> str:
    t = step.get('type')
    return t if isinstance(t, str) else getattr(t, '__name__', str(t))


class _KeyFramesFromMemory(BaseTransform):
    """``LoadKeyFrames`` for frames handed in (``results['_frames_bgr']``)."""

    def __init__(self, keys, color='rgb'):
        self.keys = (keys, ) if isinstance(keys, str) else tuple(keys)
        self.color = color

    def transform(self, results):
        import cv2
        given = results['_frames_bgr']
        frames = []
        for key in self.keys:
            if key not in given:
                raise InferenceInputError(
                    f'this config loads the {key} frame ({self.keys}); pass it '
                    f'({key}=... / --{key} / --{key}-frame).')
            img = given[key]
            frames.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if self.color == 'rgb'
                          else img.copy())
        shapes = {f.shape for f in frames}
        if len(shapes) > 1:
            raise InferenceInputError(
                'the key frames differ in size (' + ', '.join(
                    f'{k} {f.shape[1]}x{f.shape[0]}' for k, f in zip(self.keys, frames))
                + '); they must come from one video at one resolution.')
        results['frames'] = frames
        results['frame_ids'] = [int(results[k]) for k in self.keys]
        results['frame_files'] = [results['_frame_names'][k] for k in self.keys]
        results['img_shape'] = frames[0].shape[:2]
        results['ori_shape'] = frames[0].shape[:2]
        return results


class _CachedArraysFromMemory(BaseTransform):
    """``LoadCachedArrays`` for the arrays the offline pipeline just made."""

    def __init__(self, keys=None):
        self.keys = keys

    def transform(self, results):
        arrays = results.pop('_cached_arrays')
        for k in (self.keys or list(arrays)):
            if k not in arrays:
                raise KeyError(f'LoadCachedArrays(keys={self.keys}): the preprocessing '
                               f'stores only {sorted(arrays)}')
            results[k] = arrays[k]
        return results


class _FlowPlanesToFileOrder(BaseTransform):
    """(u, v, strain) -> the file's (strain, v, u), as LoadFlowImage(channel_order='file')."""

    def transform(self, results):
        results['img'] = np.ascontiguousarray(results['img'][..., ::-1])
        return results


def _snapshot(results: dict) -> dict:
    snap = {}
    for k in STAGE_KEYS:
        if k in results:
            v = results[k]
            if isinstance(v, list):
                snap[k] = [np.array(a, copy=True) for a in v]
            elif isinstance(v, np.ndarray):
                snap[k] = v.copy()
            else:
                snap[k] = v
    return snap


class ClipPipeline:
    """The test-time preprocessing of a config, for clips handed in.

    Args:
        cfg: the full config (a :class:`mmengine.Config` or dict).

    Attributes:
        input_kind: ``'frames'`` (configs that load key frames) or
            ``'flow_image'`` (configs on precomputed flow images; they also
            accept frames, see the module doc).
        frame_keys: the key frames the config loads (e.g. ``('onset',
            'apex')``; EDMDBN also needs ``'offset'``).
    """

    def __init__(self, cfg):
        import mmmer.datasets.transforms  # noqa: F401  (registers transforms)
        ds = test_dataset_cfg(cfg)
        pre = dict(ds.get('preprocess') or {})
        self.pre_cfg = [dict(s) for s in (pre.get('pipeline') or [])]
        self.keys = tuple(pre.get('keys', ('img', )))
        self.online_cfg = [dict(s) for s in (ds.get('pipeline') or [])]
        types = [_type_name(s) for s in self.pre_cfg + self.online_cfg]
        if 'LoadFlowImage' in types:
            self.input_kind = 'flow_image'
        elif 'LoadKeyFrames' in types:
            self.input_kind = 'frames'
        else:
            raise ValueError(
                'cannot tell what this config reads: its test pipelines have neither '
                'LoadKeyFrames (raw frames) nor LoadFlowImage (flow images): '
                f'{types}')
        self._built: Dict[str, Tuple[list, list]] = {}
        self.frame_keys = self._frame_keys(self._steps('frames')[0] + self._steps(
            'frames')[1]) if self.input_kind == 'frames' else ('onset', 'apex')

    # ------------------------------------------------------------ building
    @staticmethod
    def _frame_keys(steps) -> tuple:
        for name, t in steps:
            if isinstance(t, _KeyFramesFromMemory):
                return t.keys
        return ()

    def _raw_frame_flow_block(self, flow_step: dict) -> List[dict]:
        """mmmer's raw-frame equivalent of LoadFlowImage + LoadApexFace."""
        from mmmer.datasets.transforms.regions import HTNET_MAP_SIZE
        block = [
            dict(type='LoadKeyFrames', keys=('onset', 'apex')),
            dict(type='DetectFaceLandmarks', frame_index='apex',
                 on_failure='center_fallback'),
            dict(type='AlignCropFace', size=224),
            dict(type='TVL1Flow'),
            dict(type='OpticalStrain'),
            dict(type='ResizeMotion', size=HTNET_MAP_SIZE, keys=('flow', 'strain')),
            dict(type='StackMotion', normalize='minmax255'),
        ]
        if flow_step.get('channel_order', 'uvs') == 'file':
            block.append(dict(type=_FlowPlanesToFileOrder))
        return block

    def _build(self, cfg_list) -> list:
        from mmmer.registry import TRANSFORMS
        steps = []
        for step in cfg_list:
            name = _type_name(step)
            if name == 'LoadKeyFrames':
                t = _KeyFramesFromMemory(step.get('keys', ('onset', 'apex')),
                                         step.get('color', 'rgb'))
            elif name == 'LoadCachedArrays':
                t = _CachedArraysFromMemory(step.get('keys'))
            elif isinstance(step.get('type'), type):
                args = {k: v for k, v in step.items() if k != 'type'}
                t = step['type'](**args)
            else:
                t = TRANSFORMS.build(copy.deepcopy(step))
            steps.append((name, t))
        return steps

    def _steps(self, mode: str):
        """(offline steps, online steps) for ``mode`` 'frames' or 'flow_image'."""
        if mode not in self._built:
            pre = self.pre_cfg
            if mode == 'frames' and self.input_kind == 'flow_image':
                new = []
                for s in pre:
                    name = _type_name(s)
                    if name == 'LoadFlowImage':
                        new += self._raw_frame_flow_block(s)
                    elif name != 'LoadApexFace':
                        new.append(s)
                pre = new
            self._built[mode] = (self._build(pre), self._build(self.online_cfg))
        return self._built[mode]

    # ------------------------------------------------------------ running
    def __call__(self, clip: dict) -> dict:
        return self.run(clip)

    def run(self, clip: dict, record: bool = False) -> dict:
        """Preprocess one clip.

        Args:
            clip: ``dict(onset=, apex=, offset=None, name=None)`` with frame
                paths or BGR uint8 arrays, or ``dict(flow=, apex_face=,
                name=None)`` with file paths (flow-image configs).
            record: keep a snapshot of :data:`STAGE_KEYS` after every
                transform (``stages``).

        Returns:
            ``dict(inputs, data_samples)`` as the test dataloader yields one
            sample, plus ``stages`` (list of ``(transform name, snapshot)``)
            and ``preprocessed`` (the offline results dict).
        """
        name = clip.get('name') or 'clip'
        info = dict(dataset='inference', subject='inference', clip=name, sample_idx=0,
                    gt_label=None)
        if clip.get('flow') is not None:
            if self.input_kind != 'flow_image':
                raise InferenceInputError(
                    'this config computes its input from raw frames; pass the onset '
                    'and apex frames, not a flow image.')
            mode = 'flow_image'
            info.update(flow_path=str(clip['flow']),
                        apex_face_path=None if clip.get('apex_face') is None
                        else str(clip['apex_face']), onset=0, apex=1, offset=1)
            for key, what in (('flow_path', 'flow image'), ('apex_face_path', 'apex face')):
                load_frame(info[key], what) if info[key] is not None else None
        else:
            mode = 'frames'
            if clip.get('onset') is None or clip.get('apex') is None:
                raise InferenceInputError('a clip needs at least its onset and apex frames.')
            if self.input_kind == 'flow_image':
                warnings.warn(FLOW_ESTIMATOR_WARNING, UserWarning, stacklevel=3)
            frames, names = {}, {}
            for key in ('onset', 'apex', 'offset'):
                src = clip.get(key)
                if src is None:
                    continue
                frames[key] = load_frame(src, key)
                names[key] = str(src) if isinstance(src, str) else f'<{key} array>'
            info.update(onset=0, apex=1, offset=2 if 'offset' in frames else 1,
                        _frames_bgr=frames, _frame_names=names)
        pre_steps, online_steps = self._steps(mode)
        stages = []
        results = dict(info)
        if pre_steps:
            results = self._apply(pre_steps, results, stages, record, name)
            missing = [k for k in self.keys if k not in results]
            if missing:
                raise RuntimeError(f'the preprocessing produced no {missing} (it produced '
                                   f'{sorted(results)})')
            arrays = {k: np.asarray(results[k]) for k in self.keys}
            online = {k: v for k, v in info.items() if not k.startswith('_')}
            online['_cached_arrays'] = arrays
        else:
            online = results
        preprocessed = results
        packed = self._apply(online_steps, online, stages, record, name)
        sample = packed['data_samples']
        fallback = bool(preprocessed.get('face_fallback', False))
        sample.set_metainfo(dict(face_fallback=fallback, input_mode=mode,
                                 fallback_step=preprocessed.get('_fallback_step')))
        packed['stages'] = stages
        packed['preprocessed'] = {k: v for k, v in preprocessed.items()
                                  if not k.startswith('_')}
        return packed

    @staticmethod
    def _apply(steps, results, stages, record, name):
        for step_name, t in steps:
            try:
                out = t(results)
            except MMMERUserError:
                raise
            except (ValueError, KeyError, RuntimeError, IndexError, FileNotFoundError) as e:
                raise InferenceInputError(
                    f'preprocessing step {step_name} failed on clip {name}: {e}') from e
            if out is None:
                raise InferenceInputError(f'preprocessing step {step_name} dropped clip '
                                          f'{name}.')
            results = out
            if results.get('face_fallback') and not results.get('_fallback_step'):
                results['_fallback_step'] = step_name
            if record and 'data_samples' not in results:
                stages.append((step_name, _snapshot(results)))
        return results

    def describe(self) -> List[str]:
        """Names of the offline and online steps for frame inputs."""
        pre, online = self._steps('frames' if self.input_kind == 'frames' else 'flow_image')
        return [n for n, _ in pre] + ['(cache)'] * bool(pre) + [n for n, _ in online]

