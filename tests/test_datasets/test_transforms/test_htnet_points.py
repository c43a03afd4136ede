"""HTNet's official crop points: configs/htnet/htnet_3db.py gives every sample
of a 3DB-layout fixture exactly the tiles of the official procedure, whose
points come from facenet-pytorch's own MTCNN (tests/fixtures/facenet_reference)."""
import os.path as osp

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config
from skimage import data

from mmmer.datasets.transforms import DetectFaceLandmarks, HTNetOfficialPoints
from mmmer.registry import DATASETS
from mmmer.utils import register_all_modules
from tests.fixtures.facenet_reference import OFFICIAL_FALLBACK, official_htnet_tiles
from tests.fixtures.me_layouts import build_htnet_flow_folder

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
# (y0, y1, x0, x1) of astronaut(): centred, shifted left/up/down, larger, and
# two looser crops on which the official rule (BGR at 28x28) finds no face.
CROPS = dict(centre=(40, 180, 140, 280), left=(40, 180, 120, 260), up=(20, 160, 160, 300),
             down=(60, 200, 140, 280), larger=(20, 180, 140, 300), loose=(0, 220, 140, 360),
             looser=(0, 300, 100, 400))


def apex_faces():
    """224x224 RGB apex faces: astronaut crops (shifted/scaled) and a blank."""
    ast = data.astronaut()
    faces = {k: cv2.resize(ast[y0:y1, x0:x1], (224, 224), interpolation=cv2.INTER_AREA)
             for k, (y0, y1, x0, x1) in CROPS.items()}
    faces['blank'] = np.full((224, 224, 3), 200, np.uint8)
    return faces


@pytest.fixture(scope='module')
def flow_folder(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('htnet3db'))
    rows = build_htnet_flow_folder(root)['rows']
    # give eight samples of different subjects a real apex face
    picked = {}
    for row, (key, face) in zip(rows[::60], apex_faces().items()):
        picked[row[5]] = (key, face)
    build_htnet_flow_folder(root, faces={k: v[1] for k, v in picked.items()})
    return root, {k: v[0] for k, v in picked.items()}


def test_htnet_3db_tiles_equal_the_official_procedure(flow_folder):
    register_all_modules()
    root, picked = flow_folder
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'htnet', 'htnet_3db.py'))
    ds_cfg = cfg.train_dataloader.dataset.to_dict()
    pipeline = Compose(ds_cfg.pop('preprocess')['pipeline'])
    ds = DATASETS.build(dict(ds_cfg, data_root=root, pipeline=[]))
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    infos = [i for i in infos if osp.basename(i['apex_face_path']) in picked]
    assert len(infos) == len(picked) == 8
    found = {}
    for info in infos:
        kind = picked[osp.basename(info['apex_face_path'])]
        want, points, detected = official_htnet_tiles(info['apex_face_path'], info['flow_path'])
        out = pipeline(dict(info))
        # mmmer's img is (u, v, strain) = the file's planes reversed
        np.testing.assert_array_equal(out['img'], want[..., ::-1].astype(np.float32),
                                      err_msg=kind)
        np.testing.assert_array_equal(out['region_points'], points, err_msg=kind)
        assert out['landmark_fallback'] is (not detected), kind
        assert out['region_fallback'] is (not detected) and out['face_fallback'] is (not detected)
        found[kind] = detected
    # both branches of the official rule are exercised
    assert found['blank'] is False and found['loose'] is False
    assert sum(found.values()) >= 4, found
    print('MTCNN found a face (official BGR 28x28 rule) on:', sorted(k for k in found if found[k]))


def test_fallback_points_and_rgb_option():
    blank = np.full((224, 224, 3), 200, np.uint8)
    out = HTNetOfficialPoints()(dict(frames=[blank], frame_keys=['apex'], subject='s', clip='c'))
    np.testing.assert_allclose(out['five_points'], OFFICIAL_FALLBACK, atol=1e-9)
    assert out['five_points_shape'] == (28, 28) and out['landmark_fallback'] is True
    assert np.isnan(out['mtcnn_box']).all()
    with pytest.raises(RuntimeError, match='no face.*sample s/c'):
        HTNetOfficialPoints(on_missing='error')(dict(frames=[blank], frame_keys=['apex'],
                                                     subject='s', clip='c'))
    # the face crop that BGR misses at 28x28 is found in RGB, MTCNN's training order
    face = apex_faces()['loose']
    bgr = HTNetOfficialPoints()(dict(frames=[face], frame_keys=['apex']))
    rgb = HTNetOfficialPoints(channel_order='rgb')(dict(frames=[face], frame_keys=['apex']))
    assert bgr['landmark_fallback'] is True and rgb['landmark_fallback'] is False
    left_eye, right_eye, nose, mouth_l, mouth_r = rgb['five_points']
    assert left_eye[0] < right_eye[0] and mouth_l[0] < mouth_r[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_l[1], mouth_r[1])


def test_raw_frames_use_the_apex():
    """(onset, apex) loaded: 'apex' resolves to index 1 by frame number."""
    blank = np.full((224, 224, 3), 200, np.uint8)
    face = apex_faces()['centre']
    sample = dict(frames=[blank, face], frame_ids=[3, 5], onset=3, apex=5, offset=9,
                  frame_files=['f3.jpg', 'f5.jpg'], subject='s', clip='c')
    assert HTNetOfficialPoints()(dict(sample))['landmark_fallback'] is False
    assert HTNetOfficialPoints(frame_index='onset')(dict(sample))['landmark_fallback'] is True
    dl = DetectFaceLandmarks(frame_index='apex', on_failure='center_fallback')(dict(sample))
    assert dl['face_fallback'] is False
    with pytest.raises(KeyError, match="add 'apex' to LoadKeyFrames keys"):
        HTNetOfficialPoints()(dict(sample, apex=7))
    with pytest.raises(ValueError, match='frame_index must be'):
        HTNetOfficialPoints(frame_index='peak')


@pytest.mark.parametrize('config', ['htnet/htnet_composite_3db.py', 'htnet/htnet_synthetic.py',
                                    'ahmsa/ahmsa_casme3.py'])
def test_raw_frame_configs_detect_on_the_apex(config):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    steps = cfg.train_dataloader.dataset.preprocess.pipeline
    assert steps[0]['keys'] == ('onset', 'apex')
    for step in steps:
        if step['type'] in ('DetectFaceLandmarks', 'HTNetOfficialPoints'):
            assert step['frame_index'] == 'apex', (config, step)
    if config.startswith('htnet'):
        assert 'HTNetOfficialPoints' in [s['type'] for s in steps]
