"""tools/train.py end to end on fixtures in the real dataset layouts (issue 3):
HTNet on a FlowFolderDataset (HTNet's published 3DB flow images) and on the
raw-frame MEGC2019 composite (SMIC-HS + CASME II + SAMM sheets and frames).

The fixtures hold all 442 samples; LOSO runs over two subjects
(``loso.subjects``) of a shrunken HTNet for one epoch, which is enough to
prove that parsing, preprocessing, fold building and pooled scoring connect.
"""
import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMALL_HTNET = ['model.backbone.dim=16', 'model.backbone.block_repeats=[1,1,1]',
               'model.head.in_channels=64', 'train_cfg.max_epochs=1',
               'train_dataloader.batch_size=128', 'train_dataloader.num_workers=0',
               'test_dataloader.num_workers=0']


def run_train(config, work_dir, data_root, extra=()):
    opts = list(SMALL_HTNET) + list(extra)
    for loader in ('train_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={data_root}',
                 f'{loader}.dataset.preprocess.cache_dir={data_root}/cache',
                 f'{loader}.dataset.preprocess.workers=1']
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config,
         '--work-dir', work_dir, '--cfg-options', *opts],
        cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(osp.join(work_dir, 'loso_summary.json')) as f:
        return json.load(f)


def test_htnet_on_flow_folder_fixture(tmp_path):
    from tests.fixtures.me_layouts import build_htnet_flow_folder
    data_root = str(tmp_path / 'htnet')
    build_htnet_flow_folder(data_root)
    summary = run_train(osp.join(ROOT, 'configs', 'htnet', 'htnet_3db.py'),
                        str(tmp_path / 'wd'), data_root,
                        ["loso.subjects=['casme2_sub01','samm_006']"])
    # casme2 sub01 has 3 samples and samm 006 has 11 in the 3DB list.
    assert summary['num_samples'] == 14 and summary['num_folds'] == 2
    assert set(summary['per_dataset']) == {'casme2', 'samm'}
    assert summary['subset_of_subjects'] == ['casme2_sub01', 'samm_006']


def test_htnet_on_raw_frame_composite_fixture(tmp_path):
    from tests.fixtures.me_layouts import build_3db
    data_root = str(tmp_path / 'data')
    build_3db(data_root)
    summary = run_train(
        osp.join(ROOT, 'configs', 'htnet', 'htnet_composite_3db.py'),
        str(tmp_path / 'wd'), data_root,
        # the fixture's frames are tiny placeholders: align to 32 px, not 224
        ["loso.subjects=['smic_s1','casme2_sub01']",
         'train_dataloader.dataset.preprocess.pipeline.2.size=32',
         'test_dataloader.dataset.preprocess.pipeline.2.size=32'])
    # SMIC s1 has 6 samples, CASME II sub01 3.
    assert summary['num_samples'] == 9 and summary['num_folds'] == 2
    assert set(summary['per_dataset']) == {'smic', 'casme2'}
