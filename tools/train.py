"""Train a micro-expression model under leave-one-subject-out (LOSO).

    python tools/train.py CONFIG [--work-dir DIR] [--folds a,b] [--shard i/n]
                          [--merge-only] [--resume] [--amp] [--oracle]
                          [--cfg-options k=v ...] [--launcher none|pytorch|slurm]

One MMEngine Runner per held-out subject in ``WORK_DIR/fold_<subject>/``;
finished folds are skipped and an interrupted fold resumes from its last
checkpoint, so rerunning the same command continues where it stopped. The
pooled UF1/UAR/Acc go to ``WORK_DIR/loso_summary.json`` (+ ``.md`` table and
``confusion_matrix.png``).
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='mmmer LOSO training')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='default: ./work_dirs/<config name>')
    parser.add_argument('--folds', help='comma-separated subjects to run (default: all)')
    parser.add_argument('--shard', help="run folds i, i+n, ... ('i/n', 0-based i)")
    parser.add_argument('--merge-only', action='store_true',
                        help='do not train: pool the saved fold predictions')
    parser.add_argument('--resume', action='store_true',
                        help='resume interrupted folds (always on; kept for '
                             'OpenMMLab compatibility)')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision on CUDA (a warning no-op on CPU)')
    parser.add_argument('--oracle', action='store_true',
                        help='also report the optimistic test-fold epoch selection')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. train_cfg.max_epochs=5')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args) -> Config:
    import mmmer  # noqa: F401  (applies compat patches)
    from mmmer.engine.runtime_args import apply_train_args
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return apply_train_args(cfg, args)


def main(argv=None):
    args = parse_args(argv)
    cfg = build_config(args)
    from mmmer.engine import LOSOLoop
    folds = args.folds.split(',') if args.folds else None
    loop = LOSOLoop(cfg, work_dir=cfg.work_dir, folds=folds, shard=args.shard)
    if args.merge_only:
        summary = loop.summarize()
    else:
        summary = loop.run()
    from mmengine.dist import is_main_process
    if summary is not None and is_main_process():
        print(f"LOSO done: UF1 {summary['UF1']:.4f} UAR {summary['UAR']:.4f} "
              f"Acc {summary['Acc']:.4f} over {summary['num_samples']} samples, "
              f"{summary['num_folds']} folds -> {osp.join(loop.work_dir, 'loso_summary.json')}")


if __name__ == '__main__':
    main()
