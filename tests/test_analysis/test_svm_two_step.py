"""tools/analysis/svm_two_step.py: the SVM sees training subjects only."""
import importlib.util
import os.path as osp

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'svm_two_step', osp.join(REPO, 'tools', 'analysis', 'svm_two_step.py'))
svm_two_step = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(svm_two_step)


def test_fit_predict_fold_uses_training_subjects_only():
    rng = np.random.default_rng(0)
    subjects = np.repeat(['a', 'b', 'c'], 20)
    labels = np.tile([0, 1], 30)
    feats = rng.normal(size=(60, 4)) + labels[:, None] * 3.0
    # the held-out subject's features carry labels that contradict the others:
    # a classifier that saw them could not fit both
    feats[subjects == 'c'] = rng.normal(size=(20, 4)) + (1 - labels[subjects == 'c'])[:, None] * 3.0
    res = svm_two_step.fit_predict_fold(feats, labels, subjects, 'c')
    assert set(subjects[res['train_index']]) == {'a', 'b'}
    assert set(subjects[res['test_index']]) == {'c'}
    # trained on a and b only, it predicts the opposite of c's labels
    assert (res['pred'] != labels[subjects == 'c']).mean() > 0.9
    with pytest.raises(ValueError, match='no samples'):
        svm_two_step.fit_predict_fold(feats, labels, subjects, 'z')


def test_fold_checkpoint_resolution(tmp_path):
    fold = tmp_path / 'fold_s1'
    fold.mkdir()
    (fold / 'best_UAR_epoch_3.pth').write_bytes(b'')
    (fold / 'epoch_5.pth').write_bytes(b'')
    (fold / 'last_checkpoint').write_text(str(fold / 'epoch_5.pth'))
    assert svm_two_step.fold_checkpoint(str(fold), 'last').endswith('epoch_5.pth')
    assert svm_two_step.fold_checkpoint(str(fold), 'best_UAR_*.pth').endswith(
        'best_UAR_epoch_3.pth')
    with pytest.raises(FileNotFoundError, match='matches 2'):
        svm_two_step.fold_checkpoint(str(fold), '*.pth')
