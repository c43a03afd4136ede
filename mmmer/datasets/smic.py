"""SMIC-HS (labels from the folder tree, optional user sheet) and SMIC-HS-E.

Facts used, SMIC-HS (``variant='hs'``, the default):

- Layout ``<data_root>/HS/s1/micro/{negative,positive,surprise}/s1_ne_01/
  image0xxxxx.bmp`` (cropped copies: ``reg_image{6 digits}.bmp``). Frame
  numbers are absolute indices in the long recording. Only ``micro/`` is
  read; sibling non-micro folders are ignored.
- No official sheet: the class is the folder name, cross-checked against the
  ``ne``/``po``/``sur`` token of the clip id. Onset/offset are the first/last
  frame file; there is no apex, so ``apex = onset + (offset-onset)//2``.
- Optionally a user sheet (MEB's ``smic.xlsx``: ``subject, material,
  emotion, onset, offset``; ``apex`` if present) overrides onset/offset.
- Subjects ``s1``..``s20`` without s7, s10, s16, s17 (16); HTNet's copies pad
  them (``s01``): both become ``smic_s1``.
- 164 clips: negative 70, positive 51, surprise 43 (all used in MEGC2019).

Facts used, SMIC-HS-E (``variant='hs_e'``): the HS part of the extended
SMIC-E release, on which the authors' code of "Entire-detail motion
dual-branch network for micro-expression recognition" (EDMDBN; Ma et al.,
Pattern Recognition Letters 2025) runs its SMIC experiments:

- Layout ``<data_root>/HS_long/SMIC-HS-E/s01/<Filename>/image012345.jpg``:
  whole recordings (not trimmed to the micro-expression), subject folders
  zero padded (unpadded ``s1`` is accepted too), frame numbers absolute.
- Sheet ``<data_root>/HS_long/SMIC-HS-E_annotation_2019.xlsx`` (the one the
  authors' code reads; the release also has ``SMIC-HS-E_annotation.xlsx``
  and ``SMIC-HS-E_annotation_orig.xlsx``), header in its first row:
  ``Subject`` (a number), ``Filename``, ``OnsetF``, ``OffsetF``, ``FirstF``,
  ``LastF`` (the recording's first/last frame), ``TotalMF1``, ``TotalVL``,
  ``Onset2F``, ``Offset2F``, ``TotalMF2``, ``Onset3F``, ``Offset3F``,
  ``TotalMF3``, ``Emotion`` (negative/positive/surprise), blank columns.
- A row annotates up to three micro-expressions of one recording; interval k
  (``OnsetF``/``OffsetF``, ``Onset2F``/``Offset2F``, ``Onset3F``/``Offset3F``)
  is used when ``TotalMF<k>`` is filled. Each interval is one sample, clip id
  ``<Filename>_<onset>``, its frames onset..offset of the recording folder.
- No apex column: ``apex = (onset + offset) // 2``.
"""
import glob
import os
import os.path as osp
import re
from collections import Counter
from typing import Dict, List, Optional

from mmengine.logging import MMLogger

from mmmer.registry import DATASETS

from .annotation import (AnnotationError, ClipRow, FrameFolderCache, KeyFrameRepairer,
                         build_clip_samples, cell_text, check_emotion, fill_frames,
                         find_child_dir, is_blank, midpoint_apex, normalize_subject,
                         parse_frame_value, raise_or_log_missing, read_annotation_table,
                         require_dir)
from .base import DatasetLayoutError
from .sheet_dataset import ClipFolderDataset

__all__ = ['SMICDataset', 'SMIC_CLASS_FOLDERS', 'SMIC_VARIANTS', 'clip_class_token',
           'read_smic_e_rows']

SMIC_CLASS_FOLDERS = ('negative', 'positive', 'surprise')
_TOKEN_TO_CLASS = {'ne': 'negative', 'po': 'positive', 'sur': 'surprise'}

LAYOUT = ('<data_root>/<frames_dir HS>/s1/micro/{negative,positive,surprise}/'
          's1_ne_01/image0xxxxx.bmp')
HS_E_LAYOUT = ('<data_root>/<ann_file HS_long/SMIC-HS-E_annotation_2019.xlsx> and '
               '<data_root>/<frames_dir HS_long/SMIC-HS-E>/s01/<Filename>/image012345.jpg')

