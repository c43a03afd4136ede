"""Plot training curves of a run or of every fold of a LOSO work dir.

    python tools/analysis/analyze_logs.py WORK_DIR_OR_SCALARS_JSON
        [--keys loss] [--x step|epoch|iter] [--out PNG]

Reads MMEngine's ``<timestamp>/vis_data/scalars.json`` (resumed runs are
concatenated); in a LOSO work dir, one line per ``fold_<subject>``. Prints,
per run and key, the first, last and minimum value. Default PNG:
``<dir>/curves_<keys>.png``.
"""
import argparse
import os.path as osp

from mmmer.visualization import collect_runs, plot_curves
from mmmer.visualization.curves import series
from mmmer.utils.cli import run_cli


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('path', help='work dir, LOSO work dir or scalars.json')
    p.add_argument('--keys', nargs='+', default=['loss'])
    p.add_argument('--x', default='step', help='x-axis key (step, epoch, iter)')
    p.add_argument('--out', default=None, help='PNG path')
    p.add_argument('--title', default=None)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    runs = collect_runs(args.path)
    base = osp.dirname(args.path) if osp.isfile(args.path) else args.path
    # metric keys such as 'casme2/UF1' contain slashes
    stem = '_'.join(args.keys).replace('/', '-')
    out = args.out or osp.join(base, f'curves_{stem}.png')
    plot_curves(runs, args.keys, out, x_key=args.x, title=args.title)
    for name, recs in runs.items():
        for key in args.keys:
            xs, ys = series(recs, key, args.x)
            if ys:
                print(f'{name} {key}: n={len(ys)} first={ys[0]:.6g} '
                      f'last={ys[-1]:.6g} min={min(ys):.6g}')
    print(f'png: {out}')
    return runs


if __name__ == '__main__':
    run_cli(main)
