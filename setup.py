"""Build hooks of mmmer; the metadata lives in pyproject.toml.

``pip install .`` (a wheel) puts the checkout's ``configs/`` and ``tools/``
inside the package as ``mmmer/.mim/configs`` and ``mmmer/.mim/tools``, where
MMEngine looks for the config bases of an installed package: a plugin project
can then write ``_base_ = 'mmmer::htnet/htnet_3db.py'`` with no checkout
around. An editable install (``pip install -e .``) imports mmmer from the
checkout itself, and ``mmmer.utils.compat`` resolves ``mmmer::`` bases to the
checkout's ``configs/`` there, so nothing is copied or linked in that mode.
"""
import os
import os.path as osp
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))
#: Checkout folders shipped inside the package, under ``mmmer/.mim/``.
MIM_FOLDERS = ('configs', 'tools')


def _ignore(folder, names):
    return [n for n in names
            if n == '__pycache__' or n.endswith(('.pyc', '.pyo'))]


class BuildPyWithMim(build_py):
    """``build_py`` that also copies :data:`MIM_FOLDERS` to ``mmmer/.mim``."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        target_root = osp.join(self.build_lib, 'mmmer', '.mim')
        for name in MIM_FOLDERS:
            src = osp.join(HERE, name)
            if not osp.isdir(src):
                raise FileNotFoundError(
                    f'{src} is missing: build mmmer from a full checkout or '
                    'from its sdist (MANIFEST.in includes configs/ and tools/).')
            dst = osp.join(target_root, name)
            if osp.isdir(dst):
                shutil.rmtree(dst)
            shutil.copytree(src, dst, ignore=_ignore)

    def get_outputs(self, include_bytecode=True):
        outputs = list(super().get_outputs(include_bytecode))
        root = osp.join(self.build_lib, 'mmmer', '.mim')
        for dirpath, _, files in os.walk(root):
            outputs.extend(osp.join(dirpath, f) for f in files)
        return outputs


setup(cmdclass={'build_py': BuildPyWithMim})
