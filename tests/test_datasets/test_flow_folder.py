"""FlowFolderDataset + LoadFlowImage / LoadApexFace on a fake HTNet layout."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from mmmer.datasets import DatasetLayoutError, FlowFolderDataset
from mmmer.datasets.transforms import (DetectFaceLandmarks, FacialRegionTiles,
                                       LoadApexFace, LoadFlowImage, PackMEInputs)
from mmmer.datasets.transforms.regions import five_points_from_dlib, rescale_points
from mmmer.datasets.annotation import AnnotationError
from tests.fixtures.me_layouts import (build_htnet_flow_folder, subject_counts,
                                       three_db_subject_counts)

FLOW_DIR = osp.join('datasets', 'STSNet_whole_norm_u_v_os')


@pytest.fixture(scope='module')
def face():
    """A rendered synthetic face (224x224, HTNet's apex size) and its true
    landmarks in dlib's numbering."""
    from mmmer.datasets.synthetic import render_subject
    from mmmer.utils.landmarks import MIRROR_68
    r = render_subject(0, 0, 224)
    landmarks = r['landmarks']
    # dlib numbers points by image position (36-41 = the image-left eye); on
    # a mirrored rendering the source's numbering is the mirror of that
    if landmarks[36:42, 0].mean() > landmarks[42:48, 0].mean():
        landmarks = landmarks[list(MIRROR_68)]
    return np.clip(r['neutral'], 0, 255).astype(np.uint8), landmarks


@pytest.fixture(scope='module')
def htnet(tmp_path_factory, face):
    root = str(tmp_path_factory.mktemp('htnet'))
    return build_htnet_flow_folder(root, faces={'sub01_EP00_00f.jpg': face[0]})


def test_3db_rows_and_subject_names(htnet):
    ds = FlowFolderDataset(data_root=htnet['root'])
    assert len(ds) == 442 and ds.class_counts() == [250, 109, 83]
    # the same namespaced subjects as the raw-frame parsers ("006" stays text)
    assert subject_counts(ds.data_list) == three_db_subject_counts()
    d = ds.data_list[0]
    assert osp.basename(d['flow_path']) == 'sub01_EP00_00f .png'  # the space
    assert 'frame_paths' not in d and osp.isfile(d['apex_face_path'])
    smic = [d for d in ds.data_list if d['dataset'] == 'smic'][0]
    assert osp.basename(smic['apex_face_path']) == 's01_s1_ne_01.jpg'
    only = FlowFolderDataset(data_root=htnet['root'], datasets=['casme2'])
    assert len(only) == 145 and only.class_counts() == [88, 32, 25]


def test_load_flow_image_channel_order(htnet):
    ds = FlowFolderDataset(data_root=htnet['root'])
    for d in ds.data_list[:5]:
        truth = htnet['flows'][osp.basename(d['flow_path'])]  # planes (u, v, strain)
        out = LoadFlowImage()(dict(d))
        assert out['img'].dtype == np.float32 and out['img'].shape == (28, 28, 3)
        np.testing.assert_array_equal(out['img'], truth.astype(np.float32))
        raw = LoadFlowImage(channel_order='file')(dict(d))['img']
        np.testing.assert_array_equal(raw, truth[..., ::-1].astype(np.float32))
    with pytest.raises(FileNotFoundError, match='nope.png'):
        LoadFlowImage()(dict(flow_path='/nope.png', subject='s', clip='c'))


def test_flow_tiles_placed_by_landmarks_of_the_apex_face(htnet, face):
    ds = FlowFolderDataset(data_root=htnet['root'])
    sample = dict(ds.data_list[0])
    assert osp.basename(sample['apex_face_path']) == 'sub01_EP00_00f.jpg'
    results = LoadFlowImage()(sample)
    results = LoadApexFace()(results)
    assert results['frames'][0].shape == (224, 224, 3)
    results = DetectFaceLandmarks()(results)
    assert not results['face_fallback']
    results = FacialRegionTiles()(results)
    # independent reference: the renderer's true landmarks, rescaled 224 -> 28
    truth = rescale_points(five_points_from_dlib(face[1]), (224, 224), (28, 28))
    truth = np.trunc(np.clip(truth, 7, 21))
    assert np.abs(results['region_points'] - truth).max() <= 1
    flow = htnet['flows'][osp.basename(sample['flow_path'])].astype(np.float32)
    crops = [flow[x - 7:x + 7, y - 7:y + 7] for x, y in results['region_points'][[0, 1, 3, 4]]]
    expected = \
        np.concatenate([np.concatenate(crops[:2], 1), np.concatenate(crops[2:], 1)], 0)
    np.testing.assert_array_equal(results['img'], expected)
    packed = PackMEInputs()(results)
    assert tuple(packed['inputs'].shape) == (3, 28, 28)
    assert packed['data_samples'].subject == 'casme2_sub01'


def test_missing_files_and_bad_labels(htnet, tmp_path):
    with pytest.raises(DatasetLayoutError, match='nowhere.*combined_3_class2'):
        FlowFolderDataset(data_root=str(tmp_path / 'nowhere'))
    root = tmp_path / 'htnet'
    shutil.copytree(htnet['root'], root)
    os.remove(root / FLOW_DIR / 'sub01_EP00_00f .png')
    with pytest.raises(DatasetLayoutError, match='row 2.*sub01_EP00_00f .png'):
        FlowFolderDataset(data_root=str(root))
    assert len(FlowFolderDataset(data_root=str(root), missing_clips='skip')) == 441
    csv_path = root / 'combined_3_class2_for_optical_flow.csv'
    lines = csv_path.read_text().splitlines()
    lines[3] = lines[3].replace(',0,,', ',7,,').replace(',1,,', ',7,,').replace(',2,,', ',7,,')
    csv_path.write_text('\n'.join(lines) + '\n')
    with pytest.raises(AnnotationError, match="row 4.*label '7'"):
        FlowFolderDataset(data_root=str(root), missing_clips='skip')
    os.remove(csv_path)
    with pytest.raises(DatasetLayoutError, match='not found.*combined_3_class2'):
        FlowFolderDataset(data_root=str(root))
