from .compat import (apply_compat_patches, find_dlib_landmark_model,
                     require_cv2_optflow)
from .setup_env import register_all_modules

__all__ = ['apply_compat_patches', 'find_dlib_landmark_model',
           'require_cv2_optflow', 'register_all_modules']
