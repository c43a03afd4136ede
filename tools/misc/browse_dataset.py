"""Look at what preprocessing does to samples of a config's dataset.

    python tools/misc/browse_dataset.py CONFIG [--num N] [--indices 0,5]
        [--split train|test] [--out-dir DIR] [--cfg-options ...]

For each chosen sample, runs the dataset's offline ``preprocess.pipeline``
and then its online ``pipeline`` (the arrays go from one to the other in
memory instead of through the cache, so nothing is written there), records
the arrays after every transform, and writes ``OUT_DIR/<i>_<subject>_<clip>.png``:
one row per transform that changed something (frames, landmarks, flow as a
colour wheel, strain, the model input). ``OUT_DIR/index.json`` lists the
samples, their stages and flags.

Made visible in the pictures (red titles) and in ``index.json``: a sample
whose face was not found (face-detection fallback: the landmarks or crop
points are a guess) and a horizontally mirrored copy added by the dataset's
``flip_expansion`` option (training split; the ShuffleNetV2 + CBAM/ViT class
balancing). With ``--split train`` (default) one mirrored copy is always
among the rendered samples when the dataset makes any.
"""
import argparse
import copy
import os
import os.path as osp

import numpy as np
from mmengine.config import Config, DictAction


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='render preprocessing stages of samples')
    p.add_argument('config')
    p.add_argument('--num', type=int, default=4, help='samples to render')
    p.add_argument('--indices', help='comma-separated sample indices (overrides --num)')
    p.add_argument('--split', choices=['train', 'test'], default='train')
    p.add_argument('--out-dir', default='outputs/browse_dataset')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def build_steps(cfg_list):
    from mmmer.apis.pipeline import _CachedArraysFromMemory
    from mmmer.registry import TRANSFORMS
    steps = []
    for step in cfg_list:
        name = step['type'] if isinstance(step['type'], str) else step['type'].__name__
        t = _CachedArraysFromMemory(step.get('keys')) if name == 'LoadCachedArrays' \
            else TRANSFORMS.build(copy.deepcopy(step))
        steps.append((name, t))
    return steps


def run_sample(info, pre_steps, keys, online_steps):
    """(stages, flags) of one sample through both pipelines."""
    from mmmer.apis.pipeline import ClipPipeline, _snapshot
    stages = []
    name = f"{info.get('subject')}/{info.get('clip')}"
    results = copy.deepcopy(info)
    if pre_steps:
        results = ClipPipeline._apply(pre_steps, results, stages, True, name)
        online = copy.deepcopy(info)
        online['_cached_arrays'] = {k: np.asarray(results[k]) for k in keys}
    else:
        online = results
    fallback_step = results.get('_fallback_step')
    before = len(stages)
    online = ClipPipeline._apply(online_steps, online, stages, True, name)
    for i in range(before, len(stages)):
        stages[i] = (f'online: {stages[i][0]}', stages[i][1])
    if 'inputs' in online:
        stages.append(('model input (packed)', _snapshot(dict(img=_packed(online)))))
    flags = dict(face_fallback=bool(results.get('face_fallback')),
                 fallback_step=fallback_step,
                 flip_expanded=bool(info.get('flip_expanded')))
    return stages, flags


def _packed(packed):
    x = packed['inputs'].numpy()
    if x.ndim == 3:
        return np.moveaxis(x, 0, -1)
    if x.ndim == 4:
        return np.moveaxis(x, 0, -1)
    return x


def _changed(prev, snap):
    out = {}
    for k, v in snap.items():
        old = prev.get(k)
        same = False
        if old is not None:
            try:
                same = (np.array_equal(np.asarray(old), np.asarray(v)) if not isinstance(v, list)
                        else len(old) == len(v) and all(np.array_equal(a, b)
                                                        for a, b in zip(old, v)))
            except (ValueError, TypeError):
                same = False
        if not same:
            out[k] = v
    return out


