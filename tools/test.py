"""Re-evaluate a checkpoint or a whole LOSO work dir.

    python tools/test.py CONFIG LOSO_WORK_DIR   [--work-dir OUT]
    python tools/test.py CONFIG CHECKPOINT.pth  [--subjects a,b] [--work-dir OUT]

With a LOSO work dir, each ``fold_<subject>/`` checkpoint (its
``last_checkpoint``) is evaluated on its own held-out subject and the pooled
summary is written to OUT (default ``LOSO_WORK_DIR/retest``) exactly like
``tools/train.py`` writes it. With a single checkpoint, the config's test set
(optionally restricted to ``--subjects``) is evaluated and summarised.
Checkpoints are loaded with ``torch.load(weights_only=True)``.
"""
import argparse
import copy
import os
import os.path as osp
import time

from mmengine.config import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='mmmer test')
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='a .pth file or a LOSO work dir')
    parser.add_argument('--work-dir', help='where to write predictions and the summary')
    parser.add_argument('--subjects', help='comma-separated subjects (single checkpoint)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def test_loso_dir(cfg, loso_dir, out_dir):
    from mmengine.runner import Runner

    from mmmer.engine import LOSOLoop, fold_dir_name, resolve_fold_checkpoint
    cfg = copy.deepcopy(cfg)
    # Re-evaluation only: no first stage to initialise from, no oracle pass.
    loso = dict(cfg.get('loso', {}) or {})
    for key in ('init_from', 'oracle'):
        loso.pop(key, None)
    cfg.loso = loso
    loop = LOSOLoop(cfg, work_dir=out_dir)
    for subject in loop.subjects():
        fold_src = osp.join(loso_dir, fold_dir_name(subject))
        if not osp.isdir(fold_src):
            raise FileNotFoundError(f'{loso_dir} has no {fold_dir_name(subject)}/: the '
                                    'LOSO run is incomplete; finish it with tools/train.py.')
        ckpt = resolve_fold_checkpoint(fold_src)
        # Fold preparers run here too, so the model has the trained architecture.
        fold_cfg = loop.prepare_fold_cfg(subject, loop.build_fold_cfg(subject))
        fold_cfg.load_from = ckpt
        fold_cfg.resume = False
        Runner.from_cfg(fold_cfg).test()
    summary = loop.summarize()
    # Converted official weights (tools/model_converters) were selected on the
    # test subjects: their selection.json labels the summary (not honest).
    marker = osp.join(loso_dir, 'selection.json')
    if osp.isfile(marker):
        import json

        from mmmer.engine import write_summary
        with open(marker) as f:
            summary['selection'] = json.load(f)['selection']
        write_summary(summary, out_dir)
    return summary


def test_checkpoint(cfg, ckpt, out_dir, subjects=None):
    from mmengine.runner import Runner

    from mmmer.datasets.builder import innermost_dataset_cfg
    from mmmer.engine import summarize_predictions, write_summary
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = out_dir
    cfg.load_from = ckpt
    cfg.resume = False
    test_ds = innermost_dataset_cfg(cfg.test_dataloader.dataset)
    if subjects:
        test_ds['subjects'] = subjects
    pred_file = osp.join(out_dir, 'predictions.json')
    evaluators = cfg.get('test_evaluator') or dict(type='MEMetric')
    evaluators = [evaluators] if isinstance(evaluators, dict) else list(evaluators)
    cfg.test_evaluator = evaluators + [dict(type='SaveMEPredictions', out_file=pred_file)]
    cfg.train_dataloader = None
    cfg.train_cfg = None
    cfg.optim_wrapper = None
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    # The loss is not used by a test pass: 'auto' class weights need no
    # training split here (they hold no weights of the checkpoint).
    from mmmer.models.losses import auto_class_weight_nodes
    for node in auto_class_weight_nodes(cfg.model):
        node['class_weight'] = None
    runner = Runner.from_cfg(cfg)
    runner.test()
    import json
    with open(pred_file) as f:
        records = json.load(f)
    summary = summarize_predictions(records, runner.test_dataloader.dataset.class_names)
    summary['num_folds'] = len({r['subject'] for r in records})
    summary['config'] = cfg.filename or ''
    summary['checkpoint'] = ckpt
    write_summary(summary, out_dir)
    return summary


def main(argv=None):
    args = parse_args(argv)
    import mmmer  # noqa: F401
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    target = osp.abspath(args.checkpoint)
    if osp.isdir(target):
        out = args.work_dir or osp.join(target, 'retest')
        summary = test_loso_dir(cfg, target, out)
    elif osp.isfile(target):
        out = args.work_dir or osp.join(
            osp.dirname(target), 'test_' + time.strftime('%Y%m%d_%H%M%S'))
        subjects = args.subjects.split(',') if args.subjects else None
        summary = test_checkpoint(cfg, target, out, subjects)
    else:
        raise SystemExit(f'{args.checkpoint}: no such checkpoint file or LOSO work dir')
    print(f"UF1 {summary['UF1']:.4f} UAR {summary['UAR']:.4f} Acc {summary['Acc']:.4f} "
          f"-> {osp.join(out, 'loso_summary.json')}")


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    run_cli(main)
