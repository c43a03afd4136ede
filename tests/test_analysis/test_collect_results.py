"""Model zoo: multi-seed summaries, collected metafiles / READMEs, and the
committed metafiles of the four method folders."""
import glob
import importlib
import json
import os.path as osp
import shutil

import numpy as np
import pytest
import yaml
from sklearn.metrics import f1_score, recall_score

from .tool_loader import REPO, TOY_CONFIG, load_tool

HARD = 'mmmer synthetic (hard preset)'


@pytest.fixture(scope='module')
def zoo(tmp_path_factory):
    importlib.import_module('tests.fixtures.toy')
    root = tmp_path_factory.mktemp('zoo')
    (root / 'configs' / 'htnet').mkdir(parents=True)
    config = root / 'configs' / 'htnet' / 'toy_twin.py'
    config.write_text(TOY_CONFIG.format(repo=REPO) + 'train_cfg = dict(max_epochs=2)\n')
    (root / 'configs' / 'htnet' / 'README.md').write_text('# HTNet\n\nWritten by hand.\n')
    seeds_dir = root / 'work_dirs' / 'toy_twin_seeds'
    multi_seed = load_tool('multi_seed')
    assert multi_seed.main([str(config), '--seeds', '0,1', '--work-dir', str(seeds_dir)]) == 0
    # the seed-0 run doubles as the config's single honest run
    shutil.copytree(seeds_dir / 'seed_0', root / 'work_dirs' / 'toy_twin')
    return root, config, seeds_dir


def read(path):
    with open(path) as f:
        return json.load(f)


def pooled(work_dir):
    records = []
    for path in sorted(glob.glob(osp.join(work_dir, 'fold_*', 'predictions.json'))):
        records += read(path)
    y = [r['gt_label'] for r in records]
    p = [r['pred_label'] for r in records]
    return y, p


def test_seeds_summary_is_mean_and_std_of_the_seed_runs(zoo):
    _, _, seeds_dir = zoo
    agg = read(seeds_dir / 'seeds_summary.json')
    assert agg['seeds'] == [0, 1]
    uf1 = []
    for seed in (0, 1):
        wd = seeds_dir / f'seed_{seed}'
        summary = read(wd / 'loso_summary.json')
        assert summary['config_dict']['randomness']['seed'] == seed
        y, p = pooled(str(wd))
        ref = f1_score(y, p, average='macro')
        assert summary['UF1'] == pytest.approx(ref, abs=1e-9)
        assert agg['per_seed'][str(seed)]['UAR'] == pytest.approx(
            recall_score(y, p, average='macro'), abs=1e-9)
        uf1.append(ref)
    assert agg['mean']['UF1'] == pytest.approx(np.mean(uf1), abs=1e-9)
    assert agg['std']['UF1'] == pytest.approx(np.std(uf1, ddof=1), abs=1e-9)
    md = (seeds_dir / 'seeds_summary.md').read_text()
    assert 'mean ± std' in md and f"{agg['mean']['UF1']:.4f}" in md


def test_seed_options(tmp_path):
    multi_seed = load_tool('multi_seed')
    assert multi_seed.parse_seeds('0,1,2') == [0, 1, 2]
    for bad in ('', '0,0', 'a'):
        with pytest.raises(ValueError):
            multi_seed.parse_seeds(bad)
    assert multi_seed._cfg_options(['--cfg-options', 'a=1'], 3) == \
        ['--cfg-options', 'randomness.seed=3', 'a=1']
    with pytest.raises(FileNotFoundError, match='seed 5'):
        multi_seed.main(['x.py', '--seeds', '5', '--work-dir', str(tmp_path),
                         '--summarize-only'])


