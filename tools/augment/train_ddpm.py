"""Train the per-group class-conditional DDPMs of a config (diffusion augmentation).

    python tools/augment/train_ddpm.py CONFIG [--group G [G ...]]
                                       [--generators-dir DIR] [--device cpu|cuda]
                                       [--cfg-options k=v ...] [--no-progress]

CONFIG's ``train_dataloader.dataset`` must be a ``GeneratedAugmentDataset``;
its wrapped dataset (without subject selection) is split into
``diffusion.num_groups`` subject-disjoint groups stratified by dataset, and
generator ``g`` is trained on every group but ``g``. Each generator goes to
``GENERATORS_DIR/group_<g>/`` (EMA weights + ``meta.json`` with the hash of the
generator config and its training subjects). Finished groups are skipped, an
interrupted group resumes from its last checkpoint, so rerunning the same
command continues where it stopped. Groups are independent: run
``--group 0`` ... ``--group 4`` as parallel jobs if you have the machines.
"""
import argparse
import os
import os.path as osp
import time

from mmengine.config import Config, DictAction

from mmmer.utils.cli import run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='train the per-group DDPM generators')
    parser.add_argument('config', help='config whose train dataset is a '
                        'GeneratedAugmentDataset')
    parser.add_argument('--group', type=int, nargs='+',
                        help='train only these groups (default: all)')
    parser.add_argument('--generators-dir', help='override the wrapper\'s generators_dir')
    parser.add_argument('--device', help="override diffusion.device ('cpu', 'cuda')")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries')
    parser.add_argument('--no-progress', action='store_true', help='no tqdm bar')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import mmmer  # noqa: F401  (compat patches)
    from mmmer.utils.compat import import_diffusers
    import_diffusers()  # fail before any data work if the extra is missing
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    from mmmer.generation.group_generators import (generation_settings,
                                                   plan_from_dataset_cfg,
                                                   subjects_summary,
                                                   train_group_generator)
    from mmmer.utils import register_all_modules
    from mmmer.utils.io import dump_json_atomic

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmmer'))
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)

    dataset_cfg, generators_dir, diffusion = generation_settings(cfg)
    generators_dir = args.generators_dir or generators_dir
    if args.device:
        diffusion['device'] = args.device
    stamp = time.strftime('%Y%m%d_%H%M%S')
    os.makedirs(generators_dir, exist_ok=True)
    logger = MMLogger.get_instance(
        f'mmmer_ddpm_{stamp}', log_file=osp.join(generators_dir, f'train_ddpm_{stamp}.log'),
        log_level=cfg.get('log_level', 'INFO'))

    plan, universe = plan_from_dataset_cfg(dataset_cfg, diffusion)
    logger.info(f'{len(plan.subject_to_dataset)} subjects, {len(universe)} samples; '
                f'{subjects_summary(plan.groups, plan.subject_to_dataset)}')
    dump_json_atomic(dict(groups=plan.groups, num_groups=len(plan.groups),
                          hashes=[plan.hash(g) for g in range(len(plan.groups))]),
                     osp.join(generators_dir, 'groups.json'))
    groups = args.group if args.group is not None else range(len(plan.groups))
    for g in groups:
        if not 0 <= g < len(plan.groups):
            raise SystemExit(f'--group {g}: there are groups 0..{len(plan.groups) - 1}.')
    for g in groups:
        train_group_generator(plan, g, generators_dir, universe,
                              dataset_cfg.get('pipeline', []), logger=logger,
                              progress=not args.no_progress)
    logger.info(f'generators in {generators_dir}')
    return plan


if __name__ == '__main__':
    run_cli(main)
