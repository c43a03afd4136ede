"""The two-stage LOSO of Liu et al. (2022, ShuffleNetV2 + TV-L1 + SVM) at toy scale through tools/train.py: stage 1
(flow pre-training, best validation-UAR checkpoint per fold) then stage 2
(SVM fine-tuning on apex frames), each stage-2 fold starting from the stage-1
checkpoint of the SAME fold (configs/shufflenet/*_synthetic.py)."""
import glob
import json
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from sklearn.metrics import f1_score, recall_score

from tests.fixtures.repo import ROOT, load_script, run_script, synthetic_options

CFG_DIR = osp.join(ROOT, 'configs', 'shufflenet')
STAGE1 = osp.join(CFG_DIR, 'shufflenetv2_vit_flowpretrain_synthetic.py')
STAGE2 = osp.join(CFG_DIR, 'shufflenetv2_vit_svm_synthetic.py')

# 4 subjects x 1 clip per class: a fold trains stage 1 on 2 subjects and
# validates on 1 (20 % of 3, rounded up to one); stage 2 trains on 3.
SUBJECTS = ['synthetic_sub01', 'synthetic_sub02', 'synthetic_sub03', 'synthetic_sub04']
FOLD_A, FOLD_B, NOT_PRETRAINED = SUBJECTS[0], SUBJECTS[1], SUBJECTS[2]
# Stage-1 fold A and fold B start from different random inits, so their
# weights differ by O(0.1) and a fold mix-up in stage 2 cannot go unnoticed.
STAGE1_SEEDS = {FOLD_A: 1, FOLD_B: 2}
LR = 1e-3  # Adam, both stages (configs/_base_/schedules/shufflenet_common.py)


def toy_options(data_root, epochs):
    # flip expansion is an option of the training MEDataset itself (no wrapper);
    # a 64 px face instead of the twin's 112 px (cheaper TV-L1)
    return [f'train_cfg.max_epochs={epochs}',
            *synthetic_options(data_root, 64, num_subjects=4, clips_per_class=1, seed=0,
                               frame_size=160, clip_length_range='[8,10]')]


def run_train(config, work_dir, *options, folds=None, check=True):
    args = [config, '--work-dir', str(work_dir)]
    if folds:
        args += ['--folds', folds]
    return run_script('tools/train.py', *args, '--cfg-options', *options, check=check)


def fold_dir(work_dir, subject):
    return osp.join(str(work_dir), f'fold_{subject}')


def only(pattern):
    matches = glob.glob(pattern)
    assert len(matches) == 1, (pattern, matches)
    return matches[0]


def backbone_params(ckpt_path):
    """Trainable backbone tensors (BN running statistics excluded: they move
    by the BN momentum, not by the optimizer step)."""
    state = torch.load(ckpt_path, map_location='cpu', weights_only=False)['state_dict']
    return {k: v.float() for k, v in state.items() if k.startswith('backbone.') and
            'running_' not in k and 'num_batches_tracked' not in k}


def max_abs_diff(a, b):
    assert a.keys() == b.keys()
    return max(float((a[k] - b[k]).abs().max()) for k in a)


@pytest.fixture(scope='module')
def two_stage(tmp_path_factory):
    data_root = str(tmp_path_factory.mktemp('synthetic'))
    s1 = tmp_path_factory.mktemp('stage1')
    s2 = tmp_path_factory.mktemp('stage2')
    # Stage 1, one fold per call, each with its own seed.
    for subject, seed in STAGE1_SEEDS.items():
        run_train(STAGE1, s1, *toy_options(data_root, epochs=2),
                  f'randomness.seed={seed}', folds=subject)
    # Stage 2 over the two pre-trained folds only (loso.subjects restricts the
    # folds, not the training subjects), reading stage 1 from the redirected
    # work dir; one epoch, so epoch_1.pth is stage 2's first checkpoint.
    proc = run_train(STAGE2, s2, *toy_options(data_root, epochs=1),
                     f'loso.init_from.work_dir={s1}',
                     f'loso.subjects=[{FOLD_A},{FOLD_B}]')
    return dict(data_root=data_root, s1=str(s1), s2=str(s2),
                out=proc.stdout + proc.stderr)


