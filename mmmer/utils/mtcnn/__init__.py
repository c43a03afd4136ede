"""MTCNN five-point face detector (Zhang et al., IEEE SPL 2016), torch only.

Reproduces facenet-pytorch 2.6.0's ``MTCNN.detect`` with that package's
pretrained weights (installed with ``python tools/install_mtcnn_weights.py``),
which is how the official HTNet code places its facial-region crops.
"""
from .detector import MTCNNDetector, MTCNNResult, get_mtcnn_detector
from .nets import ONet, PNet, RNet, build_mtcnn_nets
from .nms import nms_iou, nms_min
from .weights import (FACENET_PYTORCH_VERSION, INSTALL_COMMAND, MTCNNWeightsNotFound,
                      find_mtcnn_weights, load_mtcnn_state_dict)

__all__ = ['MTCNNDetector', 'MTCNNResult', 'get_mtcnn_detector', 'PNet', 'RNet', 'ONet',
           'build_mtcnn_nets', 'nms_iou', 'nms_min', 'FACENET_PYTORCH_VERSION',
           'INSTALL_COMMAND', 'MTCNNWeightsNotFound', 'find_mtcnn_weights',
           'load_mtcnn_state_dict']
