"""tools/misc/browse_dataset.py renders every preprocessing stage and makes a
face-detection fallback and a flip-expanded copy visible; print_config.py."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from tests.test_apis.synthetic_clips import generator_options

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run(*args):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp('browse'))


def browse(config, data_root, out_dir, num):
    run(osp.join(ROOT, 'tools', 'misc', 'browse_dataset.py'), config, '--num', str(num),
        '--out-dir', out_dir, '--cfg-options',
        *generator_options('train_dataloader', data_root, 2, 1, 1))
    with open(osp.join(out_dir, 'index.json')) as f:
        return json.load(f)['samples']


def test_flip_expanded_copy_is_rendered(data_root, tmp_path):
    from PIL import Image
    samples = browse(osp.join(ROOT, 'configs', 'shufflenet',
                              'shufflenetv2_vit_flowpretrain_synthetic.py'),
                     data_root, str(tmp_path), 3)
    assert len(samples) == 3
    flipped = [s for s in samples if s['flip_expanded']]
    assert len(flipped) == 1 and flipped[0]['file'].endswith('_flip.png')
    # the mirrored copy shows the online ExpansionFlip stage, the originals do not
    assert 'online: ExpansionFlip' in flipped[0]['stages']
    assert all('online: ExpansionFlip' not in s['stages'] for s in samples
               if not s['flip_expanded'])
    for s in samples:
        assert {'LoadKeyFrames', 'AlignCropFace', 'TVL1Flow', 'MaskRegions'} <= set(s['stages'])
        with Image.open(s['file']) as im:
            assert im.size[1] > 300


def test_face_detection_fallback_is_named(data_root, tmp_path):
    samples = browse(osp.join(ROOT, 'configs', 'htnet', 'htnet_synthetic.py'), data_root,
                     str(tmp_path), 3)
    assert {'DetectFaceLandmarks', 'TVL1Flow', 'OpticalStrain', 'FacialRegionTiles'} <= \
        set(samples[0]['stages'])
    # the official 28x28 MTCNN rule finds no face on some synthetic apex faces
    flagged = [s for s in samples if s['face_fallback']]
    assert flagged, samples
    assert all(s['fallback_step'] == 'HTNetOfficialPoints' for s in flagged)


def test_print_config_merges_bases_and_options():
    out = run(osp.join(ROOT, 'tools', 'misc', 'print_config.py'),
              osp.join(ROOT, 'configs', 'htnet', 'htnet_synthetic.py'), '--json',
              '--cfg-options', 'model.backbone.dim=48')
    cfg = json.loads(out)
    assert cfg['model']['backbone']['dim'] == 48
    assert cfg['model']['backbone']['type'] == 'HTNet'  # from the _base_ model file
    assert cfg['test_dataloader']['dataset']['type'] == 'SyntheticMEDataset'
