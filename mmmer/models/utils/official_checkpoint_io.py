"""Shared by the official-checkpoint converters (tools/model_converters/):
config, target model, checked output."""
import os.path as osp
import time

__all__ = ['shipped_config', 'converter_parser', 'load_config', 'build_target_model',
           'verify_and_pack', 'torch_load']


def shipped_config(name: str) -> str:
    """Path of a config shipped with mmmer (``name`` relative to ``configs/``),
    from a checkout or from an installed wheel's ``.mim/configs``."""
    import mmmer
    from mmmer.utils.compat import external_config_path
    return external_config_path(osp.dirname(osp.abspath(mmmer.__file__)), name)


def converter_parser(description, epilog, src_help, dst_help, default_config,
                     cfg_example):
    """The arguments every converter takes: ``src``, ``dst``, ``--config``
    (default: the shipped config ``default_config``, relative to
    ``configs/``) whose model must load the result strictly, and
    ``--cfg-options`` (``cfg_example``: an override to show in the help).
    A converter adds its own options and returns ``parse_args()``."""
    import argparse

    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=description, epilog=epilog)
    parser.add_argument('src', help=src_help)
    parser.add_argument('dst', help=dst_help)
    parser.add_argument('--config', default=shipped_config(default_config),
                        help='mmmer config whose model must load the result strictly '
                             f'(default: configs/{default_config})')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help=f'override config entries, e.g. {cfg_example}')
    return parser


def load_config(path, cfg_options=None):
    from mmengine.config import Config
    if not osp.isfile(path):
        raise SystemExit(f'{path}: no such config file')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_target_model(cfg):
    """The model of ``cfg`` on CPU, in eval mode (the strict-load target)."""
    import mmmer.models  # noqa: F401  (registers the model components)
    from mmmer.registry import MODELS
    if 'model' not in cfg:
        raise SystemExit(f'{cfg.filename}: the config has no `model`')
    return MODELS.build(cfg.model).eval()


def verify_and_pack(model, state, source, config, meta):
    """Check ``state`` against ``model`` key by key and shape by shape, load it
    strictly, and return an MMEngine-style checkpoint dict."""
    from mmmer.models.utils.official_checkpoints import check_strict_match
    check_strict_match(state, model.state_dict(), source, config)
    model.load_state_dict(state, strict=True)
    from mmmer import __version__
    meta = dict(meta, mmmer_version=__version__, config=config,
                time=time.strftime('%Y%m%d_%H%M%S'))
    return dict(state_dict={k: v.detach().contiguous() for k, v in state.items()},
                meta=meta)


def torch_load(path, trust_pickle=False):
    """``torch.load`` on CPU; weights-only unless the user trusts the file."""
    import torch
    if not osp.isfile(path):
        raise SystemExit(f'{path}: no such checkpoint file')
    try:
        return torch.load(path, map_location='cpu', weights_only=not trust_pickle)
    except Exception as e:  # noqa: BLE001  (pickled objects beyond tensors)
        if trust_pickle:
            raise SystemExit(f'{path}: cannot be read by torch.load ({type(e).__name__}: {e})')
        raise SystemExit(
            f'{path}: cannot be read as a weights-only checkpoint ({type(e).__name__}: '
            f'{e}). It pickles Python objects besides tensors (e.g. numpy arrays in '
            'Lightning hyper-parameters); if you trust the file, add --trust-pickle.')
