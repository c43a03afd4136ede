"""Loading transforms."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmmer.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadCachedArrays(BaseTransform):
    """Load the arrays written by the offline preprocessing cache.

    Required keys: ``cache_path`` (an ``.npz`` written by
    :mod:`mmmer.datasets.preprocessing`). Added keys: every array in the file (e.g.
    ``img``, ``landmarks``), or only ``keys`` if given.
    """

    def __init__(self, keys=None):
        self.keys = keys

    def transform(self, results: dict) -> dict:
        path = results.get('cache_path')
        if path is None:
            raise KeyError(
                f'LoadCachedArrays: sample {results.get("subject")}/{results.get("clip")} '
                'has no cache_path; set `preprocess=` in the dataset config.')
        try:
            with np.load(path) as data:
                keys = self.keys or [k for k in data.files if not k.startswith('_flag_')]
                for k in keys:
                    results[k] = data[k]
        except (OSError, ValueError, KeyError) as e:
            raise RuntimeError(
                f'LoadCachedArrays: cannot read cache file {path} of sample '
                f'{results.get("subject")}/{results.get("clip")} ({e}); delete it '
                'and rerun tools/preprocess.py.') from e
        return results
