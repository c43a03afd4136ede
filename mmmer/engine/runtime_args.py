"""Apply the shared command-line flags of tools/train.py and tools/test.py."""
import os.path as osp

from mmengine.config import Config


def apply_train_args(cfg: Config, args) -> Config:
    from mmmer.utils.compat import enable_amp, init_cpu_distributed
    if getattr(args, 'work_dir', None):
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if getattr(args, 'amp', False):
        enable_amp(cfg)
    if getattr(args, 'oracle', False):
        loso = dict(cfg.get('loso', {}) or {})
        loso['oracle'] = True
        cfg.loso = loso
    launcher = getattr(args, 'launcher', 'none')
    cfg.launcher = launcher
    if launcher != 'none':
        # Initialise the process group before the LOSO loop (it preprocesses
        # on rank 0 only); the fold Runners then find it initialised.
        import torch
        from mmengine.dist import init_dist, is_distributed
        if not torch.cuda.is_available() and launcher == 'pytorch':
            init_cpu_distributed(cfg)
        elif torch.cuda.is_available() and not is_distributed():
            dist_cfg = (cfg.get('env_cfg') or {}).get('dist_cfg') or {}
            init_dist(launcher, **dist_cfg)
    try:
        from mmmer.engine.runtime import apply_runtime_options
    except ImportError:
        apply_runtime_options = None
    if apply_runtime_options is not None:
        cfg = apply_runtime_options(cfg) or cfg
    return cfg
