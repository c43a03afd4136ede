"""The optimistic test-fold epoch selection ("oracle"): it must not change the
honest numbers, its value must equal an independent recomputation from every
epoch's checkpoint, for both rules and their tie rules, and an interrupted +
resumed run must give the same oracle."""
import copy
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from sklearn.metrics import accuracy_score, f1_score, recall_score

from mmmer.engine import LOSOLoop, fold_dir_name
from tests.fixtures.toy import Interrupt, with_interrupt

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_CFG = osp.join(ROOT, 'tests', 'fixtures', 'toy_config.py')
SUBJECTS = ['toy_s00', 'toy_s01', 'toy_s02', 'toy_s03']
EPOCHS = 5


def toy_cfg(**options):
    import tests.fixtures.toy  # noqa: F401
    cfg = Config.fromfile(TOY_CFG)
    # dropout draws from torch's global RNG while training: an oracle pass
    # that moved that RNG would change the honest model.
    cfg.merge_from_dict({'train_cfg.max_epochs': EPOCHS, 'model.backbone.dropout': 0.3,
                         'optim_wrapper.optimizer.lr': 3e-3, **options})
    return cfg


def read(path):
    with open(path) as f:
        return json.load(f)


def predictions(wd, subject, name='predictions.json'):
    return read(osp.join(wd, fold_dir_name(subject), name))


@pytest.fixture(scope='module')
def honest(tmp_path_factory):
    wd = str(tmp_path_factory.mktemp('honest'))
    return wd, LOSOLoop(toy_cfg(), work_dir=wd).run()


@pytest.fixture(scope='module')
def oracle_acc(tmp_path_factory):
    """rule best_acc, every epoch's full checkpoint kept for the reference."""
    wd = str(tmp_path_factory.mktemp('oracle_acc'))
    cfg = toy_cfg(**{'loso.oracle': True, 'loso.keep_checkpoints': 'full',
                     'default_hooks.checkpoint.max_keep_ckpts': -1})
    return wd, LOSOLoop(cfg, work_dir=wd).run()


@pytest.fixture(scope='module')
def per_epoch(oracle_acc):
    """Independent reference: each epoch's checkpoint scored on its fold's
    test subject by a plain forward pass, metrics from scikit-learn."""
    from mmengine.dataset import pseudo_collate

    from mmmer.datasets.builder import build_dataset, innermost_dataset_cfg
    from mmmer.registry import MODELS
    wd, _ = oracle_acc
    cfg = toy_cfg()
    out = {}
    for s in SUBJECTS:
        ds_cfg = copy.deepcopy(innermost_dataset_cfg(cfg.test_dataloader.dataset))
        ds_cfg['subjects'] = [s]
        data = pseudo_collate([x for x in build_dataset(ds_cfg)])
        out[s] = {}
        for epoch in range(1, EPOCHS + 1):
            model = MODELS.build(copy.deepcopy(cfg.model))
            state = torch.load(osp.join(wd, fold_dir_name(s), f'epoch_{epoch}.pth'),
                               weights_only=True)
            model.load_state_dict(state['state_dict'])
            model.eval()
            with torch.no_grad():
                samples = model.test_step(copy.deepcopy(data))
            y = [int(d.gt_label.reshape(-1)[0]) for d in samples]
            p = [int(d.pred_label.reshape(-1)[0]) for d in samples]
            present = sorted(set(y))
            out[s][epoch] = dict(
                y=y, p=p, Acc=accuracy_score(y, p),
                UF1=f1_score(y, p, average='macro', labels=present),
                UAR=recall_score(y, p, average='macro', labels=present))
    return out


def select(history, key, later_on_ties):
    best = max(v[key] for v in history.values())
    tied = [e for e, v in history.items() if np.isclose(v[key], best)]
    return max(tied) if later_on_ties else min(tied)


def test_oracle_leaves_the_honest_numbers_alone(honest, oracle_acc):
    (wd_h, h), (wd_o, o) = honest, oracle_acc
    for s in SUBJECTS:
        a, b = predictions(wd_h, s), predictions(wd_o, s)
        np.testing.assert_allclose([r['pred_score'] for r in a],
                                   [r['pred_score'] for r in b], rtol=0, atol=1e-6)
    for key in ('UF1', 'UAR', 'Acc'):
        assert h[key] == pytest.approx(o[key], abs=1e-12)
    assert 'oracle' not in h