#: the default paths of each variant (a config may override every one)
SMIC_VARIANTS = {
    'hs': dict(data_root='data/smic', ann_file='', frames_dir='HS'),
    'hs_e': dict(data_root='data/smic_e', ann_file='HS_long/SMIC-HS-E_annotation_2019.xlsx',
                 frames_dir='HS_long/SMIC-HS-E'),
}
#: SMIC-HS-E interval columns: (onset, offset, "used when filled") per interval
HS_E_INTERVALS = (('OnsetF', 'OffsetF', 'TotalMF1'), ('Onset2F', 'Offset2F', 'TotalMF2'),
                  ('Onset3F', 'Offset3F', 'TotalMF3'))


def clip_class_token(clip: str) -> Optional[str]:
    """``'negative'`` for ``s1_ne_01`` etc.; None if the id carries no token."""
    m = re.search(r'_(ne|po|sur)_', f'_{clip.lower()}_')
    return _TOKEN_TO_CLASS[m.group(1)] if m else None


@DATASETS.register_module()
class SMICDataset(ClipFolderDataset):
    """SMIC (Li et al., FG 2013), HS camera at 100 fps; SMIC-HS by default.

    Args:
        variant (str): ``'hs'``: SMIC-HS, clip folders sorted by class (also
            fits the VIS/NIR trees); ``'hs_e'``: SMIC-HS-E, whole recordings
            and the interval sheet, one sample per annotated interval.
        data_root (str, optional): default ``'data/smic'`` (``'hs'``) or
            ``'data/smic_e'`` (``'hs_e'``, the folder holding ``HS_long``).
        frames_dir (str, optional): folder with the subject folders; default
            ``'HS'`` (a cropped copy may be ``'SMIC_all_cropped/HS'``) or
            ``'HS_long/SMIC-HS-E'``.
        ann_file (str, optional): sheet relative to data_root. ``'hs'``:
            optional (empty = folders only); ``'hs_e'``: default
            ``'HS_long/SMIC-HS-E_annotation_2019.xlsx'``.
        **kwargs: :class:`~mmmer.datasets.sheet_dataset.ClipFolderDataset`
            arguments (exclude_clips, missing_clips: what to do with annotated
            clips whose folder, or with ``'hs_e'`` intervals whose frames, are
            absent) and :class:`MEDataset` ones.
    """
    DATASET_NAME = 'smic'
    DISPLAY_NAME = 'SMIC'
    LAYOUT = LAYOUT
    TRIMMED_CLIPS = True

    def __init__(self, variant: str = 'hs', **kwargs):
        if variant not in SMIC_VARIANTS:
            raise ValueError(f'SMICDataset: variant must be one of {sorted(SMIC_VARIANTS)} '
                             f"('hs' = SMIC-HS, 'hs_e' = SMIC-HS-E), got {variant!r}")
        self.variant = variant
        super().__init__(**kwargs)

    def default_paths(self) -> dict:
        return SMIC_VARIANTS[self.variant]

    @property
    def layout_hint(self) -> str:
        if self.variant == 'hs':
            return LAYOUT
        return (f'{self.ann_file} and {osp.join(self.data_root, self.frames_dir)}/'
                's01/<Filename>/image012345.jpg')

    # ------------------------------------------------------------ folders
    def _scan_folders(self) -> Dict[tuple, dict]:
        """``{(subject, clip): {folder_class, clip_dir, raw_subject}}``."""
        root = require_dir(osp.join(self.data_root, self.frames_dir),
                           'SMIC frame folder', LAYOUT)
        found = {}
        logger = MMLogger.get_current_instance()
        subject_dirs = sorted(
            (d for d in os.listdir(root)
             if osp.isdir(osp.join(root, d)) and re.fullmatch(r'(?i)s\d+', d)),
            key=lambda d: int(d[1:]))
        if not subject_dirs:
            raise DatasetLayoutError(
                f'{root}: no subject folders s1, s2, ... found. Expected layout: {LAYOUT}')
        for sub in subject_dirs:
            micro = osp.join(root, sub, 'micro')
            if not osp.isdir(micro):
                logger.warning(f'SMICDataset: {osp.join(root, sub)} has no micro/ folder; skipped')
                continue
            subject = normalize_subject('smic', sub)
            for cls in sorted(os.listdir(micro)):
                cls_dir = osp.join(micro, cls)
                if not osp.isdir(cls_dir):
                    continue
                if cls.lower() not in SMIC_CLASS_FOLDERS:
                    raise DatasetLayoutError(
                        f'{cls_dir}: unknown class folder {cls!r}; SMIC-HS uses '
                        f'{list(SMIC_CLASS_FOLDERS)}. Expected layout: {LAYOUT}')
                for clip in sorted(os.listdir(cls_dir)):
                    clip_dir = osp.join(cls_dir, clip)
                    if not osp.isdir(clip_dir):
                        continue
                    token = clip_class_token(clip)
                    if token is not None and token != cls.lower():
                        raise DatasetLayoutError(
                            f'{clip_dir}: clip id says {token!r} but it sits in the '
                            f'{cls!r} folder; move it to the right class folder.')
                    key = (subject, clip)
                    if key in found:
                        raise DatasetLayoutError(
                            f'{clip_dir}: clip {clip} of {sub} appears twice '
                            f'(also {found[key]["clip_dir"]}).')
                    found[key] = dict(folder_class=cls.lower(), clip_dir=clip_dir)
        return found

    # ------------------------------------------------------------ parsing
    def parse_annotations(self) -> List[dict]:
        if self.variant == 'hs_e':
            return self._parse_hs_e()
        require_dir(self.data_root, 'SMIC data_root', LAYOUT)
        folders = self._scan_folders()
        exclude = self.excluded_table()
        listing = FrameFolderCache()
        logger = MMLogger.get_current_instance()
        samples, missing = [], []

        if self.ann_file:
            entries = self._sheet_entries(folders)
        else:
            entries = [dict(subject=s, clip=c, emotion=v['folder_class'], onset=None,
                            apex=None, offset=None, where=v['clip_dir'])
                       for (s, c), v in folders.items()]

        for e in entries:
            key = (e['subject'], e['clip'])
            if key in exclude:
                exclude[key] = True
                continue
            label = self.label_of(e['emotion'])
            if label is None:
                continue
            info = folders.get(key)
            clip_dir = info['clip_dir'] if info else None
            frames = listing(clip_dir) if clip_dir else []
            if clip_dir and not frames:
                raise DatasetLayoutError(f'{clip_dir}: no frame images in this clip folder.')
            onset = e['onset'] if e['onset'] is not None else (frames[0][0] if frames else None)
            offset = e['offset'] if e['offset'] is not None else (frames[-1][0] if frames else None)
            if offset < onset:
                raise AnnotationError(
                    f'{e["where"]}: onset {onset} > offset {offset} for '
                    f'{e["subject"]}/{e["clip"]}; fix the sheet.')
            apex = e['apex'] if e['apex'] is not None else midpoint_apex(onset, offset)
            sample = dict(dataset='smic', subject=f'smic_{e["subject"]}', clip=e['clip'],
                          onset=onset, apex=apex, offset=offset, emotion=e['emotion'],
                          gt_label=label, annotation_row=e['where'])
            fill_frames(sample, clip_dir, frames, self.TRIMMED_CLIPS)
            if clip_dir is None:
                missing.append(f'{e["where"]}: {e["subject"]}/{e["clip"]}')
                if self.missing_clips == 'skip':
                    continue
            samples.append(sample)
        raise_or_log_missing('SMICDataset', missing, self.missing_clips, LAYOUT, logger)
        unused = [k for k, seen in exclude.items() if not seen]
        if unused:
            logger.warning(f'SMICDataset: exclude_clips entries matched no clip: {unused}')
        return samples

    def _sheet_entries(self, folders) -> List[dict]:
        """Rows of a user sheet (MEB ``smic.xlsx`` columns)."""
        table = read_annotation_table(self.ann_file, header_cell='material', layout_hint=(
            'a sheet with columns subject, material, emotion, onset, offset [, apex]'))
        c_sub = table.column_index('subject')
        c_clip = table.column_index('material', 'clip', 'filename')
        c_emo = table.column_index('emotion')
        c_on = table.column_index('onset')
        c_off = table.column_index('offset')
        c_ap = table.column_index('apex', required=False)
        names = table.columns
        known = SMIC_CLASS_FOLDERS + tuple(_TOKEN_TO_CLASS)
        entries = []
        for i, cells in enumerate(table.rows):
            where = table.where(i)
            clip = cell_text(cells[c_clip])
            if not clip:
                continue
            emotion = check_emotion(cells[c_emo], known, where, names[c_emo])
            emotion = _TOKEN_TO_CLASS.get(emotion.lower(), emotion.lower())
            subject = normalize_subject('smic', cells[c_sub])
            info = folders.get((subject, clip))
            if info and info['folder_class'] != emotion:
                raise AnnotationError(
                    f'{where}: {subject}/{clip} is {emotion!r} in the sheet but sits in '
                    f'the {info["folder_class"]!r} folder ({info["clip_dir"]}).')
            entries.append(dict(
                subject=subject, clip=clip, emotion=emotion, where=where,
                onset=parse_frame_value(cells[c_on], where, names[c_on]),
                offset=parse_frame_value(cells[c_off], where, names[c_off]),
                apex=(parse_frame_value(cells[c_ap], where, names[c_ap], allow_missing=True)
                      if c_ap is not None else None)))
        return entries

    # ------------------------------------------------------------ SMIC-HS-E
    def _parse_hs_e(self) -> List[dict]:
        """One sample per annotated interval of the SMIC-HS-E sheet."""
        hint = self.layout_hint
        require_dir(self.data_root, 'SMIC-HS-E data_root', hint)
        self._check_hs_e_sheet(hint)
        exclude = self.excluded_table()
        rows = read_smic_e_rows(self.ann_file, hint, exclude)
        self.frames_root = require_dir(osp.join(self.data_root, self.frames_dir),
                                       'SMIC-HS-E frame folder', hint)
        # every key frame is validated above; the repairer only enforces it
        samples = build_clip_samples(
            self, rows, self._locate_recording, trimmed=False,
            repairer=KeyFrameRepairer(bad_apex='error', bad_bounds='error'),
            missing_clips=self.missing_clips, layout_hint=hint, exclude=exclude)
        empty = [f'{d["annotation_row"]}: {d["subject"]}/{d["clip"]} '
                 f'(frames {d["onset"]}..{d["offset"]} in {d["clip_dir"]})'
                 for d in samples if d['clip_dir'] is not None and not d['frame_paths']]
        raise_or_log_missing('SMICDataset', empty, self.missing_clips, hint,
                             MMLogger.get_current_instance(),
                             what='annotated interval(s) have no frame file in their recording')
        if empty and self.missing_clips == 'skip':
            samples = [d for d in samples if d['clip_dir'] is None or d['frame_paths']]
        return samples

    def _check_hs_e_sheet(self, hint: str) -> None:
        """A missing sheet names the ``SMIC-HS-E_annotation*.xlsx`` found nearby."""
        if osp.isfile(self.ann_file):
            return
        near = {osp.dirname(self.ann_file), osp.join(self.data_root, 'HS_long'), self.data_root}
        found = sorted({f for d in near for f in glob.glob(osp.join(d, 'SMIC-HS-E_annotation*'))})
        also = (f' Sheets found: {found}; choose one with ann_file= (relative to data_root).'
                if found else '')
        raise DatasetLayoutError(f'SMIC-HS-E annotation sheet not found: {self.ann_file!r}.'
                                 f'{also} Expected layout: {hint} (see docs/datasets.md).')

    def _locate_recording(self, row: ClipRow) -> Optional[str]:
        """``<frames_dir>/s01/<Filename>`` (or ``s1/<Filename>``), None if absent."""
        digits = re.findall(r'\d+', row.subject)
        names = [f's{int(digits[-1]):02d}', f's{int(digits[-1])}'] if digits else [row.subject]
        for name in names:
            sub_dir = find_child_dir(self.frames_root, name)
            clip_dir = find_child_dir(sub_dir, row.extra['recording']) if sub_dir else None
            if clip_dir:
                return clip_dir
        return None


