"""class_weight='auto' -> inverse-frequency weights of the training split."""
import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from mmmer.models.losses import (auto_class_weight_nodes, class_counts,
                                 resolve_auto_class_weight)


def test_auto_weights_equal_sklearn_balanced_weights():
    labels = [0] * 7 + [1] * 2 + [2] * 11
    model = dict(head=dict(loss=dict(type='CrossEntropyLoss', class_weight='auto')),
                 aux=[dict(loss=dict(class_weight='auto')), dict(class_weight=[1, 2, 3])])
    weights = resolve_auto_class_weight(model, class_counts(labels, 3))
    ref = compute_class_weight('balanced', classes=np.arange(3), y=np.array(labels))
    np.testing.assert_allclose(weights, ref, rtol=1e-12)
    np.testing.assert_allclose(model['head']['loss']['class_weight'], ref, rtol=1e-12)
    np.testing.assert_allclose(model['aux'][0]['loss']['class_weight'], ref, rtol=1e-12)
    assert model['aux'][1]['class_weight'] == [1, 2, 3]  # explicit weights untouched
    assert auto_class_weight_nodes(model) == []


def test_absent_class_gets_zero_and_no_auto_is_a_no_op():
    model = dict(loss=dict(class_weight='auto'))
    # M = 8 samples, K = 3 classes: 8 / (3 * 4) for the present classes
    assert resolve_auto_class_weight(model, [4, 0, 4]) == pytest.approx([8 / 12, 0.0, 8 / 12])
    assert resolve_auto_class_weight(dict(loss=dict(class_weight=None)), [1, 2]) is None
    with pytest.raises(ValueError, match='outside'):
        class_counts([0, 3], 3)
