"""CASME II: the annotation sheet and the frame folders -> sample dicts.

Facts used here are those of ``specs/datasets.md`` sections 0, 1, 7 and 8:

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
import os
import os.path as osp
import re
from collections import Counter
from numbers import Integral, Real
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import MMLogger

from mmmer.registry import DATASETS

from .base import DatasetLayoutError, MEDataset

#: Every emotion string that occurs in any CASME II sheet version (lowercase).
CASME2_EMOTIONS = ('happiness', 'surprise', 'disgust', 'repression', 'others',
                   'fear', 'sadness')

#: The CASME II rows that the MEGC2019 composite drops besides the "/" apex row
#: (``specs/datasets.md`` section 8); use as ``exclude_clips=``.
MEGC2019_EXCLUDED_CLIPS = (('sub24', 'EP02_07'), )

#: Sheet names tried, in this order, when ``ann_file`` is not given.
CASME2_ANNOTATION_NAMES = (
    'CASME2-coding-20140508.xlsx', 'CASME2-coding-20190701.xlsx',
    'CASME2-coding-updated.xlsx', 'CASME2-coding-20140508.csv',
    'CASME2-coding-20190701.csv', 'CASME2-coding-updated.csv',
    'annotation.xlsx', 'annotation.csv')

_IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')

# Normalised header (lowercase, alphanumerics only) -> field.
_COLUMN_ALIASES = {
    'subject': ('subject', 'sub'),
    'filename': ('filename', 'clip', 'video'),
    'onset': ('onsetframe', 'onset'),
    'apex': ('apexframe', 'apex'),
    'offset': ('offsetframe', 'offset'),
    'action_units': ('actionunits', 'actionunit', 'aus', 'au'),
    'emotion': ('estimatedemotion', 'emotion'),
}
_REQUIRED_COLUMNS = ('subject', 'filename', 'onset', 'apex', 'offset',
                     'emotion')
# Cell values that mean "no apex annotated" (the sub04/EP12_01f row holds "/").
_MISSING_MARKERS = ('', '/', '-', 'nan', 'none', 'n/a', 'na')

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


def _norm_header(name) -> str:
    return re.sub(r'[^0-9a-z]', '', str(name).lower())


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN from pandas
        return True
    return str(value).strip().lower() in _MISSING_MARKERS


def parse_frame_number(value) -> Optional[int]:
    """An integer frame number from a sheet cell, or None if it is not one.

    pandas returns ints, floats (``46.0`` when the column holds a NaN) or
    strings (``"46"``, from text cells or a CSV).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        if value != value or float(value) != int(value):
            return None
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r'\d+', text):
        return int(text)
    if re.fullmatch(r'\d+\.0*', text):
        return int(float(text))
    return None


def normalize_subject(value) -> Optional[str]:
    """``1``, ``1.0``, ``'01'``, ``'sub01'`` or ``'casme2_sub01'`` -> ``'sub01'``."""
    if _is_missing(value):
        return None
    number = parse_frame_number(value)  # 1, 1.0, '01', '1.0'
    if number is not None:
        return f'sub{number:02d}'
    if isinstance(value, Real):
        return None
    text = str(value).strip()
    match = re.fullmatch(r'(?:[a-z0-9]+_)?(?:sub)?0*(\d+)', text.lower())
    if match is None:
        return None
    return f'sub{int(match.group(1)):02d}'


def last_digit_run(stem: str) -> Optional[re.Match]:
    """The last run of digits in a file stem (``reg_img46`` -> ``46``)."""
    match = None
    for match in re.finditer(r'\d+', stem):
        pass
    return match


