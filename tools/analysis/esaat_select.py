"""ESAAT attention-layer selection for one LOSO fold, by hand.

The entropy-based removal of "Leveraging vision transformers and
entropy-based attention for accurate micro-expression recognition" (Zhang et
al., Scientific Reports 2025). ``tools/train.py configs/htnet/htnet_lape_esaat_3db.py``
does this for every fold by itself (the ``ESAATLayerSelection`` fold
preparer, which shares this tool's selection code); the tool is for
inspecting one fold's ranking on a model trained elsewhere.

Builds the model of CONFIG, loads CHECKPOINT (a full LAPE-HTNet trained on
the fold's training subjects), computes the pooled 1024-d features of every
*training* sample of the fold (the config's train dataset with the test
subject excluded; generated samples of dataset wrappers are not used), and
greedily picks the k attention sublayers whose removal changes the feature
entropy H(F) = sum_c log std_c(F) least (TE(S) = |H - H_S|). Writes

- ``OUT/esaat_<subject>.json``: H(F), the TE of every candidate at every
  greedy step, and the selected sublayers;
- ``OUT/<derive-from name>_fold_<subject>.py``: a config composing
  ``--derive-from`` (default: the ESAAT leaf config next to CONFIG, else
  CONFIG itself) with ``drop_attention`` set and ``loso.subjects`` limited
  to this fold, so ``tools/train.py`` on it trains exactly this fold.

Example:
  python tools/analysis/esaat_select.py configs/htnet/htnet_lape_3db.py \\
      work_dirs/htnet_lape_3db --test-subject casme2_sub01 \\
      --derive-from configs/htnet/htnet_lape_esaat_3db.py --out work_dirs/esaat
(CHECKPOINT may be a LOSO work dir: its fold_<subject>/last_checkpoint is used.)
"""
import argparse
import copy
import os
import os.path as osp
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint', help='checkpoint file, or a LOSO work dir')
    p.add_argument('--test-subject', required=True,
                   help='the held-out subject of this fold (namespaced, e.g. casme2_sub01); '
                        'it is never used for the selection')
    p.add_argument('--subjects-exclude', nargs='*', default=[],
                   help='further subjects to leave out of the selection set')
    p.add_argument('--k', type=int, default=6, help='attention sublayers to remove (6)')
    p.add_argument('--candidates', default='top', choices=['top', 'all'],
                   help="'top': the top-level attention sublayers (default); 'all'")
    p.add_argument('--derive-from', default=None,
                   help='config the derived config composes (default: see module doc)')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--out', default='work_dirs/esaat')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                   help='key=value overrides of CONFIG (MMEngine syntax)')
    return p.parse_args(argv)


def resolve_checkpoint(path: str, subject: str) -> str:
    if osp.isfile(path):
        return path
    if osp.isdir(path):
        from mmmer.engine import fold_dir_name
        marker = osp.join(path, fold_dir_name(subject), 'last_checkpoint')
        if osp.isfile(marker):
            with open(marker) as f:
                return f.read().strip()
        raise FileNotFoundError(f'esaat_select: {marker} not found; train fold {subject} '
                                'of the full model first or pass a checkpoint file.')
    raise FileNotFoundError(f'esaat_select: checkpoint {path} does not exist.')


def training_dataset_cfg(cfg, test_subject: str, extra_exclude=()):
    """The fold's selection dataset config (innermost MEDataset, test subject
    out, test pipeline): the LOSO preparer's ``selection_dataset_cfg`` plus
    two checks for hand-typed subjects."""
    from mmmer.datasets.builder import build_dataset, innermost_dataset_cfg
    from mmmer.engine.fold_preparers.esaat_selection import selection_dataset_cfg
    inner = innermost_dataset_cfg(cfg.train_dataloader.dataset)
    keep = inner.get('subjects')
    if keep is not None and test_subject in keep:
        raise ValueError(f'esaat_select: the config keeps subjects={list(keep)}, which '
                         f'includes the test subject {test_subject}; refusing to select '
                         'layers on test data.')
    # A mistyped id would exclude nothing and leave the test subject in the
    # selection set: every named subject must exist in the dataset.
    probe = copy.deepcopy(inner)
    for key in ('subjects', 'exclude_subjects', 'preprocess'):
        probe.pop(key, None)
    probe['pipeline'] = []
    known = set(build_dataset(probe).get_subjects())
    unknown = sorted({test_subject, *extra_exclude} - known)
    if unknown:
        raise ValueError(f'esaat_select: subjects {unknown} are not in the dataset; '
                         f'known subjects: {sorted(known)}')
    return selection_dataset_cfg(cfg, [test_subject, *extra_exclude], pipeline='test')


def default_derive_from(config: str) -> str:
    base = osp.basename(config)
    if '_esaat' not in base and base.startswith('htnet_lape_'):
        cand = osp.join(osp.dirname(config), base.replace('htnet_lape_', 'htnet_lape_esaat_', 1))
        if osp.isfile(cand):
            return cand
    return config


def derived_config_text(derive_from, config, checkpoint, subject, selected, work_dir):
    return (
        f'# ESAAT selection for LOSO fold {subject!r}, written by\n'
        f'# tools/analysis/esaat_select.py from {osp.abspath(config)}\n'
        f'# and {osp.abspath(checkpoint)} (greedy minimal |H - H_S|,\n'
        f'# training subjects only). Trains this fold only; every fold writes\n'
        f'# into the shared work_dir below.\n'
        f'_base_ = [{osp.abspath(derive_from)!r}]\n'
        f'model = dict(backbone=dict(drop_attention={sorted(selected)!r}))\n'
        f'loso = dict(subjects=[{subject!r}])\n'
        f'work_dir = {work_dir!r}\n')


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config

    from mmmer.engine.fold_preparers.esaat_selection import compute_selection
    from mmmer.models.utils.esaat import format_ranking
    from mmmer.utils import register_all_modules
    from mmmer.utils.io import dump_json_atomic, write_text_atomic

    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    ckpt = resolve_checkpoint(args.checkpoint, args.test_subject)
    ds_cfg = training_dataset_cfg(cfg, args.test_subject, args.subjects_exclude)
    # The same selection code as the LOSO fold preparer ESAATLayerSelection.
    result = compute_selection(cfg.model, ckpt, ds_cfg,
                               [args.test_subject, *args.subjects_exclude], args.k,
                               args.candidates, args.batch_size)
    result.update(config=osp.abspath(args.config), checkpoint=osp.abspath(ckpt),
                  test_subject=args.test_subject,
                  train_subjects=result['feature_subjects'])
    print(format_ranking(result))

    os.makedirs(args.out, exist_ok=True)
    safe = ''.join(c if (c.isalnum() or c in '-_.') else '_' for c in args.test_subject)
    json_path = osp.join(args.out, f'esaat_{safe}.json')
    dump_json_atomic(result, json_path)
    derive_from = args.derive_from or default_derive_from(args.config)
    name = osp.splitext(osp.basename(derive_from))[0]
    cfg_path = osp.join(args.out, f'{name}_fold_{safe}.py')
    write_text_atomic(derived_config_text(derive_from, args.config, ckpt, args.test_subject,
                                          result['selected'],
                                          osp.join('work_dirs', name + '_selected')), cfg_path)
    print(f'ranking: {json_path}\nderived config: {cfg_path}')
    return result, json_path, cfg_path


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    sys.exit(0 if run_cli(main) else 1)
