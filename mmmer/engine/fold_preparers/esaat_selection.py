"""ESAAT per LOSO fold: choose the attention sublayers to remove from training
subjects only, then train the pruned agent-attention model.

"Leveraging vision transformers and entropy-based attention for accurate
micro-expression recognition" (Zhang et al., Scientific Reports 2025),
section "Entropy-based selection agent attention module": compute the
transfer entropy (TE) between each attention layer and the output, remove the
low-TE attention layers, use agent attention in the rest. The paper does not
say on which data or model TE is measured; under leave-one-subject-out the
only honest choice is a model trained without the fold's test subject.
:class:`ESAATLayerSelection` does that before each fold's Runner:

1. train the full LAPE-HTNet (standard softmax attention, nothing removed)
   on the training subjects (``mode='per_fold'``: every subject but the
   fold's; ``mode='subject_groups'``: every subject outside the fold's
   subject-disjoint group, one model shared by the group's folds) in
   ``work_dir/esaat_selection/<fold_S | group_g>/`` (MMEngine checkpoints,
   written atomically; a killed training resumes);
2. pool its features over those training samples (test pipeline) and pick the
   ``k`` sublayers greedily by minimal ``TE(S) = |H(F) - H_S(F)|``
   (:func:`mmmer.models.utils.esaat.select_attention_layers`); the result is
   ``selection.json`` in that directory (its presence skips 1-2);
3. save ``fold_<S>/esaat_selection.json`` and set the fold model's
   ``backbone.drop_attention``; rewrite ``work_dir/esaat_selections.md``.

The selection model's training subjects and the feature subjects are recorded
and checked against the fold's held-out subjects (a mismatch raises
:class:`ESAATLeakageError`). docs/methods/htnet_lape_esaat.md has the
procedure, the choices and the cost.
"""
import contextlib
import copy
import glob
import json
import os
import os.path as osp
import time
import uuid
from typing import List, Optional, Sequence, Tuple

from mmmer.registry import FOLD_PREPARERS
from mmmer.utils.errors import MMMERUserError

__all__ = ['ESAATLayerSelection', 'ESAATLeakageError', 'ESAATSelectionError',
           'selection_dataset_cfg', 'selection_run_config', 'train_selection_model',
           'compute_selection', 'write_selection_summary', 'selection_lock', 'SELECTION_DIR',
           'RESULT_FILE', 'FOLD_FILE', 'SUMMARY_FILE', 'STANDARD_ATTENTION']

SELECTION_DIR = 'esaat_selection'
RESULT_FILE = 'selection.json'
FOLD_FILE = 'esaat_selection.json'
SUMMARY_FILE = 'esaat_selections.md'
MODES = ('per_fold', 'subject_groups')
# HTNet's standard attention (configs/_base_/models/htnet.py): the selection
# model is the LAPE model without agent attention and without removals.
STANDARD_ATTENTION = dict(type='SoftmaxAttention', fast_single_token=True)


class ESAATLeakageError(RuntimeError, MMMERUserError):
    """A selection would use (or was made with) a fold's test subject."""


class ESAATSelectionError(ValueError, MMMERUserError):
    """A saved selection does not match the current settings or groups."""


def check_no_test_subjects(where: str, subjects: Sequence[str],
                           test_subjects: Sequence[str]):
    leaked = sorted(set(subjects) & set(test_subjects))
    if leaked:
        raise ESAATLeakageError(
            f'ESAAT: {where} contains held-out subject(s) {leaked}; selecting layers on '
            'them would leak the test data into the fold. Delete that selection and rerun.')


