"""Generate (or reuse) the embedded synthetic micro-expression dataset.

Example::

    python tools/generate_synthetic.py data/synthetic --subjects 8 --clips-per-class 3

The dataset is written in the CASME II layout (see
``mmmer/datasets/synthetic/``); rerunning with the same settings does
nothing, other settings regenerate it in place.
"""
import argparse
import os
import os.path as osp
import sys
from collections import Counter


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate the synthetic micro-expression dataset '
                    '(CASME II layout) from skimage.data.astronaut().')
    parser.add_argument('root', help='output folder')
    parser.add_argument('--subjects', type=int, default=8,
                        help='number of synthetic subjects (default 8)')
    parser.add_argument('--clips-per-class', type=int, default=3,
                        help='clips per class and subject (default 3)')
    parser.add_argument('--extra-negative', type=int, default=0,
                        help='extra negative clips per subject (default 0)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (default 0)')
    parser.add_argument('--frame-size', type=int, default=256,
                        help='square frame size in pixels (default 256, >= 128)')
    return parser.parse_args(argv)


def folder_size(root: str) -> int:
    total = 0
    for dirpath, _, filenames in os.walk(root):
        total += sum(osp.getsize(osp.join(dirpath, f)) for f in filenames)
    return total


def main(argv=None):
    args = parse_args(argv)
    from mmmer.datasets.synthetic import generate_synthetic_dataset
    try:
        record = generate_synthetic_dataset(
            args.root, num_subjects=args.subjects,
            clips_per_class=args.clips_per_class,
            extra_negative=args.extra_negative, seed=args.seed,
            frame_size=args.frame_size)
    except (ValueError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    counts = Counter(c['cls'] for c in record['clips'])
    frames = sum(c['num_frames'] for c in record['clips'])
    print(f'{record["action"]}: {record["root"]}')
    print(f'  subjects {record["settings"]["num_subjects"]}, clips {len(record["clips"])} '
          f'{dict(sorted(counts.items()))}, frames {frames}')
    print(f'  {record["seconds"]:.1f} s, {folder_size(record["root"]) / 2**20:.1f} MiB')
    return 0


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    sys.exit(run_cli(main))