def test_stage1_validation_subjects_exclude_the_test_subject(two_stage):
    for subject in STAGE1_SEEDS:
        fd = fold_dir(two_stage['s1'], subject)
        cfg = Config.fromfile(only(osp.join(fd, '*_synthetic.py')))
        val_subjects = list(cfg.val_dataloader.dataset.subjects)
        train_excluded = set(cfg.train_dataloader.dataset.exclude_subjects)
        assert len(val_subjects) == 1 and subject not in val_subjects
        assert set(cfg.test_dataloader.dataset.subjects) == {subject}
        # validation subjects are carved from the training subjects
        assert set(val_subjects) | {subject} <= train_excluded
        assert set(val_subjects) < set(SUBJECTS)
        # the validation loop ran and chose the stage-1 checkpoint
        only(osp.join(fd, 'best_UAR_epoch_*.pth'))
    # the missing folds were not trained
    assert not osp.exists(fold_dir(two_stage['s1'], NOT_PRETRAINED))


def test_each_stage2_fold_starts_from_its_own_stage1_fold(two_stage):
    s1_params = {s: backbone_params(only(osp.join(fold_dir(two_stage['s1'], s),
                                                  'best_UAR_epoch_*.pth')))
                 for s in STAGE1_SEEDS}
    # The two stage-1 folds really differ (different inits), so the check
    # below would fail if stage 2 loaded the other fold's checkpoint.
    between_folds = max_abs_diff(s1_params[FOLD_A], s1_params[FOLD_B])
    assert between_folds > 0.05
    for subject in STAGE1_SEEDS:
        fd2 = fold_dir(two_stage['s2'], subject)
        expected = only(osp.join(fold_dir(two_stage['s1'], subject), 'best_UAR_epoch_*.pth'))
        log = open(only(osp.join(fd2, '*', '*.log'))).read()
        loaded = re.findall(r'Load checkpoint from (\S+)', log)
        assert loaded == [expected], (loaded, expected)
        stage2 = backbone_params(osp.join(fd2, 'epoch_1.pth'))
        other = FOLD_B if subject == FOLD_A else FOLD_A
        # Stage 2's 2 Adam steps at lr 1e-3 move each weight by about lr per
        # step; the other fold's stage-1 weights are orders of magnitude away.
        assert max_abs_diff(stage2, s1_params[subject]) < 4 * LR
        assert max_abs_diff(stage2, s1_params[other]) > 0.04
        # and stage 2 did train (the weights are not a plain copy)
        assert max_abs_diff(stage2, s1_params[subject]) > 0
    # Every weight but the classifier carried over: MMEngine's non-strict load
    # reports only the softmax layer (stage 1) and the SVM layer (stage 2).
    for kind in ('unexpected key', 'missing keys'):
        reports = re.findall(kind + r' in source state_dict: (.+)', two_stage['out'])
        assert len(reports) == 2, (kind, reports)
        keys = {k.strip() for line in reports for k in line.split(',')}
        assert keys and all(k.startswith('head.') for k in keys), keys


def test_stage2_writes_predictions_and_pooled_summary(two_stage):
    records = []
    for subject in STAGE1_SEEDS:
        with open(osp.join(fold_dir(two_stage['s2'], subject), 'predictions.json')) as f:
            fold = json.load(f)
        # the held-out subject's three clips (one per class), nothing else
        assert {r['subject'] for r in fold} == {subject}
        assert sorted(r['gt_label'] for r in fold) == [0, 1, 2]
        records += fold
    with open(osp.join(two_stage['s2'], 'loso_summary.json')) as f:
        summary = json.load(f)
    assert summary['num_folds'] == 2 and summary['num_samples'] == 6
    y_true = [r['gt_label'] for r in records]
    y_pred = [r['pred_label'] for r in records]
    assert summary['UAR'] == pytest.approx(
        recall_score(y_true, y_pred, average='macro', zero_division=0))
    assert summary['UF1'] == pytest.approx(
        f1_score(y_true, y_pred, average='macro', zero_division=0))
    assert np.asarray(summary['confusion_matrix']).sum() == 6
    assert osp.exists(osp.join(two_stage['s2'], 'loso_summary.md'))
    assert 'LOSO done' in two_stage['out']


