import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.metrics import f1_score, recall_score

from mmmer.evaluation import MEMetric, me_scores, pooled_report
from mmmer.structures import MEDataSample


def sk_scores(y, p):
    present = sorted(set(np.asarray(y).tolist()))
    return (f1_score(y, p, average='macro', labels=present),
            recall_score(y, p, average='macro', labels=present))


@pytest.mark.parametrize('seed', range(20))
def test_random_predictions_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    k = int(rng.integers(2, 6))
    y, p = rng.integers(0, k, n), rng.integers(0, k, n)
    s = me_scores(y, p, k)
    uf1, uar = sk_scores(y, p)
    assert s['UF1'] == pytest.approx(uf1, abs=1e-12)
    assert s['UAR'] == pytest.approx(uar, abs=1e-12)
    assert s['Acc'] == pytest.approx(float(np.mean(y == p)))
    assert np.array_equal(s['confusion_matrix'], sk_confusion_matrix(y, p, labels=range(k)))


def test_predicted_but_absent_class_and_single_sample_folds():
    # y=[0,0,0], y^=[0,0,2]: sklearn's plain macro F1 averages over the
    # predicted-but-absent class too (0.4); over present labels only it is 0.8.
    s = me_scores([0, 0, 0], [0, 0, 2], 3)
    assert s['UF1'] == pytest.approx(0.8) and s['absent_classes'] == [1, 2]
    assert f1_score([0, 0, 0], [0, 0, 2], average='macro') == pytest.approx(0.4)
    assert s['UF1'] == pytest.approx(f1_score([0, 0, 0], [0, 0, 2], average='macro', labels=[0]))
    assert me_scores([1], [1], 3)['UF1'] == pytest.approx(1.0, abs=1e-12)
    assert me_scores([1], [0], 3)['UF1'] == pytest.approx(0.0, abs=1e-12)


def test_all_wrong_and_all_right():
    assert me_scores([0, 1, 2], [1, 2, 0], 3)['UF1'] == pytest.approx(0.0, abs=1e-12)
    assert me_scores([0, 1, 2], [0, 1, 2], 3)['UAR'] == pytest.approx(1.0, abs=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match='outside'):
        me_scores([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match='shape'):
        me_scores([0, 1], [0], 3)
    with pytest.raises(ValueError, match='empty'):
        me_scores([], [], 3)


def test_per_dataset_breakdown_is_pooled_within_dataset():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 3, 100), rng.integers(0, 3, 100)
    names = np.array(['smic', 'casme2', 'samm'])[rng.integers(0, 3, 100)]
    rep = pooled_report(y, p, 3, datasets=names)
    for name in ('smic', 'casme2', 'samm'):
        m = names == name
        assert rep['per_dataset'][name]['UF1'] == pytest.approx(sk_scores(y[m], p[m])[0])
        assert rep['per_dataset'][name]['num_samples'] == int(m.sum())


def test_memetric_drops_generated_samples_and_reports_datasets():
    metric = MEMetric(num_classes=3)
    samples = []
    for gt, pred, ds, gen in [(0, 0, 'a', False), (1, 1, 'b', False),
                              (2, 0, 'a', False), (2, 2, 'b', True)]:
        s = MEDataSample().set_gt_label(gt).set_pred_label(pred)
        s.set_pred_score(torch.eye(3)[pred])
        s.set_metainfo(dict(dataset=ds, subject='x', is_generated=gen))
        samples.append(s)
    metric.process(None, samples)
    assert len(metric.results) == 3
    out = metric.compute_metrics(metric.results)
    assert out['UF1'] == pytest.approx(sk_scores([0, 1, 2], [0, 1, 0])[0])
    assert 'a/UF1' in out and 'b/UF1' in out
