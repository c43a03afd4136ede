"""Locate and load the pretrained MTCNN weights.

mmmer uses the P-, R- and O-Net weights that facenet-pytorch 2.6.0 ships in
its wheel (``facenet_pytorch/data/{pnet,rnet,onet}.pt``), so the detector
gives the same boxes and points as that package's ``MTCNN.detect`` (which
the official HTNet code calls). facenet-pytorch itself cannot be a plain
requirement (it pins torch<2.3 and needs torchvision), so it is installed
without its dependencies::

    python tools/install_mtcnn_weights.py
    # = python -m pip install --no-deps facenet-pytorch==2.6.0

The package is never imported (its import needs torchvision): the files are
found with :func:`importlib.util.find_spec`, checked against the SHA-256 of
the 2.6.0 release and read with ``torch.load(weights_only=True)``. The
environment variable ``MMMER_MTCNN_DIR`` may name a folder holding the three
files instead (e.g. on a machine without a package index).
"""
import hashlib
import importlib.util
import os
import os.path as osp
import threading
from typing import Dict

__all__ = ['FACENET_PYTORCH_VERSION', 'INSTALL_COMMAND', 'MTCNN_WEIGHT_SHA256',
           'MTCNNWeightsNotFound', 'find_mtcnn_weights', 'load_mtcnn_state_dict']

FACENET_PYTORCH_VERSION = '2.6.0'
INSTALL_COMMAND = ('python tools/install_mtcnn_weights.py  (runs: python -m pip '
                   f'install --no-deps facenet-pytorch=={FACENET_PYTORCH_VERSION})')
ENV_DIR = 'MMMER_MTCNN_DIR'

#: SHA-256 of the files in the facenet-pytorch 2.6.0 wheel.
MTCNN_WEIGHT_SHA256 = dict(
    pnet='a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f',
    rnet='bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86',
    onet='165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d')

_CHECKED = {}
_LOCK = threading.Lock()


class MTCNNWeightsNotFound(FileNotFoundError):
    """The MTCNN weight files are not installed (the message says how)."""


def _weights_dir() -> str:
    override = os.environ.get(ENV_DIR)
    if override:
        return override
    spec = importlib.util.find_spec('facenet_pytorch')
    if spec is None or not spec.submodule_search_locations:
        raise MTCNNWeightsNotFound(
            'The MTCNN landmark backend (HTNet\'s facial-region points) needs '
            f'the P/R/O-Net weights of facenet-pytorch {FACENET_PYTORCH_VERSION}, '
            f'which is not installed. Install it with: {INSTALL_COMMAND}; '
            f'or set {ENV_DIR} to a folder holding pnet.pt, rnet.pt and onet.pt.')
    return osp.join(list(spec.submodule_search_locations)[0], 'data')


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def find_mtcnn_weights(verify: bool = True) -> Dict[str, str]:
    """Paths of ``pnet.pt``, ``rnet.pt`` and ``onet.pt``, keyed by net name.

    Args:
        verify: check each file's SHA-256 against the facenet-pytorch
            2.6.0 release (once per process and path).

    Raises:
        MTCNNWeightsNotFound: a file is missing or differs from the release.
    """
    folder = _weights_dir()
    paths = {}
    for name, expected in MTCNN_WEIGHT_SHA256.items():
        path = osp.join(folder, f'{name}.pt')
        if not osp.isfile(path):
            raise MTCNNWeightsNotFound(
                f'MTCNN weight file {path} is missing. Install the weights with: '
                f'{INSTALL_COMMAND}')
        if verify:
            with _LOCK:
                ok = _CHECKED.get(path)
                if ok is None:
                    ok = _CHECKED[path] = _sha256(path) == expected
            if not ok:
                raise MTCNNWeightsNotFound(
                    f'MTCNN weight file {path} differs from the one in '
                    f'facenet-pytorch {FACENET_PYTORCH_VERSION} (SHA-256 '
                    f'{expected[:12]}...); points would not match the official '
                    f'HTNet code. Reinstall with: {INSTALL_COMMAND}')
        paths[name] = path
    return paths


def load_mtcnn_state_dict(name: str, verify: bool = True) -> dict:
    """The state dict of ``'pnet'``, ``'rnet'`` or ``'onet'`` (tensors only)."""
    import torch
    if name not in MTCNN_WEIGHT_SHA256:
        raise KeyError(f"MTCNN net must be one of {sorted(MTCNN_WEIGHT_SHA256)}, got {name!r}")
    path = find_mtcnn_weights(verify)[name]
    return torch.load(path, map_location='cpu', weights_only=True)
