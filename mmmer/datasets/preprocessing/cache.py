"""Cache keys of the offline preprocessing.

A sample's cache file lives at ``<cache_dir>/<config hash>/<sample key>.npz``:

- the config hash covers the preprocessing pipeline and stored keys, so a
  changed preprocessing config never reuses stale arrays;
- the sample key covers the sample's identity (subject, clip, onset/apex/
  offset) and the size and modification time of every input file, so a
  regenerated or replaced frame invalidates that sample only.
"""
import hashlib
import json
import os
import os.path as osp

__all__ = ['CACHE_FORMAT_VERSION', 'preprocess_config_hash', 'sample_cache_key']

# Bump when a transform's numerical behaviour changes in a way configs cannot see.
CACHE_FORMAT_VERSION = 1

_SAMPLE_FIELDS = ('dataset', 'subject', 'clip', 'onset', 'apex', 'offset')
_FILE_FIELDS = ('frame_paths', 'flow_path', 'apex_face_path')


def _stable_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=str, separators=(',', ':'))


def preprocess_config_hash(pipeline, keys) -> str:
    payload = dict(pipeline=pipeline, keys=list(keys), version=CACHE_FORMAT_VERSION)
    return hashlib.sha1(_stable_json(payload).encode()).hexdigest()[:16]


def _file_signature(path):
    try:
        st = os.stat(path)
    except OSError:
        return [osp.abspath(path), None, None]
    return [osp.abspath(path), st.st_size, st.st_mtime_ns]


def sample_cache_key(info: dict) -> str:
    payload = {k: info.get(k) for k in _SAMPLE_FIELDS}
    files = []
    for field in _FILE_FIELDS:
        value = info.get(field)
        if value is None:
            continue
        for p in ([value] if isinstance(value, str) else value):
            files.append(_file_signature(p))
    payload['files'] = files
    return hashlib.sha1(_stable_json(payload).encode()).hexdigest()