def test_collect_writes_metafile_readme_and_keeps_hand_text(zoo):
    root, config, _ = zoo
    collect = load_tool('collect_results')
    args = ['--configs', str(root / 'configs'), '--work-dirs', str(root / 'work_dirs'),
            '--families', 'htnet', '--hard-data-root', str(root / 'none')]
    assert collect.main(args) == 0
    meta = yaml.safe_load((root / 'configs' / 'htnet' / 'metafile.yml').read_text())
    assert meta['Collections'][0]['Name'] == 'HTNet'
    model, = meta['Models']
    assert model['Name'] == 'toy_twin' and osp.isfile(root / model['Config'])
    assert model['In Collection'] == 'HTNet'
    summary = read(root / 'work_dirs' / 'toy_twin' / 'loso_summary.json')
    honest, seeds = model['Results']
    assert honest['Metrics']['Selection'].startswith('honest')
    y, p = pooled(str(root / 'work_dirs' / 'toy_twin'))
    assert honest['Metrics']['UF1'] == pytest.approx(f1_score(y, p, average='macro'), abs=1e-4)
    assert honest['Metrics']['Acc'] == pytest.approx(summary['Acc'], abs=1e-4)
    assert 'UF1 std' in seeds['Metrics']
    # toy backbone parameter count from its definition, FLOPs > 0, latency measured
    import torch

    from mmmer.analysis.complexity import build_model_from_cfg
    from mmengine.config import Config
    built = build_model_from_cfg(Config.fromfile(str(config)))
    assert model['Metadata']['Parameters'] == sum(q.numel() for q in built.parameters())
    assert model['Metadata']['FLOPs'] > 0 and isinstance(torch.__version__, str)
    assert model['Metadata']['Latency (ms, CPU, 1 thread, batch 1)'] > 0
    readme = (root / 'configs' / 'htnet' / 'README.md').read_text()
    assert readme.startswith('# HTNet\n\nWritten by hand.\n')
    assert f"{honest['Metrics']['UF1']:.4f}" in readme
    # a rerun replaces the block instead of appending another
    assert collect.main(args + ['--no-latency']) == 0
    again = (root / 'configs' / 'htnet' / 'README.md').read_text()
    assert again.count('mmmer-results:start') == 1 and 'Written by hand.' in again


def test_dataset_labels():
    collect = load_tool('collect_results')
    hard = dict(test_dataloader=dict(dataset=dict(
        type='SyntheticMEDataset', generator=dict(class_totals=[54, 24, 18]))))
    easy = dict(test_dataloader=dict(dataset=dict(type='SyntheticMEDataset',
                                                  generator=dict(num_subjects=8))))
    other = dict(test_dataloader=dict(dataset=dict(type='CASME2Dataset',
                                                   data_root='data/casme2')))
    assert collect.dataset_label(hard) == HARD
    assert collect.dataset_label(easy) == 'mmmer synthetic (easy default)'
    assert collect.dataset_label(other) == 'CASME2Dataset (data/casme2)'


def test_committed_model_zoo():
    """The metafiles in the repository: configs exist, every family is measured
    on the hard preset, and there the methods are below 0.98 and spread out."""
    index = yaml.safe_load(open(osp.join(REPO, 'model-index.yml')))
    assert sorted(index['Import']) == sorted(
        f'configs/{f}/metafile.yml' for f in ('htnet', 'ahmsa', 'edmdbn', 'shufflenet'))
    best = {}
    for path in index['Import']:
        meta = yaml.safe_load(open(osp.join(REPO, path)))
        assert meta['Collections'] and meta['Models'], path
        for model in meta['Models']:
            assert osp.isfile(osp.join(REPO, model['Config'])), model['Config']
            for key in ('Parameters', 'FLOPs', 'Training Data'):
                assert key in model['Metadata'], (path, key)
            for result in model['Results']:
                assert set(result['Metrics']) >= {'UF1', 'UAR', 'Acc', 'Selection'}
                if result['Dataset'] == HARD and \
                        result['Metrics']['Selection'].startswith('honest (last'):
                    best[path] = max(best.get(path, 0.0), result['Metrics']['UF1'])
        assert osp.isfile(osp.join(REPO, osp.dirname(path), 'README.md'))
    assert len(best) == 4, best
    assert max(best.values()) < 0.98
    assert max(best.values()) - min(best.values()) >= 0.05
