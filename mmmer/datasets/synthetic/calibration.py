"""Calibration of a synthetic dataset: how hard is it, and is it honest?

Two LOSO reference classifiers on the written ground truth, independent of
every mmmer model:

- the **ground-truth-flow ceiling**: multinomial logistic regression
  (scikit-learn) on the exact onset->apex displacement (``gt_flow``),
  area-downsampled to ``size x size`` and standardised on the training
  subjects; a simple learner that sees the true motion without optical-flow
  error, so a method far above it is suspicious and one far below it loses
  signal in its preprocessing;
- the **shuffled-label control**: the same classifier trained on labels
  permuted within the training subjects; it must land at chance (UAR 1/3
  for three classes), otherwise something other than the motion (ordering,
  file names, per-subject class mixes) leaks the label.

Scores are pooled over the folds (UF1 / UAR / Acc of
:func:`mmmer.evaluation.functional.me_metrics.me_scores`).
"""
import json
import os.path as osp
from typing import Dict, Optional

import cv2
import numpy as np

from .writer import CLASSES, SETTINGS_FILE

__all__ = ['gt_flow_features', 'loso_logistic', 'calibrate']


def gt_flow_features(root: str, size: int = 16):
    """``(X (N, 2*size*size), y (N,), subjects (N,))`` from ``root``'s
    ``gt_flow`` arrays (area-downsampled u and v)."""
    path = osp.join(root, SETTINGS_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: {root!r} is not a generated synthetic '
                                'dataset (run tools/generate_synthetic.py first).')
    with open(path) as f:
        clips = json.load(f)['clips']
    feats, labels, subjects = [], [], []
    for clip in clips:
        flow = np.load(osp.join(root, clip['gt_flow']))
        small = cv2.resize(flow, (size, size), interpolation=cv2.INTER_AREA)
        feats.append(small.reshape(-1))
        labels.append(CLASSES.index(clip['cls']))
        subjects.append(clip['subject'])
    return np.stack(feats), np.asarray(labels), np.asarray(subjects)


def loso_logistic(X: np.ndarray, y: np.ndarray, subjects: np.ndarray,
                  shuffle_seed: Optional[int] = None, C: float = 1.0) -> Dict[str, float]:
    """Pooled LOSO scores of a logistic regression on ``X``.

    With ``shuffle_seed`` the training labels of every fold are permuted
    (the control); test labels are never touched.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from mmmer.evaluation.functional.me_metrics import me_scores
    rng = np.random.default_rng(shuffle_seed) if shuffle_seed is not None else None
    pred = np.empty_like(y)
    for subject in np.unique(subjects):
        test = subjects == subject
        y_train = y[~test].copy()
        if rng is not None:
            y_train = rng.permutation(y_train)
        scaler = StandardScaler().fit(X[~test])
        if len(np.unique(y_train)) == 1:
            pred[test] = y_train[0]
            continue
        clf = LogisticRegression(C=C, max_iter=2000)
        clf.fit(scaler.transform(X[~test]), y_train)
        pred[test] = clf.predict(scaler.transform(X[test]))
    scores = me_scores(y, pred, len(CLASSES))
    return {k: scores[k] for k in ('UF1', 'UAR', 'Acc')}


def calibrate(root: str, size: int = 16, shuffle_seeds=(0, 1, 2)) -> dict:
    """Ceiling and shuffled-label control (mean over ``shuffle_seeds``)."""
    X, y, subjects = gt_flow_features(root, size)
    ceiling = loso_logistic(X, y, subjects)
    controls = [loso_logistic(X, y, subjects, shuffle_seed=s) for s in shuffle_seeds]
    control = {k: float(np.mean([c[k] for c in controls])) for k in ('UF1', 'UAR', 'Acc')}
    return dict(gt_flow_logistic=ceiling, shuffled_label_control=control,
                chance_uar=1.0 / len(CLASSES), num_samples=int(len(y)),
                num_subjects=int(len(np.unique(subjects))), feature_size=size,
                shuffle_seeds=list(shuffle_seeds))
