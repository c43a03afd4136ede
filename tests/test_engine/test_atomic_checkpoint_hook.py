"""A crash while a checkpoint is being written must leave a resumable fold."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmmer.engine import resolve_fold_checkpoint

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class Crash(RuntimeError):
    pass


def test_crash_during_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    import tests.fixtures.toy  # noqa: F401
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(ROOT, 'tests', 'fixtures', 'toy_config.py'))
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 4
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.experiment_name = 'atomic_ckpt_test'
    runner = Runner.from_cfg(cfg)
    real_save = torch.save

    def crashing_save(obj, f, *args, **kwargs):
        if runner.epoch + 1 == 3:  # die half-way through epoch 3's checkpoint
            with open(f, 'wb') if isinstance(f, str) else f as handle:
                handle.write(b'partial')
            raise Crash('killed while saving')
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, 'save', crashing_save)
    with pytest.raises(Crash):
        runner.train()
    monkeypatch.setattr(torch, 'save', real_save)
    path = resolve_fold_checkpoint(str(tmp_path))
    assert osp.basename(path) == 'epoch_2.pth'
    state = torch.load(path, weights_only=True)
    assert state['meta']['epoch'] == 2
