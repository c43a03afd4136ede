"""Run one config's LOSO under several training seeds; mean +- std of the pooled scores.

    python tools/analysis/multi_seed.py CONFIG --seeds 0,1,2 [--work-dir DIR] [train.py options]
    python tools/analysis/multi_seed.py CONFIG --seeds 0,1,2 --summarize-only

Each seed is a full LOSO run of ``tools/train.py`` (in this process, one after
the other) with ``randomness.seed=<seed>`` in its own work dir
``DIR/seed_<seed>`` (default ``DIR = work_dirs/<config name>_seeds``);
finished folds are skipped on a rerun, as in ``tools/train.py``. Options this
tool does not know (``--oracle``, ``--cfg-options ...``, ``--amp``) are passed
on to every seed's ``tools/train.py``. The seed changes the training
randomness only (initialisation, data order, augmentation); the data and the
folds stay the same.

Writes ``DIR/seeds_summary.json`` and ``DIR/seeds_summary.md``: per seed the
pooled LOSO UF1 / UAR / Acc of its ``loso_summary.json``, and their mean and
sample standard deviation (ddof = 1; 0 for one seed). Each seed's number is
the honest pooled LOSO score; the std measures training noise, not data
noise. ``tools/analysis/collect_results.py`` puts the mean +- std in the
method's metafile when ``DIR`` is the default.
"""
import argparse
import importlib.util
import json
import os.path as osp
import sys
from typing import Dict, List

import numpy as np

__all__ = ['parse_seeds', 'seed_work_dir', 'aggregate', 'seeds_markdown', 'main']

KEYS = ('UF1', 'UAR', 'Acc')


def parse_seeds(text: str) -> List[int]:
    try:
        seeds = [int(s) for s in str(text).split(',') if s.strip() != '']
    except ValueError:
        raise ValueError(f'--seeds must be comma-separated integers, got {text!r}') from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f'--seeds needs at least one seed and no repeats, got {text!r}')
    return seeds


def seed_work_dir(base: str, seed: int) -> str:
    return osp.join(base, f'seed_{seed}')


def aggregate(per_seed: Dict[int, dict]) -> dict:
    """Mean and sample std (ddof=1) of the pooled scores of each seed's summary."""
    if not per_seed:
        raise ValueError('no seed summaries to aggregate')
    seeds = sorted(per_seed)
    values = {k: np.array([float(per_seed[s][k]) for s in seeds]) for k in KEYS}
    ddof = 1 if len(seeds) > 1 else 0
    return dict(
        seeds=seeds,
        per_seed={str(s): {k: float(per_seed[s][k]) for k in KEYS} for s in seeds},
        mean={k: float(v.mean()) for k, v in values.items()},
        std={k: float(v.std(ddof=ddof)) for k, v in values.items()},
        std_ddof=ddof,
        num_samples=sorted({int(per_seed[s].get('num_samples', 0)) for s in seeds}),
        num_folds=sorted({int(per_seed[s].get('num_folds', 0)) for s in seeds}),
        selection='honest: last epoch, pooled LOSO predictions per seed')


def seeds_markdown(agg: dict, config: str = '') -> str:
    lines = [f'Seeds summary{(" of " + config) if config else ""} '
             f'(pooled LOSO per seed; {agg["selection"]})', '',
             '| seed | UF1 | UAR | Acc |', '|---|---|---|---|']
    for s in agg['seeds']:
        v = agg['per_seed'][str(s)]
        lines.append(f"| {s} | {v['UF1']:.4f} | {v['UAR']:.4f} | {v['Acc']:.4f} |")
    lines.append('| **mean ± std** | ' + ' | '.join(
        f"{agg['mean'][k]:.4f} ± {agg['std'][k]:.4f}" for k in KEYS) + ' |')
    lines += ['', f"std: sample standard deviation (ddof={agg['std_ddof']}) over "
                  f"{len(agg['seeds'])} seed(s)."]
    return '\n'.join(lines) + '\n'


def _train_module():
    path = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'train.py')
    spec = importlib.util.spec_from_file_location('_mmmer_train_tool', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _cfg_options(extra: List[str], seed: int) -> List[str]:
    """``extra`` with ``randomness.seed=<seed>`` added to (or as) --cfg-options."""
    out, added = [], False
    for i, arg in enumerate(extra):
        out.append(arg)
        if arg == '--cfg-options' and not added:
            out.append(f'randomness.seed={seed}')
            added = True
    if not added:
        out += ['--cfg-options', f'randomness.seed={seed}']
    for arg in out:
        if arg.startswith('randomness.seed=') and arg != f'randomness.seed={seed}':
            raise ValueError('do not set randomness.seed yourself: --seeds sets it per run')
    return out


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--seeds', required=True, help='e.g. 0,1,2')
    parser.add_argument('--work-dir', help='default: work_dirs/<config name>_seeds')
    parser.add_argument('--summarize-only', action='store_true',
                        help='aggregate the seeds\' existing summaries, train nothing')
    return parser.parse_known_args(argv)


def main(argv=None):
    from mmmer.utils.io import dump_json_atomic, write_text_atomic
    args, extra = parse_args(argv)
    seeds = parse_seeds(args.seeds)
    name = osp.splitext(osp.basename(args.config))[0]
    base = args.work_dir or osp.join('work_dirs', f'{name}_seeds')
    train = None if args.summarize_only else _train_module()
    per_seed = {}
    for seed in seeds:
        wd = seed_work_dir(base, seed)
        if train is not None:
            print(f'== seed {seed}: LOSO in {wd}', flush=True)
            train.main([args.config, '--work-dir', wd] + _cfg_options(list(extra), seed))
        path = osp.join(wd, 'loso_summary.json')
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} is missing: seed {seed} has not finished '
                                    '(run without --summarize-only to train it).')
        with open(path) as f:
            per_seed[seed] = json.load(f)
    agg = aggregate(per_seed)
    agg['config'] = args.config
    dump_json_atomic(agg, osp.join(base, 'seeds_summary.json'))
    table = seeds_markdown(agg, args.config)
    write_text_atomic(table, osp.join(base, 'seeds_summary.md'))
    print(table)
    return 0


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    sys.exit(run_cli(main))
