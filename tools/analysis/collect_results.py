"""Collect measured LOSO results into the model zoo: metafiles and READMEs.

    python tools/analysis/collect_results.py [--work-dirs work_dirs] [--configs configs]
                                             [--no-latency] [--dry-run]

For every method folder (``configs/htnet``, ``configs/ahmsa``,
``configs/edmdbn``, ``configs/shufflenet``) and every config in it whose LOSO
work dir (``<work-dirs>/<config name>/loso_summary.json``, as
``tools/train.py`` writes it) holds a complete run, this writes

- ``configs/<method>/metafile.yml`` in OpenMMLab's model-index form: one
  Collection (the paper) and one Model per measured config, with Metadata
  (Parameters and FLOPs from :mod:`mmmer.analysis.complexity`, CPU latency at
  batch 1, training data, epochs, folds) and Results (Task, Dataset, Metrics
  UF1 / UAR / Acc and ``Selection``: ``honest (last epoch)`` or the oracle
  rule when the run computed it; mean and std over seeds when
  ``<work-dirs>/<config name>_seeds/seeds_summary.json`` exists,
  see ``tools/analysis/multi_seed.py``);
- the block between ``<!-- mmmer-results:start -->`` and
  ``<!-- mmmer-results:end -->`` of ``configs/<method>/README.md`` (the rest
  of the README is written by hand): the measured table, the ranking of all
  methods on the hard synthetic preset and that preset's calibration
  (ground-truth-flow logistic ceiling and shuffled-label control, computed
  here from the generated data);
- ``model-index.yml`` at the repository root importing the four metafiles.

Every number comes from a run or a measurement made by this tool; nothing is
typed in. A config without a finished work dir is left out (not invented).
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

__all__ = ['FAMILIES', 'collect', 'dataset_label', 'load_run', 'main']

START, END = '<!-- mmmer-results:start -->', '<!-- mmmer-results:end -->'
TASK = 'Micro-expression Recognition'
HARD_LABEL = 'mmmer synthetic (hard preset)'
EASY_LABEL = 'mmmer synthetic (easy default)'

#: Method folder -> its Collection (the paper).
FAMILIES = {
    'htnet': dict(
        name='HTNet', architecture=['Hierarchical Transformer', 'Facial Regions'],
        title='HTNet for micro-expression recognition',
        url='https://doi.org/10.1016/j.neucom.2024.128196'),
    'ahmsa': dict(
        name='AHMSA-Net', architecture=['Hierarchical Multi-Scale Attention'],
        title='AHMSA-Net: Adaptive Hierarchical Multi-Scale Attention Network for '
              'Micro-Expression Recognition',
        url='https://arxiv.org/abs/2501.02539'),
    'edmdbn': dict(
        name='EDMDBN', architecture=['Swin Transformer', 'Dual Branch'],
        title='Entire-detail motion dual-branch network for micro-expression recognition',
        url='https://doi.org/10.1016/j.patrec.2025.01.021'),
    'shufflenet': dict(
        name='ShuffleNetV2-TVL1', architecture=['ShuffleNetV2', 'ViT', 'CBAM', 'SVM'],
        title='Micro-expression recognition model based on TV-L1 optical flow method '
              'and improved ShuffleNet',
        url='https://doi.org/10.1038/s41598-022-21738-8'),
}


def _dataset_cfg(config_dict: dict) -> dict:
    ds = dict((config_dict.get('test_dataloader') or {}).get('dataset') or {})
    while 'dataset' in ds and isinstance(ds['dataset'], dict):  # wrappers
        ds = ds['dataset']
    return ds


def dataset_label(config_dict: dict) -> str:
    """A readable dataset name for a resolved config (as stored in the summary)."""
    ds = _dataset_cfg(config_dict)
    gen = ds.get('generator') or {}
    if ds.get('type') == 'SyntheticMEDataset':
        hard = any(k in gen for k in ('class_totals', 'identity_variation', 'au_variation',
                                      'blink_prob', 'head_rotation_deg'))
        return HARD_LABEL if hard else EASY_LABEL
    return f"{ds.get('type', 'unknown dataset')} ({ds.get('data_root', '?')})"


def load_run(work_dir: str) -> Optional[dict]:
    """The complete LOSO summary of a work dir, or None (missing / partial)."""
    path = osp.join(work_dir, 'loso_summary.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        summary = json.load(f)
    if summary.get('subset_of_subjects'):
        print(f'skipped {path}: it covers only loso.subjects, not the full LOSO',
              file=sys.stderr)
        return None
    return summary


def _load_seeds(work_dir: str) -> Optional[dict]:
    path = osp.join(work_dir, 'seeds_summary.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def _complexity(config: str) -> dict:
    from mmmer.analysis.complexity import config_complexity
    res = config_complexity(config, with_table=False)
    return dict(params=int(res['params']), flops=int(res['flops']),
                input_shape=list(res['input_shape']))


def _latency_ms(config: str, iters: int = 20) -> float:
    """Median CPU time of one batch-1 forward (1 thread, eval, no grad)."""
    import torch
    from mmengine.config import Config

    from mmmer.analysis.benchmark import time_repeated
    from mmmer.analysis.complexity import (TensorForward, build_model_from_cfg,
                                           input_shape_of)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = Config.fromfile(config)
        model = TensorForward(build_model_from_cfg(cfg).eval())
        x = torch.randn(1, *input_shape_of(cfg))
        with torch.no_grad():
            t = time_repeated(lambda: model(x), iters=iters, warmup=3,
                              device=torch.device('cpu'))
    finally:
        torch.set_num_threads(threads)
    return 1000.0 * t['median']


def _round(v: float) -> float:
    return round(float(v), 4)


def _results(summary: dict, seeds: Optional[dict]) -> List[dict]:
    label = dataset_label(summary.get('config_dict') or {})
    out = [dict(Task=TASK, Dataset=label, Metrics=dict(
        UF1=_round(summary['UF1']), UAR=_round(summary['UAR']), Acc=_round(summary['Acc']),
        Selection='honest (last epoch, pooled LOSO)'))]
    if 'oracle' in summary:
        o = summary['oracle']
        out.append(dict(Task=TASK, Dataset=label, Metrics=dict(
            UF1=_round(o['UF1']), UAR=_round(o['UAR']), Acc=_round(o['Acc']),
            Selection=f"oracle ({o.get('rule', '?')}: test-fold epoch selection, "
                      'optimistic)')))
    if seeds:
        m = dict(Selection=f"honest, mean +- std over seeds {seeds['seeds']}")
        for key in ('UF1', 'UAR', 'Acc'):
            m[key] = _round(seeds['mean'][key])
            m[f'{key} std'] = _round(seeds['std'][key])
        out.append(dict(Task=TASK, Dataset=label, Metrics=m))
    return out


def _epochs(summary: dict):
    return ((summary.get('config_dict') or {}).get('train_cfg') or {}).get('max_epochs')


def collect(work_dirs: str = 'work_dirs', configs: str = 'configs', latency: bool = True,
            families=None, repo_root: str = '.') -> Dict[str, dict]:
    """Gather every family's measured models (no files written)."""
    out = {}
    for family in families or FAMILIES:
        models = []
        for config in sorted(glob.glob(osp.join(configs, family, '*.py'))):
            stem = osp.splitext(osp.basename(config))[0]
            summary = load_run(osp.join(work_dirs, stem))
            if summary is None:
                continue
            seeds = _load_seeds(osp.join(work_dirs, f'{stem}_seeds'))
            comp = _complexity(config)
            meta = {
                'Parameters': comp['params'],
                'FLOPs': comp['flops'],
                'Input Shape': comp['input_shape'],
                'Training Data': dataset_label(summary.get('config_dict') or {}),
                'Epochs': _epochs(summary),
                'LOSO Folds': summary.get('num_folds'),
                'Samples': summary.get('num_samples'),
            }
            if latency:
                meta['Latency (ms, CPU, 1 thread, batch 1)'] = round(_latency_ms(config), 2)
            models.append(dict(
                Name=stem, **{'In Collection': FAMILIES[family]['name']},
                Config=osp.relpath(config, repo_root).replace(os.sep, '/'),
                Metadata=meta, Results=_results(summary, seeds)))
        out[family] = dict(models=models)
    return out


