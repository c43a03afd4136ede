"""Leave-one-subject-out (LOSO): the main job of mmmer.

One fresh model per held-out subject, each trained by its own MMEngine Runner
in ``work_dir/fold_<subject>/``. Predictions of every fold are pooled and
scored once (UF1 / UAR / Acc, specs/protocol.md); per-fold averaging is never
the headline number.

Guarantees:
- Honest selection: the model after the last epoch is evaluated. Nothing
  about the test subject reaches training: the train split excludes it,
  ``class_weight='auto'`` is computed from the training subjects, a
  validation split (``loso.val_subjects``) is carved from training subjects
  only, and no validation loop ever runs on the test subject.
- Restartable: a fold's ``predictions.json`` is written atomically when it
  finishes; finished folds are skipped on rerun; an interrupted fold resumes
  from its latest checkpoint.
- Shardable: ``shard=(i, n)`` runs folds ``i, i+n, ...``; ``merge()`` pools
  the predictions of all shards.
"""
import copy
import glob
import json
import os
import os.path as osp
import time
import uuid
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.logging import MMLogger, print_log

from mmmer.evaluation.functional import pooled_report
from mmmer.utils.io import dump_json_atomic, write_text_atomic

PREDICTIONS_FILE = 'predictions.json'
ORACLE_PREDICTIONS_FILE = 'oracle_predictions.json'
SUMMARY_FILE = 'loso_summary.json'


def fold_dir_name(subject: str) -> str:
    safe = ''.join(c if (c.isalnum() or c in '-_.') else '_' for c in str(subject))
    return f'fold_{safe}'


def _innermost_dataset(dataset_cfg):
    """The MEDataset config inside (possibly nested) dataset wrappers."""
    cfg = dataset_cfg
    while 'dataset' in cfg and isinstance(cfg['dataset'], dict):
        cfg = cfg['dataset']
    return cfg


def resolve_fold_checkpoint(fold_dir: str, checkpoint: str = 'last') -> str:
    """The checkpoint of one fold: ``'last'`` (MMEngine's ``last_checkpoint``
    marker) or a file name / glob in ``fold_dir`` that must match exactly one
    file (e.g. ``'best_UAR_epoch_*.pth'``). Clear errors if absent/ambiguous."""
    if checkpoint == 'last':
        marker = osp.join(fold_dir, 'last_checkpoint')
        if not osp.exists(marker):
            raise FileNotFoundError(f'{marker} not found: that fold has not saved a '
                                    'checkpoint (was it trained, and in this work dir?).')
        with open(marker) as f:
            path = f.read().strip()
        if not osp.exists(path):  # work dir moved: the marker holds an old path
            path = osp.join(fold_dir, osp.basename(path))
    else:
        matches = sorted(glob.glob(osp.join(fold_dir, checkpoint)))
        if len(matches) != 1:
            raise FileNotFoundError(
                f'{osp.join(fold_dir, checkpoint)} matches {len(matches)} files '
                f'({[osp.basename(m) for m in matches]}); need exactly one checkpoint.')
        path = matches[0]
    if not osp.exists(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist.')
    return path


def build_dataset(dataset_cfg):
    from mmmer.registry import DATASETS
    return DATASETS.build(copy.deepcopy(dataset_cfg))


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


def split_validation_subjects(subjects: Sequence[str], fraction: float,
                              seed: int = 0) -> List[str]:
    """A subject-grouped validation split drawn from *training* subjects."""
    subjects = sorted(subjects)
    if not subjects:
        return []
    n_val = max(1, int(round(fraction * len(subjects))))
    n_val = min(n_val, len(subjects) - 1) if len(subjects) > 1 else 0
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(subjects, size=n_val, replace=False).tolist())


