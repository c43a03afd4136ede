"""Checkpointing that an interruption cannot break.

MMEngine 0.10.7's CheckpointHook, with ``max_keep_ckpts``, deletes the old
checkpoint *before* writing the new one, and writes the new file in place,
while ``last_checkpoint`` still names the deleted file. A run killed during
that window cannot resume (seen here: ``tools/train.py`` rerun after a kill
failed to load its checkpoint). This hook writes the new checkpoint to a
temporary name, renames it into place, points ``last_checkpoint`` at it
(atomically), and only then deletes checkpoints beyond ``max_keep_ckpts``.
"""
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmmer.registry import HOOKS
from mmmer.utils.io import write_text_atomic

TMP_PREFIX = '.tmp_'


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """Drop-in replacement of ``CheckpointHook`` (same arguments)."""

    def _save_checkpoint_with_step(self, runner, step, meta):
        if '://' in str(self.out_dir):  # remote backends: MMEngine's behaviour
            return super()._save_checkpoint_with_step(runner, step, meta)
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        outdated = []
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            self.keep_ckpt_ids.append(step)
            while len(self.keep_ckpt_ids) > self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        runner.save_checkpoint(
            self.out_dir, TMP_PREFIX + ckpt_filename, self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta, by_epoch=self.by_epoch, backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        os.replace(osp.join(self.out_dir, TMP_PREFIX + ckpt_filename), self.last_ckpt)
        write_text_atomic(self.last_ckpt, osp.join(runner.work_dir, 'last_checkpoint'))
        for old in outdated:
            path = osp.join(self.out_dir, self.filename_tmpl.format(old))
            if osp.isfile(path) and path != self.last_ckpt:
                os.remove(path)
