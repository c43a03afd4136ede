from .cross_entropy_loss import CrossEntropyLoss, inverse_frequency_weights  # noqa: F401
from .hinge_loss import MultiClassHingeLoss, multi_class_hinge_loss  # noqa: F401
from .class_weights import (auto_class_weight_nodes, class_counts,  # noqa: F401
                            resolve_auto_class_weight)