def read_smic_e_rows(ann_file: str, layout_hint: str = HS_E_LAYOUT,
                     exclude: Optional[Dict[tuple, bool]] = None) -> List[ClipRow]:
    """The annotated intervals of a SMIC-HS-E sheet, one :class:`ClipRow` each.

    Interval k of a row is used when its ``TotalMF<k>`` cell is filled; its
    onset and offset must then be frame numbers with onset <= offset, inside
    the recording's ``FirstF``..``LastF``. The apex is ``(onset+offset)//2``.
    Rows whose ``(subject, clip)`` is in ``exclude`` are passed on unchecked
    (the caller drops them), so a broken row can be excluded.

    Raises:
        AnnotationError: naming the sheet row, the interval and the column.
        DatasetLayoutError: a required column is missing.
    """
    table = read_annotation_table(ann_file, header_cell='Filename', layout_hint=layout_hint)
    aliases = dict(subject=('Subject', ), filename=('Filename', ), emotion=('Emotion', ),
                   first=('FirstF', ), last=('LastF', ))
    for cols in HS_E_INTERVALS:
        aliases.update({c: (c, ) for c in cols})
    col = table.find_columns(aliases, required=('subject', 'filename', 'emotion')
                             + HS_E_INTERVALS[0])
    names = table.columns
    exclude = exclude or {}
    logger = MMLogger.get_current_instance()
    rows, seen = [], Counter()

    def frame(cells, field, where, allow_missing=False):
        if field not in col:
            return None
        return parse_frame_value(cells[col[field]], where, names[col[field]], allow_missing)

    for i, cells in enumerate(table.rows):
        where = table.where(i)
        recording = cell_text(cells[col['filename']])
        if not recording:
            continue
        subject = normalize_subject('smic', cells[col['subject']])
        emotion = check_emotion(cells[col['emotion']], SMIC_CLASS_FOLDERS, where,
                                names[col['emotion']]).lower()
        first, last = (frame(cells, f, where, allow_missing=True) for f in ('first', 'last'))
        used = 0
        for k, (c_on, c_off, c_used) in enumerate(HS_E_INTERVALS, 1):
            here = f'{where}, interval {k}'
            if c_used not in col or is_blank(cells[col[c_used]]):
                if any(c in col and not is_blank(cells[col[c]]) for c in (c_on, c_off)):
                    logger.warning(f'SMICDataset: {here}: {c_on}/{c_off} are filled but '
                                   f'{c_used} is empty; the interval is not used.')
                continue
            if c_on not in col or c_off not in col:
                raise DatasetLayoutError(f'{ann_file}: {c_used} is filled ({here}) but the '
                                         f'sheet has no {c_on}/{c_off} column.')
            used += 1
            clip = f'{recording}_{cell_text(cells[col[c_on]]) or "x"}'
            seen[(subject, clip)] += 1
            if seen[(subject, clip)] > 1:
                clip = f'{clip}-{seen[(subject, clip)]}'
            extra = dict(recording=recording, interval=k)
            if (subject, clip) in exclude:
                rows.append(ClipRow(where=here, subject=subject, clip=clip, onset=None,
                                    apex=None, offset=None, emotion=emotion, extra=extra))
                continue
            onset, offset = frame(cells, c_on, here), frame(cells, c_off, here)
            fix = (f'fix the sheet or pass exclude_clips=[({subject!r}, {clip!r})]')
            if onset > offset:
                raise AnnotationError(f'{here} ({subject}/{recording}): {c_on} {onset} is '
                                      f'after {c_off} {offset}; {fix}.')
            if (first is not None and onset < first) or (last is not None and offset > last):
                raise AnnotationError(
                    f'{here} ({subject}/{recording}): interval {onset}..{offset} lies outside '
                    f'the recording FirstF..LastF = {first}..{last}; {fix}.')
            rows.append(ClipRow(where=here, subject=subject, clip=clip, onset=onset,
                                apex=midpoint_apex(onset, offset), offset=offset,
                                emotion=emotion, extra=extra))
        if not used:
            logger.warning(f'SMICDataset: {where} ({subject}/{recording}) has no interval '
                           '(TotalMF1..3 empty); skipped.')
    return rows
