"""Resolve ``class_weight='auto'`` in a model config from training labels.

A loss config may say ``class_weight='auto'``; before the model is built the
placeholder is replaced by the inverse-frequency weights w_i = M / (K M_i) of
the samples the model is trained on (the weighting of "Enhanced Discriminative
Multi-scale Dual-Branch Network", EDMDBN, Sec. 3.4). Under LOSO those are the
fold's *training* subjects only, so nothing about the test subject reaches the
loss.
"""
from typing import Iterable, List, Optional, Sequence

from .cross_entropy_loss import inverse_frequency_weights

__all__ = ['AUTO', 'auto_class_weight_nodes', 'class_counts', 'resolve_auto_class_weight']

AUTO = 'auto'


def auto_class_weight_nodes(model_cfg) -> List[dict]:
    """Every dict in ``model_cfg`` (nested dicts/lists) whose ``class_weight``
    is ``'auto'``; the returned dicts are the config's own (edits apply)."""
    found = []

    def visit(node):
        if isinstance(node, dict):
            if node.get('class_weight') == AUTO:
                found.append(node)
            for key, value in node.items():
                if key != 'class_weight':
                    visit(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                visit(value)

    visit(model_cfg)
    return found


def class_counts(labels: Iterable[int], num_classes: int) -> List[int]:
    """Samples per class; a label outside ``[0, num_classes)`` is an error."""
    counts = [0] * int(num_classes)
    for label in labels:
        label = int(label)
        if not 0 <= label < num_classes:
            raise ValueError(f'label {label} is outside [0, {num_classes}); check the '
                             'label set of the dataset config.')
        counts[label] += 1
    return counts


def resolve_auto_class_weight(model_cfg, counts: Sequence[int]) -> Optional[List[float]]:
    """Replace each ``class_weight='auto'`` in ``model_cfg`` (in place) with
    the inverse-frequency weights of ``counts`` (samples per class of the
    training split). Returns the weights, or ``None`` when the config has no
    ``'auto'`` entry (then ``counts`` is not used)."""
    nodes = auto_class_weight_nodes(model_cfg)
    if not nodes:
        return None
    if sum(int(c) for c in counts) == 0:
        raise ValueError("class_weight='auto': the training split has no samples, "
                         'so there are no class frequencies to weight by.')
    weights = inverse_frequency_weights(counts)
    for node in nodes:
        node['class_weight'] = list(weights)
    return weights
