"""Print a config with its ``_base_`` files merged and overrides applied.

    python tools/misc/print_config.py CONFIG [--cfg-options k=v ...] [--json]
"""
import argparse
import json

from mmengine.config import Config, DictAction


def main(argv=None):
    p = argparse.ArgumentParser(description='print the fully merged config')
    p.add_argument('config')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override entries, e.g. model.backbone.dim=64')
    p.add_argument('--json', action='store_true', help='print JSON instead of Python')
    args = p.parse_args(argv)
    from mmmer.apis.inputs import InferenceFileError
    import os.path as osp
    if not osp.isfile(args.config):
        raise InferenceFileError(f'config file {args.config} does not exist.')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    text = json.dumps(cfg.to_dict(), indent=2, default=str) if args.json else cfg.pretty_text
    print(text)
    return cfg


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    run_cli(main)
