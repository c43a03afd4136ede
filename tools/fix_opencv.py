"""Restore cv2.optflow (TV-L1) after pip installed mmengine's opencv-python.

    python tools/fix_opencv.py

mmengine and mmcv-lite require opencv-python, which overwrites the files of
opencv-contrib-python-headless; this reinstalls the contrib build at the same
version (see ``ensure_opencv_contrib`` in mmmer/utils/compat.py). Safe to run
repeatedly: it does nothing when cv2.optflow already exists.

The compat module is loaded from its file rather than through ``import
mmmer``: that import pulls in mmengine, which imports cv2, and a cv2 half
overwritten by two wheels is exactly what this script must be able to repair.
"""
import importlib.util
import os.path as osp
import sys


def compat_file() -> str:
    """mmmer/utils/compat.py of this checkout, else of the installed mmmer
    (this script also ships as ``mmmer/.mim/tools/fix_opencv.py``)."""
    here = osp.dirname(osp.abspath(__file__))
    checkout = osp.join(osp.dirname(here), 'mmmer', 'utils', 'compat.py')
    if osp.isfile(checkout):
        return checkout
    spec = importlib.util.find_spec('mmmer')  # locates without importing
    if spec is not None and spec.submodule_search_locations:
        installed = osp.join(list(spec.submodule_search_locations)[0],
                             'utils', 'compat.py')
        if osp.isfile(installed):
            return installed
    raise SystemExit('fix_opencv.py: cannot find mmmer/utils/compat.py; run it '
                     'from a mmmer checkout or install mmmer first.')


def load_compat():
    spec = importlib.util.spec_from_file_location('_mmmer_compat', compat_file())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == '__main__':
    print(load_compat().ensure_opencv_contrib(dry_run='--dry-run' in sys.argv[1:]))
