"""Old import path of :class:`FlipExpandedDataset` (now in
:mod:`mmmer.datasets.dataset_wrappers`), kept because existing configs list
``'mmmer.datasets.flip_expanded_dataset'`` in ``custom_imports``."""
from .dataset_wrappers import FlipExpandedDataset

__all__ = ['FlipExpandedDataset']
