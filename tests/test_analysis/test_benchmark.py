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
