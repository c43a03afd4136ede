"""``init_model`` / ``inference_model``: apply a trained model to one clip.

    from mmmer.apis import init_model, inference_model
    model = init_model('configs/htnet/htnet_synthetic.py',
                       'work_dirs/htnet_synthetic/all_subjects')
    result = inference_model(model, 'onset.jpg', 'apex.jpg')
    print(result.pred_class, result.pred_score)

The config is the one source of truth: the clip goes through the config's own
test-time preprocessing (:class:`~mmmer.apis.pipeline.ClipPipeline`), then
the model's ``test_step`` as in ``tools/test.py``.
"""
import copy
import os.path as osp
import warnings
from typing import List, Optional, Sequence, Union

import torch
from mmengine.config import Config

from mmmer.structures import MEDataSample
from mmmer.utils.errors import MMMERUserError
from .inputs import FrameSource, InferenceFileError
from .pipeline import ClipPipeline, test_dataset_cfg

__all__ = ['init_model', 'inference_model', 'inference_flow_image', 'inference_clips',
           'resolve_checkpoint', 'config_class_names', 'get_clip_pipeline']


class CheckpointError(ValueError, MMMERUserError):
    """A checkpoint does not fit the config's model."""


def resolve_checkpoint(checkpoint: str) -> str:
    """A checkpoint file from a file, a run folder (``last_checkpoint``) or a
    work dir holding ``all_subjects/`` (``tools/train.py --all-subjects``)."""
    from mmmer.engine.fold_config import resolve_fold_checkpoint
    if osp.isfile(checkpoint):
        return checkpoint
    if not osp.isdir(checkpoint):
        raise InferenceFileError(f'checkpoint {checkpoint} does not exist (give a .pth '
                                 'file or the all_subjects/ folder of a work dir).')
    for folder in (checkpoint, osp.join(checkpoint, 'all_subjects')):
        if osp.exists(osp.join(folder, 'last_checkpoint')):
            return resolve_fold_checkpoint(folder)
    raise InferenceFileError(
        f'{checkpoint} is a folder without a last_checkpoint marker or an all_subjects/ '
        'run; train the deployable model with `python tools/train.py CONFIG '
        '--all-subjects` and pass WORK_DIR/all_subjects (or a .pth file).')


def config_class_names(cfg) -> List[str]:
    """Class names of the config's test dataset (label set of its dataset class)."""
    from mmmer.datasets.label_maps import get_label_map
    from mmmer.registry import DATASETS
    ds = test_dataset_cfg(cfg)
    if ds.get('class_names'):
        return list(ds['class_names'])
    try:
        cls = DATASETS.get(ds['type']) if isinstance(ds.get('type'), str) else ds.get('type')
        names = getattr(cls, 'CLASS_NAMES', None) or get_label_map(
            cls.DATASET_NAME, ds.get('label_set', '3class'))[1]
        return list(names)
    except (KeyError, ValueError, AttributeError, TypeError):
        num = int(cfg.model.head.get('num_classes', 0))
        return [f'class_{i}' for i in range(num)]


