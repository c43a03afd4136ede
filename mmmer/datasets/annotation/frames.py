"""Frame files and clip folders.

Frame numbers are read from file names (the last run of digits, so
``reg_img46.jpg`` -> 46, ``006_05562.jpg`` -> 5562, ``image090823.bmp`` ->
90823) and sorted numerically, because ``os.listdir`` order is arbitrary and
zero padding varies inside one dataset.
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

from .errors import DatasetLayoutError

__all__ = ['IMAGE_EXTENSIONS', 'MISSING_CLIP_POLICIES', 'frame_number_of', 'list_frames',
           'frames_in_range', 'find_child_dir', 'require_dir', 'FrameFolderCache',
           'fill_frames', 'check_missing_clip_policy', 'raise_or_log_missing']

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')

_DIGIT_RUN = re.compile(r'\d+')


def frame_number_of(filename: str) -> Optional[int]:
    """Frame number of a frame file: the last run of digits of its stem.

    ``reg_img46.jpg`` -> 46, ``006_05562.jpg`` -> 5562, ``img1.jpg`` -> 1,
    ``image090823.bmp`` -> 90823; None when the stem has no digits.
    """
    runs = _DIGIT_RUN.findall(osp.splitext(osp.basename(filename))[0])
    return int(runs[-1]) if runs else None


def list_frames(clip_dir: str,
                extensions: Sequence[str] = IMAGE_EXTENSIONS,
                prefix: Optional[str] = None,
                one_pattern: bool = False) -> List[Tuple[int, str]]:
    """``(frame number, path)`` of every image in ``clip_dir``, numerically sorted.

    Files without a digit run (``Thumbs.db``, ``.DS_Store``) and non-images are
    ignored.

    Args:
        prefix (str, optional): keep only files whose name before the number
            is ``prefix`` (``'reg_img'`` keeps ``reg_img46.jpg``, not
            ``img46.jpg``).
        one_pattern (bool): all kept files must share one name pattern
            (text before and after the number, extension); a folder holding
            two copies of the clip (``img46.jpg`` and ``reg_img46.jpg``) is
            then an error that asks for ``frame_prefix=``.

    Raises:
        DatasetLayoutError: two files carry the same frame number (e.g.
            ``009_0123.jpg`` and ``009_00123.jpg``), which makes the clip
            ambiguous, or (``one_pattern``) the names follow several patterns.
    """
    frames, patterns = [], set()
    with os.scandir(clip_dir) as it:
        for entry in it:
            if not entry.name.lower().endswith(tuple(extensions)):
                continue
            stem, ext = osp.splitext(entry.name)
            runs = list(_DIGIT_RUN.finditer(stem))
            if not runs:
                continue
            head, tail = stem[:runs[-1].start()], stem[runs[-1].end():]
            if prefix is not None and head != prefix:
                continue
            patterns.add(f'{head}<N>{tail}{ext.lower()}')
            frames.append((int(runs[-1].group()), entry.path))
    if one_pattern and len(patterns) > 1:
        raise DatasetLayoutError(
            f'{clip_dir}: the folder mixes frame name patterns {sorted(patterns)}; '
            'pass frame_prefix= to choose one.')
    frames.sort()
    for (a, pa), (b, pb) in zip(frames, frames[1:]):
        if a == b:
            raise DatasetLayoutError(
                f'{clip_dir}: files {osp.basename(pa)!r} and {osp.basename(pb)!r} '
                f'both have frame number {a}; remove the duplicate.')
    return frames


def frames_in_range(frames: Sequence[Tuple[int, str]], onset: int,
                    offset: int) -> Tuple[List[int], List[str]]:
    """Numbers and paths of the frames ``onset <= n <= offset``."""
    kept = [(n, p) for n, p in frames if onset <= n <= offset]
    return [n for n, _ in kept], [p for _, p in kept]


def find_child_dir(parent: str, name: str) -> Optional[str]:
    """``parent/name``, falling back to a case-insensitive match.

    CAS(ME)^3 has an uppercase task letter ``J`` in the sheet while copies on
    case-sensitive file systems may use ``j`` (and vice versa).
    """
    path = osp.join(parent, name)
    if osp.isdir(path):
        return path
    if not osp.isdir(parent):
        return None
    lowered = name.lower()
    for entry in os.listdir(parent):
        if entry.lower() == lowered and osp.isdir(osp.join(parent, entry)):
            return osp.join(parent, entry)
    return None


def require_dir(path: str, what: str, layout_hint: str) -> str:
    """Raise a :class:`DatasetLayoutError` unless ``path`` is a folder."""
    if not path or not osp.isdir(path):
        raise DatasetLayoutError(
            f'{what} not found: {path!r}. Expected layout: {layout_hint} '
            '(see docs/datasets.md).')
    return path


MISSING_CLIP_POLICIES = ('error', 'skip', 'keep')


def check_missing_clip_policy(policy: str) -> str:
    if policy not in MISSING_CLIP_POLICIES:
        raise ValueError(f'missing_clips must be one of {MISSING_CLIP_POLICIES}, got {policy!r}')
    return policy


def raise_or_log_missing(name: str, missing: List[str], policy: str, layout_hint: str,
                         logger=None, what: str = 'annotated clip(s) have no frame folder'
                         ) -> None:
    """Report clips whose frame folder is absent, all at once.

    ``'error'`` raises one :class:`DatasetLayoutError` listing them (up to 20);
    ``'skip'``/``'keep'`` log a warning (``tools/analysis/check_dataset.py``
    builds datasets with ``'keep'`` to report every problem).
    """
    if not missing:
        return
    shown = '\n  '.join(missing[:20])
    more = f'\n  ... and {len(missing) - 20} more' if len(missing) > 20 else ''
    msg = (f'{name}: {len(missing)} {what}:\n  {shown}{more}\n'
           f'Expected layout: {layout_hint}.')
    if policy == 'error':
        raise DatasetLayoutError(
            msg + "\nFix the paths, or pass missing_clips='skip' to leave these clips out "
            '(run tools/analysis/check_dataset.py for a full report).')
    if logger is not None:
        logger.warning(msg + f' (missing_clips={policy!r})')


class FrameFolderCache:
    """Lists each frame folder once (CAS(ME)^3 rows share whole-video folders)."""

    def __init__(self, extensions: Sequence[str] = IMAGE_EXTENSIONS):
        self.extensions = tuple(extensions)
        self._cache: Dict[str, List[Tuple[int, str]]] = {}

    def __call__(self, clip_dir: str) -> List[Tuple[int, str]]:
        if clip_dir not in self._cache:
            self._cache[clip_dir] = list_frames(clip_dir, self.extensions)
        return self._cache[clip_dir]


def fill_frames(sample: dict, clip_dir: Optional[str], frames, trimmed: bool) -> None:
    """Add ``clip_dir``, ``frame_paths``, ``frame_numbers`` (onset..offset) and
    ``trimmed_clip`` to a sample; ``frames`` is :func:`list_frames` output."""
    sample['clip_dir'] = clip_dir
    sample['trimmed_clip'] = trimmed
    if clip_dir is None:
        sample['frame_numbers'], sample['frame_paths'] = [], []
        return
    sample['frame_numbers'], sample['frame_paths'] = frames_in_range(
        frames, sample['onset'], sample['offset'])