class LOSOLoop:
    """Run (or resume) the LOSO protocol described by an MMEngine config.

    Args:
        cfg (Config): a full mmmer config (train/test dataloaders, model,
            schedule). ``cfg.loso`` may hold ``selection='last'``,
            ``oracle=False``, ``val_subjects=dict(fraction, seed)``,
            ``init_from=dict(work_dir, checkpoint)``, ``subjects=[...]``.
        work_dir (str): where ``fold_<subject>/`` and the summary go.
        folds (list[str], optional): run only these subjects.
        shard (str | tuple, optional): ``'i/n'``.
    """

    def __init__(self, cfg: Config, work_dir: Optional[str] = None,
                 folds: Optional[Sequence[str]] = None, shard=None):
        self.cfg = cfg
        self.work_dir = osp.abspath(work_dir or cfg.get('work_dir') or
                                    'work_dirs/loso')
        self.loso_cfg = dict(cfg.get('loso', {}) or {})
        self.only_folds = list(folds) if folds else None
        self.shard = parse_shard(shard)
        os.makedirs(self.work_dir, exist_ok=True)
        self.logger = MMLogger.get_instance(
            'mmmer_loso', log_file=osp.join(self.work_dir, 'loso.log'),
            log_level=cfg.get('log_level', 'INFO'))
        self._subjects = None
        self._full_dataset = None

    # ----------------------------------------------------------------- data
    def _train_dataset_cfg(self):
        return self.cfg.train_dataloader.dataset

    def full_dataset(self):
        """The whole train dataset (all subjects); preprocesses on first use."""
        if self._full_dataset is None:
            ds_cfg = copy.deepcopy(self._train_dataset_cfg())
            inner = _innermost_dataset(ds_cfg)
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

    def build_fold_cfg(self, subject: str) -> Config:
        """The config of one fold; nothing about ``subject`` reaches training."""
        cfg = copy.deepcopy(self.cfg)
        fold_dir = self.fold_work_dir(subject)
        cfg.work_dir = fold_dir
        all_subjects = self.subjects()
        train_subjects = [s for s in self.full_dataset().get_subjects() if s != subject]
        if not train_subjects:
            raise ValueError(f'LOSO fold {subject}: no training subjects left.')

        train_inner = _innermost_dataset(cfg.train_dataloader.dataset)
        excluded = list(train_inner.get('exclude_subjects', []) or [])
        train_inner['exclude_subjects'] = excluded + [subject]
        train_inner.pop('subjects', None)

        val_cfg = self.loso_cfg.get('val_subjects')
        if val_cfg:
            val_subjects = split_validation_subjects(
                train_subjects, val_cfg.get('fraction', 0.2), val_cfg.get('seed', 0))
            if not val_subjects:
                raise ValueError(
                    f'LOSO fold {subject}: loso.val_subjects needs at least 2 training '
                    f'subjects to carve a validation split, got {train_subjects}.')
            assert subject not in val_subjects
            train_inner['exclude_subjects'] += val_subjects
            val_ds = copy.deepcopy(_innermost_dataset(self.cfg.test_dataloader.dataset))
            val_ds.pop('exclude_subjects', None)
            val_ds['subjects'] = val_subjects
            cfg.val_dataloader = copy.deepcopy(cfg.test_dataloader)
            cfg.val_dataloader.dataset = val_ds
            cfg.val_evaluator = copy.deepcopy(cfg.get('val_evaluator') or
                                              dict(type='MEMetric'))
            cfg.val_cfg = cfg.get('val_cfg') or dict()
            cfg.train_cfg.val_interval = cfg.train_cfg.get('val_interval', 1) or 1
        else:
            # No validation loop: it would otherwise run on the test subject.
            cfg.val_dataloader = None
            cfg.val_evaluator = None
            cfg.val_cfg = None

        test_inner = _innermost_dataset(cfg.test_dataloader.dataset)
        test_inner.pop('exclude_subjects', None)
        test_inner['subjects'] = [subject]
        evaluators = cfg.get('test_evaluator') or dict(type='MEMetric')
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        cfg.test_evaluator = list(evaluators) + [dict(
            type='SaveMEPredictions', out_file=osp.join(fold_dir, PREDICTIONS_FILE))]

        self._resolve_class_weight(cfg, subject)
        self._seed_samplers(cfg)

        init_from = self.loso_cfg.get('init_from')
        if init_from:
            cfg.load_from = self._init_checkpoint(init_from, subject)

        if self.loso_cfg.get('oracle'):
            hooks = list(cfg.get('custom_hooks', []) or [])
            hooks.append(dict(type='OracleEpochSelectionHook',
                              out_file=osp.join(fold_dir, ORACLE_PREDICTIONS_FILE)))
            cfg.custom_hooks = hooks

        cfg.resume = osp.exists(osp.join(fold_dir, 'last_checkpoint'))
        # A unique name per fold run: MMEngine keys its logger and visualizer
        # instances by experiment name, and two folds may start in one second.
        cfg.experiment_name = (f'{fold_dir_name(subject)}_'
                               f'{time.strftime("%Y%m%d_%H%M%S")}_{uuid.uuid4().hex[:6]}')
        cfg.fold_test_subject = subject
        cfg.fold_index = all_subjects.index(subject)
        return cfg

    def _seed_samplers(self, cfg):
        seed = (cfg.get('randomness') or {}).get('seed')
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            loader = cfg.get(key)
            if loader and isinstance(loader.get('sampler'), dict) and seed is not None:
                loader.sampler.setdefault('seed', seed)

    def _resolve_class_weight(self, cfg, subject):
        """Replace ``class_weight='auto'`` with w_i = M/(K M_i) of the fold's
        training split (paper C, Sec. 3.4): computed from training subjects."""
        from mmmer.models.losses import inverse_frequency_weights

        def visit(node):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == 'class_weight' and v == 'auto':
                        yield node
                    else:
                        yield from visit(v)
            elif isinstance(node, (list, tuple)):
                for v in node:
                    yield from visit(v)

        targets = list(visit(cfg.model))
        if not targets:
            return
        train_inner = _innermost_dataset(cfg.train_dataloader.dataset)
        excluded = set(train_inner.get('exclude_subjects', []))
        assert subject in excluded
        full = self.full_dataset()
        counts = [0] * len(full.class_names)
        for d in full.data_list:
            if d['subject'] not in excluded:
                counts[d['gt_label']] += 1
        weights = inverse_frequency_weights(counts)
        for node in targets:
            node['class_weight'] = weights
        self.logger.info(f'fold {subject}: class weights {np.round(weights, 4).tolist()} '
                         f'from training counts {counts}')

    def _init_checkpoint(self, init_from, subject):
        src = init_from['work_dir'] if isinstance(init_from, dict) else init_from
        ckpt = init_from.get('checkpoint', 'last') if isinstance(init_from, dict) else 'last'
        try:
            return resolve_fold_checkpoint(osp.join(src, fold_dir_name(subject)), ckpt)
        except FileNotFoundError as e:
            raise FileNotFoundError(
                f'loso.init_from: no checkpoint of fold {subject} in {src} ({e}). Train '
                'that fold of the first stage there first.') from e

    def run_fold(self, subject: str):
        from mmengine.runner import Runner
        cfg = self.build_fold_cfg(subject)
        self.logger.info(f'==> fold {subject} ({"resuming" if cfg.resume else "start"}) '
                         f'in {cfg.work_dir}')
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else \
            __import__('mmmer.registry', fromlist=['RUNNERS']).RUNNERS.build(cfg)
        runner.train()
        metrics = runner.test()
        self.logger.info(f'<== fold {subject}: {dict(metrics)}')
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
            path = osp.join(self.fold_work_dir(s), filename)
            if not osp.exists(path):
                raise FileNotFoundError(f'fold {s}: {path} is missing (fold not finished).')
            with open(path) as f:
                records.extend(json.load(f))
        return records

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
                oracle = self.load_predictions(filename=ORACLE_PREDICTIONS_FILE)
                o = summarize_predictions(oracle, class_names)
                summary['oracle'] = dict(
                    label='oracle (test-fold epoch selection, optimistic)',
                    UF1=o['UF1'], UAR=o['UAR'], Acc=o['Acc'])
            except FileNotFoundError as e:
                self.logger.warning(f'oracle scores unavailable: {e}')
        # Under --launcher pytorch every rank pools the same predictions;
        # only rank 0 writes, so the summary files are written once.
        if is_main_process():
            write_summary(summary, self.work_dir, logger=self.logger)
        return summary


