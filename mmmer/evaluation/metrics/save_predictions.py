"""A metric that writes a fold's predictions to JSON (atomically)."""
from typing import List, Sequence

from mmengine.evaluator import BaseMetric

from mmmer.registry import METRICS
from mmmer.utils.io import dump_json_atomic

from .me_metric import prediction_records


@METRICS.register_module()
class SaveMEPredictions(BaseMetric):
    """Write every (non-generated) prediction to ``out_file`` as a JSON list.

    The LOSO loop adds it to each fold's test evaluator; the file's existence
    marks the fold as finished, so it is written atomically and last.
    """

    def __init__(self, out_file: str, collect_device='cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_file = out_file

    def process(self, data_batch, data_samples: Sequence) -> None:
        self.results.extend(prediction_records(data_samples))

    def compute_metrics(self, results: List[dict]) -> dict:
        dump_json_atomic(results, self.out_file)
        return {}
