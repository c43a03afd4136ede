"""What a FINISHED LOSO fold keeps on disk (``loso.keep_checkpoints``).

While a fold trains, its checkpoints hold the full training state (weights,
optimizer moments, parameter schedulers, message hub) so an interrupted fold
resumes exactly. Once the fold's ``predictions.json`` exists, that state is
dead weight (an Adam checkpoint is three times the model size):

``'last'`` (default)
    keep the checkpoint ``last_checkpoint`` names and any ``best_*.pth``
    (selected on a validation split carved from training subjects, used by a
    second stage's ``loso.init_from``), each reduced to ``state_dict`` +
    ``meta``. They still load with ``load_from`` / ``tools/test.py`` /
    ``loso.init_from``; other ``epoch_*.pth`` files are deleted.
``'full'``
    keep every checkpoint as saved.
``'none'``
    delete every checkpoint and the ``last_checkpoint`` marker (the fold's
    predictions remain; a second stage cannot start from this fold).

The applied policy is recorded in ``checkpoint_policy.json`` in the fold dir,
so applying it again is cheap and a rerun knows a reduced checkpoint cannot
be resumed.
"""
import glob
import json
import os
import os.path as osp
import tempfile
from typing import Optional

import torch

from mmmer.utils.io import dump_json_atomic

__all__ = ['KEEP_CHECKPOINTS', 'POLICY_FILE', 'applied_policy', 'apply_checkpoint_policy',
           'reduce_to_weights', 'check_keep_checkpoints']

KEEP_CHECKPOINTS = ('last', 'full', 'none')
POLICY_FILE = 'checkpoint_policy.json'
WEIGHT_KEYS = ('meta', 'state_dict')


def check_keep_checkpoints(policy: str) -> str:
    if policy not in KEEP_CHECKPOINTS:
        raise ValueError(f'loso.keep_checkpoints={policy!r} is not a storage policy; '
                         f'valid: {list(KEEP_CHECKPOINTS)}.')
    return policy


def applied_policy(fold_dir: str) -> Optional[str]:
    path = osp.join(fold_dir, POLICY_FILE)
    if not osp.exists(path):
        return None
    with open(path) as f:
        return json.load(f).get('policy')


def reduce_to_weights(path: str) -> int:
    """Rewrite checkpoint ``path`` (atomically) with ``state_dict`` and
    ``meta`` only; returns the new size in bytes."""
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    if set(ckpt) - set(WEIGHT_KEYS):
        reduced = {k: ckpt[k] for k in WEIGHT_KEYS if k in ckpt}
        reduced.setdefault('meta', {})['weights_only'] = True
        fd, tmp = tempfile.mkstemp(dir=osp.dirname(osp.abspath(path)), prefix='.tmp_',
                                   suffix=osp.basename(path))
        try:
            with os.fdopen(fd, 'wb') as f:
                torch.save(reduced, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            if osp.exists(tmp):
                os.remove(tmp)
    return os.path.getsize(path)


def _last_checkpoint(fold_dir: str) -> Optional[str]:
    marker = osp.join(fold_dir, 'last_checkpoint')
    if not osp.exists(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    if not osp.exists(path):  # work dir moved: the marker holds an old path
        path = osp.join(fold_dir, osp.basename(path))
    return path if osp.exists(path) else None


def apply_checkpoint_policy(fold_dir: str, policy: str = 'last', logger=None) -> dict:
    """Apply ``policy`` to the finished fold in ``fold_dir``; returns
    ``dict(policy, kept=[...], removed=[...], bytes=total kept bytes)``."""
    check_keep_checkpoints(policy)
    if applied_policy(fold_dir) == policy:
        with open(osp.join(fold_dir, POLICY_FILE)) as f:
            return json.load(f)
    last = _last_checkpoint(fold_dir)
    all_ckpts = sorted(glob.glob(osp.join(fold_dir, '*.pth')))
    kept, removed = [], []
    if policy == 'full':
        kept = all_ckpts
    elif policy == 'none':
        removed = all_ckpts
    else:
        best = [p for p in all_ckpts if osp.basename(p).startswith('best_')]
        kept = sorted(set(best) | ({last} if last else set()))
        removed = [p for p in all_ckpts if p not in kept]
    for path in kept if policy == 'last' else []:
        reduce_to_weights(path)
    for path in removed:
        os.remove(path)
    if policy == 'none' and osp.exists(osp.join(fold_dir, 'last_checkpoint')):
        os.remove(osp.join(fold_dir, 'last_checkpoint'))
    for tmp in glob.glob(osp.join(fold_dir, '.tmp_*.pth')):
        os.remove(tmp)  # left by a write that was killed
    info = dict(policy=policy, kept=[osp.basename(p) for p in kept],
                removed=[osp.basename(p) for p in removed],
                bytes=int(sum(osp.getsize(p) for p in kept)))
    dump_json_atomic(info, osp.join(fold_dir, POLICY_FILE))
    if logger is not None:
        logger.info(f'{fold_dir}: checkpoints {policy!r}: kept {info["kept"]} '
                    f'({info["bytes"] / 1e6:.1f} MB), removed {len(removed)}')
    return info
