"""Shared helpers of the annotation parsers (specs/datasets.md sections 0-5).

Everything here is dataset-agnostic so every parser (CASME II, SAMM, SMIC,
CAS(ME)^3, MMEW, ...) reports bad input the same way:

- :func:`read_annotation_table` reads an ``.xlsx``/``.xls``/``.csv`` sheet
  *without* letting pandas guess the header and the dtypes, finds the header
  row by locating a known cell (SAMM has 13 rows of notes above its header),
  and keeps text cells as text (SAMM subject ``"006"``).
- :func:`frame_number_of` / :func:`list_frames` read frame numbers from file
  names (the last run of digits, so ``reg_img46.jpg`` -> 46,
  ``006_05562.jpg`` -> 5562, ``image090823.bmp`` -> 90823) and sort
  numerically, because ``os.listdir`` order is arbitrary and zero padding
  varies inside one dataset.
- :func:`parse_frame_value` turns a sheet cell into a frame number or raises
  an :class:`AnnotationError` naming the file, the Excel row and the column.
"""
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from mmmer.utils.errors import MMMERUserError

from .base import DatasetLayoutError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')

_DIGIT_RUN = re.compile(r'\d+')


class AnnotationError(ValueError, MMMERUserError):
    """A cell of an annotation sheet cannot be interpreted.

    The message always names the file, the (1-based, Excel-style) row and the
    column, so the user can open the sheet and fix or exclude that row.
    """


# --------------------------------------------------------------- reading
@dataclass
class AnnotationTable:
    """Rows of an annotation sheet below its detected header row.

    Attributes:
        path (str): the file that was read.
        columns (list[str]): stripped header cells; blank cells become
            ``'Unnamed: <i>'`` (the name pandas would give them).
        rows (list[tuple]): raw cell values, one tuple per data row.
        excel_rows (list[int]): the 1-based spreadsheet row number of every
            entry of ``rows`` (what a user sees in Excel), for error messages.
        header_row (int): 1-based spreadsheet row of the header.
    """
    path: str
    columns: List[str]
    rows: List[tuple]
    excel_rows: List[int]
    header_row: int

    def column_index(self, *aliases: str, required: bool = True) -> Optional[int]:
        """Index of the first column whose name matches one of ``aliases``.

        Matching ignores case, spaces and underscores (``'Onset Frame'`` ==
        ``'OnsetFrame'`` == ``'onset_frame'``).
        """
        wanted = [_norm_name(a) for a in aliases]
        normed = [_norm_name(c) for c in self.columns]
        for w in wanted:
            if w in normed:
                return normed.index(w)
        if required:
            raise DatasetLayoutError(
                f'{self.path}: no column named {" / ".join(repr(a) for a in aliases)} '
                f'in header row {self.header_row}; the header has {self.columns}. '
                'Check that this is the right annotation file (see docs/datasets.md).')
        return None

    def where(self, i: int) -> str:
        """Human-readable location of data row ``i``."""
        return f'{osp.basename(self.path)} row {self.excel_rows[i]}'


def _norm_name(name) -> str:
    return re.sub(r'[\s_]+', '', str(name)).lower()


