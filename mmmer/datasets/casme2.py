"""CASME II: the annotation sheet and the frame folders -> sample dicts.

Facts used here:

- Layout: ``<data_root>/Cropped/subXX/<Filename>/reg_img<N>.jpg`` (or
  ``CASME2_RAW_selected/subXX/<Filename>/img<N>.jpg``). A clip folder holds
  the frames onset..offset; ``<N>`` is the absolute frame number that the
  sheet's OnsetFrame / ApexFrame / OffsetFrame refer to.
- Sheet (``CASME2-coding-20140508.xlsx``, ``-20190701`` or MEB's
  ``-updated``): ``Subject | Filename | <blank> | OnsetFrame | ApexFrame |
  OffsetFrame | <blank> | Action Units | Estimated Emotion``. The blank
  headers read as ``Unnamed: 2`` / ``Unnamed: 6``; columns are located by
  header name, so their position does not matter.
- Quirks: ApexFrame is ``"/"`` for ``sub04/EP12_01f``; irregular clip names
  (``EP01_2``, ``EP06_02_01``, ``EP09f``); ``sub16/EP01_08`` in Cropped stops
  at frame 96 although the sheet says 110; Subject is an int (``1``) or a
  zero-padded string (``"01"``) depending on how the sheet is read.
- MEGC2019 3-class keeps 145 samples: the mapping of section 7 plus the
  exclusion of ``sub04/EP12_01f`` (the ``"/"`` apex row, dropped by the
  default ``bad_apex='drop'``) and ``sub24/EP02_07`` (pass it in
  ``exclude_clips``, see :data:`MEGC2019_EXCLUDED_CLIPS`).
"""
import os.path as osp
import re
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import MMLogger

from mmmer.registry import DATASETS

from .annotation import (KeyFrameRepairer, cell_text, check_emotion, is_blank, list_frames,
                         normalize_subject, parse_exclude_clips, parse_frame_value,
                         raise_or_log_missing, read_annotation_table)
from .base import DatasetLayoutError
from .sheet_dataset import ClipFolderDataset

__all__ = ['CASME2Dataset', 'CASME2_EMOTIONS', 'CASME2_ANNOTATION_NAMES',
           'MEGC2019_EXCLUDED_CLIPS', 'CASME2_LAYOUT']

#: Every emotion string that occurs in any CASME II sheet version (lowercase).
CASME2_EMOTIONS = ('happiness', 'surprise', 'disgust', 'repression', 'others',
                   'fear', 'sadness')

#: The CASME II rows that the MEGC2019 composite drops besides the "/" apex row
#: (the MEGC2019 sample list); use as ``exclude_clips=``.
MEGC2019_EXCLUDED_CLIPS = (('sub24', 'EP02_07'), )

#: Sheet names tried, in this order, when ``ann_file`` is not given.
CASME2_ANNOTATION_NAMES = (
    'CASME2-coding-20140508.xlsx', 'CASME2-coding-20190701.xlsx',
    'CASME2-coding-updated.xlsx', 'CASME2-coding-20140508.csv',
    'CASME2-coding-20190701.csv', 'CASME2-coding-updated.csv',
    'annotation.xlsx', 'annotation.csv')

# Field -> header aliases (matched ignoring case, spaces and underscores).
_COLUMN_ALIASES = {
    'subject': ('Subject', 'Sub'),
    'filename': ('Filename', 'Clip', 'Video'),
    'onset': ('OnsetFrame', 'Onset'),
    'apex': ('ApexFrame', 'Apex'),
    'offset': ('OffsetFrame', 'Offset'),
    'action_units': ('Action Units', 'Action Unit', 'AUs', 'AU'),
    'emotion': ('Estimated Emotion', 'Emotion'),
}
_REQUIRED_COLUMNS = ('subject', 'filename', 'onset', 'apex', 'offset', 'emotion')

CASME2_LAYOUT = """\
<data_root>/
|-- CASME2-coding-20140508.xlsx   (or -20190701 / -updated, .xlsx or .csv;
|                                  any name via ann_file=)
|-- Cropped/                      (frames_dir=; or CASME2_RAW_selected)
    |-- sub01/
    |   |-- EP02_01f/
    |   |   |-- reg_img46.jpg     (img46.jpg in CASME2_RAW_selected)
    |   |   |-- ...
    |   |   `-- reg_img86.jpg
    |   `-- ...
    `-- sub26/
The sheet columns are: Subject | Filename | <blank> | OnsetFrame | ApexFrame |
OffsetFrame | <blank> | Action Units | Estimated Emotion."""



