"""analyze_logs.py on fabricated MMEngine scalars.json logs."""
import json

import matplotlib.image as mpimg
import pytest

from mmmer.visualization import collect_runs

from .tool_loader import load_tool


def _write_log(run_dir, stamp, records):
    d = run_dir / stamp / 'vis_data'
    d.mkdir(parents=True)
    (d / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in records) + '\n')


def _train(step, loss):
    return dict(lr=1e-3, loss=loss, epoch=(step + 1) // 2, iter=step, step=step)


def test_loso_work_dir_with_resumed_fold(tmp_path, capsys):
    # fold a: interrupted after step 3, resumed from step 3 in a later folder
    _write_log(tmp_path / 'fold_a', '20240101_000000',
               [_train(s, 1.0 / s) for s in (1, 2, 3)])
    _write_log(tmp_path / 'fold_a', '20240101_010000',
               [_train(3, 0.3), _train(4, 0.25), dict(UF1=0.5, step=2),
                dict(gpu_mem=10.0, step=2)])
    _write_log(tmp_path / 'fold_b', '20240102_000000',
               [_train(s, 2.0 / s) for s in (1, 2)])
    runs = collect_runs(str(tmp_path))
    assert list(runs) == ['fold_a', 'fold_b']
    losses = [(r['step'], r['loss']) for r in runs['fold_a'] if 'loss' in r]
    assert losses == [(1, 1.0), (2, 0.5), (3, 0.3), (4, 0.25)]  # resumed wins
    # records of other sources at the same step are all kept
    assert [r['UF1'] for r in runs['fold_a'] if 'UF1' in r] == [0.5]
    assert [r['gpu_mem'] for r in runs['fold_a'] if 'gpu_mem' in r] == [10.0]
    out = tmp_path / 'curves.png'
    load_tool('analyze_logs').main([str(tmp_path), '--keys', 'loss', 'UF1',
                                    '--out', str(out)])
    text = capsys.readouterr().out
    assert 'fold_a loss: n=4 first=1 last=0.25 min=0.25' in text
    assert 'fold_b loss: n=2 first=2 last=1 min=1' in text
    assert mpimg.imread(str(out)).ndim == 3


def test_single_json_and_bad_key(tmp_path):
    _write_log(tmp_path, '20240101_000000', [_train(1, 0.9), _train(2, 0.8)])
    path = tmp_path / '20240101_000000' / 'vis_data' / 'scalars.json'
    tool = load_tool('analyze_logs')
    runs = tool.main([str(path), '--out', str(tmp_path / 'c.png')])
    assert [r['loss'] for r in next(iter(runs.values()))] == [0.9, 0.8]
    with pytest.raises(KeyError, match='available keys'):
        tool.main([str(tmp_path), '--keys', 'acc', '--out', str(tmp_path / 'c.png')])
    path.write_text('{"loss": 1}\nnot json\n')
    with pytest.raises(ValueError, match=':2 is not valid JSON'):
        collect_runs(str(path))
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        collect_runs(str(tmp_path / 'nothing_here'))
