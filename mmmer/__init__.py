"""mmmer: an MMEngine-based toolkit for facial micro-expression recognition."""
from .utils.compat import apply_compat_patches
from .version import __version__

apply_compat_patches()

__all__ = ['__version__']
