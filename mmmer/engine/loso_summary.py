"""Scoring and writing the LOSO summary.

The headline numbers pool the predictions of every fold and score them once
(UF1 / UAR / Acc as in the MEGC2019 composite evaluation); per-fold averaging
is never the headline number. The optional oracle (test-fold epoch
selection) is summarised by :func:`summarize_oracle` and shown only as a
labelled, optimistic extra.
"""
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from mmengine.logging import print_log

from mmmer.evaluation.functional import me_scores, pooled_report
from mmmer.utils.io import dump_json_atomic, write_text_atomic
from .hooks.oracle_hook import ORACLE_RULES, check_oracle_rule

__all__ = ['SUMMARY_FILE', 'summarize_predictions', 'summarize_oracle', 'summary_markdown',
           'write_summary']

SUMMARY_FILE = 'loso_summary.json'


def summarize_predictions(records: List[dict], class_names: Sequence[str]) -> dict:
    """Pooled report of prediction records (``gt_label``, ``pred_label``,
    ``subject``, ``dataset``)."""
    if not records:
        raise ValueError('No predictions to summarise.')
    y_true = [r['gt_label'] for r in records]
    y_pred = [r['pred_label'] for r in records]
    datasets = [r.get('dataset') or 'unknown' for r in records]
    subjects = [r.get('subject') for r in records]
    report = pooled_report(y_true, y_pred, len(class_names), datasets=datasets,
                           subjects=subjects)
    cm = np.asarray(report['confusion_matrix'], dtype=np.float64)
    rows = cm.sum(axis=1, keepdims=True)
    report['confusion_matrix_normalized'] = np.divide(
        cm, rows, out=np.zeros_like(cm), where=rows > 0).round(4).tolist()
    report['class_names'] = list(class_names)
    per_fold = report.pop('per_fold_accuracy')
    report['per_fold_accuracy'] = per_fold
    report['fold_averaged_accuracy_nonstandard'] = float(
        np.mean([v['Acc'] for v in per_fold.values()]))
    return report


def summarize_oracle(records_by_fold: Dict[str, List[dict]], class_names: Sequence[str],
                     rule: str = 'best_acc') -> dict:
    """The oracle scores from each fold's selected-epoch predictions.

    ``'best_acc'`` pools all folds' selected predictions and scores them once;
    ``'best_uf1_fold_mean'`` scores each fold on its own and reports the mean
    of the per-fold UF1 / UAR / Acc (the published EDMDBN numbers).
    """
    check_oracle_rule(rule)
    if not records_by_fold:
        raise ValueError('No oracle predictions to summarise.')
    out = dict(label=f'oracle (test-fold epoch selection, optimistic; rule: '
                     f'{ORACLE_RULES[rule]})', rule=rule)
    epochs = {s: sorted({r.get('oracle_epoch') for r in recs} - {None})
              for s, recs in records_by_fold.items()}
    out['epochs'] = {s: e[0] if len(e) == 1 else e for s, e in epochs.items()}
    if rule == 'best_acc':
        pooled = [r for recs in records_by_fold.values() for r in recs]
        s = summarize_predictions(pooled, class_names)
        out.update(UF1=s['UF1'], UAR=s['UAR'], Acc=s['Acc'])
    else:
        per_fold = {}
        for subject, recs in records_by_fold.items():
            s = me_scores([r['gt_label'] for r in recs], [r['pred_label'] for r in recs],
                          len(class_names))
            per_fold[subject] = dict(UF1=s['UF1'], UAR=s['UAR'], Acc=s['Acc'])
        for key in ('UF1', 'UAR', 'Acc'):
            out[key] = float(np.mean([v[key] for v in per_fold.values()]))
        out['per_fold'] = per_fold
    return out


def summary_markdown(summary: dict) -> str:
    lines = ['| split | samples | UF1 | UAR | Acc |', '|---|---|---|---|---|']
    lines.append(f"| **all (pooled)** | {summary['num_samples']} | {summary['UF1']:.4f} | "
                 f"{summary['UAR']:.4f} | {summary['Acc']:.4f} |")
    per_dataset = summary.get('per_dataset', {})
    if len(per_dataset) > 1:
        for name, s in per_dataset.items():
            lines.append(f"| {name} | {s['num_samples']} | {s['UF1']:.4f} | "
                         f"{s['UAR']:.4f} | {s['Acc']:.4f} |")
    if 'oracle' in summary:
        o = summary['oracle']
        lines.append(f"| {o['label']} | {summary['num_samples']} | {o['UF1']:.4f} | "
                     f"{o['UAR']:.4f} | {o['Acc']:.4f} |")
    names = summary['class_names']
    lines += ['', 'Confusion matrix (rows: true, columns: predicted)', '',
              '| | ' + ' | '.join(names) + ' |', '|---' * (len(names) + 1) + '|']
    for name, row in zip(names, summary['confusion_matrix']):
        lines.append(f'| {name} | ' + ' | '.join(str(v) for v in row) + ' |')
    if summary.get('absent_classes'):
        lines.append('')
        lines.append(f"Classes without samples (left out of UF1/UAR): "
                     f"{[names[c] for c in summary['absent_classes']]}")
    lines.append('')
    selection = summary.get('selection', 'last')
    selection_text = ('last epoch (honest)' if selection == 'last'
                      else f'{selection} (not the honest last-epoch rule)')
    lines.append(f"Folds: {summary.get('num_folds')}; selection: {selection_text}. "
                 f"Fold-averaged accuracy (non-standard, for inspection only): "
                 f"{summary['fold_averaged_accuracy_nonstandard']:.4f}")
    return '\n'.join(lines) + '\n'


def write_summary(summary: dict, work_dir: str, logger=None):
    """``loso_summary.json`` / ``.md`` (atomic) and ``confusion_matrix.png``."""
    dump_json_atomic(summary, osp.join(work_dir, SUMMARY_FILE))
    table = summary_markdown(summary)
    write_text_atomic(table, osp.join(work_dir, 'loso_summary.md'))
    try:
        from mmmer.visualization import plot_confusion_matrix
        plot_confusion_matrix(np.asarray(summary['confusion_matrix']),
                              summary['class_names'],
                              osp.join(work_dir, 'confusion_matrix.png'),
                              title=f"LOSO UF1 {summary['UF1']:.3f} UAR {summary['UAR']:.3f}")
    except ImportError as e:  # matplotlib missing: the numbers are still written
        print_log(f'confusion-matrix PNG skipped: {e}', logger=logger)
    print_log('\n' + table, logger=logger or 'current')
    return table
