"""MERInferencer: many clips, batched, with pictures (MMEngine inferencer style).

    from mmmer.apis import MERInferencer
    inferencer = MERInferencer('configs/htnet/htnet_synthetic.py',
                               'work_dirs/htnet_synthetic/all_subjects')
    out = inferencer([dict(onset='a/1.jpg', apex='a/5.jpg'),
                      dict(onset='b/1.jpg', apex='b/7.jpg')],
                     batch_size=8, out_dir='outputs')
    out['predictions']  # one dict per clip: pred_label, pred_class, scores, ...

A clip is a dict with ``onset``/``apex`` (and ``offset``) frame paths or BGR
arrays, or ``video`` + ``onset_frame``/``apex_frame`` (``offset_frame``), or
``frames_dir`` + those frame numbers, or ``flow`` + ``apex_face`` for
flow-image configs; a missing ``apex``/``apex_frame`` with a known offset is
estimated (:func:`~mmmer.apis.inputs.estimate_apex`). A tuple
``(onset, apex[, offset])`` is accepted too.
"""
import os.path as osp
from typing import List, Optional

import torch
from mmengine.infer import BaseInferencer

from mmmer.registry import INFERENCERS
from .inference import _finish, get_clip_pipeline, init_model
from .inputs import (InferenceInputError, check_key_frame_order, estimate_apex,
                     folder_frames, read_video_frames)

__all__ = ['MERInferencer', 'resolve_clip']


def resolve_clip(clip) -> dict:
    """Normalise one clip description into ``dict(onset=, apex=, offset=, name=, ...)``.

    Video and folder inputs are read here (frame indices checked: onset <
    apex <= offset), and a missing apex is estimated from onset..offset.
    """
    if isinstance(clip, (tuple, list)):
        if not 2 <= len(clip) <= 3:
            raise InferenceInputError(f'a clip tuple is (onset, apex[, offset]), got {len(clip)} '
                                      'items.')
        clip = dict(zip(('onset', 'apex', 'offset'), clip))
    if not isinstance(clip, dict):
        raise InferenceInputError(f'a clip must be a dict or a tuple, got {type(clip).__name__}.')
    clip = dict(clip)
    source = clip.pop('video', None)
    folder = clip.pop('frames_dir', None)
    if source is None and folder is None:
        if clip.get('flow') is None and clip.get('apex') is None:
            raise InferenceInputError('a clip needs its apex frame (or video/frames_dir with '
                                      'onset_frame and offset_frame to estimate it).')
        return clip
    onset, apex, offset = (clip.pop(k, None) for k in ('onset_frame', 'apex_frame',
                                                       'offset_frame'))
    where = source or folder
    if onset is None or (apex is None and offset is None):
        raise InferenceInputError(f'{where}: give onset_frame and apex_frame (or '
                                  'offset_frame, to estimate the apex).')
    if apex is not None:
        check_key_frame_order(onset, apex, offset, where=where)
        wanted = [onset, apex] + ([offset] if offset is not None else [])
    else:
        if int(offset) <= int(onset):
            raise InferenceInputError(f'{where}: the onset frame {onset} is not before the '
                                      f'offset frame {offset}.')
        wanted = list(range(int(onset), int(offset) + 1))
    frames = read_video_frames(source, wanted) if source is not None else \
        folder_frames(folder, wanted)
    if apex is None:
        index, mags = estimate_apex([frames[i] for i in wanted])
        apex = wanted[index]
        clip['apex_estimate'] = dict(apex_frame=int(apex),
                                     mean_flow_magnitude=[float(m) for m in mags])
    clip.update(onset=frames[int(onset)], apex=frames[int(apex)],
                offset=frames[int(offset)] if offset is not None else None,
                key_frames=dict(onset=int(onset), apex=int(apex),
                                offset=None if offset is None else int(offset)))
    clip.setdefault('name', f'{osp.basename(str(where))}[{onset}:{apex}:{offset}]')
    return clip


def prediction_dict(sample) -> dict:
    """JSON-ready prediction of one data sample."""
    scores = sample.pred_score.detach().cpu().numpy().ravel()
    classes = list(sample.metainfo.get('classes', ()))
    out = dict(pred_label=int(sample.pred_label.reshape(-1)[0]),
               pred_class=sample.metainfo.get('pred_class'),
               scores={(classes[i] if i < len(classes) else str(i)): float(s)
                       for i, s in enumerate(scores)},
               face_fallback=bool(sample.metainfo.get('face_fallback', False)),
               fallback_step=sample.metainfo.get('fallback_step'))
    for key in ('clip', 'key_frames', 'apex_estimate'):
        if key in sample.metainfo:
            out['name' if key == 'clip' else key] = sample.metainfo[key]
    return out


