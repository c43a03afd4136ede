"""Benchmark tool: runs the real train/test steps and reports every number."""
import json

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmmer.analysis.benchmark import benchmark_model, time_repeated
from mmmer.analysis.complexity import build_model_from_cfg

from .tool_loader import load_tool, write_toy_config


def test_time_repeated_counts_calls_and_times_each(monkeypatch):
    # A fake clock that only the timed function advances: call k takes
    # durations[k] seconds, so the statistics are known exactly.
    import mmmer.analysis.benchmark as benchmark
    durations = [9.0, 9.0, 9.0, 0.5, 0.2, 0.9, 0.3]  # 3 warm-up calls, 4 timed
    clock = [100.0]
    calls = []

    def fn():
        clock[0] += durations[len(calls)]
        calls.append(1)

    monkeypatch.setattr(benchmark.time, 'perf_counter', lambda: clock[0])
    stats = time_repeated(fn, iters=4, warmup=3, device=torch.device('cpu'))
    assert len(calls) == 7
    timed = durations[3:]  # warm-up calls are not timed
    assert stats['median'] == pytest.approx(float(np.median(timed)))
    assert stats['min'] == pytest.approx(min(timed))
    assert stats['max'] == pytest.approx(max(timed))
    with pytest.raises(ValueError):
        time_repeated(lambda: None, iters=0, warmup=0, device=torch.device('cpu'))


def test_benchmark_trains_the_model(tmp_path):
    # The timed train_step must really update the weights with the config's
    # optimizer (Adam lr 1e-2 in the toy config).
    cfg = Config.fromfile(write_toy_config(tmp_path))
    model = build_model_from_cfg(cfg)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    res = benchmark_model(model, cfg.optim_wrapper, (3, 8, 8), batch_size=4,
                          infer_batch=3, iters=2, warmup=1)
    after = model.state_dict()
    assert not torch.equal(before['head.fc.weight'], after['head.fc.weight'])
    assert set(res['inference']) == {'batch_1', 'batch_3'}
    assert res['train']['samples_per_s'] > 0


def test_benchmark_tool_json(tmp_path, capsys):
    out_json = tmp_path / 'bench.json'
    load_tool('benchmark').main([
        write_toy_config(tmp_path), '--batch-size', '4', '--infer-batch', '2',
        '--iters', '2', '--warmup', '1', '--threads', '1', '--device', 'cpu',
        '--json', str(out_json), '--cfg-options', 'optim_wrapper.optimizer.lr=0.1'])
    text = capsys.readouterr().out
    for label in ('train_throughput:', 'infer_latency_bs1:', 'infer_latency_bs2:',
                  'peak_host_rss:'):
        assert label in text
    res = json.loads(out_json.read_text())
    assert res['batch_size'] == 4 and res['input_shape'] == [3, 8, 8]
    assert res['optimizer'] == 'Adam' and res['torch_threads'] == 1
    assert res['peak_host_rss_mb'] > 0
    tr = res['train']
    # The median of two timings is their mean.
    assert tr['iters'] == 2
    assert tr['median'] == pytest.approx((tr['min'] + tr['max']) / 2)
    assert tr['samples_per_s'] == pytest.approx(4 / tr['median'])


def test_time_interleaved_pairs_calls_round_by_round(monkeypatch):
    import mmmer.analysis.benchmark as benchmark
    from mmmer.analysis.benchmark import paired_ratio, time_interleaved
    clock, order = [0.0], []
    cost = {'a': [5.0, 1.0, 2.0, 3.0], 'b': [5.0, 4.0, 4.0, 12.0]}  # 1 warm-up round

    def make(name):
        def fn():
            k = sum(1 for o in order if o == name)
            clock[0] += cost[name][k]
            order.append(name)
        return fn

    monkeypatch.setattr(benchmark.time, 'perf_counter', lambda: clock[0])
    stats = time_interleaved({'a': make('a'), 'b': make('b')}, iters=3, warmup=1,
                             device=torch.device('cpu'))
    assert order == ['a', 'b'] * 4  # called in turn, warm-up included
    assert stats['a']['times'] == pytest.approx([1.0, 2.0, 3.0])
    assert stats['b']['median'] == pytest.approx(4.0)
    # per-round ratios 0.25, 0.5, 0.25 -> median 0.25 (the ratio of medians is 0.5)
    assert paired_ratio(stats['a'], stats['b']) == pytest.approx(0.25)


