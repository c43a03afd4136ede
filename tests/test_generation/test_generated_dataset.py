"""GeneratedAugmentDataset + tools/augment: leakage-free top-up.

One module-scoped set of tiny generators (5 groups over 10 subjects of two
datasets) is trained through tools/augment/train_ddpm.py and shared by the
tests; they check the leakage guard on every LOSO fold, the top-up, caching
and the error paths.
"""
import copy
import importlib.util
import json
import os.path as osp
import shutil

import numpy as np
import pytest

from mmmer.generation import (ClassConditionalDDPM, FoldGroupError,
                              GeneratedAugmentDataset, GeneratorLeakageError,
                              GeneratorNotFoundError, topup_counts)
from mmmer.utils import register_all_modules

from .toy_flow_maps import TINY_DIFFUSION, toy_dataset_cfg

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SUBJECTS = [f'toya_s{i}' for i in range(6)] + [f'toyb_s{i}' for i in range(4)]
# Tinier than the twin so the suite stays fast; quality is tested in test_ddpm.
FAST = copy.deepcopy(TINY_DIFFUSION)
FAST['unet'] = dict(block_out_channels=(8, 16, 16), layers_per_block=1, norm_num_groups=4)
FAST['train'].update(steps=3, batch_size=8)
FAST['sample'].update(num_inference_steps=4)


