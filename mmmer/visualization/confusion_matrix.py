"""Confusion-matrix figure: counts and row-normalised recall side by side.

Rows are true classes, columns predicted classes (the convention of
``sklearn.metrics.confusion_matrix``). The row-normalised panel shows each
class's recall on its diagonal, whose mean is the UAR of the LOSO protocol.
Drawn with matplotlib's object API and the Agg canvas, so no GUI backend and
no global ``pyplot`` state are touched.
"""
import os
import os.path as osp
from typing import Optional, Sequence

import numpy as np


def row_normalize(cm) -> np.ndarray:
    """Divide each row by its total; rows without samples stay 0 (not NaN)."""
    cm = np.asarray(cm, dtype=np.float64)
    totals = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)


def _draw_matrix(ax, values, class_names, title, fmt, vmax):
    im = ax.imshow(values, cmap='Blues', vmin=0, vmax=vmax)
    n = len(class_names)
    ax.set_xticks(range(n), labels=class_names, rotation=45, ha='right')
    ax.set_yticks(range(n), labels=class_names)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    ax.set_title(title)
    for i in range(n):
        for j in range(n):
            v = values[i, j]
            # white text on dark cells keeps the numbers readable
            color = 'white' if vmax and v > 0.6 * vmax else 'black'
            ax.text(j, i, fmt(v), ha='center', va='center', color=color,
                    fontsize=9)
    return im


def plot_confusion_matrix(cm, class_names: Optional[Sequence[str]] = None,
                          out_file: Optional[str] = None,
                          title: Optional[str] = None, dpi: int = 120):
    """Draw counts and the row-normalised matrix in one figure.

    Args:
        cm: (K, K) counts, rows true, columns predicted.
        class_names: K names (default ``'0'..'K-1'``).
        out_file: PNG path; written if given (parent folders are created).
        title: figure title (e.g. the pooled UF1/UAR).

    Returns:
        matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f'confusion matrix must be square (K, K), got {cm.shape}')
    if (cm < 0).any():
        raise ValueError('confusion matrix counts must be non-negative')
    k = cm.shape[0]
    names = [str(c) for c in (class_names if class_names is not None else range(k))]
    if len(names) != k:
        raise ValueError(f'{len(names)} class names for a {k}x{k} matrix')
    norm = row_normalize(cm)
    size = max(3.5, 0.9 * k + 2)
    fig = Figure(figsize=(2 * size + 1, size))
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    im1 = _draw_matrix(ax1, cm, names, 'counts', lambda v: f'{int(round(v))}',
                       vmax=float(cm.max()) or 1.0)
    im2 = _draw_matrix(ax2, norm, names, 'row-normalised (recall)',
                       lambda v: f'{v:.2f}', vmax=1.0)
    fig.colorbar(im1, ax=ax1, fraction=0.046, pad=0.04)
    fig.colorbar(im2, ax=ax2, fraction=0.046, pad=0.04)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if out_file:
        d = osp.dirname(osp.abspath(out_file))
        os.makedirs(d, exist_ok=True)
        save_figure_atomic(fig, out_file, dpi=dpi)
    return fig


def save_figure_atomic(fig, out_file: str, dpi: int = 120):
    """Save a figure through a temporary file so a PNG is never half written."""
    from mmmer.utils.io import _atomic_write
    ext = osp.splitext(out_file)[1].lstrip('.') or 'png'
    _atomic_write(out_file, lambda f: fig.savefig(f, format=ext, dpi=dpi),
                  mode='wb')
