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


def _unscoped(obj):
    if isinstance(obj, dict):
        return {k: _unscoped(v) for k, v in obj.items() if k != '_scope_'}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unscoped(v) for v in obj)
    return obj


def test_mmmer_config_base_resolves_from_the_checkout(tmp_path):
    """``mmmer::`` bases in a source checkout (editable install): the
    checkout's configs/, identical to inheriting the file by path."""
    from mmengine.config import Config
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    by_package = tmp_path / 'by_package.py'
    by_package.write_text("_base_ = 'mmmer::htnet/htnet_3db.py'\n")
    by_path = tmp_path / 'by_path.py'
    by_path.write_text(f"_base_ = '{repo}/configs/htnet/htnet_3db.py'\n")
    a, b = Config.fromfile(str(by_package)), Config.fromfile(str(by_path))
    # MMEngine tags dicts inherited from a package base with their scope
    assert a.model['_scope_'] == 'mmmer'
    assert _unscoped(a.model.to_dict()) == b.model.to_dict()
    assert _unscoped(a.train_dataloader.to_dict()) == b.train_dataloader.to_dict()
    with pytest.raises(FileNotFoundError, match='htnet/no_such.py'):
        compat.external_config_path(osp.join(repo, 'mmmer'), 'htnet/no_such.py')


def test_missing_optflow_message_gives_the_fix_command(monkeypatch):
    import types

    from mmmer.utils.errors import MMMERUserError
    fake_cv2 = types.ModuleType('cv2')
    fake_cv2.__version__ = '5.0.0'
    monkeypatch.setitem(__import__('sys').modules, 'cv2', fake_cv2)
    with pytest.raises(ImportError) as info:
        compat.require_cv2_optflow()
    assert isinstance(info.value, MMMERUserError)
    cmd = compat.opencv_fix_command()
    assert cmd in str(info.value)
    assert cmd.startswith('pip install --force-reinstall --no-deps '
                          '"opencv-contrib-python-headless==')
    import importlib.metadata as md
    assert md.version('opencv-contrib-python-headless') in cmd or \
        md.version('opencv-python') in cmd


DIFFUSERS_BLOCKED = r'''
import importlib, pkgutil, runpy, sys
sys.modules['diffusers'] = None  # "not installed"
import mmmer
failed = []
for mod in pkgutil.walk_packages(mmmer.__path__, 'mmmer.'):
    try:
        importlib.import_module(mod.name)
    except Exception as e:
        failed.append(f'{mod.name}: {type(e).__name__}: {e}')
assert not failed, failed
for tool in sys.argv[1:]:
    sys.argv = [tool, '--help']
    try:
        runpy.run_path(tool, run_name='__main__')
    except SystemExit as e:
        assert e.code in (0, None), (tool, e.code)
from mmmer.generation.ddpm import build_unet
try:
    build_unet(dict(), num_classes=3)
except ImportError as e:
    print('MESSAGE', e)
'''


def test_everything_but_ddpm_works_without_diffusers(tmp_path):
    """diffusers is the ``diffusion`` extra: every module imports and every
    tool parses its arguments without it; the DDPM code says how to get it."""
    import glob
    import subprocess
    import sys
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    tools = sorted(p for p in glob.glob(osp.join(repo, 'tools', '**', '*.py'),
                                        recursive=True)
                   if osp.basename(p) not in ('fix_opencv.py', '__init__.py'))
    res = subprocess.run([sys.executable, '-c', DIFFUSERS_BLOCKED] + tools,
                         cwd=repo, capture_output=True, text=True, timeout=600,
                         env=dict(__import__('os').environ, OMP_NUM_THREADS='1'))
    assert res.returncode == 0, res.stderr[-4000:]
    assert 'MESSAGE' in res.stdout
    assert 'pip install "mmmer[diffusion]"' in res.stdout