@DATASETS.register_module()
class CASME2Dataset(MEDataset):
    """CASME II (Yan et al., PLoS ONE 2014) micro-expression clips.

    Args:
        data_root (str): the CASME II folder (see :data:`CASME2_LAYOUT`).
        ann_file (str): the coding sheet (.xlsx or .csv), relative to
            ``data_root``. Empty: the first of
            :data:`CASME2_ANNOTATION_NAMES` that exists.
        frames_dir (str): folder holding ``subXX/<Filename>/`` clip folders:
            ``'Cropped'`` (default) or ``'CASME2_RAW_selected'``.
        frame_prefix (str, optional): frame file name before the number
            (``'reg_img'`` in Cropped, ``'img'`` in RAW_selected). None:
            detected per clip folder (an error if a folder mixes prefixes).
        bad_apex (str): what to do with a row whose ApexFrame is not a number
            (``"/"`` for sub04/EP12_01f): ``'drop'`` (default; MEGC2019
            leaves this row out of the 145-sample 3-class set, section 8),
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
        **kwargs: see :class:`MEDataset` (label_set, subjects, pipeline, ...).

    Each sample dict has the keys listed in :mod:`mmmer.datasets.base`, with
    ``emotion`` stripped and lowercased, plus ``action_units`` (str),
    ``ann_row`` (1-based sheet row, header = row 1) and ``clip_dir``.
    ``quirk_counts`` (Counter) records every fix applied while parsing.
    """
    DATASET_NAME = 'casme2'
    KNOWN_EMOTIONS = CASME2_EMOTIONS
    ANNOTATION_NAMES = CASME2_ANNOTATION_NAMES
    LAYOUT = CASME2_LAYOUT

    _POLICIES = dict(bad_apex=('drop', 'midpoint', 'error'),
                     apex_out_of_range=('error', 'midpoint', 'drop'),
                     short_clip=('truncate', 'error'))

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 frames_dir: str = 'Cropped',
                 frame_prefix: Optional[str] = None,
                 bad_apex: str = 'drop',
                 apex_out_of_range: str = 'error',
                 short_clip: str = 'truncate',
                 exclude_clips: Optional[Sequence[Tuple]] = None,
                 **kwargs):
        for name, value in (('bad_apex', bad_apex),
                            ('apex_out_of_range', apex_out_of_range),
                            ('short_clip', short_clip)):
            if value not in self._POLICIES[name]:
                raise ValueError(f'{type(self).__name__}: {name} must be one of '
                                 f'{self._POLICIES[name]}, got {value!r}')
        self.frames_dir = frames_dir
        self.frame_prefix = frame_prefix
        self.bad_apex = bad_apex
        self.apex_out_of_range = apex_out_of_range
        self.short_clip = short_clip
        self.exclude_clips = self._normalize_exclusions(exclude_clips or ())
        self.quirk_counts: Counter = Counter()
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    # ------------------------------------------------------------ helpers
    def _normalize_exclusions(self, pairs) -> Dict[Tuple[str, str], tuple]:
        out = {}
        for pair in pairs:
            if isinstance(pair, str) or len(pair) != 2:
                raise ValueError(
                    f'{type(self).__name__}: exclude_clips entries must be '
                    f'(subject, filename) pairs, got {pair!r}')
            subject = normalize_subject(pair[0])
            if subject is None:
                raise ValueError(f'{type(self).__name__}: cannot read the subject '
                                 f'of exclude_clips entry {pair!r}')
            out[(subject, str(pair[1]).strip())] = tuple(pair)
        return out

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
        import pandas as pd
        ext = osp.splitext(path)[1].lower()
        try:
            if ext in ('.xlsx', '.xlsm', '.xls'):
                # dtype=object keeps "/" and "01" as written; numbers stay numbers.
                table = pd.read_excel(path, sheet_name=0, dtype=object)
            elif ext == '.csv':
                table = pd.read_csv(path, dtype=str, keep_default_na=False)
            else:
                raise self._layout_error(
                    f'annotation file {path!r} must be .xlsx or .csv.')
        except DatasetLayoutError:
            raise
        except Exception as e:  # pandas/openpyxl raise many types on bad files
            raise self._layout_error(
                f'cannot read annotation file {path!r}: '
                f'{type(e).__name__}: {e}') from e
        columns = {}
        for column in table.columns:
            key = _norm_header(column)
            for field, aliases in _COLUMN_ALIASES.items():
                if key in aliases and field not in columns:
                    columns[field] = column
        missing = [f for f in _REQUIRED_COLUMNS if f not in columns]
        if missing:
            raise self._layout_error(
                f'annotation file {path!r} lacks the column(s) {missing}; its '
                f'header is {[str(c) for c in table.columns]}.')
        return table, columns

    def _policy_apex(self, policy: str, what: str, where: str, onset: int,
                     offset: int, logger) -> Optional[int]:
        if policy == 'error':
            raise ValueError(f'{where}: {what}. Fix the sheet, or set '
                             "bad_apex/apex_out_of_range='midpoint' or 'drop'.")
        if policy == 'drop':
            self.quirk_counts['apex_dropped'] += 1
            logger.warning(f'{type(self).__name__}: {where}: {what}; row dropped.')
            return None
        apex = (onset + offset) // 2
        self.quirk_counts['apex_midpoint'] += 1
        logger.warning(f'{type(self).__name__}: {where}: {what}; apex set to '
                       f'(onset + offset) // 2 = {apex}.')
        return apex

    def list_clip_frames(self, clip_dir: str, where: str) -> Dict[int, str]:
        """Frame number -> path for the frames of one clip folder.

        The number is the last digit run of the file name; ``os.listdir`` order
        is arbitrary, so callers sort by number (specs/datasets.md section 0).
        """
        if not osp.isdir(clip_dir):
            raise self._layout_error(
                f'{where}: clip folder {clip_dir!r} does not exist.')
        groups: Dict[tuple, Dict[int, str]] = {}
        for name in os.listdir(clip_dir):
            stem, ext = osp.splitext(name)
            if ext.lower() not in _IMAGE_EXTS:
                continue
            match = last_digit_run(stem)
            if match is None:
                continue
            prefix = stem[:match.start()]
            if self.frame_prefix is not None and prefix != self.frame_prefix:
                continue
            key = (prefix, stem[match.end():], ext.lower())
            number = int(match.group())
            frames = groups.setdefault(key, {})
            if number in frames:
                raise self._layout_error(
                    f'{where}: frames {frames[number]!r} and {name!r} in '
                    f'{clip_dir!r} both have frame number {number}.')
            frames[number] = osp.join(clip_dir, name)
        if not groups:
            wanted = (f'named {self.frame_prefix}<N>'
                      if self.frame_prefix is not None else 'with a frame number')
            raise self._layout_error(
                f'{where}: clip folder {clip_dir!r} has no image files {wanted}.')
        if len(groups) > 1:
            names = sorted(f'{p}<N>{s}{e}' for p, s, e in groups)
            raise self._layout_error(
                f'{where}: clip folder {clip_dir!r} mixes frame name patterns '
                f'{names}; pass frame_prefix= to choose one.')
        return next(iter(groups.values()))

    # ------------------------------------------------------------ parsing
    def parse_annotations(self) -> List[dict]:
        logger = MMLogger.get_current_instance()
        ann_path = self._resolve_ann_file()
        table, columns = self._read_sheet(ann_path)
        frames_root = osp.join(self.data_root, self.frames_dir)
        if not osp.isdir(frames_root):
            raise self._layout_error(
                f'frame folder {frames_root!r} does not exist (frames_dir='
                f'{self.frames_dir!r}).')
        name = type(self).__name__
        data_list = []
        seen = {}
        excluded_found = set()
        for idx, row in enumerate(table.itertuples(index=False)):
            row = dict(zip(table.columns, row))
            if all(_is_missing(v) for v in row.values()):
                continue  # trailing empty rows of a spreadsheet
            sheet_row = idx + 2  # 1-based, the header is row 1
            raw_subject = row[columns['subject']]
            clip = '' if _is_missing(row[columns['filename']]) else \
                str(row[columns['filename']]).strip()
            where = (f'{ann_path} row {sheet_row} (Subject={raw_subject!r}, '
                     f'Filename={clip!r})')
            subject = normalize_subject(raw_subject)
            if subject is None or not clip:
                raise ValueError(f'{where}: Subject and Filename must be given '
                                 '(Subject like 1, "01" or "sub01").')
            emotion = '' if _is_missing(row[columns['emotion']]) else \
                str(row[columns['emotion']]).strip().lower()
            if emotion not in self.KNOWN_EMOTIONS:
                raise ValueError(
                    f'{where}: unknown emotion {row[columns["emotion"]]!r}; '
                    f'CASME II emotions are {list(self.KNOWN_EMOTIONS)}.')
            numbers = {}
            for field in ('onset', 'offset'):
                numbers[field] = parse_frame_number(row[columns[field]])
                if numbers[field] is None:
                    raise ValueError(
                        f'{where}: {columns[field]} {row[columns[field]]!r} is '
                        'not a frame number.')
            onset, offset = numbers['onset'], numbers['offset']
            if onset > offset:
                raise ValueError(f'{where}: onset {onset} is after offset {offset}.')
            if (subject, clip) in self.exclude_clips:
                excluded_found.add((subject, clip))
                self.quirk_counts['excluded_clips'] += 1
                logger.info(f'{name}: {where} excluded by exclude_clips.')
                continue
            label = self.label_of(emotion)
            if label is None:
                continue  # outside the label set; counted by label_of
            raw_apex = row[columns['apex']]
            apex = parse_frame_number(raw_apex)
            if apex is None:
                if not _is_missing(raw_apex):
                    raise ValueError(f'{where}: {columns["apex"]} {raw_apex!r} is '
                                     'not a frame number.')
                apex = self._policy_apex(self.bad_apex,
                                         f'no apex frame ({raw_apex!r})', where,
                                         onset, offset, logger)
            elif not onset <= apex <= offset:
                apex = self._policy_apex(
                    self.apex_out_of_range,
                    f'apex {apex} outside [onset {onset}, offset {offset}]',
                    where, onset, offset, logger)
            if apex is None:
                continue
            sample = self._collect_frames(subject, clip, onset, apex, offset,
                                          frames_root, where, logger)
            key = (subject, clip)
            if key in seen:
                self.quirk_counts['duplicate_rows'] += 1
                logger.warning(f'{name}: {where} repeats the clip of row '
                               f'{seen[key]}; both rows are kept.')
            seen.setdefault(key, sheet_row)
            action_units = '' if 'action_units' not in columns or _is_missing(
                row[columns['action_units']]) else str(row[columns['action_units']]).strip()
            sample.update(
                dataset=self.DATASET_NAME,
                subject=f'{self.DATASET_NAME}_{subject}',
                clip=clip,
                emotion=emotion,
                gt_label=label,
                action_units=action_units,
                ann_row=sheet_row)
            data_list.append(sample)
        unused = set(self.exclude_clips) - excluded_found
        if unused:
            logger.warning(f'{name}: exclude_clips entries not found in {ann_path}: '
                           f'{sorted(self.exclude_clips[k] for k in unused)}')
        if self.quirk_counts:
            logger.info(f'{name}: annotation fixes applied: '
                        f'{dict(sorted(self.quirk_counts.items()))}')
        if not data_list:
            logger.warning(f'{name}: no sample of {ann_path} is in label set '
                           f'{self.label_set!r}.')
        return data_list

    def _collect_frames(self, subject, clip, onset, apex, offset, frames_root,
                        where, logger) -> dict:
        clip_dir = osp.join(frames_root, subject, clip)
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
                prefix = osp.basename(frames[first])
                match = last_digit_run(osp.splitext(prefix)[0])
                expected = prefix[:match.start()] + str(number) + prefix[match.end():]
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