def test_missing_stage1_fold_is_a_clear_error(two_stage):
    # In-process (no second interpreter start-up): tools/train.py's main().
    train = load_script('tools/train.py')
    s1, wd = two_stage['s1'], osp.join(two_stage['s2'], 'missing')
    argv = [STAGE2, '--work-dir', wd, '--folds', NOT_PRETRAINED, '--cfg-options',
            *toy_options(two_stage['data_root'], epochs=1),
            f'loso.init_from.work_dir={s1}']
    with pytest.raises(FileNotFoundError) as err:
        train.main(argv)
    msg = str(err.value)
    assert 'loso.init_from' in msg and NOT_PRETRAINED in msg
    assert osp.join(s1, f'fold_{NOT_PRETRAINED}') in msg
    # nothing was trained for that fold
    assert not glob.glob(osp.join(wd, f'fold_{NOT_PRETRAINED}', '*.pth'))


@pytest.mark.parametrize('variant', ['vit', 'cbam', 'plain'])
def test_twin_configs_chain_and_match(variant):
    """Stage 2's default stage-1 dir is stage 1's default work dir, and both
    stages crop the face at the same size."""
    s1 = Config.fromfile(osp.join(CFG_DIR, f'shufflenetv2_{variant}_flowpretrain_synthetic.py'))
    s2 = Config.fromfile(osp.join(CFG_DIR, f'shufflenetv2_{variant}_svm_synthetic.py'))
    assert s2.loso.init_from.work_dir == \
        f'work_dirs/shufflenetv2_{variant}_flowpretrain_synthetic'
    assert s2.loso.init_from.checkpoint == 'best_UAR_epoch_*.pth'
    assert s1.loso.val_subjects.fraction == 0.2 and 'val_subjects' not in s2.loso

    def crop_sizes(cfg):
        return {step['size'] for ds in (cfg.train_dataloader.dataset,
                                        cfg.test_dataloader.dataset)
                for step in ds.preprocess.pipeline if step['type'] == 'AlignCropFace'}

    assert crop_sizes(s1) == crop_sizes(s2) == {112}
    assert s1.model.head.type == 'LinearClsHead' and s2.model.head.type == 'SVMHingeHead'
    assert s1.model.backbone == s2.model.backbone
    assert tuple(s1.input_shape) == tuple(s2.input_shape) == (3, 112, 112)
    # flip expansion of positive / surprise on the training split only
    for cfg in (s1, s2):
        assert cfg.train_dataloader.dataset.flip_expansion == dict(
            classes=('positive', 'surprise'))
        assert 'flip_expansion' not in cfg.test_dataloader.dataset
        assert cfg.train_dataloader.sampler.type == 'ClassBalancedSampler'
    # the lr plateau watches the hinge loss, not the total with the L2 term
    assert s2.param_scheduler[0].monitor == 'loss_cls'


@pytest.mark.parametrize('name', ['synthetic', 'casme2', 'samm'])
def test_literal_l2_ablation_changes_only_the_penalty(name):
    default = Config.fromfile(osp.join(CFG_DIR, f'shufflenetv2_vit_svm_{name}.py'))
    literal = Config.fromfile(osp.join(CFG_DIR, f'shufflenetv2_vit_svm-literal-l2_{name}.py'))
    assert (literal.model.head.l2_scope, literal.model.head.l2_weight) == ('all', 0.2)
    assert (default.model.head.l2_scope, default.model.head.l2_weight) != ('all', 0.2)
    a, b = default.to_dict(), literal.to_dict()
    for d in (a, b):
        d['model']['head'].pop('l2_scope')
        d['model']['head'].pop('l2_weight')
        d.pop('filename', None)
    assert a == b


def test_every_shufflenet_config_resolves_and_builds_its_model():
    """All leaves compose from the bases; each model builds; stage-1 leaves use
    the softmax head, every other leaf of an SVM family the hinge head."""
    from mmmer.registry import MODELS
    paths = sorted(glob.glob(osp.join(CFG_DIR, '*.py')))
    assert len(paths) >= 60
    built = {}
    for path in paths:
        cfg = Config.fromfile(path)
        name = osp.basename(path)
        assert cfg.train_dataloader.dataset.type != 'FlipExpandedDataset', name
        head = cfg.model.head.type
        if '_flowpretrain_' in name or '_softmax_' in name:
            assert head == 'LinearClsHead', name
        else:
            assert head == 'SVMHingeHead', name
        key = repr(cfg.model.backbone.to_dict())
        if key not in built:
            built[key] = MODELS.build(cfg.model)
    assert len(built) == 3   # plain, CBAM and ViT backbones
