from .me_metric import MEMetric  # noqa: F401
from .save_predictions import SaveMEPredictions  # noqa: F401