def load_tool(name):
    path = osp.join(REPO, 'tools', 'augment', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'mmmer_tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CONFIG = '''
default_scope = 'mmmer'
custom_imports = dict(imports=['tests.test_generation.toy_flow_maps'],
                      allow_failed_imports=False)
diffusion = {diffusion!r}
train_dataloader = dict(dataset=dict(
    type='GeneratedAugmentDataset', dataset={dataset!r},
    generators_dir={generators_dir!r}, diffusion=diffusion))
'''


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    register_all_modules()
    root = tmp_path_factory.mktemp('gen')
    dataset = toy_dataset_cfg(root / 'cache')
    generators_dir = str(root / 'generators')
    config = root / 'toy_ddpm.py'
    config.write_text(CONFIG.format(diffusion=FAST, dataset=dataset,
                                    generators_dir=generators_dir))
    plan = load_tool('train_ddpm').main([str(config), '--no-progress'])
    return dict(dataset=dataset, generators_dir=generators_dir, config=str(config),
                plan=plan, root=root)


def fold(trained, test_subjects, **kwargs):
    inner = copy.deepcopy(trained['dataset'])
    inner['exclude_subjects'] = list(test_subjects)  # what the LOSO loop does
    kwargs.setdefault('generators_dir', trained['generators_dir'])
    kwargs.setdefault('diffusion', FAST)
    return GeneratedAugmentDataset(dataset=inner, **kwargs)


def test_tool_trained_subject_disjoint_generators(trained):
    groups = trained['plan'].groups
    assert sorted(s for g in groups for s in g) == sorted(SUBJECTS)
    assert [len(g) for g in groups] == [2] * 5
    for g, held_out in enumerate(groups):
        with open(osp.join(trained['generators_dir'], f'group_{g}', 'meta.json')) as f:
            meta = json.load(f)
        assert meta['status'] == 'done'
        assert set(meta['train_subjects']) == set(SUBJECTS) - set(held_out)
        assert meta['num_train_samples'] == 6 * 8  # 8 subjects x 6 clips
    # Rerun: every group is finished, nothing is retrained.
    before = {g: osp.getmtime(osp.join(trained['generators_dir'], f'group_{g}',
                                       'ema_unet.npz')) for g in range(5)}
    load_tool('train_ddpm').main([trained['config'], '--no-progress'])
    assert before == {g: osp.getmtime(osp.join(trained['generators_dir'], f'group_{g}',
                                               'ema_unet.npz')) for g in range(5)}


def test_no_fold_uses_a_generator_trained_on_its_test_subject(trained):
    """Every LOSO fold: the chosen generator never saw the test subject."""
    used = set()
    for s in SUBJECTS:
        ds = fold(trained, [s], topup=[0, 1, 1])
        assert ds.test_subjects == [s]
        assert s not in ds.generator_meta['train_subjects']
        assert s in ds.generator_meta['held_out_subjects']
        assert s not in ds.get_subjects()
        # Independent check from the files on disk.
        with open(osp.join(trained['generators_dir'], f'group_{ds.group}',
                           'meta.json')) as f:
            assert s not in json.load(f)['train_subjects']
        used.add(ds.group)
    assert used == set(range(5))


def test_majority_topup_balances_the_fold(trained):
    ds = fold(trained, ['toyb_s1'])
    real = ds.real_class_counts()
    assert real == [27, 18, 9]  # 9 training subjects x (3, 2, 1)
    assert ds.generated_per_class == [0, 9, 18]
    assert ds.class_counts() == [27, 27, 27]
    assert len(ds) == 54 + 27 and len(ds.data_list) == len(ds)
    assert ds.metainfo['classes'] == ('negative', 'positive', 'surprise')
    gen_labels = []
    for idx in range(ds.num_real, len(ds)):
        item = ds[idx]
        sample = item['data_samples']
        assert item['inputs'].shape == (3, 28, 28)
        assert float(item['inputs'].min()) >= 0 and float(item['inputs'].max()) <= 255
        assert np.array_equal(item['inputs'].numpy(), np.round(item['inputs'].numpy()))
        assert sample.is_generated is True
        gen_labels.append(int(sample.gt_label))
    assert np.bincount(gen_labels, minlength=3).tolist() == [0, 9, 18]
    real_item = ds[0]
    assert real_item['data_samples'].is_generated is False
    assert real_item['data_samples'].subject != 'toyb_s1'


def test_generated_set_is_cached_on_disk(trained, monkeypatch):
    first = fold(trained, ['toya_s2'], topup=[2, 0, 1])
    assert osp.exists(first.generated_cache_path)

    def refuse(*args, **kwargs):
        raise AssertionError('sampled again although the set is cached')
    monkeypatch.setattr(ClassConditionalDDPM, 'sample', refuse)
    again = fold(trained, ['toya_s2'], topup=[2, 0, 1])
    assert again.generated_cache_path == first.generated_cache_path
    for i in range(3):
        np.testing.assert_array_equal(again.generated_infos[i]['img'],
                                      first.generated_infos[i]['img'])
    with pytest.raises(AssertionError, match='sampled again'):
        fold(trained, ['toya_s2'], topup=[3, 0, 1])  # another count: another set


def test_leaky_generator_is_refused(trained, tmp_path):
    """A generator whose record says it saw the fold's test subject is refused."""
    gdir = tmp_path / 'generators'
    shutil.copytree(trained['generators_dir'], gdir)
    groups = trained['plan'].groups
    s = groups[0][0]
    meta_path = gdir / 'group_0' / 'meta.json'
    meta = json.loads(meta_path.read_text())
    meta['train_subjects'].append(s)
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(GeneratorLeakageError, match=s):
        fold(trained, [s], generators_dir=str(gdir), topup=[0, 1, 1])
    # Folds of other groups are unaffected.
    assert fold(trained, [groups[1][0]], generators_dir=str(gdir), topup=[0, 1, 1]).group == 1


def test_missing_or_stale_generator_raises_with_instructions(trained, tmp_path):
    with pytest.raises(GeneratorNotFoundError, match='train_ddpm.py'):
        fold(trained, ['toya_s0'], generators_dir=str(tmp_path / 'none'))
    stale = copy.deepcopy(FAST)
    stale['train']['steps'] = 4
    with pytest.raises(GeneratorNotFoundError, match='stale'):
        fold(trained, ['toya_s0'], diffusion=stale)


def test_train_missing_trains_on_the_fly(trained, tmp_path):
    ds = fold(trained, ['toyb_s3'], generators_dir=str(tmp_path / 'g'), train_missing=True,
              topup=[0, 0, 1])
    assert 'toyb_s3' not in ds.generator_meta['train_subjects']
    assert osp.exists(tmp_path / 'g' / f'group_{ds.group}' / 'ema_unet.npz')
    assert len(ds) == 54 + 1


def test_unsafe_folds_and_test_mode_are_refused(trained):
    groups = trained['plan'].groups
    with pytest.raises(FoldGroupError):  # e.g. a validation subject from another group
        fold(trained, [groups[0][0], groups[1][0]])
    with pytest.raises(FoldGroupError, match='no held-out'):
        fold(trained, [])
    with pytest.raises(ValueError, match='training splits only'):
        GeneratedAugmentDataset(dataset=trained['dataset'],
                                generators_dir=trained['generators_dir'], test_mode=True)


def test_topup_counts():
    assert topup_counts([27, 18, 9], 'majority') == [0, 9, 18]
    assert topup_counts([27, 18, 9], None) == [0, 0, 0]
    assert topup_counts([27, 18, 9], {2: 5}) == [0, 0, 5]
    assert topup_counts([27, 18, 9], [1, 2, 3]) == [1, 2, 3]
    with pytest.raises(ValueError):
        topup_counts([27, 18, 9], [1, 2])


def test_sample_and_show_tools(trained, tmp_path):
    out = str(tmp_path / 's.npz')
    load_tool('sample_ddpm').main([trained['config'], '--group', '1', '--num-per-class',
                                   '2', '--steps', '3', '--out', out])
    with np.load(out) as data:
        assert data['img'].shape == (6, 28, 28, 3) and data['img'].dtype == np.uint8
        assert data['gt_label'].tolist() == [0, 0, 1, 1, 2, 2]
    png = str(tmp_path / 'grid.png')
    load_tool('show_samples').main([trained['config'], '--group', '1', '--num', '2',
                                    '--samples', out, '--out', png])
    with open(png, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
