"""Install the MTCNN weights that HTNet's official crop points need.

    python tools/install_mtcnn_weights.py [--check]

Runs ``python -m pip install --no-deps facenet-pytorch==2.6.0`` with this
interpreter: the wheel ships the pretrained P/R/O-Net weights
(``facenet_pytorch/data/{pnet,rnet,onet}.pt``) that mmmer's MTCNN detector
(mmmer/utils/mtcnn) loads. ``--no-deps`` because the package pins torch<2.3
and wants torchvision; mmmer never imports it, it only reads the three files
(checked against their SHA-256). Safe to run repeatedly. ``--check`` only
verifies the installed files. Offline: copy the three files into a folder
and set ``MMMER_MTCNN_DIR`` to it.
"""
import argparse
import importlib
import importlib.util
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _weights_module():
    # Load mmmer/utils/mtcnn/weights.py alone (no torch or mmmer import needed).
    path = osp.join(ROOT, 'mmmer', 'utils', 'mtcnn', 'weights.py')
    spec = importlib.util.spec_from_file_location('mmmer_mtcnn_weights', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='only verify the installed weight files')
    args = parser.parse_args(argv)
    weights = _weights_module()
    if not args.check:
        cmd = [sys.executable, '-m', 'pip', 'install', '--no-deps',
               f'facenet-pytorch=={weights.FACENET_PYTORCH_VERSION}']
        print('+', ' '.join(cmd), flush=True)
        rc = subprocess.call(cmd)
        if rc:
            print(f'pip failed (exit {rc}); see its message above.', file=sys.stderr)
            return rc
        importlib.invalidate_caches()
    try:
        paths = weights.find_mtcnn_weights(verify=True)
    except weights.MTCNNWeightsNotFound as e:
        print(e, file=sys.stderr)
        return 1
    for name, path in paths.items():
        print(f'{name}: {path} (SHA-256 ok)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
