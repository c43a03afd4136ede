"""Runtime hooks and switches on CPU with tiny MMEngine Runners."""
import os.path as osp
import types
import uuid
import warnings

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmmer.engine.hooks import GPUMemoryHook, ResidentDataHook, ResidentDataLoader
from mmmer.engine.hooks.resident_data_hook import random_transforms
from mmmer.engine.runtime import apply_runtime_options

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_CONFIG = osp.join(REPO, 'tests', 'fixtures', 'toy_config.py')


def toy_cfg(tmp_path, name, **options):
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.work_dir = str(tmp_path / name)
    cfg.experiment_name = f'{name}_{uuid.uuid4().hex[:8]}'
    cfg.train_cfg.max_epochs = 2
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100,
                                        save_last=False)
    cfg.merge_from_dict(options)
    return apply_runtime_options(cfg, cuda_available=False)


def build_runner(cfg):
    torch.manual_seed(0)
    return Runner.from_cfg(cfg)


def state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_resident_loader_gives_identical_batches(tmp_path):
    cfg = toy_cfg(tmp_path, 'loader')
    from mmmer.utils import register_all_modules
    register_all_modules()
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    resident = ResidentDataLoader(loader, 'cpu')
    # 4 subjects x 3 classes x 3 clips (fear excluded) = 36 samples, bs 8
    assert len(resident) == len(loader) == 5
    from mmmer.models.data_preprocessors.me_data_preprocessor import \
        MEDataPreprocessor
    pre = MEDataPreprocessor()
    for epoch in (0, 1):  # set_epoch reshuffles both, identically
        loader.sampler.set_epoch(epoch)
        batches = list(zip(loader, resident))
        assert len(batches) == len(loader)
        for a, b in batches:
            pa, pb = pre(a, True), pre(b, True)
            torch.testing.assert_close(pa['inputs'], pb['inputs'], rtol=0, atol=0)
            assert [s.clip for s in pa['data_samples']] == \
                [s.clip for s in pb['data_samples']]
            assert [int(s.gt_label) for s in pa['data_samples']] == \
                [int(s.gt_label) for s in pb['data_samples']]
    # every sample is served once per epoch
    clips = [s.clip + s.subject for b in resident for s in b['data_samples']]
    assert len(clips) == len(set(clips)) == 36


def test_resident_hook_runner_matches_plain_runner(tmp_path):
    plain = build_runner(toy_cfg(tmp_path, 'plain'))
    plain.train()
    plain_metrics = plain.test()
    res = build_runner(toy_cfg(tmp_path, 'resident', resident_data=True,
                               log_gpu_memory=True))
    res.train()
    res_metrics = res.test()
    assert isinstance(res.train_loop.dataloader, ResidentDataLoader)
    assert isinstance(res.test_loop.dataloader, ResidentDataLoader)
    ref, got = state(plain.model), state(res.model)
    for k in ref:
        torch.testing.assert_close(got[k], ref[k], rtol=0, atol=0)
    assert plain_metrics == res_metrics
    # GPU memory hook on CPU: says so once, records nothing
    gpu_hook = next(h for h in res.hooks if isinstance(h, GPUMemoryHook))
    assert gpu_hook.device is None and gpu_hook.history == []
    with open(res.logger.log_file) as f:
        assert 'model on cpu, no GPU memory to log' in f.read()
    # the Runner's real scalars.json is what analyze_logs reads
    from mmmer.visualization import collect_runs
    runs = collect_runs(res.work_dir)
    losses = [r['loss'] for recs in runs.values() for r in recs if 'loss' in r]
    assert len(losses) == 2 * len(res.train_loop.dataloader)


def test_resident_hook_refuses_random_pipeline():
    class RandomFlipLike:
        pass

    class Jitter2:
        prob = 0.5

    class Deterministic:
        prob = 0.0

    ds = types.SimpleNamespace(pipeline=types.SimpleNamespace(
        transforms=[RandomFlipLike(), Jitter2(), Deterministic()]))
    assert random_transforms(ds) == ['RandomFlipLike', 'Jitter2']
    loop = types.SimpleNamespace(dataloader=types.SimpleNamespace(dataset=ds))
    runner = types.SimpleNamespace(train_loop=loop)
    with pytest.raises(ValueError, match='random transforms'):
        ResidentDataHook()._make_resident(runner, 'train')
    with pytest.raises(ValueError, match='unknown loops'):
        ResidentDataHook(loops=('train', 'predict'))