def metafile_dict(family: str, models: List[dict]) -> dict:
    spec = FAMILIES[family]
    return {
        'Collections': [{
            'Name': spec['name'],
            'Metadata': {'Architecture': spec['architecture'],
                         'Protocol': 'LOSO (leave one subject out), pooled predictions'},
            'Paper': {'Title': spec['title'], 'URL': spec['url']},
            'README': f'configs/{family}/README.md',
        }],
        'Models': models,
    }


def _fmt_int(n) -> str:
    return f'{n:,}' if isinstance(n, int) else str(n)


def results_block(family: str, models: List[dict], ranking: List[tuple],
                  calibration: Optional[dict]) -> str:
    lines = [START, '',
             '<!-- written by tools/analysis/collect_results.py from the LOSO work dirs; '
             'do not edit by hand -->', '']
    if not models:
        lines += ['No measured run yet: train a config with `tools/train.py`, then run '
                  '`python tools/analysis/collect_results.py`.', '', END]
        return '\n'.join(lines)
    lines += ['| config | dataset | selection | UF1 | UAR | Acc | params | FLOPs | '
              'CPU latency (ms) |', '|---|---|---|---|---|---|---|---|---|']
    for m in models:
        meta = m['Metadata']
        lat = meta.get('Latency (ms, CPU, 1 thread, batch 1)', '-')
        for r in m['Results']:
            met = r['Metrics']
            cell = {k: (f"{met[k]:.4f} ± {met[k + ' std']:.4f}" if f'{k} std' in met
                        else f'{met[k]:.4f}') for k in ('UF1', 'UAR', 'Acc')}
            lines.append(f"| [{m['Name']}]({osp.basename(m['Config'])}) | {r['Dataset']} | "
                         f"{met['Selection']} | {cell['UF1']} | {cell['UAR']} | "
                         f"{cell['Acc']} | {_fmt_int(meta['Parameters'])} | "
                         f"{meta['FLOPs'] / 1e9:.3f} G | {lat} |")
    lines += ['', 'Epochs / folds / samples: ' + '; '.join(
        f"{m['Name']}: {m['Metadata']['Epochs']} / {m['Metadata']['LOSO Folds']} / "
        f"{m['Metadata']['Samples']}" for m in models) + '.']
    if ranking:
        lines += ['', f'All methods on the {HARD_LABEL} (honest, pooled LOSO, same '
                      'twin budget as the easy synthetic configs):', '',
                  '| rank | method | config | UF1 | UAR | Acc |', '|---|---|---|---|---|---|']
        for k, (uf1, uar, acc, fam, name) in enumerate(ranking, 1):
            lines.append(f'| {k} | {FAMILIES[fam]["name"]} | {name} | {uf1:.4f} | '
                         f'{uar:.4f} | {acc:.4f} |')
    if calibration:
        c, s = calibration['gt_flow_logistic'], calibration['shuffled_label_control']
        lines += ['', f"Calibration of the hard preset ({calibration['num_samples']} clips, "
                      f"{calibration['num_subjects']} subjects, LOSO): logistic regression "
                      f"on the {calibration['feature_size']}x{calibration['feature_size']} "
                      f"ground-truth apex flow reaches UF1 {c['UF1']:.4f} / UAR {c['UAR']:.4f} "
                      '(the ceiling of a simple classifier that sees the exact motion, '
                      'without optical-flow error); the same '
                      f"classifier on shuffled training labels gets UF1 {s['UF1']:.4f} / UAR "
                      f"{s['UAR']:.4f} (chance UAR {calibration['chance_uar']:.4f}; mean of "
                      f"{len(calibration['shuffle_seeds'])} shuffles)."]
    cfg = models[0]['Config']
    lines += ['', 'Reproduce (one LOSO work dir per config in `work_dirs/`, then this table):', '',
              '```shell', f'python tools/train.py {cfg}',
              f'python tools/analysis/multi_seed.py {cfg} --seeds 0,1,2  # mean ± std',
              'python tools/analysis/collect_results.py', '```', '',
              'TensorBoard curves of a run (per fold, and the pooled scores): add '
              '`--cfg-options tracking.backends="[\'tensorboard\']"` and open '
              '`work_dirs/<config>/tf_logs`.', '', END]
    return '\n'.join(lines)


