"""End to end at toy scale: tools/train.py LOSO with a GeneratedAugmentDataset
train split. The loop puts the fold's exclude_subjects into the wrapped
dataset; the wrapper then picks the leakage-free generator by itself."""
import copy
import json

from tests.fixtures.repo import TOY_CFG, load_script

from .test_generated_dataset import FAST
from .toy_flow_maps import toy_dataset_cfg

# The toy LOSO config of tests/fixtures with the generated-augmentation
# wrapper as training set and the toy flow maps as the real data.
CONFIG = '''
_base_ = [{toy_config!r}]
custom_imports = dict(imports=['tests.test_generation.toy_flow_maps', 'tests.fixtures.toy'])
train_dataloader = dict(batch_size=32,
                        dataset=dict(_delete_=True, type='GeneratedAugmentDataset',
                                     dataset={dataset!r}, generators_dir={generators_dir!r},
                                     diffusion={diffusion!r}, train_missing=True))
test_dataloader = dict(batch_size=32, dataset=dict({dataset!r}, _delete_=True, test_mode=True))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_epochs=1)
loso = dict(selection='last', oracle=False, subjects=['toyb_s2'])
'''


def test_loso_train_with_generated_augmentation(tmp_path):
    diffusion = copy.deepcopy(FAST)
    config = tmp_path / 'toy_loso_ddpm.py'
    config.write_text(CONFIG.format(
        toy_config=TOY_CFG,
        diffusion=diffusion, dataset=toy_dataset_cfg(tmp_path / 'cache'),
        generators_dir=str(tmp_path / 'generators')))
    train = load_script('tools/train.py')
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
