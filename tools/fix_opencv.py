"""Restore cv2.optflow (TV-L1) after pip installed mmengine's opencv-python.

    python tools/fix_opencv.py

mmengine and mmcv-lite require opencv-python, which overwrites the files of
opencv-contrib-python-headless; this reinstalls the contrib build at the same
version (see mmmer/utils/compat.py). Safe to run repeatedly.
"""
import importlib.util
import os.path as osp

# Load compat.py directly: importing the mmmer package is not needed here.
_spec = importlib.util.spec_from_file_location(
    'mmmer_compat', osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                             'mmmer', 'utils', 'compat.py'))
compat = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compat)

if __name__ == '__main__':
    print(compat.ensure_opencv_contrib())
