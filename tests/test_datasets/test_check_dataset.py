"""tools/analysis/check_dataset.py on good and deliberately damaged fixtures."""
import importlib.util
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from mmmer.datasets.annotation import list_frames
from tests.fixtures.me_layouts import build_3db, build_htnet_flow_folder, build_samm

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis', 'check_dataset.py')
CFG = osp.join(REPO, 'configs', '_base_', 'datasets')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('check_dataset', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def samm_root(tmp_path_factory):
    return build_samm(str(tmp_path_factory.mktemp('samm')))['root']


def test_3db_fixture_passes_with_expected_counts(tool, tmp_path, capsys):
    root = str(tmp_path / '3db')
    build_3db(root)
    out = str(tmp_path / 'report.json')
    rc = tool.main([osp.join(CFG, 'composite_3db.py'), '--out', out, '--cfg-options',
                    f'train_dataloader.dataset.data_root={root}'])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert '442 samples, 68 subjects' in text and 'Expected counts: all match' in text
    report = json.load(open(out))
    assert report['counts']['per_class'] == dict(negative=250, positive=109, surprise=83)
    assert {k: v['num_subjects'] for k, v in report['counts']['per_dataset'].items()} == dict(
        smic=16, casme2=24, samm=28)
    assert report['errors'] == [] and report['warnings'] == []


def test_damaged_copy_is_reported(tool, samm_root, tmp_path, capsys):
    root = tmp_path / 'samm'
    shutil.copytree(samm_root, root)
    frames = root / 'SAMM'

    def frame(subject, n):  # clip <subject>_1_1 holds frames 1000..1003, apex 1002
        return dict(list_frames(str(frames / subject / f'{subject}_1_1')))[n]

    shutil.rmtree(frames / '007' / '007_1_1')              # missing clip folder
    with open(frame('006', 1002), 'wb') as f:              # undecodable apex frame
        f.write(b'not a jpeg')
    os.remove(frame('010', 1001))                          # gap inside the clip
    os.remove(frame('012', 1003))                          # offset file missing
    out = str(tmp_path / 'report.json')
    rc = tool.main([osp.join(CFG, 'samm.py'), '--out', out, '--cfg-options',
                    f'train_dataloader.dataset.data_root={root}', 'expected_counts.total=134'])
    text = capsys.readouterr().out
    assert rc == 1
    report = json.load(open(out))
    errors = {(e['kind'], e['message'].split(':')[0].split(' (')[0]) for e in report['errors']}
    assert ('missing clip', 'samm_007/007_1_1') in errors
    assert ('unreadable image', 'samm_006/006_1_1') in errors
    assert ('expected counts', 'total') in errors
    warnings = {(w['kind'], w['message'].split(' (')[0]) for w in report['warnings']}
    assert ('missing frames', 'samm_010/010_1_1') in warnings
    assert ('onset/offset vs files', 'samm_012/012_1_1') in warnings
    assert len(report['errors']) == 3, report['errors']
    assert 'expected 134, found 133' in text and 'Result: 3 error(s), 2 warning(s)' in text


def test_apex_outside_and_duplicates(tool, tmp_path):
    clip = tmp_path / 'c'
    clip.mkdir()
    paths = []
    for n in (5, 6, 7):
        p = clip / f'img{n}.jpg'
        p.write_bytes(b'')
        paths.append(str(p))
    sample = dict(dataset='x', subject='x_1', clip='c', onset=5, apex=9, offset=7,
                  frame_paths=paths, frame_numbers=[5, 6, 7], clip_dir=str(clip))
    errors, warnings = tool.check_samples([sample, dict(sample)], images='none')
    kinds = [k for k, _ in errors]
    assert kinds.count('apex outside clip') == 2 and kinds.count('missing key frame') == 2
    assert 'duplicate' in kinds
    errors, _ = tool.check_samples([dict(sample, apex=6)], images='key')
    assert [k for k, _ in errors] == ['unreadable image'] * 3  # empty files


def test_flow_folder_missing_face(tool, tmp_path, capsys):
    root = tmp_path / 'htnet'
    build_htnet_flow_folder(str(root))
    os.remove(root / 'datasets' / 'combined_datasets_whole' / '006_006_1_1.jpg')
    rc = tool.main([osp.join(CFG, 'flow_folder_3db.py'), '--cfg-options',
                    f'train_dataloader.dataset.data_root={root}'])
    text = capsys.readouterr().out
    assert rc == 1
    assert '[missing file] 1' in text and 'samm_006/006_1_1' in text


def test_cli_reports_missing_root(tmp_path):
    proc = subprocess.run(
        [sys.executable, TOOL, osp.join(CFG, 'mmew.py'), '--cfg-options',
         f'train_dataloader.dataset.data_root={tmp_path / "absent"}'],
        capture_output=True, text=True, cwd=REPO, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 1
    assert 'absent' in proc.stderr and 'Micro_Expression' in proc.stderr
