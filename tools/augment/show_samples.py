"""Render real vs generated classifier inputs per class into one PNG.

    python tools/augment/show_samples.py CONFIG --group G [--num 6]
                                         [--samples samples.npz] [--steps S]
                                         [--out real_vs_generated.png]

One row per class: ``--num`` real maps of generator G's training subjects,
then ``--num`` generated maps (from ``--samples``, an npz written by
sample_ddpm.py, or sampled now). Each map is shown as an RGB image of its
three channels (u, v, strain), values 0..255 as stored. The per-class,
per-channel means of real and generated maps are printed as a quick check.
"""
import argparse
import io
import os.path as osp

import numpy as np
from mmengine.config import DictAction

from mmmer.utils.cli import run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='real vs generated maps per class')
    parser.add_argument('config')
    parser.add_argument('--group', type=int, required=True)
    parser.add_argument('--num', type=int, default=6, help='maps per class and kind')
    parser.add_argument('--samples', help='npz with img / gt_label (sample_ddpm.py)')
    parser.add_argument('--steps', type=int, help='inference steps when sampling now')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='PNG path (default: GENERATORS_DIR/group_<g>/'
                        'real_vs_generated.png)')
    parser.add_argument('--generators-dir')
    parser.add_argument('--device')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def render(real, real_labels, fake, fake_labels, class_names, num, title=''):
    """PNG bytes of the grid: rows = classes, columns = num real | num generated."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    k = len(class_names)
    fig, axes = plt.subplots(k, 2 * num, figsize=(1.1 * 2 * num, 1.25 * k + 0.6),
                             squeeze=False)
    for c, name in enumerate(class_names):
        for kind, (imgs, labels, offset) in enumerate(
                ((real, real_labels, 0), (fake, fake_labels, num))):
            picks = imgs[labels == c][:num]
            for j in range(num):
                ax = axes[c, offset + j]
                ax.set_xticks([])
                ax.set_yticks([])
                if j < len(picks):
                    ax.imshow(np.clip(picks[j], 0, 255).astype(np.uint8))
                else:
                    ax.set_facecolor('0.9')
                if c == 0 and j == 0:
                    ax.set_title('real' if kind == 0 else 'generated', fontsize=8,
                                 loc='left')
            axes[c, 0].set_ylabel(name, fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=100)
    plt.close(fig)
    return buf.getvalue()


def _load_sibling(name):
    """The tool ``tools/augment/<name>.py`` as a module (works however this
    script was started: as a file, or loaded by path from a test)."""
    import importlib.util
    path = osp.join(osp.dirname(osp.abspath(__file__)), f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'_mmmer_tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    args = parse_args(argv)
    sample_ddpm = _load_sibling('sample_ddpm')

    from mmmer.generation.group_generators import (generation_settings, group_dir,
                                                   load_classifier_inputs,
                                                   plan_from_dataset_cfg, read_meta)
    from mmmer.utils.io import _atomic_write
    cfg = sample_ddpm.setup(args)
    dataset_cfg, generators_dir, diffusion = generation_settings(cfg)
    generators_dir = args.generators_dir or generators_dir
    if args.device:
        diffusion['device'] = args.device
    meta = read_meta(generators_dir, args.group)
    if not meta:
        raise SystemExit(f'generator group {args.group} not trained in {generators_dir}; '
                         'run tools/augment/train_ddpm.py first.')
    plan, universe = plan_from_dataset_cfg(dataset_cfg, diffusion)
    real, real_labels, _ = load_classifier_inputs(
        universe, dataset_cfg.get('pipeline', []), meta['train_subjects'])
    if args.samples:
        with np.load(args.samples) as data:
            fake, fake_labels = data['img'], data['gt_label']
    else:
        fake, fake_labels = sample_ddpm.free_samples(
            args.group, args.num, generators_dir, diffusion, args.steps, args.seed)
    class_names = list(universe.metainfo['classes'])
    for c, name in enumerate(class_names):
        r = real[real_labels == c].reshape(-1, real.shape[-1]).mean(0)
        f = fake[fake_labels == c].reshape(-1, fake.shape[-1]).astype(np.float64).mean(0)
        print(f'{name}: channel means real {np.round(r, 1).tolist()} '
              f'generated {np.round(f, 1).tolist()}')
    png = render(real, real_labels, fake, fake_labels, class_names, args.num,
                 title=f'generator group {args.group} (held out: '
                       f'{len(meta["held_out_subjects"])} subjects)')
    out = args.out or osp.join(group_dir(generators_dir, args.group), 'real_vs_generated.png')
    _atomic_write(out, lambda f: f.write(png), mode='wb')
    print(f'-> {out}')
    return out


if __name__ == '__main__':
    run_cli(main)
