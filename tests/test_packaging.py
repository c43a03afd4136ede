"""A non-editable ``pip install .`` works away from the checkout.

The checkout's package sources are copied to a temporary folder and installed
(no dependencies, no build isolation) into a fresh virtual environment that
reuses this environment's packages (torch, mmengine, ...) through a ``.pth``
line, so nothing is downloaded. From a folder outside the checkout the test
then checks that ``import mmmer`` comes from the new environment, that a plugin
config inheriting a shipped base through ``mmmer::`` builds its model, and that
a tool shipped in ``mmmer/.mim/tools`` runs on a shipped config.
"""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig
import textwrap

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: What a source distribution holds (see MANIFEST.in); nothing else is copied.
SDIST_ITEMS = ('mmmer', 'configs', 'tools', 'setup.py', 'pyproject.toml',
               'MANIFEST.in', 'README.md', 'LICENSE')
SHUFFLENET_CFG = 'shufflenet/shufflenetv2_cbam_svm_casme2.py'
HTNET_CFG = 'htnet/htnet_synthetic.py'


def _run(cmd, cwd, timeout=300):
    env = {k: v for k, v in os.environ.items()
           if k not in ('PYTHONPATH', 'PYTHONHOME', 'MMMER_DEBUG')}
    env.update(OMP_NUM_THREADS='1', PIP_DISABLE_PIP_VERSION_CHECK='1',
               PIP_NO_INDEX='1')
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=timeout)
    assert res.returncode == 0, (
        f'{" ".join(map(str, cmd))} failed ({res.returncode}):\n'
        f'{res.stdout[-3000:]}\n{res.stderr[-5000:]}')
    return res.stdout


def _param_count(cfg_path):
    from mmengine.config import Config

    from mmmer.analysis.complexity import build_model_from_cfg
    model = build_model_from_cfg(Config.fromfile(cfg_path))
    return sum(p.numel() for p in model.parameters())


def _fresh_env(root, editable=False):
    """Copy the sources to ``root/src`` and pip-install them into a new venv
    at ``root/venv``; returns (python, site-packages, source copy)."""
    src = root / 'src'
    src.mkdir()
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim', '*.egg-info')
    for item in SDIST_ITEMS:
        path = osp.join(REPO, item)
        if osp.isdir(path):
            shutil.copytree(path, src / item, ignore=ignore)
        else:
            shutil.copy2(path, src / item)
    env_dir = root / 'venv'
    _run([sys.executable, '-m', 'venv', '--without-pip', str(env_dir)], cwd=root)
    python = str(env_dir / 'bin' / 'python')
    site = _run([python, '-c', 'import sysconfig; '
                 'print(sysconfig.get_paths()["purelib"])'], cwd=root).strip()
    # Reuse this environment's packages (after the new env's own ones): the
    # effect --system-site-packages would have if this env were the system.
    with open(osp.join(site, '_parent_env.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    _run([python, '-m', 'pip', 'install', '-q', '--no-deps',
          '--no-build-isolation'] + (['-e'] if editable else []) + [str(src)],
         cwd=root)
    return python, site, src


@pytest.fixture(scope='module')
def installed_env(tmp_path_factory):
    """(python of the fresh venv, its site-packages, a folder outside the repo)."""
    root = tmp_path_factory.mktemp('packaging')
    python, site, _ = _fresh_env(root)
    outside = root / 'elsewhere'
    outside.mkdir()
    return python, site, outside


def test_import_comes_from_the_installed_copy(installed_env):
    python, site, outside = installed_env
    out = _run([python, '-c', textwrap.dedent('''
        import json, os.path as osp, mmmer
        from mmengine.utils import get_installed_path
        from mmengine.config.utils import _get_external_cfg_base_path
        pkg = get_installed_path('mmmer')
        print(json.dumps(dict(
            file=mmmer.__file__, version=mmmer.__version__, pkg=pkg,
            base=_get_external_cfg_base_path(pkg, 'htnet/htnet_3db.py'),
            tools=osp.isfile(osp.join(pkg, '.mim', 'tools', 'train.py')))))
        ''')], cwd=outside)
    info = json.loads(out.strip().splitlines()[-1])
    assert info['file'].startswith(site), info
    assert info['pkg'] == osp.join(site, 'mmmer')
    assert info['base'] == osp.join(site, 'mmmer', '.mim', 'configs', 'htnet',
                                    'htnet_3db.py')
    assert info['tools']
    from mmmer import __version__
    assert info['version'] == __version__


