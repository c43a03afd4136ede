"""Reading annotation sheets and interpreting their cells.

:func:`read_annotation_table` reads an ``.xlsx``/``.xls``/``.csv`` sheet
*without* letting pandas guess the header and the dtypes, finds the header row
by locating a known cell (SAMM has 13 rows of notes above its header), and
keeps text cells as text (SAMM subject ``"006"``). :func:`parse_frame_value`
turns a cell into a frame number or raises an :class:`AnnotationError` naming
the file, the Excel row and the column.
"""
import os.path as osp
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Union

from .errors import AnnotationError, DatasetLayoutError

__all__ = ['AnnotationTable', 'is_blank', 'read_annotation_table', 'cell_text',
           'parse_frame_value', 'check_emotion']


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

    def find_columns(self, aliases: Dict[str, Sequence[str]],
                     required: Sequence[str] = ()) -> Dict[str, int]:
        """``{field: column index}`` for the fields of ``aliases`` found
        (aliases matched as in :meth:`column_index`).

        Raises:
            DatasetLayoutError: a ``required`` field has no column; the
                message lists every missing field and the header.
        """
        found = {}
        for field, names in aliases.items():
            index = self.column_index(*names, required=False)
            if index is not None:
                found[field] = index
        missing = [f for f in required if f not in found]
        if missing:
            raise DatasetLayoutError(
                f'{self.path}: the annotation sheet lacks the column(s) {missing} '
                f'(header row {self.header_row} is {self.columns}). Check that this '
                'is the right annotation file (see docs/datasets.md).')
        return found

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
                          header_cell: Union[str, Sequence[str]] = 'Subject',
                          sheet_name=0,
                          layout_hint: str = '',
                          max_header_search: int = 60) -> AnnotationTable:
    """Read a sheet and locate its header row by the cell ``header_cell``.

    The file is read with ``header=None`` and ``dtype=object``: pandas then
    neither drops leading note rows nor coerces text cells such as SAMM's
    ``"006"`` to int. The first row (within
    ``max_header_search`` rows) having a cell equal to ``header_cell`` (or
    to one of several alternatives)
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

    targets = {_norm_name(c) for c in
               ((header_cell, ) if isinstance(header_cell, str) else header_cell)}
    header_idx = None
    for i in range(min(len(df), max_header_search)):
        if any(_norm_name(v) in targets for v in df.iloc[i].tolist() if not is_blank(v)):
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

    Accepts ints, integral floats (``46.0``) and digit strings (``' 46'``,
    ``'46.0'``).
    Blank cells and placeholders such as ``'/'`` or ``'-'`` return None when
    ``allow_missing`` (the caller then applies its repair rule), anything
    else raises.

    Raises:
        AnnotationError: naming ``where`` (file and row) and ``column``.
    """
    text = cell_text(value)
    if re.fullmatch(r'\d+(\.0*)?', text):  # '46.0': a float column written as text
        return int(text.split('.')[0])
    if allow_missing and (text == '' or re.fullmatch(r'[/\\\-?]+|n/?a|none|nan', text.lower())):
        return None
    raise AnnotationError(
        f'{where}: column {column!r} holds {value!r}, which is not a frame number. '
        'Fix the cell or exclude the clip (exclude_clips=[(subject, filename)]).')


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
