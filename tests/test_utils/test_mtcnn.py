"""mmmer's MTCNN against analytic NMS cases, pinned parameter counts and
facenet-pytorch 2.6.0's own ``MTCNN.detect`` on the same images."""
import importlib.util

import cv2
import numpy as np
import pytest
import torch
from skimage import data

from mmmer.utils.mtcnn import (MTCNNDetector, MTCNNWeightsNotFound, ONet, PNet, RNet,
                               find_mtcnn_weights, nms_iou, nms_min)
from mmmer.utils.mtcnn import weights as weights_mod
from tests.fixtures.facenet_reference import facenet_mtcnn_class


def test_nms_iou_analytic():
    # 1 lies inside 0: IoU = 64/100 = 0.64; 2 is disjoint.
    boxes = torch.tensor([[0, 0, 10, 10], [2, 2, 10, 10], [20, 20, 30, 30]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.95, 0.5])
    assert nms_iou(boxes, scores, 0.7).tolist() == [1, 0, 2]
    assert nms_iou(boxes, scores, 0.5).tolist() == [1, 2]
    # equal scores: input order wins (stable)
    assert nms_iou(boxes[:2], torch.tensor([0.7, 0.7]), 0.5).tolist() == [0]
    assert nms_iou(torch.zeros(0, 4), torch.zeros(0), 0.5).tolist() == []


def test_nms_min_removes_nested_boxes():
    # a 4x4 box inside a 21x21 one: IoU 16/441 but overlap over the smaller = 1
    boxes = np.array([[0, 0, 20, 20], [5, 5, 8, 8], [40, 40, 50, 50]], np.float32)
    scores = np.array([0.8, 0.9, 0.7], np.float32)
    assert nms_min(boxes, scores, 0.7).tolist() == [1, 2]
    assert nms_min(boxes[[0, 2]], scores[[0, 2]], 0.7).tolist() == [0, 1]


def test_net_sizes_and_outputs():
    # Parameter counts of the MTCNN paper's P/R/O-Net (conv + PReLU + dense),
    # summed from the layer shapes of the released weights.
    counts = [sum(p.numel() for p in n().parameters()) for n in (PNet, RNet, ONet)]
    assert counts == [6632, 100178, 389040]
    pnet, rnet, onet = PNet().eval(), RNet().eval(), ONet().eval()
    with torch.no_grad():
        off, prob = pnet(torch.zeros(2, 3, 12, 12))
        assert off.shape == (2, 4, 1, 1) and prob.shape == (2, 2, 1, 1)
        assert torch.allclose(prob.sum(1), torch.ones(2, 1, 1))
        off, prob = rnet(torch.zeros(3, 3, 24, 24))
        assert off.shape == (3, 4) and prob.shape == (3, 2)
        off, marks, prob = onet(torch.zeros(1, 3, 48, 48))
        assert off.shape == (1, 4) and marks.shape == (1, 10) and prob.shape == (1, 2)


def test_missing_weights_name_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv('MMMER_MTCNN_DIR', str(tmp_path))
    with pytest.raises(MTCNNWeightsNotFound, match='install_mtcnn_weights.py'):
        find_mtcnn_weights()
    monkeypatch.delenv('MMMER_MTCNN_DIR')
    monkeypatch.setattr(weights_mod.importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(MTCNNWeightsNotFound, match='--no-deps facenet-pytorch==2.6.0'):
        find_mtcnn_weights()


def test_altered_weights_are_refused(tmp_path, monkeypatch):
    if importlib.util.find_spec('facenet_pytorch') is None:
        pytest.skip('facenet-pytorch (the weights) is not installed')
    monkeypatch.setattr(weights_mod, '_CHECKED', {})
    for name, path in find_mtcnn_weights().items():
        blob = open(path, 'rb').read()
        (tmp_path / f'{name}.pt').write_bytes(blob if name != 'rnet' else blob[:-1] + b'\0')
    monkeypatch.setenv('MMMER_MTCNN_DIR', str(tmp_path))
    with pytest.raises(MTCNNWeightsNotFound, match='rnet.pt differs'):
        find_mtcnn_weights()


def _astronaut_inputs():
    ast = data.astronaut()
    out = {}
    for name, (y0, y1, x0, x1) in dict(face=(0, 220, 140, 360), tight=(30, 190, 170, 330),
                                       shifted=(40, 200, 180, 330)).items():
        face = ast[y0:y1, x0:x1]
        for size in (28, 64, 160, 224):
            img = cv2.resize(face, (size, size), interpolation=cv2.INTER_AREA)
            out[f'{name}{size}_rgb'] = img
            out[f'{name}{size}_bgr'] = np.ascontiguousarray(img[..., ::-1])
    out['astronaut512'] = ast
    out['blank28'] = np.full((28, 28, 3), 128, np.uint8)
    return out


@pytest.fixture(scope='module')
def detectors():
    mtcnn_cls = facenet_mtcnn_class()
    return (mtcnn_cls(margin=0, image_size=28, select_largest=True, post_process=False),
            MTCNNDetector())


def test_detect_equals_facenet_pytorch(detectors):
    """Boxes, probabilities and five points equal facenet-pytorch's on the same
    image (exactly on this CPU; asserted to 1e-3 px), including no-face cases."""
    ref, mine = detectors
    found, exact = 0, 0
    for name, img in _astronaut_inputs().items():
        boxes, probs, points = ref.detect(img, landmarks=True)
        got = mine.detect(img)
        if boxes is None:
            assert len(got) == 0, name
            continue
        found += 1
        boxes, points = np.asarray(boxes, np.float32), np.asarray(points, np.float32)
        probs = np.asarray(probs, np.float32)
        assert len(got) == len(boxes), name
        np.testing.assert_allclose(got.boxes, boxes, atol=1e-3, rtol=0, err_msg=name)
        np.testing.assert_allclose(got.points, points, atol=1e-3, rtol=0, err_msg=name)
        np.testing.assert_allclose(got.probs, probs, atol=1e-5, rtol=0, err_msg=name)
        exact += bool(np.array_equal(got.boxes, boxes) and np.array_equal(got.points, points))
    # faces are found at every size, in RGB and (mostly) BGR; 28x28 BGR
    # often has none, which the comparison covers too
    assert found >= 20
    print(f'{found} inputs with faces, {exact} bit-identical')
