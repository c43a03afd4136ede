"""Check a dataset copy against its config before training on it.

Usage::

    python tools/analysis/check_dataset.py CONFIG [--cfg-options k=v ...]
        [--split train|test] [--images none|key|all] [--strict] [--out report.json]

Builds ``cfg.train_dataloader.dataset`` (or the test one) *without* any
subject selection, preprocessing or pipeline, and reports

- counts per class, per dataset and per subject, compared with the
  ``expected_counts`` dict of the config (e.g. the MEGC2019 3DB table);
- clips whose frame folder is missing, frames missing inside onset..offset,
  an apex outside [onset, offset], key frames without a file, onset/offset
  that do not match the first/last file of a trimmed clip folder;
- images that cannot be decoded (the key frames by default, ``--images all``
  for every frame; flow images and apex faces for flow-folder datasets);
- duplicate (subject, clip) pairs.

It prints a report and exits with status 1 if there is any error (also on
warnings with ``--strict``), 0 otherwise. Datasets that accept
``missing_clips`` are built with ``missing_clips='keep'`` so every missing
folder is listed instead of only the first error.
"""
import argparse
import copy
import inspect
import os.path as osp
import sys
from collections import Counter, defaultdict

import cv2
import numpy as np
from mmengine.config import Config, DictAction

# datasets whose clip folders hold exactly onset..offset
_TRIMMED_BY_DATASET = {'casme2': True, 'samm': True, 'smic': True}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Check a micro-expression dataset copy.')
    parser.add_argument('config', help='config file (dataset base or full config)')
    parser.add_argument('--split', choices=('train', 'test'), default='train',
                        help='which dataloader\'s dataset to build (default: train)')
    parser.add_argument('--images', choices=('none', 'key', 'all'), default='key',
                        help='decode no images, the key frames (default), or all frames')
    parser.add_argument('--strict', action='store_true', help='warnings also fail the check')
    parser.add_argument('--max-list', type=int, default=30,
                        help='how many problems of each kind to print')
    parser.add_argument('--out', help='also write the report as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. data_root=/data/casme2')
    return parser.parse_args(argv)


# ------------------------------------------------------------- building
def _accepts(type_name, arg):
    from mmmer.registry import DATASETS
    cls = DATASETS.get(type_name) if isinstance(type_name, str) else type_name
    if cls is None:
        return False
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is not None and arg in inspect.signature(init).parameters:
            return True
    return False


def unselected_dataset_cfg(ds_cfg: dict) -> dict:
    """The dataset config with no subject selection, preprocessing or
    pipeline, and ``missing_clips='keep'`` where supported (also for the
    children of a CompositeDataset)."""
    ds_cfg = copy.deepcopy(dict(ds_cfg))
    for key in ('subjects', 'exclude_subjects', 'preprocess', 'shuffle_labels'):
        ds_cfg.pop(key, None)
    ds_cfg['pipeline'] = []
    ds_cfg['lazy_init'] = False
    if _accepts(ds_cfg['type'], 'missing_clips'):
        ds_cfg['missing_clips'] = 'keep'
    if 'datasets' in ds_cfg:
        ds_cfg['datasets'] = [
            dict(c, missing_clips='keep') if _accepts(c['type'], 'missing_clips') else dict(c)
            for c in ds_cfg['datasets']]
    return ds_cfg


# --------------------------------------------------------------- checks
def _readable(path):
    if path is None or not osp.isfile(path):
        return False
    data = np.fromfile(path, dtype=np.uint8)
    return data.size > 0 and cv2.imdecode(data, cv2.IMREAD_UNCHANGED) is not None


def count_samples(data_list, class_names):
    per_class = Counter(class_names[d['gt_label']] for d in data_list)
    per_subject = Counter(d['subject'] for d in data_list)
    per_dataset = {}
    for name in sorted({d['dataset'] for d in data_list}):
        part = [d for d in data_list if d['dataset'] == name]
        per_dataset[name] = dict(
            total=len(part), num_subjects=len({d['subject'] for d in part}),
            per_class={c: sum(1 for d in part if class_names[d['gt_label']] == c)
                       for c in class_names})
    return dict(total=len(data_list),
                per_class={c: per_class.get(c, 0) for c in class_names},
                num_subjects=len(per_subject),
                per_dataset=per_dataset,
                per_subject=dict(per_subject))


