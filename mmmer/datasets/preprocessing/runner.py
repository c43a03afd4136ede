"""Offline preprocessing: the expensive pipeline once per sample, cached.

Used by :class:`mmmer.datasets.base.MEDataset` when a dataset config has
``preprocess=dict(pipeline=[...], keys=('img',), cache_dir=..., workers=N)``
and by ``tools/preprocess.py``. Each sample's arrays are written atomically
to an ``.npz``; a rerun only computes what is missing. Failures never pass
silently: every failed sample is named with its error, the successful ones
stay cached, and the run then stops (or, with ``on_error='skip'``, drops the
failed samples and logs each one).
"""
import copy
import multiprocessing as mp
import os
import os.path as osp
import time
from concurrent.futures import ProcessPoolExecutor
from typing import List, Optional

import numpy as np
from mmengine.logging import MMLogger

from mmmer.utils.errors import MMMERUserError
from mmmer.utils.io import dump_json_atomic, save_npz_atomic

from .cache import preprocess_config_hash, sample_cache_key
from .workers import worker_start_problem

__all__ = ['FLAG_PREFIX', 'PreprocessingError', 'run_preprocessing']

_WORKER_PIPELINE = None
FLAG_PREFIX = '_flag_'


class PreprocessingError(RuntimeError, MMMERUserError):
    """Raised when some samples could not be preprocessed."""


def _build_pipeline(pipeline_cfg):
    from mmengine.dataset import Compose

    import mmmer.datasets.transforms  # noqa: F401  (registers transforms)
    from mmmer.registry import TRANSFORMS
    return Compose([TRANSFORMS.build(copy.deepcopy(t)) for t in pipeline_cfg])


def _transform_modules(pipeline_cfg):
    """Modules defining the pipeline's transforms, so that spawned workers can
    import plugin transforms (``custom_imports``) as well as mmmer's own."""
    import mmmer.datasets.transforms  # noqa: F401
    from mmmer.registry import TRANSFORMS
    modules = []
    for t in pipeline_cfg:
        cls = TRANSFORMS.get(t['type']) if isinstance(t.get('type'), str) else t['type']
        if cls is not None and cls.__module__ not in modules:
            modules.append(cls.__module__)
    return modules


def _init_worker(pipeline_cfg, modules=()):
    global _WORKER_PIPELINE
    import importlib
    for name in modules:
        importlib.import_module(name)
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    try:
        import cv2
        cv2.setNumThreads(1)
    except ImportError:
        pass
    _WORKER_PIPELINE = _build_pipeline(pipeline_cfg)


def _sample_name(info):
    return f"{info.get('subject')}/{info.get('clip')}"


def _process_one(args):
    """Run the pipeline on one sample and write its cache file.

    Returns ``(index, error_message_or_None, flags)``.
    """
    index, info, keys, out_path = args
    try:
        results = _WORKER_PIPELINE(copy.deepcopy(info))
        if results is None:
            return index, 'the pipeline returned None (a transform dropped it)', {}
        arrays = {}
        for k in keys:
            if k not in results:
                return index, (f'the pipeline produced no {k!r} '
                               f'(it produced {sorted(results)})'), {}
            arrays[k] = np.asarray(results[k])
        flags = {k: bool(results[k]) for k in ('face_fallback',) if results.get(k)}
        # Flags travel with the arrays so a cached rerun still reports them.
        for k, v in flags.items():
            arrays[FLAG_PREFIX + k] = np.asarray(v)
        save_npz_atomic(out_path, **arrays)
        return index, None, flags
    except Exception as e:  # reported with the sample name by the caller
        return index, f'{type(e).__name__}: {e}', {}


