import io
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from mmmer.utils import compat


def test_mmengine_history_buffer_loads_with_weights_only():
    buf = HistoryBuffer()
    buf.update(1.5)
    state = dict(meta=dict(buf=buf, arr=np.arange(3), f=np.float64(2.0),
                           i=np.int64(3)))
    f = io.BytesIO()
    torch.save(state, f)
    f.seek(0)
    loaded = torch.load(f, weights_only=True)
    assert loaded['meta']['buf'].current() == 1.5
    assert loaded['meta']['arr'].tolist() == [0, 1, 2]


def test_restricted_getattr_refuses_everything_else():
    assert compat._restricted_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError):
        compat._restricted_getattr(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError):
        compat._restricted_getattr(getattr, '__self__')


def test_importlib_package_lookup():
    import mmengine.utils as mu
    assert mu.is_installed('numpy') and not mu.is_installed('no_such_pkg_xyz')
    assert osp.isdir(mu.get_installed_path('mmengine'))


def test_cv2_optflow_and_dlib_model_available():
    cv2 = compat.require_cv2_optflow()
    assert hasattr(cv2.optflow, 'DualTVL1OpticalFlow_create')
    assert compat.find_dlib_landmark_model().endswith('shape_predictor_68_face_landmarks.dat')


def test_amp_is_a_warning_noop_on_cpu():
    from mmengine.config import Config
    cfg = Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1))))
    if torch.cuda.is_available():
        pytest.skip('CPU-only behaviour')
    with pytest.warns(UserWarning, match='no-op'):
        compat.enable_amp(cfg)
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper'
