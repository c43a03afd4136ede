"""Training curves from MMEngine's ``vis_data/scalars.json`` logs.

MMEngine's ``LocalVisBackend`` appends one JSON object per logged step to
``<work_dir>/<timestamp>/vis_data/scalars.json`` (e.g. ``{"lr": .., "loss":
.., "epoch": 1, "iter": 5, "step": 5}``; validation lines carry metric keys
and the epoch as ``step``). A resumed run writes a new ``<timestamp>`` folder
that continues the step count, so a run's curve is the concatenation of its
folders in time order; a LOSO work dir has one run per ``fold_<subject>``.
"""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence


def read_scalars(path: str) -> List[dict]:
    """Parse one ``scalars.json`` (JSON lines); names the file and line on error."""
    records = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}:{lineno} is not valid JSON ({e}); '
                                 'is this an MMEngine vis_data/scalars.json?') from e
    return records


def find_scalar_logs(run_dir: str) -> List[str]:
    """``<run_dir>/<timestamp>/vis_data/scalars.json`` files, oldest first.

    MMEngine's timestamps (``YYYYmmdd_HHMMSS``) sort chronologically as text.
    """
    return sorted(glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json')))


def merge_records(paths: Sequence[str]) -> List[dict]:
    """Concatenate runs in order; a later run's record replaces an earlier one
    of the same kind at the same step (resume re-logs the interrupted steps).

    The kind of a training record is 'train'; any other record (validation
    metrics, hook scalars such as GPU memory) is identified by its key set,
    so records logged at the same step by different sources all survive.
    """
    merged: Dict[tuple, dict] = {}
    for path in paths:
        for rec in read_scalars(path):
            kind = 'train' if 'loss' in rec or 'lr' in rec else \
                ','.join(sorted(rec))
            merged[(rec.get('step', len(merged)), kind)] = rec
    return [merged[k] for k in sorted(merged, key=lambda k: (k[0], k[1] != 'train', k[1]))]


def collect_runs(path: str) -> Dict[str, List[dict]]:
    """Map run name -> records for a JSON log, a work dir, or a LOSO work dir.

    * a ``scalars.json`` file: one run named after its parent folders;
    * a LOSO work dir (has ``fold_*/`` folders): one run per fold;
    * a single-run work dir: one run named after the folder.
    """
    if osp.isfile(path):
        return {osp.basename(osp.dirname(osp.dirname(osp.abspath(path)))):
                read_scalars(path)}
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path} is neither a scalars.json nor a work dir')
    runs = {}
    folds = sorted(d for d in glob.glob(osp.join(path, 'fold_*')) if osp.isdir(d))
    for fold in folds:
        logs = find_scalar_logs(fold)
        if logs:
            runs[osp.basename(fold)] = merge_records(logs)
    if not runs:
        logs = find_scalar_logs(path)
        if logs:
            runs[osp.basename(osp.abspath(path))] = merge_records(logs)
    if not runs:
        raise FileNotFoundError(
            f'no <timestamp>/vis_data/scalars.json under {path} (nor under its '
            'fold_* folders); was the run made with LocalVisBackend?')
    return runs


def series(records: Sequence[dict], key: str, x_key: str = 'step'):
    """(x, y) lists of ``key`` over ``x_key`` for the records that have it."""
    xs, ys = [], []
    for i, rec in enumerate(records):
        if key in rec:
            xs.append(rec.get(x_key, i))
            ys.append(float(rec[key]))
    return xs, ys


def plot_curves(runs: Dict[str, List[dict]], keys: Sequence[str],
                out_file: Optional[str] = None, x_key: str = 'step',
                title: Optional[str] = None, dpi: int = 120):
    """One subplot per key, one line per run. Returns the Figure.

    Raises ``KeyError`` if no run logged any of ``keys`` (listing the keys
    that are present), so a typo does not produce an empty plot.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .confusion_matrix import save_figure_atomic
    available = sorted({k for recs in runs.values() for r in recs for k in r})
    missing = [k for k in keys if k not in available]
    if len(missing) == len(keys):
        raise KeyError(f'none of {list(keys)} was logged; available keys: '
                       f'{available}')
    fig = Figure(figsize=(6.5, 3.2 * len(keys)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(keys), 1, squeeze=False)[:, 0]
    for ax, key in zip(axes, keys):
        for name, recs in runs.items():
            xs, ys = series(recs, key, x_key)
            if xs:
                ax.plot(xs, ys, label=name, linewidth=1)
        ax.set_xlabel(x_key)
        ax.set_ylabel(key)
        if len(runs) <= 12:
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if out_file:
        save_figure_atomic(fig, out_file, dpi=dpi)
    return fig