def run_preprocessing(data_list: List[dict], preprocess_cfg: dict,
                      dataset_name: str = 'dataset',
                      workers: Optional[int] = None,
                      progress: bool = True) -> List[dict]:
    """Fill ``cache_path`` of every sample, computing missing cache files.

    Args:
        data_list: sample dicts of a dataset.
        preprocess_cfg: ``pipeline`` (list of transform configs), ``keys``
            (arrays to store, default ``('img',)``), ``cache_dir`` (required),
            ``workers`` (processes, default 1), ``on_error`` (``'raise'`` or
            ``'skip'``).
    """
    logger = MMLogger.get_current_instance()
    cfg = dict(preprocess_cfg)
    pipeline_cfg = cfg.get('pipeline')
    if not pipeline_cfg:
        raise ValueError(f'{dataset_name}: preprocess needs a non-empty pipeline')
    cache_root = cfg.get('cache_dir')
    if not cache_root:
        raise ValueError(f'{dataset_name}: preprocess needs cache_dir')
    keys = tuple(cfg.get('keys', ('img',)))
    workers = int(workers or cfg.get('workers', 1) or 1)
    # 'spawn' by default: forking a process that already runs torch/OpenCV
    # threads can deadlock the children (seen here: workers stuck in a futex).
    start_method = cfg.get('mp_start_method', 'spawn')
    modules = _transform_modules(pipeline_cfg) if workers > 1 else []
    problem = worker_start_problem(start_method, modules) if workers > 1 else None
    if problem:
        logger.warning(f'{dataset_name}: preprocess.workers={workers} ignored, '
                       f'preprocessing in this process instead: {problem}. Run the '
                       'code from a script file to use worker processes.')
        workers = 1
    on_error = cfg.get('on_error', 'raise')
    cfg_hash = preprocess_config_hash(pipeline_cfg, keys)
    cache_dir = osp.join(cache_root, cfg_hash)
    os.makedirs(cache_dir, exist_ok=True)
    manifest = osp.join(cache_dir, 'preprocess_config.json')
    if not osp.exists(manifest):
        dump_json_atomic(dict(pipeline=pipeline_cfg, keys=list(keys)), manifest)

    todo, cached_fallbacks = [], []
    for i, info in enumerate(data_list):
        path = osp.join(cache_dir, sample_cache_key(info) + '.npz')
        info['cache_path'] = path
        if not osp.exists(path):
            todo.append((i, info, keys, path))
        elif _cached_flag(path, 'face_fallback'):
            cached_fallbacks.append(i)
    if not todo:
        logger.info(f'{dataset_name}: all {len(data_list)} samples found in the '
                    f'preprocessing cache {cache_dir}')
        _report_fallbacks(logger, dataset_name, data_list, cached_fallbacks)
        return data_list

    logger.info(f'{dataset_name}: preprocessing {len(todo)} of {len(data_list)} '
                f'samples with {workers} worker(s) into {cache_dir}')
    start = time.perf_counter()
    failures, fallbacks = {}, []
    bar = _progress(len(todo), f'preprocess {dataset_name}', progress)
    if workers <= 1:
        _init_worker(pipeline_cfg)
        outcomes = map(_process_one, todo)
        for index, err, flags in outcomes:
            _collect(index, err, flags, failures, fallbacks)
            bar.update(1)
    else:
        ctx = mp.get_context(start_method)
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(pipeline_cfg, modules)) as pool:
            for index, err, flags in pool.map(_process_one, todo, chunksize=1):
                _collect(index, err, flags, failures, fallbacks)
                bar.update(1)
    bar.close()
    elapsed = time.perf_counter() - start
    done = len(todo) - len(failures)
    logger.info(f'{dataset_name}: preprocessed {done} samples in {elapsed:.1f} s '
                f'({done / max(elapsed, 1e-9):.2f} clips/s, {workers} worker(s))')
    _report_fallbacks(logger, dataset_name, data_list, cached_fallbacks + fallbacks)
    if failures:
        lines = [f'  {_sample_name(data_list[i])}: {msg}' for i, msg in sorted(failures.items())]
        if on_error == 'skip':
            logger.warning(f'{dataset_name}: dropping {len(failures)} sample(s) that '
                           'failed preprocessing:\n' + '\n'.join(lines))
            return [d for i, d in enumerate(data_list) if i not in failures]
        raise PreprocessingError(
            f'{dataset_name}: {len(failures)} sample(s) failed preprocessing (the other '
            f'{done} are cached and will not be recomputed):\n' + '\n'.join(lines) +
            "\nFix or remove these samples, or set preprocess.on_error='skip' to drop "
            'them (each is logged).')
    return data_list


def _cached_flag(path, name) -> bool:
    try:
        with np.load(path) as z:
            key = FLAG_PREFIX + name
            return bool(z[key]) if key in z.files else False
    except (OSError, ValueError):
        return False


def _report_fallbacks(logger, dataset_name, data_list, indices):
    """Name every sample whose face was not found (fallback landmarks)."""
    for index in sorted(indices):
        info = data_list[index]
        frames = info.get('frame_paths') or [info.get('apex_face_path')]
        logger.warning(f'{dataset_name}: sample {_sample_name(info)} used the '
                       f'face-detection fallback (no face found in {frames[0]})')
    if indices:
        logger.warning(f'{dataset_name}: {len(indices)} of {len(data_list)} sample(s) '
                       'used the face-detection fallback')


def _collect(index, err, flags, failures, fallbacks):
    if err is not None:
        failures[index] = err
    elif flags.get('face_fallback'):
        fallbacks.append(index)


class _NullBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress(total, desc, enabled):
    if not enabled:
        return _NullBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NullBar()
    return tqdm(total=total, desc=desc, unit='clip', dynamic_ncols=True)