def selection_dataset_cfg(cfg, exclude_subjects: Sequence[str], pipeline: str = 'test',
                          all_subjects: bool = False) -> dict:
    """The innermost training dataset of ``cfg`` without ``exclude_subjects``.

    Dataset wrappers (e.g. generated diffusion samples) are removed: the
    selection uses real training samples only. ``pipeline='test'`` takes the
    test loader's pipeline (deterministic features), ``'train'`` keeps the
    training pipeline. ``all_subjects=True`` drops a ``subjects`` list, as the
    LOSO loop does; otherwise such a list is kept minus the excluded ones.
    """
    from mmmer.datasets.builder import innermost_dataset_cfg
    inner = copy.deepcopy(innermost_dataset_cfg(cfg.train_dataloader.dataset))
    inner = inner.to_dict() if hasattr(inner, 'to_dict') else dict(inner)
    exclude = list(exclude_subjects)
    if all_subjects:
        inner.pop('subjects', None)
    elif inner.get('subjects') is not None:
        inner['subjects'] = [s for s in inner['subjects'] if s not in set(exclude)]
    old = list(inner.get('exclude_subjects', []) or [])
    inner['exclude_subjects'] = old + [s for s in exclude if s not in set(old)]
    if pipeline == 'test':
        test_ds = cfg.get('test_dataloader') and cfg.test_dataloader.get('dataset')
        if test_ds is not None:
            inner['pipeline'] = copy.deepcopy(innermost_dataset_cfg(test_ds).get(
                'pipeline', inner.get('pipeline', [])))
    elif pipeline != 'train':
        raise ValueError(f"pipeline must be 'test' or 'train', got {pipeline!r}")
    inner['test_mode'] = False
    return inner


def _labels_and_subjects(ds_cfg) -> Tuple[List[int], List[str], int]:
    from mmmer.datasets.builder import build_dataset
    ds = build_dataset(dict(ds_cfg, pipeline=[]))
    return ([int(d['gt_label']) for d in ds.data_list], ds.get_subjects(),
            len(ds.class_names))


def selection_run_config(cfg, run_dir: str, held_out: Sequence[str],
                         epochs: Optional[int] = None, attention: Optional[dict] = None):
    """The config that trains the selection model in ``run_dir``.

    The model of ``cfg`` with ``attention`` (standard softmax by default) in
    every block and nothing removed; trained on every subject except
    ``held_out`` with the config's schedule (``epochs`` overrides
    ``train_cfg.max_epochs``); no validation or test loop. Resumes from
    ``run_dir``'s own ``last_checkpoint``. Returns ``(config, training
    subjects)``.
    """
    from mmmer.models.losses.class_weights import class_counts, resolve_auto_class_weight
    from ..fold_config import resolve_fold_checkpoint
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = run_dir
    train_ds = selection_dataset_cfg(cfg, held_out, pipeline='train', all_subjects=True)
    labels, subjects, num_classes = _labels_and_subjects(train_ds)
    check_no_test_subjects('the selection model\'s training set', subjects, held_out)
    if len(subjects) < 1 or len(labels) < 2:
        raise ValueError(f'ESAAT: the selection model of {run_dir} has {len(labels)} '
                         f'training samples from {subjects}; too few to train on.')
    cfg.train_dataloader.dataset = train_ds
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.train_cfg.pop('val_interval', None)
    cfg.train_cfg.pop('val_begin', None)
    if epochs is not None:
        if 'max_epochs' not in cfg.train_cfg:
            raise ValueError('ESAAT selection_epochs needs an epoch-based train_cfg '
                             '(max_epochs); this config has none.')
        cfg.train_cfg.max_epochs = int(epochs)
    backbone = cfg.model.backbone
    backbone.attention = copy.deepcopy(attention or STANDARD_ATTENTION)
    backbone.drop_attention = []
    resolve_auto_class_weight(cfg.model, class_counts(labels, num_classes))
    hooks = [h for h in (cfg.get('custom_hooks') or [])
             if h.get('type') != 'OracleEpochSelectionHook']
    if not any(h.get('type') == 'RNGStateHook' for h in hooks):
        hooks.append(dict(type='RNGStateHook'))
    cfg.custom_hooks = hooks
    if osp.exists(osp.join(run_dir, 'last_checkpoint')):
        cfg.load_from = resolve_fold_checkpoint(run_dir)
        cfg.resume = True
    else:
        cfg.load_from = None
        cfg.resume = False
    cfg.experiment_name = (f'esaat_{osp.basename(run_dir)}_'
                           f'{time.strftime("%Y%m%d_%H%M%S")}_{uuid.uuid4().hex[:6]}')
    return cfg, subjects


