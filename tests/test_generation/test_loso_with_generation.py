"""End to end at toy scale: tools/train.py LOSO with a GeneratedAugmentDataset
train split. The loop puts the fold's exclude_subjects into the wrapped
dataset; the wrapper then picks the leakage-free generator by itself."""
import copy
import json
import os.path as osp

from .test_generated_dataset import FAST, REPO, load_tool  # noqa: F401
from .toy_flow_maps import toy_dataset_cfg

CONFIG = '''
_base_ = [{runtime!r}]
custom_imports = dict(imports=['tests.test_generation.toy_flow_maps', 'tests.fixtures.toy'],
                      allow_failed_imports=False)
train_dataloader = dict(batch_size=32, num_workers=0,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(type='GeneratedAugmentDataset', dataset={dataset!r},
                                     generators_dir={generators_dir!r},
                                     diffusion={diffusion!r}, train_missing=True))
test_dataloader = dict(batch_size=32, num_workers=0,
                       sampler=dict(type='DefaultSampler', shuffle=False),
                       dataset=dict({dataset!r}, test_mode=True))
test_evaluator = dict(type='MEMetric')
model = dict(type='MEClassifier', backbone=dict(type='ToyBackbone'),
             head=dict(type='LinearClsHead', in_channels=32, num_classes=3))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
val_cfg = None
test_cfg = dict()
default_hooks = dict(logger=dict(interval=1))
loso = dict(selection='last', oracle=False, subjects=['toyb_s2'])
'''


def test_loso_train_with_generated_augmentation(tmp_path):
    diffusion = copy.deepcopy(FAST)
    config = tmp_path / 'toy_loso_ddpm.py'
    config.write_text(CONFIG.format(
        runtime=osp.join(REPO, 'configs', '_base_', 'default_runtime.py'),
        diffusion=diffusion, dataset=toy_dataset_cfg(tmp_path / 'cache'),
        generators_dir=str(tmp_path / 'generators')))
    spec_path = osp.join(REPO, 'tools', 'train.py')
    import importlib.util
    spec = importlib.util.spec_from_file_location('mmmer_tool_train', spec_path)
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    work_dir = tmp_path / 'work'
    train.main([str(config), '--work-dir', str(work_dir)])
    with open(work_dir / 'loso_summary.json') as f:
        summary = json.load(f)
    assert summary['num_samples'] == 6  # 6 real test clips, none generated
    for subject in ('toyb_s2', ):
        with open(work_dir / f'fold_{subject}' / 'predictions.json') as f:
            preds = json.load(f)
        assert {p['subject'] for p in preds} == {subject}
    # Each fold trained (on the fly) the generator holding its subject out and
    # used it: the wrapper logged the choice in the fold's log.
    metas = [json.loads(p.read_text())
             for p in (tmp_path / 'generators').glob('group_*/meta.json')]
    assert len(metas) == 1
    for subject in ('toyb_s2', ):
        held = [m for m in metas if subject in m['held_out_subjects']]
        assert len(held) == 1 and subject not in held[0]['train_subjects']
        logs = ''.join(p.read_text() for p in
                       (work_dir / f'fold_{subject}').rglob('*.log'))
        assert f"fold test subjects ['{subject}'] -> generator group " \
            f"{held[0]['group']}" in logs
