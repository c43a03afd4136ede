"""The README's quick-start lines are what CI runs and what the package has."""
import os
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


DOCS = ('get_started.md', 'protocol.md', 'methods.md', 'tools.md', 'plugins.md', 'faq.md')


def _markdown_files():
    files = [osp.join(ROOT, 'README.md')]
    files += sorted(osp.join(ROOT, 'docs', name) for name in os.listdir(osp.join(ROOT, 'docs'))
                    if name.endswith('.md'))
    methods = osp.join(ROOT, 'docs', 'methods')
    if osp.isdir(methods):
        files += sorted(osp.join(methods, n) for n in os.listdir(methods) if n.endswith('.md'))
    return files


def test_docs_exist_and_readme_links_them():
    with open(osp.join(ROOT, 'README.md')) as f:
        readme = f.read()
    for name in DOCS:
        assert osp.isfile(osp.join(ROOT, 'docs', name)), name
        assert f'(docs/{name})' in readme, name


def test_relative_links_resolve():
    missing = []
    for path in _markdown_files():
        with open(path) as f:
            text = f.read()
        for target in re.findall(r'\]\(([^)\s]+)\)', text):
            if re.match(r'[a-z]+://|#|mailto:', target):
                continue
            target = target.split('#')[0]
            if not osp.exists(osp.join(osp.dirname(path), target)):
                missing.append(f'{osp.relpath(path, ROOT)} -> {target}')
    assert not missing, missing


def test_docs_are_self_contained():
    """The documentation names methods by title and never points at private notes."""
    banned = re.compile(r'specs/|ARCHITECTURE\.md|openmmlab_conventions|\bpaper [ABCD]\b|'
                        r'\bseed paper\b|\bseeds? [ABCD]\b')
    for path in [osp.join(ROOT, 'README.md')] + [osp.join(ROOT, 'docs', n) for n in DOCS]:
        with open(path) as f:
            hits = banned.findall(f.read())
        assert not hits, (path, hits)


def test_plugin_example_in_docs_builds(tmp_path, monkeypatch):
    """docs/plugins.md: the backbone and the `mmmer::` config it shows build a model."""
    import sys

    import torch
    from mmengine.config import Config

    from mmmer.analysis.complexity import build_model_from_cfg
    with open(osp.join(ROOT, 'docs', 'plugins.md')) as f:
        module_src, config_src = re.findall(r'```python\n(.*?)```', f.read(), flags=re.S)[:2]
    pkg = tmp_path / 'my_project_doc_example'
    (pkg / 'models').mkdir(parents=True)
    (pkg / '__init__.py').write_text('')
    (pkg / 'models' / '__init__.py').write_text('from .my_net import DocExampleNet  # noqa: F401\n')
    # a fresh name: the registry refuses a second class called MyNet
    (pkg / 'models' / 'my_net.py').write_text(module_src.replace('MyNet', 'DocExampleNet'))
    cfg_path = tmp_path / 'mynet_3db.py'
    cfg_path.write_text(config_src.replace('my_project', 'my_project_doc_example')
                        .replace('MyNet', 'DocExampleNet'))
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = Config.fromfile(str(cfg_path))
    model = build_model_from_cfg(cfg)
    assert type(model.backbone).__name__ == 'DocExampleNet'
    x = torch.randn(2, *cfg.get('input_shape', (3, 28, 28)))
    assert model(x, mode='tensor').shape == (2, cfg.model.head.num_classes)
    for name in [m for m in sys.modules if m.startswith('my_project_doc_example')]:
        sys.modules.pop(name)
