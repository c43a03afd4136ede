"""Checkpointing that an interruption cannot break.

MMEngine 0.10.7's CheckpointHook, with ``max_keep_ckpts``, deletes the old
checkpoint *before* writing the new one, and writes the new file in place,
while ``last_checkpoint`` still names the deleted file. A run killed during
that window cannot resume (seen here: ``tools/train.py`` rerun after a kill
failed to load its checkpoint). This hook writes the new checkpoint to a
temporary name, renames it into place, points ``last_checkpoint`` at it
(atomically), and only then deletes checkpoints beyond ``max_keep_ckpts``.

MMEngine 0.10.7 also builds ``keep_ckpt_ids`` as ``deque(maxlen=max_keep_ckpts)``:
appending silently drops the oldest id, so a "more than max_keep_ckpts" test
never fires and no checkpoint is ever deleted (a fold with interval 1 kept
every epoch). Here the deque is unbounded, and after each save any
``filename_tmpl`` checkpoint whose step is no longer kept is removed (also
one left behind by a run killed between the save and the deletion).
"""
import os
import os.path as osp
import re
from collections import deque

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmmer.registry import HOOKS
from mmmer.utils.io import write_text_atomic

TMP_PREFIX = '.tmp_'


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """Drop-in replacement of ``CheckpointHook`` (same arguments)."""

    def before_train(self, runner):
        super().before_train(runner)
        if self.max_keep_ckpts > 0:
            # unbounded: the pruning below decides what goes, not maxlen
            self.keep_ckpt_ids = deque(self.keep_ckpt_ids)

    def _outdated_files(self, keep):
        """Checkpoint files of this hook's ``filename_tmpl`` not in ``keep``."""
        if self.filename_tmpl.count('{}') != 1 or not osp.isdir(self.out_dir):
            return []
        prefix, suffix = self.filename_tmpl.split('{}')
        pattern = re.compile(re.escape(prefix) + r'(\d+)' + re.escape(suffix) + '$')
        out = []
        for name in os.listdir(self.out_dir):
            m = pattern.match(name)
            if m and int(m.group(1)) not in keep:
                out.append(osp.join(self.out_dir, name))
        return sorted(out)

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
        if self.max_keep_ckpts > 0:
            stale = {osp.join(self.out_dir, self.filename_tmpl.format(old))
                     for old in outdated}
            stale.update(self._outdated_files(set(self.keep_ckpt_ids)))
            for path in sorted(stale):
                if osp.isfile(path) and path != self.last_ckpt:
                    os.remove(path)
