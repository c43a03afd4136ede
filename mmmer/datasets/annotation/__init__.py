"""Dataset-agnostic parsing of micro-expression annotations.

Every parser (CASME II, SAMM, SMIC, CAS(ME)^3, MMEW, ...) reads its sheet,
normalises subjects, repairs key frames and lists frame files with these
helpers, so bad input is reported the same way everywhere: the message names
the file, the spreadsheet row and the column.

- :mod:`.table`: sheets (:func:`read_annotation_table`) and cell values.
- :mod:`.subjects`: one canonical subject id per dataset.
- :mod:`.key_frames`: :class:`KeyFrameRepairer`, repairs by rule, never by row.
- :mod:`.frames`: frame numbers from file names, clip folders.
- :mod:`.clips`: FACS-coding rows -> sample dicts.
- :mod:`.errors`: :class:`AnnotationError`.
"""
from .clips import ClipRow, build_clip_samples, read_facs_clip_rows
from .errors import AnnotationError, DatasetLayoutError
from .frames import (IMAGE_EXTENSIONS, MISSING_CLIP_POLICIES, FrameFolderCache,
                     check_missing_clip_policy, fill_frames, find_child_dir,
                     frame_number_of, frames_in_range, list_frames,
                     raise_or_log_missing, require_dir)
from .key_frames import KeyFrameRepairer, key_frame_order_ok, midpoint_apex
from .subjects import namespaced_subject, normalize_subject, parse_exclude_clips
from .table import (AnnotationTable, cell_text, check_emotion, is_blank,
                    parse_frame_value, read_annotation_table)

__all__ = [
    'AnnotationError', 'DatasetLayoutError', 'AnnotationTable', 'read_annotation_table',
    'is_blank', 'cell_text', 'parse_frame_value', 'check_emotion', 'normalize_subject',
    'namespaced_subject', 'parse_exclude_clips', 'KeyFrameRepairer', 'key_frame_order_ok',
    'midpoint_apex', 'IMAGE_EXTENSIONS', 'MISSING_CLIP_POLICIES', 'frame_number_of',
    'list_frames', 'frames_in_range', 'find_child_dir', 'require_dir', 'FrameFolderCache',
    'fill_frames', 'check_missing_clip_policy', 'raise_or_log_missing', 'ClipRow',
    'read_facs_clip_rows', 'build_clip_samples'
]
