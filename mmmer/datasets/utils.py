"""Old import path of the annotation helpers, now the package
:mod:`mmmer.datasets.annotation` (table, subjects, key_frames, frames,
clips, errors). Import from there; this module only re-exports."""
from .annotation import *  # noqa: F401,F403
from .annotation import __all__  # noqa: F401