@INFERENCERS.register_module()
def _prefetched(iterable, depth: int):
    """Iterate ``iterable`` in a daemon thread, ``depth`` items ahead; an
    exception raised there is raised here, at the item where it happened."""
    import queue
    import threading
    buffer = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce():
        try:
            for item in iterable:
                while not stop.is_set():
                    try:
                        buffer.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put((True, done))
        except BaseException as e:  # noqa: BLE001  (re-raised by the consumer)
            buffer.put((False, e))

    thread = threading.Thread(target=produce, name='mmmer-clip-prefetch', daemon=True)
    thread.start()
    try:
        while True:
            ok, item = buffer.get()
            if not ok:
                raise item
            if item is done:
                return
            yield item
    finally:
        stop.set()


class MERInferencer(BaseInferencer):
    """Classify many micro-expression clips with a config and a checkpoint.

    Args:
        model: config file path or :class:`mmengine.Config`.
        weights: checkpoint (``.pth``, run folder or work dir with
            ``all_subjects/``); None = random weights.
        device: torch device (default ``'cpu'``).
        cfg_options: config overrides.

    Call with ``inputs`` (a clip or a list of clips, see the module doc),
    ``batch_size``, ``prefetch`` (batches preprocessed ahead in a background
    thread while the model runs; 0 = in line; default 2), ``out_dir`` (one PNG per clip, see
    :mod:`mmmer.apis.visualization`), ``gradcam`` (default True) and
    ``return_datasamples``. Returns ``dict(predictions=[...],
    visualization=[...])`` (picture records when ``out_dir`` is given).
    """
    preprocess_kwargs = {'prefetch'}
    forward_kwargs = set()
    visualize_kwargs = {'out_dir', 'gradcam', 'show'}
    postprocess_kwargs = set()

    def __init__(self, model, weights: Optional[str] = None, device: str = 'cpu',
                 cfg_options: Optional[dict] = None, show_progress: bool = False):
        self._cfg_options = cfg_options
        self._records = []
        super().__init__(model=model, weights=weights, device=device, scope='mmmer',
                         show_progress=show_progress)

    def _init_model(self, cfg, weights, device):
        return init_model(cfg, weights, device=device, cfg_options=self._cfg_options)

    def _init_pipeline(self, cfg):
        pipeline = get_clip_pipeline(self.model)
        return lambda clip: self._run_one(pipeline, clip)

    def _init_visualizer(self, cfg):
        return None

    def _run_one(self, pipeline, clip):
        clip = resolve_clip(clip)
        item = pipeline.run(clip, record=True)
        meta = {k: clip[k] for k in ('key_frames', 'apex_estimate') if k in clip}
        item['data_samples'].set_metainfo(meta)
        self._records.append(item)
        return dict(inputs=item['inputs'], data_samples=item['data_samples'])

    def preprocess(self, inputs, batch_size: int = 1, prefetch: int = 2, **kwargs):
        """Chunked, collated clips; with ``prefetch > 0`` the clips are
        preprocessed in one background thread, up to ``prefetch`` batches ahead,
        while the model runs on the current batch (TV-L1 and the network both
        release the GIL). One producer thread uses the pipeline's objects (dlib,
        MTCNN, the TV-L1 solver), so they are never used concurrently; clips are
        processed and returned in input order. ``prefetch=0`` runs in line."""
        if prefetch <= 0:
            yield from super().preprocess(inputs, batch_size=batch_size)
            return
        items = _prefetched(map(self.pipeline, inputs), max(1, prefetch * batch_size))
        yield from map(self.collate_fn, self._get_chunk_data(items, batch_size))

    def _inputs_to_list(self, inputs) -> list:
        if isinstance(inputs, (dict, tuple)):
            return [inputs]
        return list(inputs)

    def __call__(self, inputs, return_datasamples: bool = False, batch_size: int = 1,
                 **kwargs) -> dict:
        self._records = []
        return super().__call__(inputs, return_datasamples=return_datasamples,
                                batch_size=batch_size, **kwargs)

    @torch.no_grad()
    def forward(self, inputs, **kwargs):
        return _finish(self.model, self.model.test_step(inputs))

    def visualize(self, inputs: list, preds, out_dir: Optional[str] = None,
                  gradcam: bool = True, show: bool = False, **kwargs) -> List[dict]:
        from .visualization import compute_gradcam, draw_clip_panel
        if out_dir is None:
            return []
        vis = []
        for i, (item, pred) in enumerate(zip(self._records, preds)):
            cam, note = compute_gradcam(self.model, item['inputs']) if gradcam else \
                (None, 'not requested')
            name = pred.metainfo.get('clip', f'clip_{i}')
            safe = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in name)
            vis.append(draw_clip_panel(osp.join(out_dir, f'{i:04d}_{safe}.png'),
                                       item['stages'], item['preprocessed'],
                                       item['inputs'], pred, cam=cam, cam_note=note,
                                       title=name))
        return vis

    def postprocess(self, preds, visualization, return_datasample: bool = False,
                    **kwargs) -> dict:
        predictions = preds if return_datasample else [prediction_dict(p) for p in preds]
        return dict(predictions=predictions, visualization=visualization)

