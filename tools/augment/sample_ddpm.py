"""Sample from the trained per-group DDPMs of a config.

Free sampling from one generator (for inspection, show_samples.py):

    python tools/augment/sample_ddpm.py CONFIG --group G --num-per-class N
                                        [--out samples.npz] [--steps S] [--seed K]

Materialise the cached generated sets of LOSO folds ahead of training (what
``GeneratedAugmentDataset`` would sample on first use; the LOSO run then only
loads them):

    python tools/augment/sample_ddpm.py CONFIG --folds SUBJ[,SUBJ...] | --all-folds

The npz of free sampling holds ``img`` (N, 28, 28, 3) uint8 and ``gt_label``.
"""
import argparse
import copy
import os.path as osp

import numpy as np
from mmengine.config import Config, DictAction

from mmmer.utils.cli import run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='sample from the per-group DDPMs')
    parser.add_argument('config')
    parser.add_argument('--group', type=int, help='generator group to sample from')
    parser.add_argument('--num-per-class', type=int, default=8)
    parser.add_argument('--steps', type=int,
                        help='inference steps (default: diffusion.sample.num_inference_steps)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='npz file (default: GENERATORS_DIR/group_<g>/'
                        'free_samples.npz)')
    parser.add_argument('--folds', help='comma-separated test subjects whose generated '
                        'training sets to materialise')
    parser.add_argument('--all-folds', action='store_true')
    parser.add_argument('--generators-dir')
    parser.add_argument('--device')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def setup(args):
    import mmmer  # noqa: F401
    from mmengine.registry import init_default_scope

    from mmmer.utils import register_all_modules
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmmer'))
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    return cfg


def free_samples(group, num_per_class, generators_dir, diffusion, steps=None, seed=0):
    """``(images uint8, labels)``: ``num_per_class`` samples of every class."""
    from mmmer.generation.group_generators import (GeneratorNotFoundError,
                                                   load_group_generator, read_meta)
    meta = read_meta(generators_dir, group)
    if not meta or meta.get('status') != 'done':
        raise GeneratorNotFoundError(
            f'generator group {group} in {generators_dir} is not trained; run '
            f'tools/augment/train_ddpm.py CONFIG --group {group}.')
    model = load_group_generator(generators_dir, group, meta, device=diffusion['device'])
    labels = np.repeat(np.arange(model.num_classes), num_per_class)
    images = model.sample(labels, steps or diffusion['sample']['num_inference_steps'],
                          seed=seed, batch_size=diffusion['sample']['batch_size'],
                          progress=True)
    return images, labels


def main(argv=None):
    args = parse_args(argv)
    from mmmer.utils.compat import import_diffusers
    import_diffusers()  # fail before any data work if the extra is missing
    cfg = setup(args)
    from mmmer.generation.group_generators import generation_settings, group_dir
    from mmmer.utils.io import save_npz_atomic
    dataset_cfg, generators_dir, diffusion = generation_settings(cfg)
    generators_dir = args.generators_dir or generators_dir
    if args.device:
        diffusion['device'] = args.device

    if args.folds or args.all_folds:
        from mmmer.generation import GeneratedAugmentDataset, plan_from_dataset_cfg
        if args.all_folds:
            plan, _ = plan_from_dataset_cfg(dataset_cfg, diffusion)
            subjects = sorted(plan.subject_to_dataset)
        else:
            subjects = args.folds.split(',')
        wrapper = cfg.train_dataloader.dataset
        for s in subjects:
            inner = copy.deepcopy(dataset_cfg)
            inner['exclude_subjects'] = list(inner.get('exclude_subjects') or []) + [s]
            inner.pop('subjects', None)
            ds = GeneratedAugmentDataset(
                dataset=inner, generators_dir=generators_dir, diffusion=diffusion,
                topup=wrapper.get('topup', 'default'),
                train_missing=wrapper.get('train_missing', False))
            print(f'fold {s}: group {ds.group}, generated {ds.generated_per_class} '
                  f'-> {ds.generated_cache_path}')
        return

    if args.group is None:
        raise SystemExit('give --group G (free sampling) or --folds / --all-folds.')
    images, labels = free_samples(args.group, args.num_per_class, generators_dir,
                                  diffusion, args.steps, args.seed)
    out = args.out or osp.join(group_dir(generators_dir, args.group), 'free_samples.npz')
    save_npz_atomic(out, img=images, gt_label=labels)
    print(f'{len(labels)} samples -> {out}')
    return out


if __name__ == '__main__':
    run_cli(main)
