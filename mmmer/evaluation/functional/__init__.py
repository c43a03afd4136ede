from .me_metrics import confusion_matrix, me_scores, pooled_report  # noqa: F401