def test_plugin_config_inherits_a_shipped_base(installed_env):
    python, site, outside = installed_env
    plugin = outside / 'my_plugin'
    plugin.mkdir()
    (plugin / '__init__.py').write_text('')
    (plugin / 'models.py').write_text(textwrap.dedent('''
        import torch.nn as nn
        from mmengine.model import BaseModule
        from mmmer.registry import MODELS


        @MODELS.register_module()
        class PluginNet(BaseModule):
            """conv3x3 3->8 (+bias) and a global pool: 224 parameters."""

            def __init__(self, init_cfg=None):
                super().__init__(init_cfg)
                self.conv = nn.Conv2d(3, 8, 3, padding=1)
                self.pool = nn.AdaptiveAvgPool2d(1)

            def forward(self, x):
                return self.pool(self.conv(x)).flatten(1)
        '''))
    (outside / 'plugin_cfg.py').write_text(textwrap.dedent(f'''
        _base_ = 'mmmer::{HTNET_CFG}'
        custom_imports = dict(imports=['my_plugin.models'],
                              allow_failed_imports=False)
        model = dict(backbone=dict(_delete_=True, type='PluginNet'), neck=None,
                     head=dict(in_channels=8))
        '''))
    (outside / 'base_only.py').write_text(f"_base_ = 'mmmer::{HTNET_CFG}'\n")
    out = _run([python, '-c', textwrap.dedent('''
        import json, sys
        import torch
        import mmmer
        from mmengine.config import Config
        from mmmer.analysis.complexity import build_model_from_cfg
        sys.path.insert(0, '.')  # the plugin lives in the working directory
        cfg = Config.fromfile('plugin_cfg.py')
        model = build_model_from_cfg(cfg)
        x = torch.randn(2, *cfg.get('input_shape', (3, 28, 28)))
        base = build_model_from_cfg(Config.fromfile('base_only.py'))
        print(json.dumps(dict(
            backbone=type(model.backbone).__name__,
            backbone_params=sum(p.numel() for p in model.backbone.parameters()),
            logits=list(model(x, mode='tensor').shape),
            num_classes=cfg.model.head.num_classes,
            base_params=sum(p.numel() for p in base.parameters()))))
        ''')], cwd=outside)
    info = json.loads(out.strip().splitlines()[-1])
    assert info['backbone'] == 'PluginNet'
    assert info['backbone_params'] == 3 * 8 * 9 + 8 == 224
    assert info['logits'] == [2, info['num_classes']]
    # the shipped base is the checkout's config: same model, same size
    assert info['base_params'] == _param_count(osp.join(REPO, 'configs', HTNET_CFG))


def test_shipped_tool_runs_on_a_shipped_config(installed_env):
    python, site, outside = installed_env
    mim = osp.join(site, 'mmmer', '.mim')
    out = _run([python, osp.join(mim, 'tools', 'analysis', 'get_flops.py'),
                osp.join(mim, 'configs', SHUFFLENET_CFG), '--no-table'],
               cwd=outside)
    params = [line for line in out.splitlines() if line.startswith('params: ')]
    assert params == [
        f'params: {_param_count(osp.join(REPO, "configs", SHUFFLENET_CFG))}']


def test_editable_install_resolves_bases_from_the_checkout(tmp_path):
    """``pip install -e .`` (the README's line) copies nothing into the
    package: ``mmmer::`` bases come from the checkout's configs/."""
    python, site, src = _fresh_env(tmp_path, editable=True)
    outside = tmp_path / 'elsewhere'
    outside.mkdir()
    (outside / 'cfg.py').write_text(f"_base_ = 'mmmer::{SHUFFLENET_CFG}'\n")
    script = textwrap.dedent('''
        import json, sys, mmmer
        from mmengine.config import Config
        from mmengine.utils import get_installed_path
        from mmengine.config.utils import _get_external_cfg_base_path
        cfg = Config.fromfile('cfg.py')
        base = _get_external_cfg_base_path(get_installed_path('mmmer'), sys.argv[1])
        print(json.dumps(dict(file=mmmer.__file__, base=base,
                              backbone=cfg.model.backbone.type)))
        ''')
    out = _run([python, '-c', script, SHUFFLENET_CFG], cwd=outside)
    info = json.loads(out.strip().splitlines()[-1])
    assert info['file'] == osp.join(str(src), 'mmmer', '__init__.py')
    assert info['base'] == osp.join(str(src), 'configs', SHUFFLENET_CFG)
    assert info['backbone'] == 'ShuffleNetV2'
    assert not osp.exists(osp.join(str(src), 'mmmer', '.mim'))


def test_shipped_fix_opencv_finds_the_installed_compat(installed_env):
    python, site, outside = installed_env
    out = _run([python, '-c', textwrap.dedent('''
        import runpy, sys
        tool = runpy.run_path(sys.argv[1])
        print(tool['compat_file']())
        print(tool['load_compat']().ensure_opencv_contrib(dry_run=True))
        '''), osp.join(site, 'mmmer', '.mim', 'tools', 'fix_opencv.py')], cwd=outside)
    lines = out.strip().splitlines()
    assert lines[-2] == osp.join(site, 'mmmer', 'utils', 'compat.py')
    import cv2
    if hasattr(cv2, 'optflow'):
        assert lines[-1].endswith('already has optflow: nothing to do')
    else:
        assert 'opencv-contrib-python-headless' in lines[-1]
