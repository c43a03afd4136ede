"""Base classes of the datasets read from clip folders and an annotation sheet.

:class:`ClipFolderDataset` holds what SAMM, MMEW, SMIC and CAS(ME)^3 share:
the frame folder, ``exclude_clips`` and the ``missing_clips`` policy.
:class:`FACSSheetDataset` adds the sheet options (``sheet_name``,
``bad_apex``, ``max_duration``) and the parse loop of the FACS-coding sheets:
a subclass only says how to read its rows (:meth:`read_rows`) and where a
row's clip folder is (:meth:`locate_clip`).
"""
from typing import List, Optional, Sequence

from .annotation import (ClipRow, KeyFrameRepairer, build_clip_samples,
                         check_missing_clip_policy, parse_exclude_clips, require_dir)
from .base import MEDataset

__all__ = ['ClipFolderDataset', 'FACSSheetDataset']


class ClipFolderDataset(MEDataset):
    """An ME dataset whose clips are frame folders below ``frames_dir``.

    ``data_root``, ``ann_file`` and ``frames_dir`` left out (None) take the
    dataset's defaults, :attr:`DEFAULT_PATHS` (the layout its owners
    distribute; :meth:`default_paths` for datasets with several layouts).

    Args:
        data_root (str, optional): dataset folder.
        ann_file (str, optional): annotation sheet, relative to ``data_root``.
        frames_dir (str, optional): folder (relative to ``data_root``) holding
            the clips.
        exclude_clips (Sequence[tuple]): ``(subject, clip)`` pairs to drop;
            subjects raw (``'006'``, 6) or namespaced (``'samm_006'``).
        missing_clips (str): annotated clips without a frame folder:
            ``'error'`` | ``'skip'`` | ``'keep'`` (kept with empty
            ``frame_paths``; ``tools/analysis/check_dataset.py`` uses it).
        **kwargs: :class:`MEDataset` arguments (label_set, subjects, ...).
    """
    #: the dataset's name in messages (e.g. ``'CAS(ME)^3'``)
    DISPLAY_NAME = 'ME'
    #: whether a clip folder holds exactly the frames onset..offset
    TRIMMED_CLIPS = True
    #: ``data_root`` / ``ann_file`` / ``frames_dir`` when a config leaves them out
    DEFAULT_PATHS = dict(data_root='', ann_file='', frames_dir='')

    def __init__(self,
                 data_root: Optional[str] = None,
                 ann_file: Optional[str] = None,
                 frames_dir: Optional[str] = None,
                 exclude_clips: Optional[Sequence] = None,
                 missing_clips: str = 'error',
                 **kwargs):
        given = dict(data_root=data_root, ann_file=ann_file, frames_dir=frames_dir)
        paths = {k: self.default_paths()[k] if v is None else v for k, v in given.items()}
        self.frames_dir = paths.pop('frames_dir')
        self.exclude_clips = list(exclude_clips or [])
        self.missing_clips = check_missing_clip_policy(missing_clips)
        super().__init__(**paths, **kwargs)

    def default_paths(self) -> dict:
        """The paths a config may leave out (:attr:`DEFAULT_PATHS`)."""
        return self.DEFAULT_PATHS

    @property
    def layout_hint(self) -> str:
        """The expected layout, quoted by every layout error."""
        return self.LAYOUT

    def excluded_table(self) -> dict:
        """``{(canonical subject, clip): seen}`` of ``exclude_clips``."""
        return parse_exclude_clips(self.DATASET_NAME, self.exclude_clips)


class FACSSheetDataset(ClipFolderDataset):
    """A :class:`ClipFolderDataset` annotated by a FACS-coding sheet.

    Args:
        sheet_name (int | str): sheet of the workbook.
        bad_apex (str): ``'midpoint'`` | ``'drop'`` | ``'error'`` for rows
            whose apex is missing or outside [onset, offset]; impossible
            onsets/offsets are repaired by rule
            (:class:`~mmmer.datasets.annotation.KeyFrameRepairer`), each
            repair logged with its row.
        max_duration (int, optional): longest plausible onset->offset length
            in frames; longer rows get the offset repaired. None: no limit.
        **kwargs: :class:`ClipFolderDataset` arguments.
    """

    def __init__(self,
                 sheet_name=0,
                 bad_apex: str = 'midpoint',
                 max_duration: Optional[int] = None,
                 **kwargs):
        self.sheet_name = sheet_name
        self.repairer = KeyFrameRepairer(bad_apex=bad_apex, max_duration=max_duration)
        super().__init__(**kwargs)

    def read_rows(self) -> List[ClipRow]:
        """The parsed rows of the sheet (subclasses implement this)."""
        raise TypeError(f'{type(self).__name__} is abstract: a FACS-sheet dataset must '
                        'define read_rows() returning ClipRow objects.')

    def locate_clip(self, row: ClipRow) -> Optional[str]:
        """The frame folder of ``row``, None if missing (subclasses implement
        this; :meth:`prepare_locator` runs once before the first call)."""
        raise TypeError(f'{type(self).__name__} is abstract: a FACS-sheet dataset must '
                        'define locate_clip(row).')

    def prepare_locator(self) -> None:
        """Check/index the frame folder before clips are located."""

    def clips_are_trimmed(self) -> bool:
        return self.TRIMMED_CLIPS

    def parse_annotations(self) -> List[dict]:
        require_dir(self.data_root, f'{self.DISPLAY_NAME} data_root', self.layout_hint)
        rows = self.read_rows()
        self.prepare_locator()
        return build_clip_samples(
            self, rows, self.locate_clip, trimmed=self.clips_are_trimmed(),
            repairer=self.repairer, missing_clips=self.missing_clips,
            layout_hint=self.layout_hint, exclude=self.excluded_table())