def render(out_file, title, stages, flags, max_cols=4):
    """One row per stage that changed something; returns the stage names drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from mmmer.apis.visualization import stage_images
    from mmmer.visualization.confusion_matrix import save_figure_atomic
    rows, prev = [], {}
    for name, snap in stages:
        changed = _changed(prev, snap)
        prev = snap
        pts = None
        if 'landmarks' in changed:
            pts = np.asarray(snap['landmarks'])
        elif 'five_points' in changed and snap.get('frames'):
            # HTNet's crop points live in a small detection image: scale them
            side = np.asarray(snap['frames'][0]).shape[0] / float(
                snap.get('five_points_shape', (28, 28))[0])
            pts = np.asarray(snap['five_points']) * side
        if pts is not None and 'frames' not in changed and snap.get('frames'):
            changed['frames'] = snap['frames']  # show where the points landed
        images = stage_images(name, changed)
        if images:
            rows.append((name, images[:max_cols], pts))
    fig = Figure(figsize=(2.4 * max_cols, 2.4 * max(1, len(rows)) + 0.8))
    FigureCanvasAgg(fig)
    axes = np.atleast_2d(fig.subplots(max(1, len(rows)), max_cols, squeeze=False))
    for r, (name, images, pts) in enumerate(rows):
        for c in range(max_cols):
            ax = axes[r, c]
            ax.axis('off')
            if c >= len(images):
                continue
            label, img = images[c]
            ax.imshow(img, cmap='gray' if np.asarray(img).ndim == 2 else None)
            if pts is not None and c < 3 and label.startswith('frame'):
                ax.scatter(pts[:, 0], pts[:, 1], s=3,
                           c='red' if flags['face_fallback'] else 'lime')
            red = name.startswith(str(flags.get('fallback_step'))) and flags['face_fallback']
            ax.set_title(f'{name}\n{label}', fontsize=7, color='red' if red else 'black')
    notes = []
    if flags['flip_expanded']:
        notes.append('FLIPPED COPY (flip_expansion)')
    if flags['face_fallback']:
        notes.append(f"FACE-DETECTION FALLBACK in {flags['fallback_step']}")
    fig.suptitle(title + ('\n' + ' | '.join(notes) if notes else ''), fontsize=10,
                 color='red' if notes else 'black')
    fig.tight_layout()
    save_figure_atomic(fig, out_file, dpi=72)
    return [r[0] for r in rows]


def choose(data_list, num, indices):
    if indices:
        return [int(i) for i in indices.split(',')]
    originals = [i for i, d in enumerate(data_list) if not d.get('flip_expanded')]
    flipped = [i for i, d in enumerate(data_list) if d.get('flip_expanded')]
    chosen = originals[:max(0, num - (1 if flipped else 0))]
    return chosen + flipped[:1] if flipped else chosen


def main(argv=None):
    args = parse_args(argv)
    import mmmer  # noqa: F401
    from mmengine.registry import init_default_scope

    from mmmer.datasets.builder import build_dataset, innermost_dataset_cfg
    from mmmer.utils.io import dump_json_atomic
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmmer'))
    import mmmer.datasets.transforms  # noqa: F401
    loader = cfg.get(f'{args.split}_dataloader')
    ds_cfg = copy.deepcopy(innermost_dataset_cfg(loader.dataset))
    pre = dict(ds_cfg.pop('preprocess', None) or {})
    online_cfg = list(ds_cfg.get('pipeline') or [])
    ds_cfg['pipeline'] = []
    ds_cfg.pop('subjects', None)
    dataset = build_dataset(ds_cfg)
    pre_steps = build_steps(pre.get('pipeline') or [])
    online_steps = build_steps(online_cfg)
    keys = tuple(pre.get('keys', ('img', )))
    os.makedirs(args.out_dir, exist_ok=True)
    index = []
    for n, i in enumerate(choose(dataset.data_list, args.num, args.indices)):
        info = dataset.get_data_info(i)
        stages, flags = run_sample(info, pre_steps, keys, online_steps)
        safe = f"{info.get('subject')}_{info.get('clip')}".replace('/', '_')
        out_file = osp.join(args.out_dir, f'{n:03d}_{safe}{"_flip" * flags["flip_expanded"]}.png')
        title = f"sample {i}: {info.get('subject')}/{info.get('clip')} " \
                f"({dataset.class_names[info['gt_label']]})"
        drawn = render(out_file, title, stages, flags)
        index.append(dict(index=i, subject=info.get('subject'), clip=info.get('clip'),
                          file=out_file, stages=drawn, **flags))
        print(f"{out_file}: {len(drawn)} stages"
              + ('  [flipped copy]' if flags['flip_expanded'] else '')
              + (f"  [face-detection fallback in {flags['fallback_step']}]"
                 if flags['face_fallback'] else ''))
    dump_json_atomic(dict(config=args.config, split=args.split, samples=index),
                     osp.join(args.out_dir, 'index.json'))
    return index


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    run_cli(main)