def test_reference_htnet_is_the_official_layout():
    # The shipped reference equals the independent test re-derivation of the
    # authors' Model.py (same state-dict keys, same logits) and, through the
    # checkpoint converter, mmmer's HTNet.
    from mmmer.analysis.reference_models import ReferenceHTNet
    from mmmer.models.utils.official_checkpoints import convert_htnet_official
    from mmmer.registry import MODELS
    from mmmer.utils import register_all_modules
    from tests.fixtures.official_layouts import OfficialHTNet
    torch.manual_seed(0)
    ref = ReferenceHTNet(dim=12, heads=3, block_repeats=(1, 1, 2)).eval()
    fixture = OfficialHTNet(dim=12, heads=3, block_repeats=(1, 1, 2)).eval()
    assert list(ref.state_dict()) == list(fixture.state_dict())
    fixture.load_state_dict(ref.state_dict())
    register_all_modules()
    model = MODELS.build(dict(type='MEClassifier', backbone=dict(
        type='HTNet', dim=12, heads=3, block_repeats=(1, 1, 2)),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=48))).eval()
    model.load_state_dict(convert_htnet_official(ref.state_dict(), input_order='file'))
    x = torch.randn(4, 3, 28, 28)
    with torch.no_grad():
        want = fixture(x)
        torch.testing.assert_close(ref(x), want, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(model(x, mode='tensor'), want, atol=1e-4, rtol=1e-4)
    with torch.device('meta'):
        assert sum(p.numel() for p in ReferenceHTNet().parameters()) == 139_582_982


def test_benchmark_tool_side_by_side_reference(tmp_path, capsys):
    cfg = write_toy_config(tmp_path, extra="""
input_shape = (3, 28, 28)
model = dict(_delete_=True, type='MEClassifier',
             backbone=dict(type='HTNet', image_size=28, patch_size=7, dim=8, heads=2,
                           block_repeats=(1, 1, 1)),
             head=dict(type='LinearClsHead', num_classes=3, in_channels=32))
""")
    out_json = tmp_path / 'ref.json'
    load_tool('benchmark').main([cfg, '--batch-size', '4', '--iters', '3', '--warmup', '1',
                                 '--infer-iters', '5',
                                 '--threads', '1', '--device', 'cpu',
                                 '--reference', 'htnet_official', '--json', str(out_json)])
    text = capsys.readouterr().out
    for label in ('reference: htnet_official (', 'train_speedup_vs_reference:',
                  'latency_ratio_vs_reference_bs1:', 'before the reference was built',
                  'table_row: | `', '| 3x28x28 |', 'htnet_official: '):
        assert label in text
    res = json.loads(out_json.read_text())
    ref = res['reference']
    # dim 8, heads 2, blocks (1, 1, 1), 3 classes: the same count as mmmer's model.
    assert ref['params'] == res['params']
    assert len(ref['train']['times']) == 3 == len(res['train']['times'])
    assert len(ref['inference']['batch_1']['times']) == 5
    ratios = [a / b for a, b in zip(res['inference']['batch_1']['times'],
                                    ref['inference']['batch_1']['times'])]
    assert ref['inference']['batch_1']['latency_ratio'] == pytest.approx(float(np.median(ratios)))
    assert res['peak_host_rss_mb'] <= res['peak_host_rss_mb_with_reference']


def test_benchmark_reference_needs_an_htnet_geometry(tmp_path):
    with pytest.raises(ValueError, match='image_size'):
        load_tool('benchmark').main([write_toy_config(tmp_path), '--reference',
                                     'htnet_official', '--iters', '1'])
