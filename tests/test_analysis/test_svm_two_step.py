"""tools/analysis/svm_two_step.py: the SVM sees training subjects only; the
command line end to end against scikit-learn; the per-fold cache follows the
checkpoint file, not the pattern that names it."""
import copy
import glob
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest

from .tool_loader import load_tool

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


# ---------------------------------------------------------------- main path
# A toy LOSO work dir: every fold's model is trained (a few plain Adam steps on
# the fold's training subjects) and saved as MMEngine would save it.
SUBJECTS = ['toy_s00', 'toy_s01', 'toy_s02', 'toy_s03']


def toy_setup(tmp_path):
    import torch
    from mmengine.config import Config

    import tests.fixtures.toy  # noqa: F401  (registers the toy modules)
    from mmmer.registry import DATASETS
    from mmmer.utils import register_all_modules

    from .tool_loader import write_toy_config

    register_all_modules()
    cfg_path = write_toy_config(tmp_path)
    cfg = Config.fromfile(cfg_path)
    ds = DATASETS.build(dict(type='ToyMEDataset', num_subjects=4, per_class=3, pipeline=[]))
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    images = torch.from_numpy(np.stack([d['toy_img'] for d in infos])).permute(0, 3, 1, 2)
    labels = np.array([d['gt_label'] for d in infos])
    subjects = np.array([d['subject'] for d in infos])
    return cfg_path, cfg, images, labels, subjects


def train_fold(cfg, images, labels, subjects, test_subject, seed, steps=15):
    import torch
    from mmmer.registry import MODELS
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(cfg.model))
    train = torch.from_numpy(np.flatnonzero(subjects != test_subject))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    y = torch.from_numpy(labels)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(images[train]), y[train])
        loss.backward()
        opt.step()
    return model


def save_fold(work_dir, subject, model, name='epoch_3.pth'):
    import torch
    fold = work_dir / f'fold_{subject}'
    fold.mkdir(parents=True, exist_ok=True)
    path = fold / name
    torch.save(dict(meta=dict(epoch=3), state_dict=model.state_dict()), str(path))
    (fold / 'last_checkpoint').write_text(str(path))
    return str(path)


def reference_predictions(models, images, labels, subjects, kernel='linear', C=1.0):
    """Features straight from each fold's backbone (the toy config has no neck
    and no input normalisation), then scikit-learn fitted here."""
    import torch
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    preds = {}
    for subject, model in models.items():
        model.eval()
        with torch.no_grad():
            feats = model.backbone(images).flatten(1).double().numpy()
        train, test = subjects != subject, subjects == subject
        clf = make_pipeline(StandardScaler(), SVC(kernel=kernel, C=C))
        clf.fit(feats[train], labels[train])
        preds[subject] = clf.predict(feats[test])
    return preds


def run_tool(cfg_path, work_dir, capsys):
    tool = load_tool('svm_two_step')
    summary = tool.main([cfg_path, str(work_dir), '--checkpoint', 'last',
                         '--batch-size', '7'])
    return summary, capsys.readouterr().out


def fold_records(work_dir, subject):
    (out,) = glob.glob(str(work_dir / 'svm_two_step_linear_C1_last' / f'fold_{subject}.json'))
    with open(out) as f:
        return json.load(f)['records'], out


def check_against_reference(summary, work_dir, ref, labels, subjects):
    from sklearn.metrics import accuracy_score, f1_score, recall_score
    y_all, p_all = [], []
    for s in SUBJECTS:
        records, _ = fold_records(work_dir, s)
        assert [r['gt_label'] for r in records] == labels[subjects == s].tolist()
        assert [r['pred_label'] for r in records] == ref[s].tolist(), s
        y_all += labels[subjects == s].tolist()
        p_all += ref[s].tolist()
    assert summary['num_samples'] == len(y_all) == len(labels)
    assert summary['UF1'] == pytest.approx(f1_score(y_all, p_all, average='macro'))
    assert summary['UAR'] == pytest.approx(recall_score(y_all, p_all, average='macro'))
    assert summary['Acc'] == pytest.approx(accuracy_score(y_all, p_all))


def test_main_matches_sklearn_and_a_retrained_fold_invalidates_its_cache(tmp_path, capsys):
    cfg_path, cfg, images, labels, subjects = toy_setup(tmp_path)
    work_dir = tmp_path / 'work'
    models = {s: train_fold(cfg, images, labels, subjects, s, seed=i)
              for i, s in enumerate(SUBJECTS)}
    for s, m in models.items():
        save_fold(work_dir, s, m)
    summary, out = run_tool(cfg_path, work_dir, capsys)
    ref = reference_predictions(models, images, labels, subjects)
    check_against_reference(summary, work_dir, ref, labels, subjects)
    # Three classes present in every fold: the SVM is not a constant predictor.
    assert len(set(np.concatenate(list(ref.values())).tolist())) > 1

    # A rerun reuses every fold (files untouched).
    mtimes = {s: os.stat(fold_records(work_dir, s)[1]).st_mtime_ns for s in SUBJECTS}
    summary2, out = run_tool(cfg_path, work_dir, capsys)
    assert out.count('reused') == len(SUBJECTS)
    assert summary2['UF1'] == pytest.approx(summary['UF1'])

    # Retrain fold toy_s01 (other seed, more steps) and overwrite its checkpoint
    # at the same path, as a rerun of training with the same schedule does.
    retrained = train_fold(cfg, images, labels, subjects, 'toy_s01', seed=99, steps=40)
    ckpt = save_fold(work_dir, 'toy_s01', retrained)
    st = os.stat(ckpt)
    # Same path, and even the same mtime would not hide it if the size changed;
    # force a distinct mtime so the test does not depend on clock resolution.
    os.utime(ckpt, ns=(st.st_atime_ns, st.st_mtime_ns + 10 ** 9))
    models['toy_s01'] = retrained
    summary3, out = run_tool(cfg_path, work_dir, capsys)
    assert 'fold toy_s01: cached result was made from another checkpoint' in out
    assert out.count('reused') == len(SUBJECTS) - 1
    ref3 = reference_predictions(models, images, labels, subjects)
    check_against_reference(summary3, work_dir, ref3, labels, subjects)
    for s in SUBJECTS:
        changed = os.stat(fold_records(work_dir, s)[1]).st_mtime_ns != mtimes[s]
        assert changed == (s == 'toy_s01'), s
    assert summary3['checkpoints']['toy_s01']['mtime_ns'] == os.stat(ckpt).st_mtime_ns

    # A new checkpoint file (training resumed to a later epoch) also counts.
    save_fold(work_dir, 'toy_s02', models['toy_s02'], name='epoch_6.pth')
    _, out = run_tool(cfg_path, work_dir, capsys)
    assert 'fold toy_s02: cached result was made from another checkpoint' in out