def _load_config(config, cfg_options: Optional[dict] = None) -> Config:
    if isinstance(config, (str, bytes)) or hasattr(config, '__fspath__'):
        if not osp.isfile(str(config)):
            raise InferenceFileError(f'config file {config} does not exist.')
        cfg = Config.fromfile(str(config))
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError(f'config must be a file path or a Config, got {type(config)}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def init_model(config, checkpoint: Optional[str] = None, device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the config's model, load a checkpoint, and set it to eval mode.

    Args:
        config: config file path or :class:`mmengine.Config`.
        checkpoint: a ``.pth`` file, a run folder with ``last_checkpoint``, or
            a work dir with an ``all_subjects/`` run. ``None``: random weights
            (a warning; for plumbing tests only).
        device: ``'cpu'``, ``'cuda'``, ``'cuda:0'`` ...
        cfg_options: overrides merged into the config (as ``--cfg-options``).

    Returns:
        The model, with ``cfg`` (the config) and ``dataset_meta`` (``classes``)
        attached; the clip preprocessing is built on first use.
    """
    import mmmer  # noqa: F401  (compat patches)
    from mmengine.registry import init_default_scope
    from mmengine.utils import import_modules_from_strings

    from mmmer.registry import MODELS
    cfg = _load_config(config, cfg_options)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'mmmer'))
    model = MODELS.build(copy.deepcopy(cfg.model))
    classes = config_class_names(cfg)
    if checkpoint is None:
        warnings.warn('init_model: no checkpoint given, the model has random weights.',
                      UserWarning, stacklevel=2)
    else:
        path = resolve_checkpoint(str(checkpoint))
        ckpt = torch.load(path, map_location='cpu', weights_only=False)
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
        if not isinstance(state, dict):
            raise CheckpointError(f'{path} holds no state_dict.')
        state = {k[7:] if k.startswith('module.') else k: v for k, v in state.items()}
        result = model.load_state_dict(state, strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise CheckpointError(
                f'checkpoint {path} does not fit the model of this config: missing '
                f'{result.missing_keys[:5]}{"..." if len(result.missing_keys) > 5 else ""}'
                f', unexpected {result.unexpected_keys[:5]}'
                f'{"..." if len(result.unexpected_keys) > 5 else ""}. Use the config '
                'the model was trained with (and the same --cfg-options).')
        meta = ckpt.get('meta') or {}
        saved = (meta.get('dataset_meta') or {}).get('classes')
        if saved:
            classes = list(saved)
        model.checkpoint_path = path
    model.cfg = cfg
    model.dataset_meta = dict(classes=tuple(classes))
    model.to(device)
    model.eval()
    return model


def get_clip_pipeline(model) -> ClipPipeline:
    """The model config's clip preprocessing, built once and kept on the model."""
    pipeline = getattr(model, '_mmmer_clip_pipeline', None)
    if pipeline is None:
        if getattr(model, 'cfg', None) is None:
            raise ValueError('the model has no config attached; build it with init_model().')
        pipeline = ClipPipeline(model.cfg)
        model._mmmer_clip_pipeline = pipeline
    return pipeline


def _finish(model, samples: Sequence[MEDataSample]) -> List[MEDataSample]:
    classes = list(model.dataset_meta['classes'])
    for s in samples:
        label = int(s.pred_label.reshape(-1)[0])
        s.set_metainfo(dict(classes=tuple(classes),
                            pred_class=classes[label] if label < len(classes)
                            else str(label)))
    return list(samples)


def inference_clips(model, clips: Sequence[dict], batch_size: int = 8,
                    record: bool = False) -> List[dict]:
    """Preprocess and classify many clips (``ClipPipeline.run`` dicts), batched.

    Returns one dict per clip: ``data_sample`` (the prediction), ``inputs``
    (the exact model input tensor), and with ``record`` the ``stages`` and
    the ``preprocessed`` results (for pictures).
    """
    from mmengine.dataset import pseudo_collate
    pipeline = get_clip_pipeline(model)
    out = []
    for start in range(0, len(clips), max(1, int(batch_size))):
        items = [pipeline.run(c, record=record) for c in clips[start:start + batch_size]]
        batch = pseudo_collate([dict(inputs=i['inputs'], data_samples=i['data_samples'])
                                for i in items])
        with torch.no_grad():
            preds = _finish(model, model.test_step(batch))
        for item, pred in zip(items, preds):
            item['data_sample'] = pred
            out.append(item)
    return out


def inference_model(model, onset: FrameSource, apex: FrameSource,
                    offset: Optional[FrameSource] = None,
                    name: Optional[str] = None) -> MEDataSample:
    """Classify one clip from its key frames.

    Args:
        model: from :func:`init_model`.
        onset, apex, offset: frame file paths or BGR uint8 arrays (OpenCV's
            order). ``offset`` is needed by configs that load it (EDMDBN).
        name: a name for messages (default ``'clip'``).

    Returns:
        :class:`~mmmer.structures.MEDataSample` with ``pred_label``,
        ``pred_score`` (per-class scores) and metainfo ``pred_class`` (name),
        ``classes``, ``face_fallback`` (True when no face was found and the
        fallback landmarks were used).
    """
    clip = dict(onset=onset, apex=apex, offset=offset, name=name)
    return inference_clips(model, [clip], batch_size=1)[0]['data_sample']


def inference_flow_image(model, flow: str, apex_face: Optional[str] = None,
                         name: Optional[str] = None) -> MEDataSample:
    """Classify one sample of a flow-image config (HTNet's precomputed layout):
    the flow PNG (planes B, G, R = strain, v, u) and the apex face image."""
    clip = dict(flow=flow, apex_face=apex_face, name=name)
    return inference_clips(model, [clip], batch_size=1)[0]['data_sample']


def as_clip(onset: Optional[Union[FrameSource, dict]] = None, apex=None, offset=None,
            **kwargs) -> dict:
    """A clip dict for :func:`inference_clips` / ``MERInferencer``."""
    if isinstance(onset, dict):
        return dict(onset)
    return dict(onset=onset, apex=apex, offset=offset, **kwargs)