def train_selection_model(run_cfg) -> str:
    """Train (or finish) the selection model; returns its last checkpoint."""
    from mmengine.runner import Runner

    from mmmer.registry import RUNNERS
    from ..fold_config import resolve_fold_checkpoint
    runner = Runner.from_cfg(run_cfg) if 'runner_type' not in run_cfg else \
        RUNNERS.build(run_cfg)
    runner.train()
    del runner
    return resolve_fold_checkpoint(run_cfg.work_dir)


def compute_selection(model_cfg, checkpoint: str, features_cfg: dict,
                      held_out: Sequence[str], k: int, candidates='top',
                      batch_size: int = 64, device: str = 'cpu') -> dict:
    """Load the selection model and run the greedy ESAAT selection on the
    samples of ``features_cfg`` (refused if any held-out subject is there)."""
    from mmengine.runner import load_checkpoint

    from mmmer.datasets.builder import build_dataset
    from mmmer.models.utils.esaat import select_attention_layers
    from mmmer.registry import MODELS
    model = MODELS.build(copy.deepcopy(model_cfg))
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    model.to(device)
    dataset = build_dataset(features_cfg)
    subjects = dataset.get_subjects()
    check_no_test_subjects('the selection feature set', subjects, held_out)
    result = select_attention_layers(model, dataset, k, candidates, batch_size)
    result['feature_subjects'] = subjects
    return result