class ParamRecorder(Hook):
    def __init__(self):
        self.after_iter, self.at_test = [], None

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.after_iter.append(state(runner.model))

    def before_test_epoch(self, runner):
        self.at_test = state(runner.model)


def _train_test_with_recorder(runner):
    rec = ParamRecorder()
    runner.register_hook(rec, priority='LOWEST')  # runs after the EMA hook
    runner.train()
    ema_hook = next(h for h in runner.hooks if 'EMAHook' in type(h).__name__)
    runner.test()
    return rec, ema_hook


def _ema_reference(trajectory, m):
    # ema_1 = w_1, ema_t = (1 - m) ema_{t-1} + m w_t
    ref = trajectory[0]
    for w in trajectory[1:]:
        ref = {k: (1 - m) * ref[k] + m * w[k] for k in ref}
    return ref


def test_persistent_ema_hook_with_me_classifier(tmp_path):
    m = 0.25
    runner = build_runner(toy_cfg(tmp_path, 'ema', ema=dict(momentum=m)))
    rec, ema_hook = _train_test_with_recorder(runner)
    assert type(ema_hook).__name__ == 'PersistentEMAHook'
    ref = _ema_reference(rec.after_iter, m)
    assert not torch.allclose(ref['head.fc.weight'],
                              rec.after_iter[-1]['head.fc.weight'])
    # the test loop ran on the averaged weights ...
    for k in ref:
        torch.testing.assert_close(rec.at_test[k], ref[k])
    # ... and the raw weights are back afterwards
    for k, v in state(runner.model).items():
        torch.testing.assert_close(v, rec.after_iter[-1][k])


def test_plain_mmengine_ema_hook_loses_average_at_test(tmp_path):
    # Why PersistentEMAHook exists: with MMEngine 0.10.7's EMAHook, test()
    # after train() in the same Runner rebuilds the average from the raw
    # weights. If this starts failing, MMEngine fixed it upstream.
    cfg = toy_cfg(tmp_path, 'ema_plain')
    cfg.custom_hooks = [dict(type='EMAHook', momentum=0.25)]
    rec, _ = _train_test_with_recorder(build_runner(cfg))
    ref = _ema_reference(rec.after_iter, 0.25)
    torch.testing.assert_close(rec.at_test['head.fc.weight'],
                               rec.after_iter[-1]['head.fc.weight'])
    assert not torch.allclose(rec.at_test['head.fc.weight'], ref['head.fc.weight'])


def test_runtime_options(tmp_path):
    with pytest.warns(UserWarning, match='eager'):
        cfg = toy_cfg(tmp_path, 'opts', compile=True, amp=True, ema=True,
                      resident_data=dict(loops=['train']),
                      env_cfg=dict(cudnn_benchmark=True),
                      randomness=dict(seed=0, deterministic=True))
    assert cfg.compile == dict(backend='eager')
    assert cfg.env_cfg.cudnn_benchmark is False
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper'  # CPU
    types_ = [h['type'] for h in cfg.custom_hooks]
    assert types_ == ['PersistentEMAHook', 'ResidentDataHook']
    assert cfg.custom_hooks[1]['loops'] == ['train']
    apply_runtime_options(cfg, cuda_available=False)  # idempotent
    assert [h['type'] for h in cfg.custom_hooks] == types_
    explicit = Config(dict(compile=dict(backend='inductor')))
    assert apply_runtime_options(explicit, False).compile == dict(backend='inductor')
    with pytest.raises(TypeError, match='ema'):
        apply_runtime_options(Config(dict(ema='yes')), False)
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # nothing requested: nothing to warn
        apply_runtime_options(Config(dict(compile=False)), False)


def test_compile_switch_reaches_torch_compile(tmp_path, monkeypatch):
    # compile=True -> MMEngine's Runner compiles model.train_step with the
    # options apply_runtime_options chose. torch.compile is recorded and
    # bypassed here: a real dynamo trace costs ~15 s on this CPU (it is
    # exercised on the GPU machine instead).
    calls = []

    def fake_compile(fn, **kwargs):
        calls.append(kwargs)
        return fn

    monkeypatch.setattr(torch, 'compile', fake_compile)
    cfg = toy_cfg(tmp_path, 'compiled', **{'train_cfg.max_epochs': 1})
    cfg.compile = True
    with pytest.warns(UserWarning, match='eager'):
        cfg = apply_runtime_options(cfg, cuda_available=False)
    runner = build_runner(cfg)
    before = state(runner.model)
    runner.train()
    assert calls == [dict(backend='eager')]
    assert not torch.equal(before['head.fc.weight'],
                           state(runner.model)['head.fc.weight'])
