from .functional import confusion_matrix, me_scores, pooled_report  # noqa: F401
from .metrics import MEMetric  # noqa: F401
