"""One canonical subject id per dataset, whatever copy of the data was read."""
import re
from typing import Dict, Iterable, Optional, Tuple

from .table import cell_text

__all__ = ['normalize_subject', 'namespaced_subject', 'parse_exclude_clips']

_DIGIT_RUN = re.compile(r'\d+')


def normalize_subject(dataset: str, raw) -> str:
    """Canonical (un-namespaced) subject id of a raw sheet/folder value.

    Raw ids are coerced by pandas and padded differently between copies
    (text or number, with or without zero padding), so one canonical form per dataset
    keeps LOSO fold names identical whichever copy was parsed:

    - ``samm``: 3 digits (``6``, ``'6'``, ``'006'`` -> ``'006'``);
    - ``smic``: ``'s<n>'`` without padding (``'s01'``, ``'s1'``, 1 -> ``'s1'``);
    - ``casme2``: ``'sub<nn>'`` (1, ``'01'``, ``'sub01'`` -> ``'sub01'``);
    - ``casme3``: ``'spNO.<n>'`` (``'spNO.1'``, 1 -> ``'spNO.1'``);
    - ``mmew``: 2 digits (1, ``'S01'`` -> ``'01'``);
    - anything else: the stripped text.

    A value already namespaced (``'samm_006'``) loses its ``'{dataset}_'``
    prefix first; ``'1.0'`` (a float column written to CSV) reads as ``1``.
    """
    text = cell_text(raw)
    if text.startswith(dataset + '_'):  # already namespaced: 'samm_006'
        text = text[len(dataset) + 1:]
    text = re.sub(r'^(\d+)\.0*$', r'\1', text)  # '1.0' of a float column in a CSV
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
        table[(normalize_subject(dataset, subject), cell_text(clip))] = False
    return table
