"""Parameters, MACs and FLOPs of the model a config builds.

    python tools/analysis/get_flops.py CONFIG [--shape C H W | C T H W]
    python tools/analysis/get_flops.py --all [--config-dir configs]

Prints ``params: <int>``, ``trainable_params: <int>``, ``macs: <float> G`` and
``flops: <float> G`` (FLOPs = 2 x MACs, counted by FlopCounterMode with
attention included, see :mod:`mmmer.analysis.complexity`), then mmengine's
per-module table. ``--all`` prints one Markdown table for every leaf config
under ``configs/`` (``_base_`` folders skipped).
"""
import argparse
import glob
import os
import os.path as osp

from mmengine.config import DictAction

from mmmer.analysis.complexity import config_complexity
from mmmer.utils.cli import run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', help='config file')
    parser.add_argument('--shape', type=int, nargs='+', default=None,
                        help='input shape without batch: C H W or C T H W '
                        '(default: the config\'s input_shape, else 3 28 28)')
    parser.add_argument('--all', action='store_true',
                        help='Markdown table for every config under --config-dir')
    parser.add_argument('--config-dir', default='configs')
    parser.add_argument('--max-depth', type=int, default=3,
                        help='depth of the per-module table')
    parser.add_argument('--no-table', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if not args.all and not args.config:
        parser.error('give a CONFIG or --all')
    return args


def leaf_configs(config_dir):
    paths = glob.glob(osp.join(config_dir, '**', '*.py'), recursive=True)
    return sorted(p for p in paths
                  if '_base_' not in p.split(os.sep) and
                  osp.basename(p) != '__init__.py')


def format_result_lines(res):
    return [f'params: {res["params"]}',
            f'trainable_params: {res["trainable_params"]}',
            f'macs: {res["macs"] / 1e9:.6g} G',
            f'flops: {res["flops"] / 1e9:.6g} G',
            'input_shape: ' + ' x '.join(str(s) for s in res['input_shape'])]


def all_configs_table(config_dir, shape=None):
    """One Markdown row per leaf config; a config that fails names the error."""
    configs = leaf_configs(config_dir)
    if not configs:
        raise FileNotFoundError(f'no configs found under {config_dir}')
    rows = ['| config | input | params | MACs (G) | FLOPs (G) |',
            '|---|---|---:|---:|---:|']
    for path in configs:
        try:
            res = config_complexity(path, shape=shape, with_table=False)
        except Exception as e:  # one broken config must not hide the rest
            msg = f'{type(e).__name__}: {e}'.replace('|', '/').splitlines()[0]
            rows.append(f'| {path} | - | - | - | error: {msg[:120]} |')
            continue
        rows.append(f'| {path} | {"x".join(map(str, res["input_shape"]))} | '
                    f'{res["params"]:,} | {res["macs"] / 1e9:.4g} | '
                    f'{res["flops"] / 1e9:.4g} |')
    return '\n'.join(rows)


def main(argv=None):
    args = parse_args(argv)
    if args.all:
        print(all_configs_table(args.config_dir, args.shape))
        return
    res = config_complexity(args.config, shape=args.shape,
                            cfg_options=args.cfg_options,
                            with_table=not args.no_table)
    print('\n'.join(format_result_lines(res)))
    print('note: FLOPs = 2 x MACs (torch FlopCounterMode, SDPA counted via the '
          'MATH kernel); data_preprocessor excluded')
    if not args.no_table:
        print(res['table'])


if __name__ == '__main__':
    run_cli(main)