def summarize_predictions(records: List[dict], class_names: Sequence[str]) -> dict:
    if not records:
        raise ValueError('No predictions to summarise.')
    y_true = [r['gt_label'] for r in records]
    y_pred = [r['pred_label'] for r in records]
    datasets = [r.get('dataset') or 'unknown' for r in records]
    subjects = [r.get('subject') for r in records]
    report = pooled_report(y_true, y_pred, len(class_names), datasets=datasets,
                           subjects=subjects)
    cm = np.asarray(report['confusion_matrix'], dtype=np.float64)
    rows = cm.sum(axis=1, keepdims=True)
    report['confusion_matrix_normalized'] = np.divide(
        cm, rows, out=np.zeros_like(cm), where=rows > 0).round(4).tolist()
    report['class_names'] = list(class_names)
    per_fold = report.pop('per_fold_accuracy')
    report['per_fold_accuracy'] = per_fold
    report['fold_averaged_accuracy_nonstandard'] = float(
        np.mean([v['Acc'] for v in per_fold.values()]))
    return report


def summary_markdown(summary: dict) -> str:
    lines = ['| split | samples | UF1 | UAR | Acc |', '|---|---|---|---|---|']
    lines.append(f"| **all (pooled)** | {summary['num_samples']} | {summary['UF1']:.4f} | "
                 f"{summary['UAR']:.4f} | {summary['Acc']:.4f} |")
    per_dataset = summary.get('per_dataset', {})
    if len(per_dataset) > 1:
        for name, s in per_dataset.items():
            lines.append(f"| {name} | {s['num_samples']} | {s['UF1']:.4f} | "
                         f"{s['UAR']:.4f} | {s['Acc']:.4f} |")
    if 'oracle' in summary:
        o = summary['oracle']
        lines.append(f"| {o['label']} | {summary['num_samples']} | {o['UF1']:.4f} | "
                     f"{o['UAR']:.4f} | {o['Acc']:.4f} |")
    names = summary['class_names']
    lines += ['', 'Confusion matrix (rows: true, columns: predicted)', '',
              '| | ' + ' | '.join(names) + ' |', '|---' * (len(names) + 1) + '|']
    for name, row in zip(names, summary['confusion_matrix']):
        lines.append(f'| {name} | ' + ' | '.join(str(v) for v in row) + ' |')
    if summary.get('absent_classes'):
        lines.append('')
        lines.append(f"Classes without samples (left out of UF1/UAR): "
                     f"{[names[c] for c in summary['absent_classes']]}")
    lines.append('')
    lines.append(f"Folds: {summary.get('num_folds')}; selection: "
                 f"{summary.get('selection', 'last')} epoch (honest). Fold-averaged "
                 f"accuracy (non-standard, for inspection only): "
                 f"{summary['fold_averaged_accuracy_nonstandard']:.4f}")
    return '\n'.join(lines) + '\n'


def write_summary(summary: dict, work_dir: str, logger=None):
    dump_json_atomic(summary, osp.join(work_dir, SUMMARY_FILE))
    table = summary_markdown(summary)
    write_text_atomic(table, osp.join(work_dir, 'loso_summary.md'))
    try:
        from mmmer.visualization import plot_confusion_matrix
        plot_confusion_matrix(np.asarray(summary['confusion_matrix']),
                              summary['class_names'],
                              osp.join(work_dir, 'confusion_matrix.png'),
                              title=f"LOSO UF1 {summary['UF1']:.3f} UAR {summary['UAR']:.3f}")
    except ImportError as e:  # matplotlib missing: the numbers are still written
        print_log(f'confusion-matrix PNG skipped: {e}', logger=logger)
    print_log('\n' + table, logger=logger or 'current')
    return table
