"""confusion_matrix.py on fabricated LOSO work dirs, checked with scikit-learn."""
import json

import matplotlib.image as mpimg
import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from .tool_loader import load_tool


def _fabricate(work_dir, rng, with_summary):
    records = {}
    for fold, ds in (('casme2_sub01', 'casme2'), ('samm_006', 'samm'),
                     ('smic_s3', 'smic')):
        n = 12
        recs = [dict(gt_label=int(g), pred_label=int(p), pred_score=[0.2, 0.3, 0.5],
                     subject=fold, dataset=ds, clip=f'c{i}')
                for i, (g, p) in enumerate(zip(rng.integers(0, 3, n),
                                               rng.integers(0, 3, n)))]
        (work_dir / f'fold_{fold}').mkdir(parents=True)
        (work_dir / f'fold_{fold}' / 'predictions.json').write_text(json.dumps(recs))
        records[fold] = recs
    allrecs = [r for v in records.values() for r in v]
    cm = sk_confusion_matrix([r['gt_label'] for r in allrecs],
                             [r['pred_label'] for r in allrecs], labels=[0, 1, 2])
    if with_summary:
        (work_dir / 'loso_summary.json').write_text(json.dumps(dict(
            confusion_matrix=cm.tolist(), UF1=0.3, UAR=0.3, Acc=0.3,
            class_names=['negative', 'positive', 'surprise'])))
    return allrecs, cm


def test_from_fold_predictions(tmp_path, capsys):
    allrecs, cm = _fabricate(tmp_path, np.random.default_rng(0), False)
    tool = load_tool('confusion_matrix')
    out = tmp_path / 'cm.png'
    got = tool.main([str(tmp_path), '--out', str(out), '--class-names',
                     'negative', 'positive', 'surprise'])
    np.testing.assert_array_equal(got, cm)
    assert mpimg.imread(str(out)).ndim == 3
    assert '3 fold predictions' in capsys.readouterr().out
    # one dataset of a composite run
    samm = [r for r in allrecs if r['dataset'] == 'samm']
    got = tool.main([str(tmp_path), '--dataset', 'samm', '--out', str(out),
                     '--class-names', 'negative', 'positive', 'surprise'])
    np.testing.assert_array_equal(got, sk_confusion_matrix(
        [r['gt_label'] for r in samm], [r['pred_label'] for r in samm],
        labels=[0, 1, 2]))
    with pytest.raises(ValueError, match='no predictions of dataset'):
        tool.main([str(tmp_path), '--dataset', 'mmew', '--out', str(out)])


def test_from_summary_normalized(tmp_path, capsys):
    _, cm = _fabricate(tmp_path, np.random.default_rng(1), True)
    got = load_tool('confusion_matrix').main([str(tmp_path), '--normalize'])
    np.testing.assert_array_equal(got, cm)
    text = capsys.readouterr().out
    assert 'loso_summary.json' in text and 'surprise' in text
    # the printed diagonal is each class's recall
    row0 = next(l for l in text.splitlines() if l.startswith('negative'))
    assert float(row0.split()[1]) == pytest.approx(cm[0, 0] / cm[0].sum(), abs=1e-3)
    assert (tmp_path / 'confusion_matrix.png').is_file()


def test_missing_work_dir_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match='tools/train.py'):
        load_tool('confusion_matrix').main([str(tmp_path)])
