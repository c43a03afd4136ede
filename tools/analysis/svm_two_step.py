"""Classic two-step SVM on the features of trained LOSO fold checkpoints.

"Micro-expression recognition model based on TV-L1 optical flow method and
improved ShuffleNet" (Liu et al., Scientific Reports) classifies with an SVM;
mmmer trains it end to end (SVMHingeHead). This tool offers the classic
alternative: for every fold of a finished LOSO work dir,

1. load that fold's checkpoint (``work_dir/fold_<subject>/``),
2. extract the backbone (+ plug-ins, + neck) features -- the pooled 1024-d
   conv5 vector for ShuffleNetV2 -- of every sample with the TEST pipeline
   (no augmentation, no flip-expanded copies),
3. fit ``StandardScaler + sklearn.svm.SVC`` on the fold's TRAINING subjects
   only (every subject except the held-out one),
4. predict the held-out subject.

Predictions are pooled over folds and scored once (UF1 / UAR / Acc, as the
LOSO loop does). Each finished fold is written atomically together with the
identity of the checkpoint file it came from (resolved path, size,
modification time) and of the SVM and feature settings: a rerun reuses a fold
only if all of these are unchanged, so a retrained fold (a new
``last_checkpoint``, or a checkpoint file rewritten in place) is recomputed.

Example::

    python tools/analysis/svm_two_step.py \
        configs/shufflenet/shufflenetv2_vit_svm_casme2.py \
        work_dirs/shufflenetv2_vit_svm_casme2 --checkpoint last --C 1.0
"""
import argparse
import copy
import hashlib
import json
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmmer.utils.cli import run_cli

#: Version of the per-fold cache file; bump when its meaning changes.
FOLD_CACHE_VERSION = 2


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='config the fold checkpoints were trained with')
    p.add_argument('work_dir', help='LOSO work dir holding fold_<subject>/')
    p.add_argument('--checkpoint', default='last',
                   help="'last' (the fold's last_checkpoint), or a file name / glob "
                        "inside each fold dir (e.g. 'epoch_50.pth')")
    p.add_argument('--kernel', default='linear', help='SVC kernel')
    p.add_argument('--C', type=float, default=1.0, help='SVC C')
    p.add_argument('--folds', nargs='*', help='only these subjects')
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--out-dir', default=None,
                   help='default: <work_dir>/svm_two_step_<kernel>_C<C>')
    p.add_argument('--device', default='cpu')
    return p.parse_args(argv)


def _load_features_checkpoint(model, ckpt, device):
    """Load a fold checkpoint; only head weights may be absent or extra (the
    SVM replaces the head), never backbone or neck weights."""
    import torch
    state = torch.load(ckpt, map_location=device, weights_only=True)
    state = state.get('state_dict', state)
    result = model.load_state_dict(state, strict=False)
    bad = [k for k in list(result.missing_keys) + list(result.unexpected_keys)
           if not k.startswith('head.')]
    if bad:
        raise RuntimeError(f'{ckpt} does not match the config\'s backbone/neck: '
                           f'{len(bad)} mismatched keys, e.g. {bad[:5]}. Use the config '
                           'the checkpoint was trained with.')
    return result.missing_keys, result.unexpected_keys


def fold_checkpoint(fold_dir: str, checkpoint: str) -> str:
    """Path of the checkpoint of one fold (see ``resolve_fold_checkpoint``)."""
    from mmmer.engine import resolve_fold_checkpoint
    return resolve_fold_checkpoint(fold_dir, checkpoint)


def checkpoint_identity(path: str) -> dict:
    """What identifies a checkpoint file: resolved path, size and mtime (ns).

    Retraining writes a new file (or rewrites this one), which changes at least
    one of them.
    """
    st = os.stat(path)
    return dict(path=osp.realpath(path), size=st.st_size, mtime_ns=st.st_mtime_ns)


def settings_digest(cfg) -> str:
    """Hash of what shapes the features: the model and the test dataset config."""
    from mmmer.datasets.builder import innermost_dataset_cfg
    payload = dict(model=cfg.model,
                   dataset=innermost_dataset_cfg(cfg.test_dataloader.dataset))
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def fold_cache_key(ckpt: str, kernel: str, C: float, digest: str) -> dict:
    return dict(version=FOLD_CACHE_VERSION, checkpoint=checkpoint_identity(ckpt),
                svm=dict(kernel=kernel, C=C), features=digest)


def load_fold_cache(fold_file: str, key: dict) -> Optional[List[dict]]:
    """The cached records of one fold if they were made with ``key``, else None."""
    if not osp.exists(fold_file):
        return None
    try:
        with open(fold_file) as f:
            cached = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(cached, dict) or cached.get('key') != key:
        return None
    return cached['records']


