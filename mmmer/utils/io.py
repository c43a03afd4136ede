"""Atomic file writes: results and caches are never left half-written."""
import json
import os
import os.path as osp
import tempfile

import numpy as np


def _atomic_write(path, write_fn, mode='w'):
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.tmp_', suffix=osp.basename(path))
    try:
        with os.fdopen(fd, mode) as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f'{type(obj)} is not JSON serialisable')


def dump_json_atomic(obj, path, indent=2):
    _atomic_write(path, lambda f: json.dump(obj, f, indent=indent, default=_json_default))


def write_text_atomic(text, path):
    _atomic_write(path, lambda f: f.write(text))


def save_npz_atomic(path, **arrays):
    _atomic_write(path, lambda f: np.savez(f, **arrays), mode='wb')
