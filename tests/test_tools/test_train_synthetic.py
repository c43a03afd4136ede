"""The README's main job at toy scale: raw frames -> dlib -> TV-L1 -> strain ->
HTNet region tiles -> LOSO -> pooled UF1/UAR, through tools/train.py and
tools/test.py, plus the shuffled-label control: trained on permuted labels,
the same pipeline must fall to chance on the held-out subjects (what it
learns comes from the label-motion link, not from a leak)."""
import json
import os.path as osp

import pytest

from tests.fixtures.repo import ROOT, run_script, synthetic_options

CONFIG = osp.join(ROOT, 'configs', 'htnet', 'htnet_synthetic.py')


def tiny_options(data_root, epochs=30):
    # TV-L1 on a 112 px face instead of 224 px: 4x cheaper.
    return [f'train_cfg.max_epochs={epochs}', 'train_dataloader.batch_size=8',
            *synthetic_options(data_root, 112, num_subjects=6, clips_per_class=2, seed=0,
                               frame_size=160, clip_length_range='[8,10]')]


def run_tool(script, *args):
    proc = run_script(osp.join('tools', script), *args)
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp('synthetic'))


@pytest.fixture(scope='module')
def trained(data_root, tmp_path_factory):
    wd = str(tmp_path_factory.mktemp('htnet_synthetic'))
    out = run_tool('train.py', CONFIG, '--work-dir', wd, '--cfg-options',
                   *tiny_options(data_root))
    with open(osp.join(wd, 'loso_summary.json')) as f:
        return wd, json.load(f), out


def test_main_job_learns_held_out_subjects(trained):
    wd, summary, out = trained
    assert summary['num_folds'] == 6 and summary['num_samples'] == 36
    assert '| **all (pooled)** |' in out
    assert osp.exists(osp.join(wd, 'confusion_matrix.png'))
    # 3 balanced classes: chance UF1 is about 0.33.
    assert summary['UF1'] >= 0.7, summary


def test_shuffled_training_labels_fall_to_chance(data_root, tmp_path):
    opts = tiny_options(data_root) + ['train_dataloader.dataset.shuffle_labels=True']
    run_tool('train.py', CONFIG, '--work-dir', str(tmp_path), '--cfg-options', *opts)
    with open(osp.join(tmp_path, 'loso_summary.json')) as f:
        summary = json.load(f)
    assert summary['UF1'] <= 0.5, summary


def test_test_tool_reproduces_the_summary(trained, data_root, tmp_path):
    wd, summary, _ = trained
    run_tool('test.py', CONFIG, wd, '--work-dir', str(tmp_path),
             '--cfg-options', *tiny_options(data_root))
    with open(osp.join(tmp_path, 'loso_summary.json')) as f:
        again = json.load(f)
    assert again['confusion_matrix'] == summary['confusion_matrix']
    assert again['UF1'] == pytest.approx(summary['UF1'])


def test_preprocess_tool_reuses_the_cache(trained, data_root):
    out = run_tool('preprocess.py', CONFIG, '--cfg-options', *tiny_options(data_root))
    assert '36 samples ready' in out
    assert 'all 36 samples found in the preprocessing cache' in out
