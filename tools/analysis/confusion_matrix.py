"""Confusion matrix of a LOSO work dir (pooled over all folds).

    python tools/analysis/confusion_matrix.py WORK_DIR [--out PNG] [--normalize]
        [--dataset NAME] [--class-names a b c]

Reads ``WORK_DIR/loso_summary.json`` (confusion_matrix, class_names); without
it, or with ``--dataset`` (one dataset of a composite run), the matrix is
counted from ``WORK_DIR/fold_*/predictions.json``. The PNG always holds the
counts and the row-normalised matrix; ``--normalize`` prints the row-normalised
matrix instead of the counts. Default PNG: ``WORK_DIR/confusion_matrix.png``.
"""
import argparse
import glob
import json
import os.path as osp

import numpy as np

from mmmer.visualization import plot_confusion_matrix, row_normalize
from mmmer.utils.cli import run_cli


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('work_dir', help='LOSO work dir (or a loso_summary.json)')
    p.add_argument('--out', default=None, help='PNG path')
    p.add_argument('--normalize', action='store_true',
                   help='print the row-normalised matrix (the PNG has both)')
    p.add_argument('--dataset', default=None,
                   help='only the predictions of this dataset')
    p.add_argument('--class-names', nargs='+', default=None)
    return p.parse_args(argv)


def confusion_from_records(records, num_classes):
    """Counts with rows = true, columns = predicted."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    for i, r in enumerate(records):
        t, p = int(r['gt_label']), int(r['pred_label'])
        if not (0 <= t < num_classes and 0 <= p < num_classes):
            raise ValueError(f'prediction {i} ({r.get("clip")}): labels '
                             f'{t}->{p} outside 0..{num_classes - 1}; pass '
                             '--class-names with every class')
        cm[t, p] += 1
    return cm


def load_fold_predictions(work_dir, dataset=None):
    paths = sorted(glob.glob(osp.join(work_dir, 'fold_*', 'predictions.json')))
    if not paths:
        raise FileNotFoundError(
            f'{work_dir} has neither loso_summary.json nor fold_*/predictions.json; '
            'run tools/train.py first (or give the right work dir).')
    records = []
    for path in paths:
        with open(path) as f:
            try:
                records.extend(json.load(f))
            except json.JSONDecodeError as e:
                raise ValueError(f'{path} is not valid JSON: {e}') from e
    if dataset is not None:
        records = [r for r in records if r.get('dataset') == dataset]
        if not records:
            raise ValueError(f'no predictions of dataset "{dataset}" in {work_dir}')
    return records, len(paths)


def load_matrix(work_dir, dataset=None, class_names=None):
    """Return (counts, class_names, source description)."""
    summary_path = work_dir if osp.isfile(work_dir) else \
        osp.join(work_dir, 'loso_summary.json')
    if dataset is None and osp.isfile(summary_path):
        with open(summary_path) as f:
            summary = json.load(f)
        cm = np.asarray(summary['confusion_matrix'], dtype=np.int64)
        names = class_names or summary.get('class_names')
        return cm, names, summary_path
    records, nfolds = load_fold_predictions(work_dir, dataset)
    k = len(class_names) if class_names else 1 + max(
        max(int(r['gt_label']), int(r['pred_label'])) for r in records)
    cm = confusion_from_records(records, k)
    src = f'{nfolds} fold predictions' + (f' (dataset {dataset})' if dataset else '')
    return cm, class_names, src


def format_matrix(cm, names, normalize=False):
    vals = row_normalize(cm) if normalize else cm
    fmt = (lambda v: f'{v:.3f}') if normalize else (lambda v: str(int(v)))
    width = max(8, max(len(n) for n in names) + 1)
    lines = ['true \\ pred'.ljust(width) + ''.join(n.rjust(width) for n in names)]
    for n, row in zip(names, vals):
        lines.append(n.ljust(width) + ''.join(fmt(v).rjust(width) for v in row))
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    cm, names, src = load_matrix(args.work_dir, args.dataset, args.class_names)
    names = [str(n) for n in (names or range(cm.shape[0]))]
    base = osp.dirname(args.work_dir) if osp.isfile(args.work_dir) else args.work_dir
    out = args.out or osp.join(base, 'confusion_matrix.png')
    recall = np.diag(row_normalize(cm))
    present = cm.sum(axis=1) > 0
    title = f'{src}: {int(cm.sum())} samples, UAR {recall[present].mean():.3f}'
    plot_confusion_matrix(cm, names, out, title=title)
    print(f'source: {src}')
    print(format_matrix(cm, names, args.normalize))
    print(f'png: {out}')
    return cm


if __name__ == '__main__':
    run_cli(main)
