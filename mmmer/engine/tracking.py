"""Experiment tracking and progress for a whole LOSO run.

A LOSO run is many MMEngine runs (one per held-out subject); MMEngine's own
visualizer sees only one fold at a time. :class:`TrackedLOSOLoop` (what
``tools/train.py`` uses) adds, on top of :class:`~mmmer.engine.LOSOLoop`:

- a LOSO-level progress bar over the folds with elapsed time and ETA (tqdm on
  the terminal, plus one ``LOSO progress`` line per fold in ``loso.log``);
- optional tracking backends (``tracking = dict(backends=['tensorboard'])``
  in a config, or ``--cfg-options tracking.backends="['tensorboard']"``):
  one TensorBoard event folder per work dir (``<work_dir>/tf_logs``, MMEngine's
  :class:`~mmengine.visualization.TensorboardVisBackend`) or a W&B run
  (:class:`~mmengine.visualization.WandbVisBackend`; ``WANDB_MODE=offline``
  keeps it local). Per-fold training curves go under the fold's tag
  (``fold_<subject>/train/loss``, ``.../train/lr``, ``.../val/*`` on the
  training subjects' validation split, ``.../test/*`` once at the end of the
  fold), and the pooled LOSO metrics (``loso/UF1``, ``loso/UAR``,
  ``loso/Acc`` and ``loso_oracle/*`` when computed) are logged once per run,
  at step = number of folds.

Tracking is write-only: nothing logged is read back by training or model
selection.
"""
import os.path as osp
import sys
import time
from collections import defaultdict
from typing import Dict, List, Optional

from mmengine.hooks import Hook

from mmmer.registry import HOOKS
from .loso import LOSOLoop

__all__ = ['TRACKING_BACKENDS', 'tracking_options', 'get_tracking_backends',
           'close_tracking_backends', 'FoldCurvesHook', 'LOSOProgress', 'TrackedLOSOLoop',
           'format_seconds']

TRACKING_BACKENDS = ('tensorboard', 'wandb')
_OPEN: Dict[str, list] = {}


