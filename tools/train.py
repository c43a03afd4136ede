"""Train a micro-expression model under leave-one-subject-out (LOSO).

    python tools/train.py CONFIG [--work-dir DIR] [--folds a,b] [--shard i/n]
                          [--merge-only] [--amp] [--oracle]
                          [--cfg-options k=v ...] [--launcher none|pytorch|slurm]
    python tools/train.py CONFIG --all-subjects [--resume [CKPT|auto]] [...]

One MMEngine Runner per held-out subject in ``WORK_DIR/fold_<subject>/``;
finished folds are skipped and an interrupted fold resumes from its last
checkpoint, so rerunning the same command continues where it stopped (no
``--resume`` needed). The pooled UF1/UAR/Acc go to
``WORK_DIR/loso_summary.json`` (+ ``.md`` table and ``confusion_matrix.png``).

``--all-subjects`` trains one deployable model on every subject (no test
fold, no validation, no selection) in ``WORK_DIR/all_subjects/``;
``--resume`` continues it from its ``last_checkpoint`` (``auto``, the
default value) or from the given checkpoint, as in OpenMMLab tools.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='mmmer LOSO training')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='default: ./work_dirs/<config name>')
    parser.add_argument('--folds', help='comma-separated subjects to run (default: all)')
    parser.add_argument('--shard', help="run folds i, i+n, ... ('i/n', 0-based i)")
    parser.add_argument('--merge-only', action='store_true',
                        help='do not train: pool the saved fold predictions')
    parser.add_argument('--all-subjects', action='store_true',
                        help='train one model on every subject (no test fold, no '
                             'selection) in WORK_DIR/all_subjects/')
    parser.add_argument('--resume', nargs='?', const='auto', metavar='CKPT|auto',
                        help='with --all-subjects: resume that run from CKPT, or from '
                             'its last checkpoint with "auto" / no value. LOSO folds '
                             'always resume automatically (rerun the same command), '
                             'so the flag is refused without --all-subjects')
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
    if args.resume is not None and not args.all_subjects:
        parser.error('--resume applies to --all-subjects runs only: LOSO folds resume '
                     'automatically (rerun the same command).')
    if args.all_subjects and (args.folds or args.shard or args.merge_only or args.oracle):
        parser.error('--all-subjects trains one model without a test fold: it cannot '
                     'be combined with --folds, --shard, --merge-only or --oracle.')
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
    # --fold-workers N: N concurrent shard processes, then pooled (mmmer.engine.fold_workers)
    from mmmer.engine.fold_workers import run_fold_workers, split_fold_workers_arg
    argv, fold_workers = split_fold_workers_arg(argv)
    args = parse_args(argv)
    cfg = build_config(args)
    if args.all_subjects and not fold_workers:
        from mmmer.engine.all_subjects import train_all_subjects
        ckpt = train_all_subjects(cfg, cfg.work_dir, resume=args.resume)
        print(f'all-subjects model trained: {ckpt}')
        return
    # LOSO progress bar + ETA and the `tracking` backends (mmmer.engine.tracking)
    from mmmer.engine.tracking import TrackedLOSOLoop as LOSOLoop
    folds = args.folds.split(',') if args.folds else None
    loop = LOSOLoop(cfg, work_dir=cfg.work_dir, folds=folds, shard=args.shard)
    if fold_workers:
        summary = run_fold_workers(__file__, argv, args, cfg, fold_workers)
    elif args.merge_only:
        summary = loop.summarize()
    else:
        summary = loop.run()
    from mmengine.dist import is_main_process
    if summary is not None and is_main_process():
        print(f"LOSO done: UF1 {summary['UF1']:.4f} UAR {summary['UAR']:.4f} "
              f"Acc {summary['Acc']:.4f} over {summary['num_samples']} samples, "
              f"{summary['num_folds']} folds -> {osp.join(loop.work_dir, 'loso_summary.json')}")


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    run_cli(main)
