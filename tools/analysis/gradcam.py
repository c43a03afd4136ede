"""Grad-CAM heat map of one dataset sample for a trained model.

    python tools/analysis/gradcam.py CONFIG CHECKPOINT [--sample-idx 0]
        [--layer backbone.xxx] [--target-class K] [--split test|train]
        [--out PNG] [--list-layers] [--cfg-options k=v ...]

The sample goes through the config's pipeline and the model's
data_preprocessor, as in testing. ``--layer`` names any module (see
``--list-layers``); the default is the backbone's last module with a spatial
output. The PNG shows the input (motion inputs as false colour), the map and
their overlay; the title gives the true and predicted class.
"""
import argparse
import os.path as osp

from mmengine.config import Config, DictAction

from mmmer.utils.cli import run_cli


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--sample-idx', type=int, default=0)
    p.add_argument('--layer', default=None)
    p.add_argument('--layout', default='auto',
                   choices=['auto', 'nchw', 'nhwc', 'ncthw', 'tokens'])
    p.add_argument('--target-class', type=int, default=None,
                   help='class whose score is explained (default: predicted)')
    p.add_argument('--split', default='test', choices=['test', 'train'])
    p.add_argument('--out', default=None,
                   help='PNG (default: gradcam_<sample>.png next to the checkpoint)')
    p.add_argument('--list-layers', action='store_true')
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def build_sample(cfg, split, idx):
    from mmmer.registry import DATASETS
    loader_cfg = cfg.get(f'{split}_dataloader')
    if not loader_cfg or 'dataset' not in loader_cfg:
        raise KeyError(f'{cfg.filename} has no {split}_dataloader.dataset')
    dataset = DATASETS.build(loader_cfg['dataset'])
    if not 0 <= idx < len(dataset):
        raise IndexError(f'--sample-idx {idx} outside 0..{len(dataset) - 1} '
                         f'({split} dataset of {cfg.filename})')
    return dataset[idx]


def main(argv=None):
    args = parse_args(argv)
    from mmengine.runner import load_checkpoint

    from mmmer.analysis.complexity import build_model_from_cfg
    from mmmer.analysis.gradcam import (GradCAM, input_background,
                                        plot_gradcam, spatial_layers)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_model_from_cfg(cfg).to(args.device)
    load_checkpoint(model, args.checkpoint, map_location=args.device,
                    strict=True)
    model.eval()
    packed = build_sample(cfg, args.split, args.sample_idx)
    data = model.data_preprocessor(
        dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]),
        False)
    inputs = data['inputs']
    if args.list_layers:
        for name in spatial_layers(model, inputs, root=''):
            print(name)
        return None
    res = GradCAM(model, args.layer, args.layout)(inputs, args.target_class)
    ds = packed['data_samples']
    scores = res['logits'].softmax(1)[0]
    pred = int(scores.argmax())
    gt = int(ds.gt_label[0]) if 'gt_label' in ds else None
    meta = ds.metainfo
    title = (f'{meta.get("subject", "")} {meta.get("clip", "")}  gt={gt}  '
             f'pred={pred} ({float(scores[pred]):.2f})  '
             f'explained class={int(res["target"][0])}  layer={res["layer"]}')
    out = args.out or osp.join(osp.dirname(osp.abspath(args.checkpoint)),
                               f'gradcam_{args.sample_idx}.png')
    plot_gradcam(input_background(inputs[0]), res['cam'][0], out, title=title)
    print(f'layer: {res["layer"]}')
    print(f'gt: {gt} pred: {pred} explained: {int(res["target"][0])}')
    print(f'png: {out}')
    return res


if __name__ == '__main__':
    run_cli(main)