def is_blank(value) -> bool:
    """True for None, NaN and whitespace-only strings."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return isinstance(value, str) and not value.strip()


def read_annotation_table(path: str,
                          header_cell: str = 'Subject',
                          sheet_name=0,
                          layout_hint: str = '',
                          max_header_search: int = 60) -> AnnotationTable:
    """Read a sheet and locate its header row by the cell ``header_cell``.

    The file is read with ``header=None`` and ``dtype=object``: pandas then
    neither drops leading note rows nor coerces text cells such as SAMM's
    ``"006"`` to int (specs/datasets.md section 0). The first row (within
    ``max_header_search`` rows) having a cell equal to ``header_cell``
    (case- and space-insensitive) is the header. Fully blank rows below it
    are skipped.

    Raises:
        DatasetLayoutError: the file is missing, unreadable, lacks the sheet,
            or has no header cell. The message names the path and the layout
            that was expected (``layout_hint``).
    """
    import pandas as pd

    hint = f' Expected layout: {layout_hint}' if layout_hint else ''
    if not osp.isfile(path):
        raise DatasetLayoutError(f'Annotation file not found: {path}.{hint}')
    ext = osp.splitext(path)[1].lower()
    try:
        if ext == '.csv':
            df = pd.read_csv(path, header=None, dtype=object, keep_default_na=True)
        elif ext in ('.xlsx', '.xlsm', '.xls'):
            df = pd.read_excel(path, sheet_name=sheet_name, header=None, dtype=object)
        else:
            raise DatasetLayoutError(
                f'{path}: unsupported annotation format {ext!r} (use .xlsx, .xls '
                f'or .csv).{hint}')
    except ImportError as e:  # .xls needs xlrd, which mmmer does not install
        raise DatasetLayoutError(
            f'Cannot read {path}: {e}. Convert the sheet to .xlsx or .csv, or '
            '`pip install xlrd` for legacy .xls files.') from e
    except ValueError as e:  # e.g. "Worksheet named 'label' not found"
        raise DatasetLayoutError(f'Cannot read sheet {sheet_name!r} of {path}: {e}.{hint}') from e
    except DatasetLayoutError:
        raise
    except Exception as e:  # corrupt zip / not a spreadsheet
        raise DatasetLayoutError(f'Cannot read annotation file {path}: {e}.{hint}') from e

    target = _norm_name(header_cell)
    header_idx = None
    for i in range(min(len(df), max_header_search)):
        if any(_norm_name(v) == target for v in df.iloc[i].tolist() if not is_blank(v)):
            header_idx = i
            break
    if header_idx is None:
        raise DatasetLayoutError(
            f'{path}: no header cell {header_cell!r} in the first '
            f'{max_header_search} rows of sheet {sheet_name!r}.{hint}')
    columns = []
    for j, v in enumerate(df.iloc[header_idx].tolist()):
        columns.append(f'Unnamed: {j}' if is_blank(v) else str(v).strip())
    rows, excel_rows = [], []
    for i in range(header_idx + 1, len(df)):
        values = tuple(df.iloc[i].tolist())
        if all(is_blank(v) for v in values):
            continue
        rows.append(values)
        excel_rows.append(i + 1)  # pandas row i is spreadsheet row i + 1
    return AnnotationTable(path=path, columns=columns, rows=rows,
                           excel_rows=excel_rows, header_row=header_idx + 1)


# ----------------------------------------------------------- cell values
def cell_text(value) -> str:
    """A cell as stripped text; integral floats lose their ``.0``."""
    if is_blank(value):
        return ''
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_frame_value(value, where: str, column: str,
                      allow_missing: bool = False) -> Optional[int]:
    """Interpret a sheet cell as a frame number.

    Accepts ints, integral floats (``46.0``) and digit strings (``' 46'``).
    Blank cells and placeholders such as ``'/'`` or ``'-'`` return None when
    ``allow_missing`` (the caller then applies its repair rule), anything
    else raises.

    Raises:
        AnnotationError: naming ``where`` (file and row) and ``column``.
    """
    text = cell_text(value)
    if re.fullmatch(r'\d+', text):
        return int(text)
    if allow_missing and (text == '' or re.fullmatch(r'[/\\\-?]+|n/?a|none|nan', text.lower())):
        return None
    raise AnnotationError(
        f'{where}: column {column!r} holds {value!r}, which is not a frame number. '
        'Fix the cell or exclude the clip (exclude_clips=[(subject, filename)]).')


# ----------------------------------------------------------------- frames
def frame_number_of(filename: str) -> Optional[int]:
    """Frame number of a frame file: the last run of digits of its stem.

    ``reg_img46.jpg`` -> 46, ``006_05562.jpg`` -> 5562, ``img1.jpg`` -> 1,
    ``image090823.bmp`` -> 90823; None when the stem has no digits.
    """
    runs = _DIGIT_RUN.findall(osp.splitext(osp.basename(filename))[0])
    return int(runs[-1]) if runs else None


def list_frames(clip_dir: str,
                extensions: Sequence[str] = IMAGE_EXTENSIONS) -> List[Tuple[int, str]]:
    """``(frame number, path)`` of every image in ``clip_dir``, numerically sorted.

    Files without a digit run (``Thumbs.db``, ``.DS_Store``) and non-images are
    ignored.

    Raises:
        DatasetLayoutError: two files carry the same frame number (e.g.
            ``009_0123.jpg`` and ``009_00123.jpg``), which makes the clip
            ambiguous.
    """
    frames = []
    with os.scandir(clip_dir) as it:
        for entry in it:
            if not entry.name.lower().endswith(tuple(extensions)):
                continue
            num = frame_number_of(entry.name)
            if num is not None:
                frames.append((num, entry.path))
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


# --------------------------------------------------------------- subjects
def normalize_subject(dataset: str, raw) -> str:
    """Canonical (un-namespaced) subject id of a raw sheet/folder value.

    Raw ids are coerced by pandas and padded differently between copies
    (specs/datasets.md sections 0 and 8), so one canonical form per dataset
    keeps LOSO fold names identical whichever copy was parsed:

    - ``samm``: 3 digits (``6``, ``'6'``, ``'006'`` -> ``'006'``);
    - ``smic``: ``'s<n>'`` without padding (``'s01'``, ``'s1'``, 1 -> ``'s1'``);
    - ``casme2``: ``'sub<nn>'`` (1, ``'01'``, ``'sub01'`` -> ``'sub01'``);
    - ``casme3``: ``'spNO.<n>'`` (``'spNO.1'``, 1 -> ``'spNO.1'``);
    - ``mmew``: 2 digits (1, ``'S01'`` -> ``'01'``);
    - anything else: the stripped text.
    """
    text = cell_text(raw)
    digits = _DIGIT_RUN.findall(text)
    number = int(digits[-1]) if digits else None
    if number is None:
        return text
    if dataset == 'samm' and re.fullmatch(r'\d+', text):
        return f'{number:03d}'
    if dataset == 'smic' and re.fullmatch(r'(?i)s?\d+', text):
        return f's{number}'
    if dataset == 'casme2' and re.fullmatch(r'(?i)(sub)?\d+', text):
        return f'sub{number:02d}'
    if dataset == 'casme3' and re.fullmatch(r'(?i)(spno\.?)?\d+', text):
        return f'spNO.{number}'
    if dataset == 'mmew' and re.fullmatch(r'(?i)s?\d+', text):
        return f'{number:02d}'
    return text


def namespaced_subject(dataset: str, raw) -> str:
    """``'{dataset}_{subject}'``; raw ids collide across datasets (section 0)."""
    return f'{dataset}_{normalize_subject(dataset, raw)}'


def parse_exclude_clips(dataset: str,
                        exclude_clips: Optional[Iterable]) -> Dict[Tuple[str, str], bool]:
    """``{(canonical subject, clip): False}`` for ``exclude_clips``.

    Entries are ``(subject, clip)`` pairs; the subject may be raw (``'006'``,
    6, ``'sub04'``) or namespaced (``'samm_006'``). The value turns True once
    the clip was seen, so a parser can warn about entries that matched nothing.
    """
    table = {}
    for entry in exclude_clips or ():
        if isinstance(entry, str) or len(entry) != 2:
            raise ValueError(
                f'exclude_clips entries must be (subject, clip) pairs, got {entry!r}')
        subject, clip = entry
        subject = cell_text(subject)
        if subject.startswith(dataset + '_'):
            subject = subject[len(dataset) + 1:]
        table[(normalize_subject(dataset, subject), cell_text(clip))] = False
    return table


# ---------------------------------------------------------- key frames
def midpoint_apex(onset: int, offset: int) -> int:
    """``onset + (offset - onset) // 2``: the apex convention for sheets without
    one (SMIC-HS, specs/datasets.md section 3) and the repair of a bad apex."""
    return onset + (offset - onset) // 2


def key_frame_order_ok(onset, apex, offset) -> bool:
    """True when all three are known, positive and ``onset <= apex <= offset``."""
    return (None not in (onset, apex, offset) and onset > 0
            and onset <= apex <= offset)


class KeyFrameRepairer:
    """Repair impossible onset/apex/offset triples by rule, never by row index.

    Sheets of every dataset carry a few broken rows (specs/datasets.md: SAMM
    missing/outside apex; CAS(ME)^3 apex < onset, onset > apex, offset 0,
    offset 3460 for 34, onset = apex = 0; CASME II apex ``"/"``). MEB patches
    them by hard-coded row index, which silently breaks on another sheet
    version. The rules below look at the values only, so they fire on whatever
    row carries the defect, and every repair is returned as a message naming
    the row for the caller to log.

    Rules, applied in this order:

    1. **onset** blank/0, or later than both apex and offset (then onset is
       the odd one out, e.g. a typo 3647 for 2647): the first frame of a
       trimmed clip folder, else ``apex - rise`` (at least the first frame on
       disk, or 1).
    2. **offset** blank/0, earlier than onset, or more than ``max_duration``
       frames after onset (typo 3460 for 34): the last frame of a trimmed clip
       folder, else ``apex + fall`` (or ``onset + rise + fall`` without apex).
    3. **apex** blank/placeholder or outside ``[onset, offset]``: by
       ``bad_apex``: ``'midpoint'`` -> ``onset + (offset-onset)//2`` (the
       SMIC convention), ``'drop'`` -> the sample is skipped, ``'error'``.

    ``rise``/``fall`` are the medians of ``apex - onset`` / ``offset - apex``
    over the sheet's valid rows (:meth:`fit`), so repaired clips have a
    typical length for that dataset.

    Args:
        bad_apex (str): ``'midpoint'`` | ``'drop'`` | ``'error'``.
        max_duration (int, optional): longest plausible ``offset - onset`` in
            frames; None disables rule 2's length check.
    """
    APEX_POLICIES = ('midpoint', 'drop', 'error')

    def __init__(self, bad_apex: str = 'midpoint', max_duration: Optional[int] = None):
        if bad_apex not in self.APEX_POLICIES:
            raise ValueError(f'bad_apex must be one of {self.APEX_POLICIES}, got {bad_apex!r}')
        self.bad_apex = bad_apex
        self.max_duration = max_duration
        self.rise = 1
        self.fall = 1

    def fit(self, triples: Iterable[Tuple[Optional[int], Optional[int], Optional[int]]]):
        """Learn the typical rise/fall from the rows that need no repair."""
        rises, falls = [], []
        for on, ap, off in triples:
            if key_frame_order_ok(on, ap, off) and (
                    self.max_duration is None or off - on <= self.max_duration):
                rises.append(ap - on)
                falls.append(off - ap)
        if rises:
            rises.sort()
            falls.sort()
            self.rise = max(1, rises[len(rises) // 2])
            self.fall = max(1, falls[len(falls) // 2])
        return self

    def repair(self, onset, apex, offset, where: str,
               disk_range: Optional[Tuple[int, int]] = None,
               trimmed: bool = False):
        """Return ``(onset, apex, offset, notes)``; apex None means "drop".

        Args:
            disk_range: ``(first, last)`` frame number found in the clip folder.
            trimmed: the folder holds exactly the clip (CASME II, SAMM), so its
                first/last file *is* the onset/offset.

        Raises:
            AnnotationError: ``bad_apex='error'`` and the apex is unusable, or
                nothing is left to repair from.
        """
        notes = []
        first = disk_range[0] if disk_range else 1
        last = disk_range[1] if disk_range else None
        apex_ok = apex is not None and apex > 0

        # 1. onset
        onset_bad = onset is None or onset <= 0
        if not onset_bad and apex_ok and onset > apex and (offset is None or onset > offset):
            onset_bad = True
        if onset_bad:
            if trimmed and disk_range:
                new, why = first, 'first frame of the clip folder'
            elif apex_ok and (offset is None or apex <= offset or offset <= 0):
                new, why = max(first, apex - self.rise), f'apex - typical rise {self.rise}'
            else:
                new, why = first, 'first frame on disk'
            notes.append(f'{where}: onset {onset} is impossible '
                         f'(apex {apex}, offset {offset}) -> {new} ({why})')
            onset = new

        # 2. offset
        offset_bad = offset is None or offset <= 0 or offset < onset
        too_long = (not offset_bad and self.max_duration is not None
                    and offset - onset > self.max_duration)
        if offset_bad or too_long:
            if trimmed and last is not None and last >= onset:
                new, why = last, 'last frame of the clip folder'
            elif apex_ok and apex >= onset and (
                    self.max_duration is None or apex - onset <= self.max_duration):
                new, why = apex + self.fall, f'apex + typical fall {self.fall}'
            else:
                new, why = onset + self.rise + self.fall, 'onset + typical duration'
            reason = (f'more than max_duration={self.max_duration} frames after onset'
                      if too_long else 'impossible')
            notes.append(f'{where}: offset {offset} is {reason} (onset {onset}) -> {new} ({why})')
            offset = new

        # 3. apex
        if apex is None or not onset <= apex <= offset:
            problem = ('missing' if apex is None else
                       f'{apex} outside [onset {onset}, offset {offset}]')
            if self.bad_apex == 'error':
                raise AnnotationError(
                    f'{where}: apex {problem}. Fix the sheet, exclude the clip, or '
                    "set bad_apex='midpoint' / 'drop'.")
            if self.bad_apex == 'drop':
                notes.append(f'{where}: apex {problem} -> sample dropped (bad_apex=drop)')
                return onset, None, offset, notes
            new = midpoint_apex(onset, offset)
            notes.append(f'{where}: apex {problem} -> {new} (midpoint, bad_apex=midpoint)')
            apex = new
        return onset, apex, offset, notes


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


@dataclass
class ClipRow:
    """One annotation row, cells already parsed (before any repair)."""
    where: str                 # 'file.xlsx row 15', for messages
    subject: str               # canonical, un-namespaced subject id
    clip: str                  # clip id (unique per subject within a dataset)
    onset: Optional[int]
    apex: Optional[int]
    offset: Optional[int]
    emotion: str               # raw emotion string of the sheet
    action_units: str = ''
    extra: Optional[dict] = None


def read_facs_clip_rows(ann_file: str, sheet_name, dataset: str,
                        emotions: Iterable[str], layout_hint: str,
                        frame_columns: Sequence[Sequence[str]] = (
                            ('Onset Frame', 'Onset'), ('Apex Frame', 'Apex'),
                            ('Offset Frame', 'Offset'))) -> List[ClipRow]:
    """Rows of a FACS-coding sheet in the SAMM / MMEW layout, one per clip.

    The sheet has a header row starting at ``Subject`` and the columns
    Subject, Filename, onset / apex / offset frame (``frame_columns``: the
    aliases of each, as the dataset's sheet spells them), optional Action
    Units and Estimated Emotion. Rows with an empty Filename (notes below the
    table) are skipped; key frames may be missing (the dataset's
    :class:`KeyFrameRepairer` decides later); an emotion outside ``emotions``
    raises :class:`AnnotationError` naming the row.
    """
    table = read_annotation_table(ann_file, header_cell='Subject',
                                  sheet_name=sheet_name, layout_hint=layout_hint)
    c_sub = table.column_index('Subject')
    c_file = table.column_index('Filename')
    c_on, c_ap, c_off = (table.column_index(*aliases) for aliases in frame_columns)
    c_au = table.column_index('Action Units', 'AU', required=False)
    c_emo = table.column_index('Estimated Emotion', 'Emotion')
    names = table.columns

    def frame(cells, col, where):
        return parse_frame_value(cells[col], where, names[col], allow_missing=True)

    rows = []
    for i, cells in enumerate(table.rows):
        where = table.where(i)
        clip = cell_text(cells[c_file])
        if not clip:
            continue  # trailing notes below the table
        subject = normalize_subject(dataset, cells[c_sub])
        emotion = check_emotion(cells[c_emo], emotions, where, names[c_emo])
        rows.append(ClipRow(
            where=where, subject=subject, clip=clip,
            onset=frame(cells, c_on, where), apex=frame(cells, c_ap, where),
            offset=frame(cells, c_off, where), emotion=emotion,
            action_units=cell_text(cells[c_au]) if c_au is not None else ''))
    return rows


def build_clip_samples(dataset,
                       rows: Sequence[ClipRow],
                       locate_dir,
                       trimmed: bool,
                       repairer: KeyFrameRepairer,
                       missing_clips: str,
                       layout_hint: str,
                       exclude: Optional[Dict[Tuple[str, str], bool]] = None,
                       logger=None) -> List[dict]:
    """Turn parsed rows into MEDataset sample dicts.

    Per row: drop ``exclude``d clips; map the emotion with
    ``dataset.label_of`` (rows outside the label set are dropped and counted
    there); find the frame folder with ``locate_dir(row)`` (None = missing);
    repair the key frames by rule (``repairer``, each repair logged with its
    row); keep the frames onset..offset.
    """
    from mmengine.logging import MMLogger
    logger = logger or MMLogger.get_current_instance()
    name = type(dataset).__name__
    ds = dataset.DATASET_NAME
    exclude = exclude if exclude is not None else {}
    repairer.fit((r.onset, r.apex, r.offset) for r in rows)
    listing = FrameFolderCache()
    samples, missing = [], []
    for row in rows:
        key = (row.subject, row.clip)
        if key in exclude:
            exclude[key] = True
            logger.info(f'{name}: {row.where} ({row.subject}/{row.clip}) excluded by exclude_clips')
            continue
        label = dataset.label_of(row.emotion)
        if label is None:
            continue
        clip_dir = locate_dir(row)
        frames = listing(clip_dir) if clip_dir else []
        disk_range = (frames[0][0], frames[-1][0]) if frames else None
        onset, apex, offset, notes = repairer.repair(
            row.onset, row.apex, row.offset, f'{row.where} ({row.subject}/{row.clip})',
            disk_range=disk_range, trimmed=trimmed)
        for note in notes:
            logger.warning(f'{name}: repaired {note}')
        if apex is None:
            dataset.excluded_counts['<bad apex>'] += 1
            continue
        sample = dict(dataset=ds, subject=f'{ds}_{row.subject}', clip=row.clip,
                      onset=onset, apex=apex, offset=offset, emotion=row.emotion,
                      gt_label=label, action_units=row.action_units,
                      annotation_row=row.where)
        if notes:
            sample['repairs'] = notes
        if row.extra:
            sample.update(row.extra)
        fill_frames(sample, clip_dir, frames, trimmed)
        if clip_dir is None:
            missing.append(f'{row.where}: {row.subject}/{row.clip}')
            if missing_clips == 'skip':
                continue
        samples.append(sample)
    raise_or_log_missing(name, missing, missing_clips, layout_hint, logger)
    unused = [k for k, seen in exclude.items() if not seen]
    if unused:
        logger.warning(f'{name}: exclude_clips entries matched no row: {unused}')
    return samples


def check_emotion(emotion: str, known: Iterable[str], where: str, column: str) -> str:
    """Return the stripped emotion or raise naming the row.

    ``known`` is the dataset's full vocabulary (lowercase), not the label set:
    an emotion the dataset does not have is a typo or a wrong file, while a
    known emotion outside the label set (e.g. ``others``) is simply excluded.
    """
    text = cell_text(emotion)
    if text.lower() not in set(known):
        raise AnnotationError(
            f'{where}: unknown emotion {emotion!r} in column {column!r}; this dataset '
            f'uses {sorted(set(known))}. Fix the cell or exclude the clip.')
    return text
