"""MEMetric: pooled UF1 / UAR / Acc with per-dataset breakdown."""
from typing import List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmmer.registry import METRICS

from ..functional import pooled_report


def prediction_records(data_samples: Sequence) -> List[dict]:
    """One JSON-able dict per scored sample; generated samples are dropped."""
    records = []
    for ds in data_samples:
        get = ds.get if isinstance(ds, dict) else (lambda k, d=None, _ds=ds: _ds.get(k, d))
        if get('is_generated', False):
            continue
        score = get('pred_score')
        records.append(dict(
            gt_label=int(get('gt_label').reshape(-1)[0]),
            pred_label=int(get('pred_label').reshape(-1)[0]),
            pred_score=None if score is None else score.cpu().numpy().astype(float).tolist(),
            subject=get('subject'), dataset=get('dataset'), clip=get('clip'),
            sample_idx=get('sample_idx')))
    return records


@METRICS.register_module()
class MEMetric(BaseMetric):
    """Collects predictions and computes pooled UF1/UAR/Acc (docs/protocol.md).

    Generated (diffusion) samples are never scored: a data sample with
    ``is_generated=True`` is dropped here. ``self.results`` keeps one dict per
    sample (subject, dataset, clip, gt, pred, score) so the LOSO loop can save
    and pool a fold's predictions.
    """
    default_prefix = ''

    def __init__(self, num_classes: Optional[int] = None,
                 class_names: Optional[Sequence[str]] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_classes = num_classes
        self.class_names = class_names

    def process(self, data_batch, data_samples: Sequence) -> None:
        self.results.extend(prediction_records(data_samples))

    def compute_metrics(self, results: List[dict]) -> dict:
        if not results:
            raise ValueError('MEMetric: no (non-generated) predictions to evaluate; '
                             'is the test split empty?')
        num_classes = self.num_classes
        if num_classes is None:
            scores = [r['pred_score'] for r in results if r['pred_score'] is not None]
            num_classes = len(scores[0]) if scores else 1 + max(
                max(r['gt_label'], r['pred_label']) for r in results)
        y_true = np.array([r['gt_label'] for r in results])
        y_pred = np.array([r['pred_label'] for r in results])
        datasets = [r['dataset'] or 'unknown' for r in results]
        report = pooled_report(y_true, y_pred, num_classes, datasets=datasets)
        if report['absent_classes']:
            MMLogger.get_current_instance().info(
                f'MEMetric: classes {report["absent_classes"]} have no true sample in '
                'this set and are left out of UF1/UAR.')
        metrics = dict(UF1=report['UF1'], UAR=report['UAR'], Acc=report['Acc'])
        if len(report.get('per_dataset', {})) > 1:
            for name, s in report['per_dataset'].items():
                metrics[f'{name}/UF1'] = s['UF1']
                metrics[f'{name}/UAR'] = s['UAR']
        return metrics