def replace_block(text: str, block: str) -> str:
    if START in text and END in text:
        head, rest = text.split(START, 1)
        return head + block + rest.split(END, 1)[1]
    return text.rstrip('\n') + '\n\n## Results measured by mmmer\n\n' + block + '\n'


def hard_ranking(collected: Dict[str, dict]) -> List[tuple]:
    rows = []
    for fam, data in collected.items():
        for m in data['models']:
            for r in m['Results']:
                met = r['Metrics']
                if r['Dataset'] == HARD_LABEL and met['Selection'].startswith('honest (last'):
                    rows.append((met['UF1'], met['UAR'], met['Acc'], fam, m['Name']))
    return sorted(rows, reverse=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dirs', default='work_dirs')
    parser.add_argument('--configs', default='configs')
    parser.add_argument('--hard-data-root', default='data/synthetic_hard',
                        help='the generated hard preset, for its calibration line')
    parser.add_argument('--families', default=','.join(FAMILIES))
    parser.add_argument('--no-latency', action='store_true')
    parser.add_argument('--dry-run', action='store_true', help='print, write nothing')
    return parser.parse_args(argv)


def main(argv=None):
    import yaml

    from mmmer.utils.io import write_text_atomic
    args = parse_args(argv)
    families = [f for f in args.families.split(',') if f]
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise SystemExit(f'error: unknown families {unknown}; known: {sorted(FAMILIES)}')
    repo_root = osp.dirname(osp.abspath(args.configs))
    collected = collect(args.work_dirs, args.configs, not args.no_latency, families,
                        repo_root=repo_root)
    calibration = None
    if osp.isfile(osp.join(args.hard_data_root, 'synthetic_settings.json')):
        from mmmer.datasets.synthetic.calibration import calibrate
        calibration = calibrate(args.hard_data_root)
    ranking = hard_ranking(collected)
    for family, data in collected.items():
        meta_text = yaml.safe_dump(metafile_dict(family, data['models']), sort_keys=False,
                                   allow_unicode=True, width=100)
        readme = osp.join(args.configs, family, 'README.md')
        old = open(readme).read() if osp.isfile(readme) else \
            f'# {FAMILIES[family]["name"]}\n'
        new = replace_block(old, results_block(family, data['models'], ranking, calibration))
        if args.dry_run:
            print(f'--- {family}/metafile.yml\n{meta_text}\n--- {readme}\n{new}')
            continue
        write_text_atomic(meta_text, osp.join(args.configs, family, 'metafile.yml'))
        write_text_atomic(new, readme)
        print(f'{family}: {len(data["models"])} measured config(s) -> '
              f'{osp.join(args.configs, family, "metafile.yml")}, {readme}')
    index = {'Import': [f'configs/{f}/metafile.yml' for f in FAMILIES]}
    if not args.dry_run and set(families) == set(FAMILIES):
        write_text_atomic(yaml.safe_dump(index, sort_keys=False),
                          osp.join(repo_root, 'model-index.yml'))
    return 0


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    sys.exit(run_cli(main))
