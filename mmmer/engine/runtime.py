"""Runtime switches applied to a config before its Runner is built.

:func:`apply_runtime_options` reads these optional top-level config keys
(all off by default, all harmless on CPU):

``compile``
    ``True`` or a dict of ``torch.compile`` options. MMEngine's Runner then
    compiles ``model.train_step`` (``Runner._maybe_compile``). On a machine
    without CUDA, ``True`` becomes ``dict(backend='eager')``: the inductor
    backend spends ~20 s compiling even a toy model on CPU, once per LOSO fold,
    and rarely pays that back at MER scale. An explicit dict is kept as given.
``env_cfg.cudnn_benchmark``
    cuDNN autotuning (MMEngine applies it). Forced off, with a warning, when
    ``randomness.deterministic=True``, because autotuned kernels are not
    bitwise reproducible; it has no effect without CUDA.
``amp``
    ``True`` (or ``dict(dtype='bfloat16')``): :func:`mmmer.utils.compat.enable_amp`,
    which switches to ``AmpOptimWrapper`` on CUDA and warns (fp32) on CPU.
``ema``
    ``True`` or a dict of ``EMAHook`` arguments (e.g. ``dict(momentum=1e-3)``):
    adds :class:`~mmmer.engine.hooks.PersistentEMAHook` (MMEngine's EMAHook,
    kept alive from train to test in one Runner).
``resident_data``
    ``True`` or a dict of :class:`~mmmer.engine.hooks.ResidentDataHook` arguments.
``log_gpu_memory``
    ``True``: adds :class:`~mmmer.engine.hooks.GPUMemoryHook`.
"""
import copy
import warnings

import torch


def _add_hook(cfg, hook: dict):
    hooks = list(cfg.get('custom_hooks', None) or [])
    if any(h.get('type') == hook['type'] for h in hooks):
        return  # idempotent: a config (or an earlier call) already has it
    hooks.append(hook)
    cfg.custom_hooks = hooks


def _as_options(value, name):
    if value is True:
        return {}
    if isinstance(value, dict):
        return copy.deepcopy(dict(value))
    raise TypeError(f'config key `{name}` must be True/False or a dict, '
                    f'got {value!r}')


def apply_runtime_options(cfg, cuda_available=None):
    """Expand the runtime switches of ``cfg`` in place and return it."""
    cuda = torch.cuda.is_available() if cuda_available is None else cuda_available

    compile_cfg = cfg.get('compile', None)
    if compile_cfg:
        if not hasattr(torch, 'compile'):
            raise RuntimeError('compile=True needs torch >= 2.0')
        if compile_cfg is True and not cuda:
            warnings.warn('compile=True without CUDA: using torch.compile('
                          "backend='eager') to avoid minutes of CPU inductor "
                          "compilation per fold; set compile=dict(backend="
                          "'inductor') to force it.")
            cfg.compile = dict(backend='eager')
        elif not isinstance(compile_cfg, (bool, dict)):
            raise TypeError(f'compile must be a bool or dict, got {compile_cfg!r}')

    env_cfg = cfg.get('env_cfg', None)
    randomness = cfg.get('randomness', None) or {}
    if env_cfg is not None and env_cfg.get('cudnn_benchmark', False) and \
            randomness.get('deterministic', False):
        warnings.warn('env_cfg.cudnn_benchmark=True conflicts with '
                      'randomness.deterministic=True; turning the benchmark off.')
        cfg.env_cfg.cudnn_benchmark = False

    amp = cfg.get('amp', None)
    if amp:
        from mmmer.utils.compat import enable_amp
        enable_amp(cfg, dtype=amp.get('dtype') if isinstance(amp, dict) else None)

    ema = cfg.get('ema', None)
    if ema:
        _add_hook(cfg, dict(type='PersistentEMAHook', **_as_options(ema, 'ema')))

    resident = cfg.get('resident_data', None)
    if resident:
        _add_hook(cfg, dict(type='ResidentDataHook',
                            **_as_options(resident, 'resident_data')))

    if cfg.get('log_gpu_memory', False):
        _add_hook(cfg, dict(type='GPUMemoryHook'))

    # DataLoader workers that could not start (spawn from `python -` etc.)
    # load in the main process instead, with a warning that says why.
    from mmmer.datasets.preprocessing import limit_dataloader_workers
    limit_dataloader_workers(cfg)
    return cfg
