"""Leave-one-subject-out (LOSO): the main job of mmmer.

One fresh model per held-out subject, each trained by its own MMEngine Runner
in ``work_dir/fold_<subject>/``. Predictions of every fold are pooled and
scored once (UF1 / UAR / Acc); per-fold averaging is never the headline
number. The fold's config is built by :mod:`mmmer.engine.fold_config`, the
summary by :mod:`mmmer.engine.loso_summary`.

Guarantees:
- Honest selection: the model after the last epoch is evaluated. Nothing
  about the test subject reaches training: the train split excludes it,
  ``class_weight='auto'`` is computed from the training subjects, a
  validation split (``loso.val_subjects``) is carved from training subjects
  only, and no validation loop ever runs on the test subject.
- Restartable: a fold's ``predictions.json`` is written atomically when it
  finishes; finished folds are skipped on rerun; an interrupted fold resumes
  from its own latest checkpoint (also in a second stage with
  ``loso.init_from``, which only initialises a fold's first start).
- Shardable: ``shard=(i, n)`` runs folds ``i, i+n, ...``; ``merge()`` pools
  the predictions of all shards.
"""
import copy
import hashlib
import json
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.logging import MMLogger

from mmmer.datasets.builder import build_dataset, innermost_dataset_cfg
from .fold_checkpoints import apply_checkpoint_policy
from .fold_config import (ORACLE_PREDICTIONS_FILE, PREDICTIONS_FILE,  # noqa: F401
                          build_fold_config, check_loso_options, fold_dir_name,
                          resolve_fold_checkpoint, split_validation_subjects)
from .loso_summary import (SUMMARY_FILE, summarize_oracle,  # noqa: F401
                           summarize_predictions, summary_markdown, write_summary)

__all__ = ['LOSOLoop', 'parse_shard']


def parse_shard(shard) -> Optional[Tuple[int, int]]:
    """``'i/n'`` (0-based i) -> (i, n)."""
    if shard is None:
        return None
    if isinstance(shard, str):
        try:
            i, n = (int(x) for x in shard.split('/'))
        except ValueError:
            raise ValueError(f'--shard must look like i/n (0-based i), got {shard!r}')
    else:
        i, n = shard
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f'--shard {i}/{n}: need n >= 1 and 0 <= i < n')
    return i, n


