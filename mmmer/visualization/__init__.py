"""Plots for analysis tools (matplotlib object API + Agg canvas, no pyplot)."""
from .confusion_matrix import plot_confusion_matrix, row_normalize  # noqa: F401
from .curves import collect_runs, plot_curves, read_scalars  # noqa: F401
