"""Pooled UF1 / UAR / Acc (docs/protocol.md, "Metrics"; MEGC2019 CDE).

UF1 = mean_c 2TP_c / (2TP_c + FP_c + FN_c); UAR = mean_c TP_c / N_c;
Acc = correct / total. Classes with N_c = 0 are left out of both means (and
reported), exactly like ``sklearn.f1_score(average='macro', labels=present)``;
a class that is predicted but never true still costs the true classes through
their FN. Results equal scikit-learn (tests/test_evaluation).
"""
from typing import Dict, Optional, Sequence

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """Counts, rows = true class, columns = predicted class."""
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f'y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape')
    for name, arr in (('y_true', y_true), ('y_pred', y_pred)):
        if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
            raise ValueError(f'{name} holds labels outside [0, {num_classes})')
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def me_scores(y_true, y_pred, num_classes: int) -> Dict[str, object]:
    """UF1, UAR and Acc of pooled predictions.

    Returns a dict with ``UF1``, ``UAR``, ``Acc``, ``num_samples``,
    ``present_classes`` (classes with N_c > 0), ``absent_classes``,
    ``per_class_f1`` and ``per_class_recall`` (NaN for absent classes) and
    ``confusion_matrix`` (list of lists).
    """
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp = np.diag(cm).astype(np.float64)
    n_c = cm.sum(axis=1).astype(np.float64)
    pred_c = cm.sum(axis=0).astype(np.float64)
    fp = pred_c - tp
    fn = n_c - tp
    present = n_c > 0
    denom = 2 * tp + fp + fn
    with np.errstate(invalid='ignore', divide='ignore'):
        f1 = np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)
        recall = np.where(present, tp / np.where(present, n_c, 1), np.nan)
    f1 = np.where(present, f1, np.nan)
    total = int(cm.sum())
    if total == 0:
        raise ValueError('No predictions to evaluate (empty prediction set).')
    return dict(
        UF1=float(np.nanmean(f1)),
        UAR=float(np.nanmean(recall)),
        Acc=float(tp.sum() / total),
        num_samples=total,
        present_classes=[int(c) for c in np.flatnonzero(present)],
        absent_classes=[int(c) for c in np.flatnonzero(~present)],
        per_class_f1=[None if np.isnan(v) else float(v) for v in f1],
        per_class_recall=[None if np.isnan(v) else float(v) for v in recall],
        confusion_matrix=cm.tolist(),
    )


def pooled_report(y_true, y_pred, num_classes: int,
                  datasets: Optional[Sequence[str]] = None,
                  subjects: Optional[Sequence[str]] = None) -> Dict[str, object]:
    """Pooled scores plus per-dataset breakdown and per-fold accuracy."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    report = me_scores(y_true, y_pred, num_classes)
    if datasets is not None:
        datasets = np.asarray(datasets)
        report['per_dataset'] = {}
        for name in sorted(set(datasets.tolist())):
            m = datasets == name
            s = me_scores(y_true[m], y_pred[m], num_classes)
            report['per_dataset'][name] = {k: s[k] for k in (
                'UF1', 'UAR', 'Acc', 'num_samples', 'absent_classes')}
    if subjects is not None:
        subjects = np.asarray(subjects)
        per_fold = {}
        for name in dict.fromkeys(subjects.tolist()):
            m = subjects == name
            per_fold[name] = dict(Acc=float((y_true[m] == y_pred[m]).mean()),
                                  num_samples=int(m.sum()))
        report['per_fold_accuracy'] = per_fold
    return report