def fit_predict_fold(features: np.ndarray, labels: np.ndarray,
                     subjects: Sequence[str], test_subject: str,
                     kernel: str = 'linear', C: float = 1.0) -> Dict[str, np.ndarray]:
    """Fit scaler + SVC on every subject but ``test_subject``; predict it.

    Returns ``dict(test_index, pred, train_index)``. The scaler statistics
    and the SVM see training subjects only.
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    subjects = np.asarray(subjects)
    test = np.flatnonzero(subjects == test_subject)
    train = np.flatnonzero(subjects != test_subject)
    if test.size == 0:
        raise ValueError(f'fold {test_subject}: no samples of this subject')
    if np.unique(labels[train]).size < 2:
        raise ValueError(f'fold {test_subject}: training subjects hold fewer than '
                         '2 classes; an SVM cannot be fitted')
    clf = make_pipeline(StandardScaler(), SVC(kernel=kernel, C=C))
    clf.fit(features[train], labels[train])
    return dict(test_index=test, pred=clf.predict(features[test]), train_index=train)


def build_feature_dataset(cfg):
    """All samples (every subject) with the test pipeline."""
    from mmmer.datasets.builder import build_dataset, innermost_dataset_cfg
    ds_cfg = copy.deepcopy(innermost_dataset_cfg(cfg.test_dataloader.dataset))
    ds_cfg.pop('subjects', None)
    ds_cfg.pop('exclude_subjects', None)
    ds_cfg['test_mode'] = True
    return build_dataset(ds_cfg)


def extract_features(model, dataset, batch_size: int, device: str) -> np.ndarray:
    import torch
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False,
                        collate_fn=pseudo_collate, num_workers=0)
    feats = []
    model.eval()
    with torch.no_grad():
        for data in loader:
            data = model.data_preprocessor(data, False)
            f = model.extract_feat(data['inputs'])
            if isinstance(f, (tuple, list)):
                f = f[-1]
            if f.ndim == 4:
                f = f.mean(dim=(2, 3))
            feats.append(f.flatten(1).cpu().numpy())
    return np.concatenate(feats).astype(np.float64)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config

    from mmmer.engine import fold_dir_name, summarize_predictions
    from mmmer.registry import MODELS
    from mmmer.utils import register_all_modules
    from mmmer.utils.io import dump_json_atomic

    register_all_modules()
    cfg = Config.fromfile(args.config)
    # The pattern only names the folder; the cache key of each fold is the
    # identity of the checkpoint file the pattern resolves to (see
    # fold_cache_key), so a retrained fold is never answered from the cache.
    ckpt_tag = re.sub(r'[^A-Za-z0-9_.-]+', '-', str(args.checkpoint))
    out_dir = args.out_dir or osp.join(
        args.work_dir, f'svm_two_step_{args.kernel}_C{args.C:g}_{ckpt_tag}')
    os.makedirs(out_dir, exist_ok=True)

    digest = settings_digest(cfg)
    dataset = build_feature_dataset(cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    subjects = [d['subject'] for d in infos]
    labels = np.asarray([d['gt_label'] for d in infos], dtype=np.int64)
    folds = list(dict.fromkeys(subjects))
    if args.folds:
        unknown = sorted(set(args.folds) - set(folds))
        if unknown:
            raise SystemExit(f'--folds {unknown} are not subjects of the dataset')
        folds = [s for s in folds if s in set(args.folds)]

    records: List[dict] = []
    skipped, checkpoints = [], {}
    for subject in folds:
        fold_file = osp.join(out_dir, f'{fold_dir_name(subject)}.json')
        fold_dir = osp.join(args.work_dir, fold_dir_name(subject))
        try:
            ckpt = fold_checkpoint(fold_dir, args.checkpoint)
        except FileNotFoundError as e:
            skipped.append(subject)
            print(f'fold {subject}: skipped ({e})', flush=True)
            continue
        key = fold_cache_key(ckpt, args.kernel, args.C, digest)
        checkpoints[subject] = key['checkpoint']
        cached = load_fold_cache(fold_file, key)
        if cached is not None:
            records.extend(cached)
            print(f'fold {subject}: reused ({ckpt} unchanged)', flush=True)
            continue
        if osp.exists(fold_file):
            print(f'fold {subject}: cached result was made from another checkpoint '
                  'file or other settings; recomputing', flush=True)
        model = MODELS.build(copy.deepcopy(cfg.model)).to(args.device)
        _load_features_checkpoint(model, ckpt, args.device)
        feats = extract_features(model, dataset, args.batch_size, args.device)
        res = fit_predict_fold(feats, labels, subjects, subject, args.kernel, args.C)
        fold_records = [dict(subject=subject, dataset=infos[i].get('dataset'),
                             clip=infos[i].get('clip'), gt_label=int(labels[i]),
                             pred_label=int(p))
                        for i, p in zip(res['test_index'], res['pred'])]
        dump_json_atomic(dict(key=key, records=fold_records), fold_file)
        records.extend(fold_records)
        acc = np.mean([r['gt_label'] == r['pred_label'] for r in fold_records])
        print(f'fold {subject}: {len(fold_records)} test samples, acc {acc:.3f} '
              f'({ckpt})', flush=True)
    if skipped:
        print(f'{len(skipped)} fold(s) without checkpoints, not scored: {skipped}')
    if not records:
        raise SystemExit('no fold could be evaluated')
    summary = summarize_predictions(records, list(dataset.metainfo['classes']))
    summary.update(num_folds=len(folds) - len(skipped), skipped_folds=skipped,
                   svm=dict(kernel=args.kernel, C=args.C), checkpoint=args.checkpoint,
                   checkpoints=checkpoints, config=args.config)
    dump_json_atomic(summary, osp.join(out_dir, 'summary.json'))
    print(f"two-step SVM (pooled over {summary['num_folds']} folds): "
          f"UF1 {summary['UF1']:.4f} UAR {summary['UAR']:.4f} Acc {summary['Acc']:.4f}")
    return summary


if __name__ == '__main__':
    run_cli(main)
