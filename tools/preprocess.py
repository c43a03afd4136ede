"""Run a config's offline preprocessing (face alignment, optical flow, ...) once.

    python tools/preprocess.py CONFIG [--workers N] [--cfg-options ...]

Results are cached per sample under the dataset's ``preprocess.cache_dir``
keyed by a hash of (sample files, preprocessing config); ``tools/train.py``
reuses the cache automatically, so running this first is optional. A rerun
only computes what is missing.
"""
import argparse
import copy
import os.path as osp
import time

from mmengine.config import Config, DictAction


def main(argv=None):
    parser = argparse.ArgumentParser(description='mmmer offline preprocessing')
    parser.add_argument('config')
    parser.add_argument('--workers', type=int, help='worker processes (default: config)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)

    import mmmer  # noqa: F401
    from mmmer.datasets.builder import build_dataset, innermost_dataset_cfg
    from mmmer.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    ds_cfg = copy.deepcopy(innermost_dataset_cfg(cfg.train_dataloader.dataset))
    ds_cfg.pop('subjects', None)
    ds_cfg.pop('exclude_subjects', None)
    ds_cfg['pipeline'] = []
    if not ds_cfg.get('preprocess'):
        print(f'{args.config}: the dataset has no offline preprocessing step.')
        return
    if args.workers:
        ds_cfg['preprocess']['workers'] = args.workers
    start = time.perf_counter()
    dataset = build_dataset(ds_cfg)
    elapsed = time.perf_counter() - start
    print(f'{len(dataset)} samples ready in {elapsed:.1f} s '
          f'({len(dataset) / max(elapsed, 1e-9):.2f} clips/s incl. cached ones); '
          f'cache: {osp.dirname(dataset.data_list[0]["cache_path"]) if len(dataset) else "-"}')


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    run_cli(main)