def format_seconds(seconds: float) -> str:
    seconds = int(round(max(seconds, 0)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f'{h}:{m:02d}:{s:02d}' if h else f'{m:02d}:{s:02d}'


def tracking_options(cfg) -> dict:
    """The validated ``tracking`` options of a config.

    ``backends`` (list of ``'tensorboard'`` / ``'wandb'``, default none),
    ``log_dir`` (default ``<work_dir>/tf_logs`` for TensorBoard,
    ``<work_dir>/wandb`` for W&B), ``wandb_init`` (kwargs of ``wandb.init``),
    ``progress`` (default True).
    """
    opts = dict(cfg.get('tracking', None) or {})
    unknown = sorted(set(opts) - {'backends', 'log_dir', 'wandb_init', 'progress'})
    if unknown:
        raise ValueError(f'tracking: unknown option(s) {unknown}; known: backends, '
                         'log_dir, wandb_init, progress.')
    backends = opts.get('backends') or []
    if isinstance(backends, str):
        backends = [backends]
    bad = sorted(set(backends) - set(TRACKING_BACKENDS))
    if bad:
        raise ValueError(f'tracking.backends {bad} unknown; choose from {TRACKING_BACKENDS}.')
    opts['backends'] = list(backends)
    opts.setdefault('progress', True)
    return opts


def get_tracking_backends(work_dir: str, opts: dict, run_name: str = '') -> list:
    """The open backends of a LOSO work dir (created once per process)."""
    key = osp.abspath(work_dir)
    if key in _OPEN:
        return _OPEN[key]
    backends = []
    for name in opts['backends']:
        if name == 'tensorboard':
            try:
                import tensorboard  # noqa: F401
            except ImportError:
                raise ImportError('tracking.backends has "tensorboard" but the tensorboard '
                                  'package is missing: pip install "mmmer[tracking]" (or '
                                  'pip install tensorboard).') from None
            from mmengine.visualization import TensorboardVisBackend
            backend = TensorboardVisBackend(
                save_dir=opts.get('log_dir') or osp.join(key, 'tf_logs'))
        else:
            try:
                import wandb  # noqa: F401
            except ImportError:
                raise ImportError('tracking.backends has "wandb" but wandb is missing: '
                                  'pip install wandb (set WANDB_MODE=offline to log '
                                  'locally without an account).') from None
            from mmengine.visualization import WandbVisBackend
            init = dict(project='mmmer', name=run_name or osp.basename(key))
            init.update(opts.get('wandb_init') or {})
            backend = WandbVisBackend(save_dir=opts.get('log_dir') or osp.join(key, 'wandb'),
                                      init_kwargs=init)
        backends.append(backend)
    _OPEN[key] = backends
    return backends


def close_tracking_backends(work_dir: str):
    for backend in _OPEN.pop(osp.abspath(work_dir), []):
        backend.close()


def _scalar(value) -> Optional[float]:
    try:
        return float(value.detach().float().mean()) if hasattr(value, 'detach') \
            else float(value)
    except (TypeError, ValueError):
        return None


@HOOKS.register_module()
class FoldCurvesHook(Hook):
    """Per-fold curves under ``<tag>/...`` in the LOSO run's tracking backends.

    Args:
        tag (str): prefix of every scalar, e.g. ``fold_sub01``.
        work_dir (str): the LOSO work dir (keys the shared backends).
        tracking (dict): the validated ``tracking`` options.
    """
    priority = 'LOW'

    def __init__(self, tag: str, work_dir: str, tracking: dict):
        self.tag = tag
        self.work_dir = work_dir
        self.tracking = tracking
        self._sums = defaultdict(float)
        self._counts = defaultdict(int)

    def _write(self, scalars: dict, step: int):
        scalars = {f'{self.tag}/{k}': v for k, v in scalars.items() if v is not None}
        if not scalars:
            return
        for backend in get_tracking_backends(self.work_dir, self.tracking):
            backend.add_scalars(scalars, step=step)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None):
        for key, value in (outputs or {}).items():
            v = _scalar(value)
            if v is not None:
                self._sums[key] += v
                self._counts[key] += 1

    def after_train_epoch(self, runner):
        scalars = {f'train/{k}': self._sums[k] / self._counts[k] for k in self._sums}
        try:
            lrs = runner.optim_wrapper.get_lr()
            for name, values in lrs.items():
                scalars[f'train/{name}'] = float(values[0])
        except (AttributeError, IndexError, TypeError):
            pass
        # called before the loop counts the epoch: step = epochs finished
        self._write(scalars, runner.epoch + 1)
        self._sums.clear()
        self._counts.clear()

    def after_val_epoch(self, runner, metrics=None):
        self._write({f'val/{k}': _scalar(v) for k, v in (metrics or {}).items()},
                    runner.epoch)

    def after_test_epoch(self, runner, metrics=None):
        self._write({f'test/{k}': _scalar(v) for k, v in (metrics or {}).items()},
                    runner.epoch)


class LOSOProgress:
    """Progress over the folds of one job with elapsed time and ETA.

    The ETA is the mean time of the folds run so far in this job times the
    folds left (folds already finished in an earlier run are counted as done
    and not timed).
    """

    def __init__(self, total: int, done: int = 0, logger=None, bar: bool = True,
                 clock=time.monotonic):
        self.total, self.done, self.logger, self.clock = total, done, logger, clock
        self.start = clock()
        self.timed = 0
        self._bar = None
        if bar and total:
            try:
                from tqdm import tqdm
                self._bar = tqdm(total=total, initial=done, desc='LOSO folds', unit='fold',
                                 file=sys.stderr, dynamic_ncols=True)
            except ImportError:  # the log line below still reports the ETA
                self._bar = None

    def eta(self) -> Optional[float]:
        if not self.timed:
            return None
        return (self.clock() - self.start) / self.timed * (self.total - self.done)

    def update(self, subject: str, metrics: Optional[dict] = None) -> str:
        self.done += 1
        self.timed += 1
        eta = self.eta()
        line = (f'LOSO progress: {self.done}/{self.total} folds (last: {subject}), '
                f'elapsed {format_seconds(self.clock() - self.start)}, ETA '
                f'{format_seconds(eta) if eta is not None else "?"}')
        if self._bar is not None:
            self._bar.update(1)
        if self.logger is not None:
            self.logger.info(line)
        return line

    def close(self):
        if self._bar is not None:
            self._bar.close()


class TrackedLOSOLoop(LOSOLoop):
    """:class:`LOSOLoop` with the LOSO progress bar and tracking backends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracking = tracking_options(self.cfg)
        self.progress: Optional[LOSOProgress] = None
        self._pooled_logged = False

    def _run_name(self) -> str:
        return osp.splitext(osp.basename(self.cfg.filename or ''))[0] or \
            osp.basename(self.work_dir)

    def build_fold_cfg(self, subject: str):
        cfg = super().build_fold_cfg(subject)
        if self.tracking['backends']:
            from .fold_config import fold_dir_name
            get_tracking_backends(self.work_dir, self.tracking, self._run_name())
            hooks = list(cfg.get('custom_hooks', []) or [])
            hooks.append(dict(type='FoldCurvesHook', tag=fold_dir_name(subject),
                              work_dir=self.work_dir, tracking=self.tracking))
            cfg.custom_hooks = hooks
        return cfg

    def run_fold(self, subject: str):
        metrics = super().run_fold(subject)
        if self.progress is not None:
            self.progress.update(subject, metrics)
        return metrics

    def run(self) -> Optional[dict]:
        folds: List[str] = self.my_folds()
        done = sum(self.fold_done(s) for s in folds)
        self.progress = LOSOProgress(len(folds), done, logger=self.logger,
                                     bar=self.tracking['progress'])
        try:
            return super().run()
        finally:
            self.progress.close()
            close_tracking_backends(self.work_dir)

    def summarize(self) -> dict:
        summary = super().summarize()
        if self.tracking['backends'] and not self._pooled_logged:
            from mmengine.dist import is_main_process
            if is_main_process():
                self.log_pooled(summary)
            self._pooled_logged = True
        return summary

    def log_pooled(self, summary: dict):
        """The pooled LOSO metrics, once, at step = number of folds."""
        scalars = {f'loso/{k}': float(summary[k]) for k in ('UF1', 'UAR', 'Acc')}
        if 'oracle' in summary:
            scalars.update({f'loso_oracle/{k}': float(summary['oracle'][k])
                            for k in ('UF1', 'UAR', 'Acc')})
        step = int(summary.get('num_folds') or 0)
        for backend in get_tracking_backends(self.work_dir, self.tracking,
                                             self._run_name()):
            backend.add_scalars(scalars, step=step)
        close_tracking_backends(self.work_dir)