def compare_counts(found, expected, prefix=''):
    """Every ``expected`` entry that ``found`` does not match, as messages."""
    problems = []
    for key, want in expected.items():
        name = f'{prefix}{key}'
        have = found.get(key) if isinstance(found, dict) else None
        if isinstance(want, dict):
            if key == 'per_subject':
                extra = sorted(set(have or {}) - set(want))
                if extra:
                    problems.append(f'{name}: unexpected subjects {extra}')
            problems += compare_counts(have or {}, want, name + '.')
        elif have != want:
            problems.append(f'{name}: expected {want}, found {0 if have is None else have}')
    return problems


def check_samples(data_list, images='key'):
    """``(errors, warnings)``: lists of ``(kind, message)``."""
    from mmmer.datasets.annotation import list_frames

    errors, warnings = [], []
    seen = {}
    for d in data_list:
        name = f"{d['subject']}/{d['clip']}"
        where = f" ({d['annotation_row']})" if d.get('annotation_row') else ''
        key = (d['subject'], d['clip'])
        if key in seen:
            errors.append(('duplicate', f'{name}{where}: the same (subject, clip) appears twice'))
        seen[key] = True

        if 'flow_path' in d and 'frame_paths' not in d:
            for field in ('flow_path', 'apex_face_path'):
                path = d.get(field)
                if path is None:
                    errors.append(('missing file', f'{name}{where}: no {field} (file missing)'))
                elif images != 'none' and not _readable(path):
                    errors.append(('unreadable image', f'{name}: cannot decode {path}'))
            continue

        paths, numbers = d.get('frame_paths') or [], d.get('frame_numbers') or []
        onset, apex, offset = d.get('onset'), d.get('apex'), d.get('offset')
        if not paths:
            what = ('clip folder missing' if d.get('clip_dir', 'unknown') is None
                    else f'no frame files between onset {onset} and offset {offset}')
            errors.append(('missing clip', f'{name}{where}: {what}'))
            continue
        if None in (onset, apex, offset):
            errors.append(('key frames', f'{name}{where}: onset/apex/offset not all known'))
            continue
        if not onset <= apex <= offset:
            errors.append(('apex outside clip',
                           f'{name}{where}: apex {apex} outside [onset {onset}, offset {offset}]'))
        have = set(numbers)
        for what, num in (('onset', onset), ('apex', apex)):
            if num not in have:
                errors.append(('missing key frame',
                               f'{name}{where}: no file for the {what} frame {num}'))
        # frames strictly between the key frames (those are reported above/below)
        inner = set(range(onset + 1, offset)) - {apex}
        gaps = len(inner - have)
        if gaps > 0:
            warnings.append(('missing frames',
                             f'{name}{where}: {gaps} of the {len(inner)} frames between '
                             f'onset {onset} and offset {offset} have no file'))
        trimmed = d.get('trimmed_clip', _TRIMMED_BY_DATASET.get(d.get('dataset'), False))
        clip_dir = d.get('clip_dir') or osp.dirname(paths[0])
        if trimmed and osp.isdir(clip_dir):
            # the folder holds exactly the clip: its first/last file must be
            # the annotated onset/offset
            listed = list_frames(clip_dir)
            first, last = listed[0][0], listed[-1][0]
            ann_on = d.get('annotated_onset', onset)
            ann_off = d.get('annotated_offset', offset)
            if (first, last) != (ann_on, ann_off):
                warnings.append(('onset/offset vs files',
                                 f'{name}{where}: annotated {ann_on}..{ann_off} but the '
                                 f'clip folder holds frames {first}..{last}'))
        elif offset not in have:
            warnings.append(('onset/offset vs files',
                             f'{name}{where}: no file for the offset frame {offset} '
                             f'(files end at {max(have)})'))
        if images != 'none':
            by_num = dict(zip(numbers, paths))
            todo = paths if images == 'all' else [
                by_num[n] for n in dict.fromkeys((onset, apex, offset)) if n in by_num]
            for p in todo:
                if not _readable(p):
                    errors.append(('unreadable image', f'{name}: cannot decode {p}'))
    return errors, warnings