@DATASETS.register_module()
class CASME2Dataset(ClipFolderDataset):
    """CASME II (Yan et al., PLoS ONE 2014) micro-expression clips.

    Args:
        data_root (str): the CASME II folder (see :data:`CASME2_LAYOUT`).
        ann_file (str): the coding sheet (.xlsx or .csv), relative to
            ``data_root``. Empty: the first of
            :data:`CASME2_ANNOTATION_NAMES` that exists.
        sheet_name (int | str): sheet of the workbook (the first by default).
        frames_dir (str): folder holding ``subXX/<Filename>/`` clip folders:
            ``'Cropped'`` (default) or ``'CASME2_RAW_selected'``.
        frame_prefix (str, optional): frame file name before the number
            (``'reg_img'`` in Cropped, ``'img'`` in RAW_selected). None:
            detected per clip folder (an error if a folder mixes prefixes).
        bad_apex (str): what to do with a row whose ApexFrame is not a number
            (``"/"`` for sub04/EP12_01f): ``'drop'`` (default; MEGC2019
            leaves this row out of the 145-sample 3-class set),
            ``'midpoint'`` (``(onset + offset) // 2``, as some loaders do) or
            ``'error'``. Every fix is logged with the row.
        apex_out_of_range (str): a numeric apex outside [onset, offset]:
            ``'error'`` (default), ``'midpoint'`` or ``'drop'``.
        short_clip (str): the clip folder ends before the annotated offset
            (or starts after the onset), like Cropped ``sub16/EP01_08``
            (files end at 96, sheet offset 110): ``'truncate'`` (default:
            use the frames that exist when they still contain the apex; the
            sample keeps ``annotated_onset`` / ``annotated_offset``; logged and
            counted) or ``'error'``. A frame missing *inside* the folder's
            range (onset, apex or offset) is always an error.
        exclude_clips (Sequence[tuple]): ``(subject, filename)`` pairs to
            leave out, e.g. :data:`MEGC2019_EXCLUDED_CLIPS`. Subjects may be
            ``4``, ``'04'``, ``'sub04'`` or ``'casme2_sub04'``.
        missing_clips (str): a row whose clip folder does not exist:
            ``'error'`` (default) | ``'skip'`` | ``'keep'`` (kept with empty
            ``frame_paths``; used by ``tools/analysis/check_dataset.py``).
        **kwargs: see :class:`MEDataset` (label_set, subjects, pipeline, ...).

    The sheet is read, its subjects normalised and its key frames checked
    with :mod:`mmmer.datasets.annotation` like every other parser. Each
    sample dict has the keys listed in :mod:`mmmer.datasets.base`, with
    ``emotion`` stripped and lowercased, plus ``action_units`` (str),
    ``annotation_row`` (``'<sheet> row <n>'``, header = row 1) and
    ``clip_dir``. ``quirk_counts`` (Counter) records every fix applied
    while parsing.
    """
    DATASET_NAME = 'casme2'
    DISPLAY_NAME = 'CASME II'
    #: subject form of the sheet (see :func:`~mmmer.datasets.annotation.normalize_subject`)
    SUBJECT_FORM = 'casme2'
    KNOWN_EMOTIONS = CASME2_EMOTIONS
    ANNOTATION_NAMES = CASME2_ANNOTATION_NAMES
    LAYOUT = CASME2_LAYOUT

    _POLICIES = dict(short_clip=('truncate', 'error'))

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 frames_dir: str = 'Cropped',
                 frame_prefix: Optional[str] = None,
                 bad_apex: str = 'drop',
                 apex_out_of_range: str = 'error',
                 short_clip: str = 'truncate',
                 exclude_clips: Optional[Sequence[Tuple]] = None,
                 sheet_name=0,
                 **kwargs):
        if short_clip not in self._POLICIES['short_clip']:
            raise ValueError(f'{type(self).__name__}: short_clip must be one of '
                             f"{self._POLICIES['short_clip']}, got {short_clip!r}")
        try:
            self.repairer = KeyFrameRepairer(bad_apex=bad_apex,
                                             apex_out_of_range=apex_out_of_range,
                                             bad_bounds='error')
        except ValueError as e:
            raise ValueError(f'{type(self).__name__}: {e}') from None
        self.frame_prefix = frame_prefix
        self.bad_apex = bad_apex
        self.apex_out_of_range = apex_out_of_range
        self.short_clip = short_clip
        self.sheet_name = sheet_name
        self.quirk_counts: Counter = Counter()
        super().__init__(data_root=data_root, ann_file=ann_file, frames_dir=frames_dir,
                         exclude_clips=exclude_clips, **kwargs)
        # fail early on a malformed entry (parsing may be lazy)
        self.excluded_table()

    # ------------------------------------------------------------ helpers
    def excluded_table(self) -> Dict[Tuple[str, str], bool]:
        for pair in self.exclude_clips:
            if isinstance(pair, str) or len(pair) != 2:
                raise ValueError(
                    f'{type(self).__name__}: exclude_clips entries must be '
                    f'(subject, filename) pairs, got {pair!r}')
        return parse_exclude_clips(self.SUBJECT_FORM, self.exclude_clips)

    def _layout_error(self, problem: str) -> DatasetLayoutError:
        return DatasetLayoutError(
            f'{type(self).__name__}: {problem}\nExpected layout '
            f'(data_root={self.data_root!r}):\n{self.LAYOUT}')

    def _resolve_ann_file(self) -> str:
        if not self.data_root or not osp.isdir(self.data_root):
            raise self._layout_error(
                f'data_root {self.data_root!r} is not a directory.')
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise self._layout_error(
                    f'annotation file {self.ann_file!r} does not exist.')
            return self.ann_file
        for name in self.ANNOTATION_NAMES:
            path = osp.join(self.data_root, name)
            if osp.isfile(path):
                return path
        raise self._layout_error(
            f'no annotation file in {self.data_root!r}: tried '
            f'{list(self.ANNOTATION_NAMES)}; pass ann_file=.')

    def _read_sheet(self, path: str):
        try:
            table = read_annotation_table(path, header_cell=_COLUMN_ALIASES['subject'],
                                          sheet_name=self.sheet_name)
            columns = table.find_columns(_COLUMN_ALIASES, _REQUIRED_COLUMNS)
        except DatasetLayoutError as e:
            raise self._layout_error(str(e)) from e
        return table, columns

    def list_clip_frames(self, clip_dir: str, where: str) -> Dict[int, str]:
        """Frame number -> path for the frames of one clip folder (numbers
        from the last digit run of the file names, one name pattern)."""
        try:
            frames = list_frames(clip_dir, prefix=self.frame_prefix, one_pattern=True)
        except DatasetLayoutError as e:
            raise self._layout_error(f'{where}: {e}') from e
        if not frames:
            wanted = (f'named {self.frame_prefix}<N>'
                      if self.frame_prefix is not None else 'with a frame number')
            raise self._layout_error(
                f'{where}: clip folder {clip_dir!r} has no image files {wanted}.')
        return dict(frames)

    # ------------------------------------------------------------ parsing
    def parse_annotations(self) -> List[dict]:
        logger = MMLogger.get_current_instance()
        ann_path = self._resolve_ann_file()
        table, col = self._read_sheet(ann_path)
        frames_root = osp.join(self.data_root, self.frames_dir)
        if not osp.isdir(frames_root):
            raise self._layout_error(
                f'frame folder {frames_root!r} does not exist (frames_dir='
                f'{self.frames_dir!r}).')
        name = type(self).__name__
        names = table.columns
        exclude = self.excluded_table()
        data_list, missing, seen = [], [], {}
        for i, cells in enumerate(table.rows):
            raw_subject, clip = cells[col['subject']], cell_text(cells[col['filename']])
            where = (f'{ann_path} row {table.excel_rows[i]} (Subject={raw_subject!r}, '
                     f'Filename={clip!r})')
            subject = normalize_subject(self.SUBJECT_FORM, raw_subject)
            if is_blank(raw_subject) or not clip or not re.fullmatch(r'sub\d{2,}', subject):
                raise ValueError(f'{where}: Subject and Filename must be given '
                                 '(Subject like 1, "01" or "sub01").')
            emotion = check_emotion(cells[col['emotion']], self.KNOWN_EMOTIONS, where,
                                    names[col['emotion']]).lower()
            onset, offset = (parse_frame_value(cells[col[f]], where, names[col[f]])
                             for f in ('onset', 'offset'))
            if (subject, clip) in exclude:
                exclude[(subject, clip)] = True
                self.quirk_counts['excluded_clips'] += 1
                logger.info(f'{name}: {where} excluded by exclude_clips.')
                continue
            label = self.label_of(emotion)
            if label is None:
                continue  # outside the label set; counted by label_of
            apex = parse_frame_value(cells[col['apex']], where, names[col['apex']],
                                     allow_missing=True)
            onset, apex, offset, notes = self.repairer.repair(onset, apex, offset, where)
            for note in notes:
                logger.warning(f'{name}: {note}')
            if apex is None:
                continue
            clip_dir = osp.join(frames_root, subject, clip)
            if osp.isdir(clip_dir):
                sample = self._collect_frames(clip_dir, onset, apex, offset, where, logger)
            else:
                missing.append(f'{where}: clip folder {clip_dir!r} does not exist')
                if self.missing_clips == 'skip':
                    continue
                sample = dict(clip_dir=None, frame_paths=[], frame_numbers=[],
                              onset=onset, apex=apex, offset=offset)
            if (subject, clip) in seen:
                self.quirk_counts['duplicate_rows'] += 1
                logger.warning(f'{name}: {where} repeats the clip of {seen[(subject, clip)]}; '
                               'both rows are kept.')
            seen.setdefault((subject, clip), table.where(i))
            sample.update(
                dataset=self.DATASET_NAME,
                subject=f'{self.DATASET_NAME}_{subject}',
                clip=clip,
                emotion=emotion,
                gt_label=label,
                action_units=(cell_text(cells[col['action_units']])
                              if 'action_units' in col else ''),
                annotation_row=table.where(i))
            data_list.append(sample)
        raise_or_log_missing(name, missing, self.missing_clips, self.LAYOUT, logger)
        self.quirk_counts.update(self.repairer.counts)
        self.repairer.counts.clear()
        unused = [k for k, found in exclude.items() if not found]
        if unused:
            logger.warning(f'{name}: exclude_clips entries not found in {ann_path}: '
                           f'{sorted(unused)}')
        if self.quirk_counts:
            logger.info(f'{name}: annotation fixes applied: '
                        f'{dict(sorted(self.quirk_counts.items()))}')
        if not data_list:
            logger.warning(f'{name}: no sample of {ann_path} is in label set '
                           f'{self.label_set!r}.')
        return data_list

    def _collect_frames(self, clip_dir, onset, apex, offset, where, logger) -> dict:
        """The frames onset..offset of a clip folder; a folder shorter than
        the annotation is truncated by the ``short_clip`` policy."""
        frames = self.list_clip_frames(clip_dir, where)
        first, last = min(frames), max(frames)
        used_onset, used_offset = onset, offset
        if onset < first or offset > last:
            problem = (f'clip folder {clip_dir!r} holds frames {first}..{last} but '
                       f'the sheet says onset {onset}, offset {offset}')
            if self.short_clip == 'error' or not first <= apex <= last:
                raise self._layout_error(
                    f'{where}: {problem}'
                    + ('' if first <= apex <= last else f' and apex {apex}')
                    + '. Restore the missing frames'
                    + (" or use short_clip='truncate'." if first <= apex <= last
                       else '.'))
            used_onset, used_offset = max(onset, first), min(offset, last)
            self.quirk_counts['short_clip_truncated'] += 1
            logger.warning(f'{type(self).__name__}: {where}: {problem}; using '
                           f'frames {used_onset}..{used_offset}.')
        for what, number in (('onset', used_onset), ('apex', apex),
                             ('offset', used_offset)):
            if number not in frames:
                stem, ext = osp.splitext(osp.basename(frames[first]))
                run = list(re.finditer(r'\d+', stem))[-1]  # the frame number
                expected = stem[:run.start()] + str(number) + stem[run.end():] + ext
                raise self._layout_error(
                    f'{where}: the {what} frame {number} is missing: '
                    f'{osp.join(clip_dir, expected)!r} does not exist.')
        numbers = sorted(n for n in frames if used_onset <= n <= used_offset)
        gaps = (used_offset - used_onset + 1) - len(numbers)
        if gaps:
            self.quirk_counts['clips_with_frame_gaps'] += 1
            logger.warning(f'{type(self).__name__}: {where}: {gaps} frame(s) '
                           f'between {used_onset} and {used_offset} are missing in '
                           f'{clip_dir!r}; the existing ones are used.')
        sample = dict(
            clip_dir=clip_dir,
            frame_paths=[frames[n] for n in numbers],
            frame_numbers=numbers,
            onset=used_onset,
            apex=apex,
            offset=used_offset)
        if (used_onset, used_offset) != (onset, offset):
            sample.update(annotated_onset=onset, annotated_offset=offset)
        return sample