def test_best_acc_oracle_equals_independent_recomputation(oracle_acc, per_epoch):
    wd, summary = oracle_acc
    oracle = summary['oracle']
    assert oracle['label'].startswith('oracle (test-fold epoch selection, optimistic; rule: '
                                      'best_acc')
    y, p, ties = [], [], 0
    for s in SUBJECTS:
        hist = per_epoch[s]
        epoch = select(hist, 'Acc', later_on_ties=True)
        ties += sum(np.isclose(v['Acc'], hist[epoch]['Acc']) for v in hist.values()) > 1
        assert oracle['epochs'][s] == epoch
        recs = predictions(wd, s, 'oracle_predictions.json')
        assert [r['pred_label'] for r in recs] == hist[epoch]['p']
        y += hist[epoch]['y']
        p += hist[epoch]['p']
    assert ties > 0, 'no fold had tied epochs: the tie rule was not exercised'
    present = sorted(set(y))
    assert oracle['UF1'] == pytest.approx(f1_score(y, p, average='macro', labels=present))
    assert oracle['UAR'] == pytest.approx(recall_score(y, p, average='macro', labels=present))
    assert oracle['Acc'] == pytest.approx(accuracy_score(y, p))
    # the per-epoch history the hook kept agrees too
    for s in SUBJECTS:
        hist = read(osp.join(wd, fold_dir_name(s), 'oracle_predictions.json.state.json'))
        for e, v in per_epoch[s].items():
            assert hist['history'][str(e)]['Acc'] == pytest.approx(v['Acc'])


def test_best_uf1_fold_mean_equals_independent_recomputation(tmp_path, per_epoch, honest):
    cfg = toy_cfg(**{'loso.oracle': True, 'loso.oracle_rule': 'best_uf1_fold_mean',
                     'loso.keep_checkpoints': 'none'})
    summary = LOSOLoop(cfg, work_dir=str(tmp_path)).run()
    oracle = summary['oracle']
    assert 'rule: best_uf1_fold_mean' in oracle['label']
    chosen = {s: select(per_epoch[s], 'UF1', later_on_ties=False) for s in SUBJECTS}
    assert oracle['epochs'] == chosen
    for key in ('UF1', 'UAR', 'Acc'):
        assert oracle[key] == pytest.approx(
            np.mean([per_epoch[s][chosen[s]][key] for s in SUBJECTS]))
    assert summary['UF1'] == pytest.approx(honest[1]['UF1'], abs=1e-12)
    assert '| oracle (test-fold epoch selection, optimistic; rule: best_uf1_fold_mean' in \
        open(osp.join(tmp_path, 'loso_summary.md')).read()


def test_interrupted_oracle_run_gives_the_same_oracle(tmp_path, oracle_acc):
    ref_wd, ref = oracle_acc
    wd = str(tmp_path)
    cfg = toy_cfg(**{'loso.oracle': True})
    # Interrupted after epoch 3's checkpoint but before the oracle saw epoch 3:
    # the resumed run evaluates it from the resumed weights.
    with pytest.raises(Interrupt):
        LOSOLoop(with_interrupt(cfg, 3), work_dir=wd, folds=['toy_s01']).run()
    state = read(osp.join(wd, fold_dir_name('toy_s01'), 'oracle_predictions.json.state.json'))
    assert sorted(state['history']) == ['1', '2']
    summary = LOSOLoop(cfg, work_dir=wd).run()
    state = read(osp.join(wd, fold_dir_name('toy_s01'), 'oracle_predictions.json.state.json'))
    assert sorted(state['history'], key=int) == [str(e) for e in range(1, EPOCHS + 1)]
    for key in ('UF1', 'UAR', 'Acc'):
        assert summary['oracle'][key] == pytest.approx(ref['oracle'][key], abs=1e-12)
        assert summary[key] == pytest.approx(ref[key], abs=1e-12)
    for s in SUBJECTS:
        np.testing.assert_allclose(
            [r['pred_score'] for r in predictions(wd, s, 'oracle_predictions.json')],
            [r['pred_score'] for r in predictions(ref_wd, s, 'oracle_predictions.json')],
            rtol=0, atol=1e-6)


def test_bad_oracle_rule_and_selection(tmp_path):
    with pytest.raises(ValueError, match=r"valid: \['best_acc', 'best_uf1_fold_mean'\]"):
        LOSOLoop(toy_cfg(**{'loso.oracle_rule': 'best_uar'}), work_dir=str(tmp_path))
    with pytest.raises(ValueError, match=r"valid: \['last'\].*only 'last' is implemented"):
        LOSOLoop(toy_cfg(**{'loso.selection': 'best'}), work_dir=str(tmp_path))