@contextlib.contextmanager
def selection_lock(run_dir: str):
    """One job at a time per selection directory, e.g. two ``--shard`` jobs
    whose folds share a subject group: the second waits, then finds the
    first's ``selection.json``. Rank 0 of a job holds the lock (an exclusive
    ``flock`` on ``run_dir/.lock``; no lock where ``fcntl`` is missing)."""
    from mmengine.dist import barrier, is_main_process
    os.makedirs(run_dir, exist_ok=True)
    fd = None
    if is_main_process():
        try:
            import fcntl
        except ImportError:  # not POSIX
            fcntl = None
        if fcntl is not None:
            fd = os.open(osp.join(run_dir, '.lock'), os.O_CREAT | os.O_RDWR, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
    barrier()
    try:
        yield
    finally:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _natural_key(name):
    from mmmer.generation.groups import natural_key
    return natural_key(name)


def write_selection_summary(work_dir: str) -> Optional[str]:
    """``work_dir/esaat_selections.md``: one row per fold with a saved
    selection (fold -> group -> removed sublayers -> TE); atomic."""
    from mmmer.utils.io import write_text_atomic
    records = []
    for path in glob.glob(osp.join(work_dir, 'fold_*', FOLD_FILE)):
        with open(path) as f:
            records.append(json.load(f))
    if not records:
        return None
    records.sort(key=lambda r: _natural_key(r['test_subject']))
    lines = [
        '# ESAAT attention-layer selections',
        '',
        'Per LOSO fold: the attention sublayers removed (greedy order, HTNet global block '
        'index, level 0 first), chosen by minimal |H(F) - H_S(F)| on a model trained '
        'without the fold\'s test subject. TE is the value after each greedy step.',
        '',
        '| fold | group | removed (greedy order) | TE per step | H(F) | selection samples |',
        '|---|---|---|---|---|---|',
    ]
    for r in records:
        group = '-' if r.get('group') is None else str(r['group'])
        te = ', '.join(f'{t:.4g}' for t in r['te'])
        lines.append(f'| {r["test_subject"]} | {group} | {r["selected"]} | {te} | '
                     f'{r["h_full"]:.4f} | {r["num_samples"]} |')
    path = osp.join(work_dir, SUMMARY_FILE)
    write_text_atomic('\n'.join(lines) + '\n', path)
    return path


def _jsonable(obj):
    return json.loads(json.dumps(obj))


@FOLD_PREPARERS.register_module()
class ESAATLayerSelection:
    """Per-fold ESAAT layer selection (see the module docstring).

    Args:
        mode (str): ``'per_fold'`` (a selection model per fold, trained on all
            its training subjects) or ``'subject_groups'`` (``num_groups``
            selection models on subject-disjoint groups stratified by dataset,
            :func:`mmmer.generation.groups.split_subject_groups`; the fold of
            subject S uses the model that never saw S's group).
        k (int): attention sublayers to remove (6).
        candidates: ``'top'`` (top-level sublayers), ``'all'`` or indices.
        selection_epochs (int, optional): epochs of the selection model
            (``None``: the config's ``train_cfg.max_epochs``).
        num_groups (int), group_seed (int): the subject groups (the defaults
            equal the diffusion generators' groups).
        attention (dict, optional): the selection model's attention
            (standard softmax by default).
        batch_size (int): feature batch size.
        keep_checkpoints (str, optional): what a finished selection run keeps
            (``'last'``, ``'full'``, ``'none'``; default ``loso.keep_checkpoints``).
        device (str): where features are computed (``'auto'``: CUDA if present).
    """

    def __init__(self, mode: str = 'per_fold', k: int = 6, candidates='top',
                 selection_epochs: Optional[int] = None, num_groups: int = 5,
                 group_seed: int = 0, attention: Optional[dict] = None,
                 batch_size: int = 64, keep_checkpoints: Optional[str] = None,
                 device: str = 'auto'):
        if mode not in MODES:
            raise ValueError(f'ESAATLayerSelection: mode={mode!r}; valid: {list(MODES)}')
        if int(k) < 1:
            raise ValueError(f'ESAATLayerSelection: k={k} must be >= 1')
        if selection_epochs is not None and int(selection_epochs) < 1:
            raise ValueError(f'ESAATLayerSelection: selection_epochs={selection_epochs} '
                             'must be >= 1 (or None for the config schedule)')
        if keep_checkpoints is not None:
            from ..fold_checkpoints import check_keep_checkpoints
            check_keep_checkpoints(keep_checkpoints)
        self.mode = mode
        self.k = int(k)
        self.candidates = candidates if isinstance(candidates, str) else \
            [int(c) for c in candidates]
        self.selection_epochs = None if selection_epochs is None else int(selection_epochs)
        self.num_groups = int(num_groups)
        self.group_seed = int(group_seed)
        self.attention = dict(attention or STANDARD_ATTENTION)
        self.batch_size = int(batch_size)
        self.keep_checkpoints = keep_checkpoints
        self.device = device
        self._groups = None

    def settings(self) -> dict:
        """What a saved selection must match to be reused."""
        s = dict(mode=self.mode, k=self.k, candidates=self.candidates,
                 selection_epochs=self.selection_epochs, attention=self.attention)
        if self.mode == 'subject_groups':
            s.update(num_groups=self.num_groups, group_seed=self.group_seed)
        return _jsonable(s)

    # ------------------------------------------------------------ units
    def groups(self, loop) -> List[List[str]]:
        if self._groups is None:
            from mmmer.generation.groups import split_subject_groups, subject_datasets
            self._groups = split_subject_groups(
                subject_datasets(loop.full_dataset().data_list), self.num_groups,
                self.group_seed)
        return self._groups

    def unit(self, loop, subject: str, held_out: Sequence[str]):
        """``(name, held-out subjects, group)`` of the selection for a fold."""
        from ..fold_config import fold_dir_name
        if self.mode == 'per_fold':
            return fold_dir_name(subject), sorted(held_out), None
        from mmmer.generation.groups import held_out_group
        groups = self.groups(loop)
        g = held_out_group(held_out, groups)
        return f'group_{g}', sorted(groups[g], key=_natural_key), g

    # --------------------------------------------------------- selection
    def _check(self, record: dict, where: str, held_out: Sequence[str]):
        if record.get('settings') != self.settings():
            raise ESAATSelectionError(
                f'ESAAT: {where} was made with settings {record.get("settings")}, the '
                f'config now asks for {self.settings()}. Delete it (and the fold it '
                'configured) or use another work_dir.')
        check_no_test_subjects(f'{where} (training subjects)',
                               record.get('selection_train_subjects', []), held_out)
        check_no_test_subjects(f'{where} (feature subjects)',
                               record.get('feature_subjects', []), held_out)

    def _device(self):
        if self.device != 'auto':
            return self.device
        import torch
        return 'cuda' if torch.cuda.is_available() else 'cpu'

    def run_selection(self, loop, name: str, held_out: Sequence[str]) -> dict:
        """Train (or resume, or reuse) the selection model of ``name`` and
        select; returns the saved result. Serialised per selection
        directory (:func:`selection_lock`)."""
        run_dir = osp.join(loop.work_dir, SELECTION_DIR, name)
        with selection_lock(run_dir):
            return self._run_selection(loop, name, run_dir, held_out)

    def _run_selection(self, loop, name: str, run_dir: str, held_out: Sequence[str]) -> dict:
        from mmengine.dist import barrier, is_main_process

        from mmmer.utils.io import dump_json_atomic
        from ..fold_checkpoints import apply_checkpoint_policy
        result_file = osp.join(run_dir, RESULT_FILE)
        if not osp.exists(result_file):
            run_cfg, train_subjects = selection_run_config(
                loop.cfg, run_dir, held_out, self.selection_epochs, self.attention)
            state = 'resuming' if run_cfg.resume else 'training'
            loop.logger.info(f'ESAAT selection {name}: {state} the selection model on '
                             f'{len(train_subjects)} subjects (held out: {list(held_out)})')
            ckpt = train_selection_model(run_cfg)
            if is_main_process():
                features_cfg = selection_dataset_cfg(loop.cfg, held_out, 'test',
                                                     all_subjects=True)
                result = compute_selection(run_cfg.model, ckpt, features_cfg, held_out,
                                           self.k, self.candidates, self.batch_size,
                                           self._device())
                result.update(held_out=list(held_out), selection_train_subjects=train_subjects,
                              checkpoint=osp.abspath(ckpt), settings=self.settings(),
                              selection_epochs=run_cfg.train_cfg.get('max_epochs'))
                self._check(result, f'the selection of {name}', held_out)
                dump_json_atomic(result, result_file)
            barrier()
        with open(result_file) as f:
            result = json.load(f)
        self._check(result, result_file, held_out)
        if list(result.get('held_out', [])) != list(held_out):
            raise ESAATSelectionError(
                f'ESAAT: {result_file} held out {result.get("held_out")}, this fold needs '
                f'{list(held_out)} (the subject groups changed?). Delete '
                f'{osp.dirname(result_file)} and rerun.')
        if is_main_process():
            policy = self.keep_checkpoints or loop.loso_cfg.get('keep_checkpoints', 'last')
            apply_checkpoint_policy(run_dir, policy, logger=loop.logger)
        return result

    def prepare(self, loop, subject: str, train_subjects: Sequence[str], fold_cfg):
        from mmengine.dist import barrier, is_main_process

        from mmmer.models.utils.esaat import format_ranking
        from mmmer.utils.io import dump_json_atomic
        not_training = sorted(set(loop.full_dataset().get_subjects()) - set(train_subjects))
        if subject not in not_training:
            raise ESAATLeakageError(f'ESAAT: fold {subject} lists its own test subject '
                                    'among its training subjects.')
        fold_file = osp.join(loop.fold_work_dir(subject), FOLD_FILE)
        name, held_out, group = self.unit(loop, subject, not_training)
        if osp.exists(fold_file):
            with open(fold_file) as f:
                record = json.load(f)
            if record.get('test_subject') != subject:
                raise ESAATSelectionError(f'ESAAT: {fold_file} belongs to fold '
                                          f'{record.get("test_subject")!r}, not {subject!r}.')
            self._check(record, fold_file, not_training)
            loop.logger.info(f'fold {subject}: ESAAT selection {record["selected"]} '
                             f'from {fold_file}')
        else:
            result = self.run_selection(loop, name, held_out)
            record = dict(test_subject=subject, group=group, selection=name, **result)
            self._check(record, f'the selection for fold {subject}', not_training)
            if is_main_process():
                dump_json_atomic(record, fold_file)
            barrier()
            loop.logger.info(f'fold {subject}: ESAAT selection ({name}, removed '
                             f'{record["selected"]})\n{format_ranking(record)}')
        if is_main_process():
            write_selection_summary(loop.work_dir)
        fold_cfg.model.backbone.drop_attention = sorted(int(i) for i in record['selected'])
        return fold_cfg
