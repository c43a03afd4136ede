"""Public helpers to build datasets from (possibly wrapped) config dicts.

Tools and the LOSO loop build datasets through these functions instead of
reaching into each other's private helpers.
"""
import copy

__all__ = ['build_dataset', 'innermost_dataset_cfg']


def innermost_dataset_cfg(dataset_cfg):
    """The :class:`MEDataset` config inside (possibly nested) dataset wrappers.

    A wrapper config holds the wrapped dataset under its ``dataset`` key; the
    returned dict is the same object as in ``dataset_cfg`` (edits apply).
    """
    cfg = dataset_cfg
    while 'dataset' in cfg and isinstance(cfg['dataset'], dict):
        cfg = cfg['dataset']
    return cfg


def build_dataset(dataset_cfg):
    """Build a dataset from a config dict (a deep copy; the input is untouched)."""
    from mmmer.registry import DATASETS
    return DATASETS.build(copy.deepcopy(dataset_cfg))
