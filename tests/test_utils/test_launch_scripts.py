"""tools/dist_train.sh and tools/slurm_train.sh run the interpreter named by
``$PYTHON`` (default ``python``), so an environment that is not activated
(no ``torchrun`` on PATH) still launches.

The launched programs are stand-ins that record their arguments, so these
tests check the command lines without training anything; the real two-rank
run is in tests/test_engine/test_distributed.py.
"""
import os
import os.path as osp
import stat
import subprocess

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# A bare PATH: no virtualenv, no torchrun, no srun.
BARE_PATH = '/usr/bin:/bin'

RECORDER = """#!/usr/bin/env bash
# Stand-in: record argv (NUL-separated, one file per call); fail -c if told to.
printf '%s\\0' "$@" > "{log}.$$"
if [ "$1" = "-c" ] && [ -n "$FAKE_NO_TORCH" ]; then exit 1; fi
exit 0
"""


def make_recorder(dirname, name):
    os.makedirs(dirname, exist_ok=True)
    path = osp.join(dirname, name)
    with open(path, 'w') as f:
        f.write(RECORDER.format(log=osp.join(dirname, name + '.log')))
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


def calls(dirname, name):
    """Every recorded argv of ``name``, as lists."""
    out = []
    for fn in sorted(os.listdir(dirname)):
        if fn.startswith(name + '.log.'):
            with open(osp.join(dirname, fn)) as f:
                out.append(f.read().split('\0')[:-1])
    return out


def run_script(args, env):
    return subprocess.run(['/bin/bash', *args], cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)


def test_dist_train_runs_the_launcher_through_python_without_torchrun(tmp_path):
    fake_bin = str(tmp_path / 'bin')
    python = make_recorder(fake_bin, 'venv-python')
    env = dict(HOME=str(tmp_path), PATH=BARE_PATH, PYTHON=python, PORT='29611')
    proc = run_script(['tools/dist_train.sh', 'cfg.py', '2', '--work-dir', 'wd',
                       '--folds', 'a b'], env)
    assert proc.returncode == 0, proc.stdout
    launches = [c for c in calls(fake_bin, 'venv-python') if c[:1] == ['-m']]
    assert len(launches) == 1, calls(fake_bin, 'venv-python')
    argv = launches[0]
    assert argv[:2] == ['-m', 'torch.distributed.run']
    assert '--nproc_per_node=2' in argv and '--master_port=29611' in argv
    i = [osp.basename(a) for a in argv].index('train.py')
    assert osp.samefile(argv[i], osp.join(ROOT, 'tools', 'train.py'))
    # Arguments after GPUS reach train.py unchanged (quoting kept).
    assert argv[i + 1:] == ['cfg.py', '--launcher', 'pytorch', '--work-dir', 'wd',
                            '--folds', 'a b']


def test_dist_train_says_what_to_do_when_python_lacks_torch(tmp_path):
    fake_bin = str(tmp_path / 'bin')
    python = make_recorder(fake_bin, 'python-without-torch')
    env = dict(HOME=str(tmp_path), PATH=BARE_PATH, PYTHON=python, FAKE_NO_TORCH='1')
    proc = run_script(['tools/dist_train.sh', 'cfg.py', '2'], env)
    assert proc.returncode == 2
    assert 'cannot import torch.distributed.run' in proc.stdout
    assert 'PYTHON=' in proc.stdout
    # Nothing was launched.
    assert not [c for c in calls(fake_bin, 'python-without-torch') if c[:1] == ['-m']]


def test_slurm_train_runs_python_from_env(tmp_path):
    fake_bin = str(tmp_path / 'bin')
    make_recorder(fake_bin, 'srun')
    python = osp.join(str(tmp_path), 'venv', 'bin', 'python')
    env = dict(HOME=str(tmp_path), PATH=fake_bin + ':' + BARE_PATH, PYTHON=python,
               GPUS='4', GPUS_PER_NODE='2')
    proc = run_script(['tools/slurm_train.sh', 'part', 'job', 'cfg.py', 'wd',
                       '--folds', 's1'], env)
    assert proc.returncode == 0, proc.stdout
    (argv,) = calls(fake_bin, 'srun')
    assert argv[:2] == ['-p', 'part'] and '--ntasks=4' in argv
    i = argv.index(python)
    assert argv[i + 1] == '-u'
    assert osp.samefile(argv[i + 2], osp.join(ROOT, 'tools', 'train.py'))
    assert argv[i + 3:] == ['cfg.py', '--work-dir=wd', '--launcher=slurm', '--folds', 's1']
