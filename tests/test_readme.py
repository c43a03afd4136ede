"""The README's quick-start lines are what CI runs and what the package has."""
import os.path as osp
import re

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _bash_blocks(text):
    return re.findall(r'```bash\n(.*?)```', text, flags=re.S)


def test_ci_runs_the_readme_test_command():
    with open(osp.join(ROOT, 'README.md')) as f:
        blocks = _bash_blocks(f.read())
    install_and_run, install_and_test = blocks[0].strip(), blocks[1].strip()
    assert install_and_run.startswith('pip install torch==2.13.0')
    assert install_and_run.endswith('python tools/train.py configs/htnet/htnet_synthetic.py')
    assert 'pytest' in install_and_test
    with open(osp.join(ROOT, '.ci', 'run')) as f:
        ci_lines = [line.strip() for line in f]
    assert install_and_test in ci_lines


def test_readme_configs_exist():
    with open(osp.join(ROOT, 'README.md')) as f:
        text = f.read()
    for path in re.findall(r'(configs/[\w/]+\.py)', text):
        assert osp.exists(osp.join(ROOT, path)), path