def run_check(dataset, expected=None, images='key'):
    """The report dict of one built dataset."""
    names = list(dataset.class_names)
    counts = count_samples(dataset.data_list, names)
    errors, warnings = check_samples(dataset.data_list, images)
    if expected:
        errors += [('expected counts', m) for m in compare_counts(counts, expected)]
    return dict(dataset=type(dataset).__name__, classes=names, counts=counts,
                excluded=dict(getattr(dataset, 'excluded_counts', {})),
                expected=expected or None,
                errors=[dict(kind=k, message=m) for k, m in errors],
                warnings=[dict(kind=k, message=m) for k, m in warnings])


def format_report(report, max_list=30):
    c = report['counts']
    lines = [f"Dataset {report['dataset']}: {c['total']} samples, "
             f"{c['num_subjects']} subjects",
             '  per class: ' + ', '.join(f'{k} {v}' for k, v in c['per_class'].items())]
    for name, part in c['per_dataset'].items():
        lines.append(f"  {name}: {part['total']} samples, {part['num_subjects']} subjects ("
                     + ', '.join(f'{k} {v}' for k, v in part['per_class'].items()) + ')')
    if report['excluded']:
        lines.append(f"  excluded (outside the label set / dropped): {report['excluded']}")
    lines.append('  per subject: ' + ', '.join(f'{k} {v}' for k, v in c['per_subject'].items()))
    if report['expected']:
        bad = [e for e in report['errors'] if e['kind'] == 'expected counts']
        lines.append('Expected counts: ' + ('all match' if not bad else f'{len(bad)} mismatch(es)'))
    for title, items in (('ERRORS', report['errors']), ('WARNINGS', report['warnings'])):
        if not items:
            continue
        lines.append(f'{title} ({len(items)}):')
        by_kind = defaultdict(list)
        for it in items:
            by_kind[it['kind']].append(it['message'])
        for kind, msgs in by_kind.items():
            lines.append(f'  [{kind}] {len(msgs)}')
            lines += [f'    {m}' for m in msgs[:max_list]]
            if len(msgs) > max_list:
                lines.append(f'    ... {len(msgs) - max_list} more')
    lines.append(f"Result: {len(report['errors'])} error(s), "
                 f"{len(report['warnings'])} warning(s)")
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    # only the dataset side is needed: importing mmmer.models (torch) would
    # make the check slow to start
    from mmengine.registry import init_default_scope

    from mmmer.datasets import DatasetLayoutError
    from mmmer.datasets.annotation import AnnotationError
    from mmmer.registry import DATASETS
    init_default_scope('mmmer')

    loader = cfg.get(f'{args.split}_dataloader')
    if not loader or 'dataset' not in loader:
        print(f'{args.config}: no {args.split}_dataloader.dataset to check', file=sys.stderr)
        return 2
    ds_cfg = unselected_dataset_cfg(loader['dataset'].to_dict()
                                    if hasattr(loader['dataset'], 'to_dict')
                                    else loader['dataset'])
    try:
        dataset = DATASETS.build(ds_cfg)
    except (DatasetLayoutError, AnnotationError, ValueError, KeyError) as e:
        print(f'ERROR: cannot build {ds_cfg["type"]}:\n{e}', file=sys.stderr)
        if args.out:
            from mmmer.utils.io import dump_json_atomic
            dump_json_atomic(dict(dataset=ds_cfg['type'], build_error=str(e)), args.out)
        return 1
    expected = cfg.get('expected_counts')
    expected = expected.to_dict() if hasattr(expected, 'to_dict') else expected
    report = run_check(dataset, expected, args.images)
    print(format_report(report, args.max_list))
    if args.out:
        from mmmer.utils.io import dump_json_atomic
        dump_json_atomic(report, args.out)
    failed = bool(report['errors']) or (args.strict and bool(report['warnings']))
    return 1 if failed else 0


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    sys.exit(run_cli(main))
