"""tools/train.py --all-subjects: one model on every subject, resumable."""
import os
import os.path as osp

import pytest
import torch

from tests.fixtures.repo import TOY_CFG, load_script
from tests.fixtures.toy import Interrupt, with_interrupt

EPOCHS = 4
OPTS = ['--cfg-options', f'train_cfg.max_epochs={EPOCHS}', 'model.backbone.dropout=0.2']


def train_tool():
    return load_script('tools/train.py')


def last_state(wd):
    with open(osp.join(wd, 'all_subjects', 'last_checkpoint')) as f:
        return torch.load(f.read().strip(), weights_only=True)


@pytest.fixture(scope='module')
def full_run(tmp_path_factory):
    wd = str(tmp_path_factory.mktemp('all_subjects'))
    train_tool().main([TOY_CFG, '--all-subjects', '--work-dir', wd, *OPTS])
    return wd


def test_all_subjects_trains_on_every_sample_without_test_or_selection(full_run):
    state = last_state(full_run)
    assert state['meta']['epoch'] == EPOCHS
    # 4 subjects x 9 samples = 36, batch 8 -> 5 iterations per epoch (a LOSO
    # fold trains on 27 samples: 4 per epoch).
    assert state['meta']['iter'] == EPOCHS * 5
    run_dir = osp.join(full_run, 'all_subjects')
    assert sorted(f for f in os.listdir(run_dir) if f.endswith('.pth')) == \
        [f'epoch_{EPOCHS}.pth']
    assert not [f for f in os.listdir(full_run) if f.startswith('fold_')]
    assert not osp.exists(osp.join(run_dir, 'predictions.json'))
    # resumable: the full training state is kept
    assert 'optimizer' in state and 'rng_state' in state


def test_rerun_without_resume_is_refused(full_run):
    with pytest.raises(FileExistsError, match='--resume'):
        train_tool().main([TOY_CFG, '--all-subjects', '--work-dir', full_run, *OPTS])


def test_resume_flag_needs_all_subjects(tmp_path, capsys):
    with pytest.raises(SystemExit):
        train_tool().parse_args([TOY_CFG, '--resume'])
    assert 'resume automatically' in capsys.readouterr().err


@pytest.mark.parametrize('how', ['auto', 'checkpoint'])
def test_interrupted_run_resumes_to_the_same_model(tmp_path, full_run, how):
    tool = train_tool()
    from mmmer.engine.all_subjects import train_all_subjects
    wd = str(tmp_path)
    cfg = tool.build_config(tool.parse_args([TOY_CFG, '--all-subjects', '--work-dir', wd,
                                             *OPTS]))
    with pytest.raises(Interrupt):
        train_all_subjects(with_interrupt(cfg, 2), wd)
    resume = ['--resume'] if how == 'auto' else \
        ['--resume', osp.join(wd, 'all_subjects', 'epoch_2.pth')]
    tool.main([TOY_CFG, '--all-subjects', '--work-dir', wd, *resume, *OPTS])
    a, b = last_state(full_run)['state_dict'], last_state(wd)['state_dict']
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6)
