"""Worker processes from a program read from stdin (``python -``) or ``-c``.

Spawned workers re-create ``__main__`` from its file; ``'<stdin>'`` is no
file, so they die at start. Preprocessing then runs in-process with a
warning, and data loaders drop to ``num_workers=0``.
"""
import json
import os.path as osp
import subprocess
import sys
import types

import cv2
import numpy as np
import pytest

from mmmer.datasets.preprocessing import (limit_dataloader_workers, main_module_problem,
                                          worker_start_problem)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

# Builds a tiny synthetic dataset whose preprocessing (load the onset and apex
# frames) asks for 2 spawned workers, then prints the cache files.
BUILD = """
import json, sys
from mmmer.datasets import SyntheticMEDataset
{extra}
ds = SyntheticMEDataset(
    data_root=sys.argv[1] + '/data',
    generator=dict(num_subjects=2, clips_per_class=1, frame_size=128,
                   clip_length_range=(4, 5)),
    preprocess=dict(pipeline=[dict(type='LoadKeyFrames', keys=('onset', 'apex')),
                              {last}],
                    keys=('frames',), cache_dir=sys.argv[1] + '/cache', workers=2),
    pipeline=[])
print('RESULT', json.dumps([[d['cache_path'], d['frame_paths'][0],
                            d['frame_paths'][d['frame_numbers'].index(d['apex'])]]
                           for d in ds.data_list]))
"""
# A transform defined in the main program itself.
MAIN_TRANSFORM = """
from mmcv.transforms import BaseTransform
from mmmer.registry import TRANSFORMS

@TRANSFORMS.register_module()
class MainProgramIdentity(BaseTransform):
    def transform(self, results):
        return results
"""


def run_python(args, tmp_path, stdin=None):
    env = dict(PATH='/usr/bin:/bin', HOME=str(tmp_path), PYTHONPATH=ROOT,
               OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, *args, str(tmp_path)], input=stdin, env=env,
                          cwd=str(tmp_path), text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


def check_cache_against_frames(output):
    """Every cached sample holds exactly the onset and apex JPEGs (RGB)."""
    (line,) = [ln for ln in output.splitlines() if ln.startswith('RESULT ')]
    rows = json.loads(line[len('RESULT '):])
    assert len(rows) == 2 * 3  # 2 subjects x 3 classes x 1 clip
    for cache_path, onset_path, apex_path in rows:
        with np.load(cache_path) as z:
            frames = z['frames']
        expected = np.stack([cv2.imread(p)[..., ::-1] for p in (onset_path, apex_path)])
        assert frames.shape == expected.shape
        np.testing.assert_array_equal(frames, expected)


def test_stdin_script_preprocesses_in_process_with_a_warning(tmp_path):
    script = BUILD.format(extra='', last='')
    out = run_python(['-'], tmp_path, stdin=script)
    assert 'preprocess.workers=2 ignored' in out and 'standard input' in out
    assert 'script file' in out
    check_cache_against_frames(out)


def test_dash_c_with_a_transform_defined_in_main_falls_back(tmp_path):
    script = BUILD.format(extra=MAIN_TRANSFORM, last="dict(type='MainProgramIdentity')")
    out = run_python(['-c', script], tmp_path)
    assert 'preprocess.workers=2 ignored' in out and 'defined in the main program' in out
    check_cache_against_frames(out)


@pytest.fixture()
def stdin_main(monkeypatch):
    main = types.ModuleType('__main__')
    main.__file__ = '<stdin>'
    main.__spec__ = None
    monkeypatch.setitem(sys.modules, '__main__', main)
    return main


def test_start_problem_matrix(stdin_main, monkeypatch, tmp_path):
    assert 'standard input' in main_module_problem()
    assert worker_start_problem('fork') is None
    assert worker_start_problem('spawn') and worker_start_problem('forkserver')
    # A script that exists on disk is fine; so is a main without __file__ (-c)
    # unless the workers must import a transform defined in it.
    script = tmp_path / 'train_script.py'
    script.write_text('')
    stdin_main.__file__ = str(script)
    assert worker_start_problem('spawn', ['__main__']) is None
    del stdin_main.__file__
    assert worker_start_problem('spawn', ['mmmer.datasets.transforms']) is None
    assert 'main program' in worker_start_problem('spawn', ['__main__'])


def loaders_cfg(start_method, **loader_options):
    from mmengine.config import Config
    loader = dict(batch_size=2, num_workers=2, persistent_workers=True,
                  dataset=dict(type='ToyMEDataset'), **loader_options)
    return Config(dict(train_dataloader=dict(loader), val_dataloader=dict(loader),
                       test_dataloader=dict(loader, num_workers=0),
                       env_cfg=dict(mp_cfg=dict(mp_start_method=start_method))))


def test_limit_dataloader_workers(stdin_main):
    cfg = loaders_cfg('fork')
    assert limit_dataloader_workers(cfg) == []
    assert cfg.train_dataloader.num_workers == 2
    cfg = loaders_cfg('spawn')
    assert limit_dataloader_workers(cfg) == ['train_dataloader', 'val_dataloader']
    assert cfg.train_dataloader.num_workers == 0
    assert 'persistent_workers' not in cfg.train_dataloader
    # A loader's own context wins over the process-wide start method.
    cfg = loaders_cfg('spawn', multiprocessing_context='fork')
    assert limit_dataloader_workers(cfg) == []


def test_limit_dataloader_workers_keeps_workers_for_a_script_file():
    # pytest itself runs as a module, which spawned workers can import.
    cfg = loaders_cfg('spawn')
    assert limit_dataloader_workers(cfg) == []
    assert cfg.val_dataloader.num_workers == 2


DATALOADER_SCRIPT = """
import sys
from mmengine.config import Config
from mmengine.runner import Runner
import tests.fixtures.toy  # registers ToyMEDataset
from mmmer.datasets.preprocessing import limit_dataloader_workers
from mmmer.utils import register_all_modules
register_all_modules()
cfg = Config(dict(train_dataloader=dict(
    batch_size=4, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ToyMEDataset', num_subjects=2, pipeline=[dict(type='ToyLoad')]),
    multiprocessing_context='spawn')))
limit_dataloader_workers(cfg)
loader = Runner.build_dataloader(cfg.train_dataloader)
print('SAMPLES', sum(len(batch['clip']) for batch in loader), len(loader.dataset))
"""


def test_stdin_dataloader_with_spawn_workers_loads_in_process(tmp_path):
    out = run_python(['-'], tmp_path, stdin=DATALOADER_SCRIPT)
    assert 'train_dataloader.num_workers=2 set to 0' in out
    (line,) = [ln for ln in out.splitlines() if ln.startswith('SAMPLES ')]
    seen, size = map(int, line.split()[1:])
    # ToyMEDataset: 2 subjects x 3 kept classes x 3 clips.
    assert seen == size == 18
