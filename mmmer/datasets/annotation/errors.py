"""Errors of the annotation parsers."""
from mmmer.utils.errors import MMMERUserError

from ..base import DatasetLayoutError

__all__ = ['AnnotationError', 'DatasetLayoutError']


class AnnotationError(ValueError, MMMERUserError):
    """A cell of an annotation sheet cannot be interpreted.

    The message always names the file, the (1-based, Excel-style) row and the
    column, so the user can open the sheet and fix or exclude that row.
    """
