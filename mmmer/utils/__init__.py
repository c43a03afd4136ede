from .cli import run_cli
from .compat import (apply_compat_patches, find_dlib_landmark_model,
                     import_diffusers, require_cv2_optflow)
from .errors import MissingDependencyError, MMMERUserError
from .setup_env import register_all_modules

__all__ = ['apply_compat_patches', 'find_dlib_landmark_model',
           'import_diffusers', 'require_cv2_optflow', 'register_all_modules',
           'run_cli', 'MMMERUserError', 'MissingDependencyError']
