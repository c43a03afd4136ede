"""Load a tools/analysis script as a module, so tests call its main() in-process."""
import importlib.util
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'_mmmer_tool_{name}', osp.join(REPO, 'tools', 'analysis', f'{name}.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


TOY_CONFIG = """
_base_ = ['{repo}/tests/fixtures/toy_config.py']
input_shape = (3, 8, 8)
"""


def write_toy_config(tmp_path, extra=''):
    path = tmp_path / 'toy_cfg.py'
    path.write_text(TOY_CONFIG.format(repo=REPO) + extra)
    return str(path)