class LOSOLoop:
    """Run (or resume) the LOSO protocol described by an MMEngine config.

    Args:
        cfg (Config): a full mmmer config (train/test dataloaders, model,
            schedule). ``cfg.loso`` may hold:

            - ``selection='last'``: the evaluated model (only ``'last'``).
            - ``oracle=False`` / ``oracle_rule='best_acc'``: also compute the
              optimistic test-fold epoch selection (rules in
              :mod:`mmmer.engine.hooks.oracle_hook`), reported as a labelled
              extra.
            - ``keep_checkpoints='last'``: what a finished fold keeps
              (``'last'``, ``'full'``, ``'none'``; see
              :mod:`mmmer.engine.fold_checkpoints`).
            - ``val_subjects=dict(fraction, seed)``: a validation split carved
              from each fold's training subjects.
            - ``init_from=dict(work_dir, checkpoint)``: start each fold from
              the same fold of an earlier stage.
            - ``subjects=[...]``: run only these folds.
            - ``fold_preparers=[dict(type=..., ...)]``: objects built from the
              ``FOLD_PREPARERS`` registry (``mmmer.engine.fold_preparers``).
              Before a fold's Runner is built, on every rank and only for
              folds that are not finished, each is called as
              ``fold_cfg = preparer.prepare(loop, subject, train_subjects,
              fold_cfg)`` in list order; it may edit and must return the
              fold's config (e.g. a per-fold layer selection computed from
              the training subjects only). It must not look at ``subject``'s
              data.
        work_dir (str): where ``fold_<subject>/`` and the summary go.
        folds (list[str], optional): run only these subjects.
        shard (str | tuple, optional): ``'i/n'``.
    """

    def __init__(self, cfg: Config, work_dir: Optional[str] = None,
                 folds: Optional[Sequence[str]] = None, shard=None):
        self.cfg = cfg
        self.work_dir = osp.abspath(work_dir or cfg.get('work_dir') or
                                    'work_dirs/loso')
        self.loso_cfg = check_loso_options(dict(cfg.get('loso', {}) or {}))
        self.only_folds = list(folds) if folds else None
        self.shard = parse_shard(shard)
        os.makedirs(self.work_dir, exist_ok=True)
        # One logger per work dir: MMLogger.get_instance returns an existing
        # instance of the same name, which would log into another run's file.
        name = f'mmmer_loso_{hashlib.sha1(self.work_dir.encode()).hexdigest()[:12]}'
        if MMLogger.check_instance_created(name):
            self.logger = MMLogger.get_instance(name)
        else:  # append: a rerun continues the same log
            self.logger = MMLogger.get_instance(
                name, log_file=osp.join(self.work_dir, 'loso.log'),
                log_level=cfg.get('log_level', 'INFO'), file_mode='a')
        self._subjects = None
        self._full_dataset = None
        self._preparers = None

    # ----------------------------------------------------------------- data
    def full_dataset(self):
        """The whole train dataset (all subjects); preprocesses on first use."""
        if self._full_dataset is None:
            ds_cfg = copy.deepcopy(self.cfg.train_dataloader.dataset)
            inner = innermost_dataset_cfg(ds_cfg)
            inner.pop('subjects', None)
            inner.pop('exclude_subjects', None)
            inner['pipeline'] = []
            # Under DDP rank 0 preprocesses (fills the cache) while the other
            # ranks wait, then they read the cache instead of recomputing it.
            from mmengine.dist import barrier, get_rank, get_world_size
            distributed = get_world_size() > 1
            if distributed and get_rank() != 0:
                barrier()
            self._full_dataset = build_dataset(inner)
            if distributed and get_rank() == 0:
                barrier()
        return self._full_dataset

    def subjects(self) -> List[str]:
        """All LOSO folds in dataset order (or ``loso.subjects``)."""
        if self._subjects is None:
            subjects = self.full_dataset().get_subjects()
            if not subjects:
                raise ValueError(
                    'LOSO: the dataset has no samples, so there are no folds. Check '
                    'data_root, the annotation file and the label set.')
            wanted = self.loso_cfg.get('subjects')
            if wanted:
                unknown = sorted(set(wanted) - set(subjects))
                if unknown:
                    raise ValueError(f'loso.subjects {unknown} are not in the dataset; '
                                     f'known: {subjects}')
                subjects = [s for s in subjects if s in set(wanted)]
            self._subjects = subjects
        return self._subjects

    def my_folds(self) -> List[str]:
        folds = self.subjects()
        if self.only_folds is not None:
            unknown = sorted(set(self.only_folds) - set(folds))
            if unknown:
                raise ValueError(f'--folds {unknown} are not subjects of this dataset; '
                                 f'known: {folds}')
            folds = [s for s in folds if s in set(self.only_folds)]
        if self.shard is not None:
            i, n = self.shard
            folds = folds[i::n]
        return folds

    # ---------------------------------------------------------------- folds
    def fold_work_dir(self, subject: str) -> str:
        return osp.join(self.work_dir, fold_dir_name(subject))

    def fold_done(self, subject: str) -> bool:
        return osp.exists(osp.join(self.fold_work_dir(subject), PREDICTIONS_FILE))

    def train_subjects(self, subject: str) -> List[str]:
        return [s for s in self.full_dataset().get_subjects() if s != subject]

    def build_fold_cfg(self, subject: str) -> Config:
        """The config of one fold; nothing about ``subject`` reaches training."""
        full = self.full_dataset()
        samples = [(d['subject'], d['gt_label']) for d in full.data_list]
        return build_fold_config(self.cfg, subject, self.fold_work_dir(subject),
                                 self.subjects(), samples, len(full.class_names),
                                 logger=self.logger)

    def fold_preparers(self) -> list:
        """The ``loso.fold_preparers`` objects (built once)."""
        if self._preparers is None:
            from mmmer.registry import FOLD_PREPARERS
            self._preparers = []
            for spec in self.loso_cfg.get('fold_preparers') or []:
                obj = FOLD_PREPARERS.build(copy.deepcopy(spec))
                if not callable(getattr(obj, 'prepare', None)):
                    raise TypeError(f'loso.fold_preparers: {type(obj).__name__} has no '
                                    'prepare(loop, subject, train_subjects, fold_cfg).')
                self._preparers.append(obj)
        return self._preparers

    def prepare_fold_cfg(self, subject: str, fold_cfg: Config) -> Config:
        """Apply every fold preparer to ``fold_cfg`` (see the class docstring)."""
        train_subjects = self.train_subjects(subject)
        for preparer in self.fold_preparers():
            out = preparer.prepare(self, subject, list(train_subjects), fold_cfg)
            if not isinstance(out, Config):
                raise TypeError(f'{type(preparer).__name__}.prepare must return the fold '
                                f'config (a mmengine Config), got {type(out).__name__}.')
            fold_cfg = out
        return fold_cfg

    def keep_checkpoints(self, subject: str):
        """Apply ``loso.keep_checkpoints`` to a finished fold (rank 0 only)."""
        if is_main_process() and self.fold_done(subject):
            apply_checkpoint_policy(self.fold_work_dir(subject),
                                    self.loso_cfg.get('keep_checkpoints', 'last'),
                                    logger=self.logger)

    def run_fold(self, subject: str):
        from mmengine.runner import Runner

        from mmmer.registry import RUNNERS
        cfg = self.prepare_fold_cfg(subject, self.build_fold_cfg(subject))
        state = ('trained, test only' if cfg.fold_trained else
                 'resuming' if cfg.resume else 'start')
        self.logger.info(f'==> fold {subject} ({state}) in {cfg.work_dir}')
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        if not cfg.fold_trained:
            runner.train()
        metrics = runner.test()
        self.logger.info(f'<== fold {subject}: {dict(metrics)}')
        self.keep_checkpoints(subject)
        return metrics

    def run(self) -> Optional[dict]:
        folds = self.my_folds()
        all_folds = self.subjects()
        self.logger.info(f'LOSO over {len(all_folds)} subjects; this job runs '
                         f'{len(folds)} fold(s) in {self.work_dir}')
        for k, subject in enumerate(folds):
            if self.fold_done(subject):
                self.logger.info(f'fold {subject} already finished: skipped '
                                 f'({k + 1}/{len(folds)})')
                # e.g. killed between predictions.json and the storage policy
                self.keep_checkpoints(subject)
                continue
            self.logger.info(f'fold {k + 1}/{len(folds)}: test subject {subject}')
            self.run_fold(subject)
        missing = [s for s in all_folds if not self.fold_done(s)]
        if missing:
            self.logger.info(f'{len(missing)} fold(s) not finished yet (other shards?): '
                             f'{missing}; run with --merge-only when all are done.')
            return None
        return self.summarize()

    # -------------------------------------------------------------- summary
    def load_predictions(self, subjects=None, filename=PREDICTIONS_FILE) -> List[dict]:
        records = []
        for s in subjects or self.subjects():
            records.extend(self._fold_records(s, filename))
        return records

    def _fold_records(self, subject, filename):
        path = osp.join(self.fold_work_dir(subject), filename)
        if not osp.exists(path):
            raise FileNotFoundError(f'fold {subject}: {path} is missing (fold not '
                                    'finished, or trained without the oracle).')
        with open(path) as f:
            return json.load(f)

    def summarize(self) -> dict:
        class_names = list(self.full_dataset().class_names)
        records = self.load_predictions()
        summary = summarize_predictions(records, class_names)
        summary['num_folds'] = len(self.subjects())
        summary['config'] = self.cfg.filename or ''
        # The resolved config as data (Config.pretty_text runs yapf, which
        # costs tens of seconds on big configs).
        summary['config_dict'] = json.loads(json.dumps(self.cfg.to_dict(), default=str))
        summary['selection'] = self.loso_cfg.get('selection', 'last')
        all_subjects = self.full_dataset().get_subjects()
        if len(self.subjects()) < len(all_subjects):
            # e.g. per-fold configs derived by esaat_select.py (loso.subjects):
            # pool the full run with `tools/train.py CONFIG --merge-only`.
            summary['subset_of_subjects'] = self.subjects()
            self.logger.warning(
                f'summary covers {len(self.subjects())} of {len(all_subjects)} subjects '
                '(loso.subjects); it is not the full LOSO result.')
        if self.loso_cfg.get('oracle'):
            try:
                by_fold = {s: self._fold_records(s, ORACLE_PREDICTIONS_FILE)
                           for s in self.subjects()}
                summary['oracle'] = summarize_oracle(
                    by_fold, class_names, self.loso_cfg.get('oracle_rule', 'best_acc'))
            except FileNotFoundError as e:
                self.logger.warning(f'oracle scores unavailable: {e}')
        # Under --launcher pytorch every rank pools the same predictions;
        # only rank 0 writes, so the summary files are written once.
        if is_main_process():
            write_summary(summary, self.work_dir, logger=self.logger)
        return summary
