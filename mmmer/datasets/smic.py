"""SMIC-HS: labels from the folder tree, optional user sheet.

Facts used:

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
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional

from mmengine.logging import MMLogger

from mmmer.registry import DATASETS

from .annotation import (AnnotationError, FrameFolderCache, cell_text, check_emotion,
                         fill_frames, midpoint_apex, normalize_subject, parse_frame_value,
                         raise_or_log_missing, read_annotation_table, require_dir)
from .base import DatasetLayoutError
from .sheet_dataset import ClipFolderDataset

__all__ = ['SMICDataset', 'SMIC_CLASS_FOLDERS', 'clip_class_token']

SMIC_CLASS_FOLDERS = ('negative', 'positive', 'surprise')
_TOKEN_TO_CLASS = {'ne': 'negative', 'po': 'positive', 'sur': 'surprise'}

LAYOUT = ('<data_root>/<frames_dir HS>/s1/micro/{negative,positive,surprise}/'
          's1_ne_01/image0xxxxx.bmp')


def clip_class_token(clip: str) -> Optional[str]:
    """``'negative'`` for ``s1_ne_01`` etc.; None if the id carries no token."""
    m = re.search(r'_(ne|po|sur)_', f'_{clip.lower()}_')
    return _TOKEN_TO_CLASS[m.group(1)] if m else None


@DATASETS.register_module()
class SMICDataset(ClipFolderDataset):
    """SMIC-HS (Li et al., 2013), 100 fps; also fits the VIS/NIR trees.

    Args:
        data_root (str): e.g. ``'data/smic'``.
        frames_dir (str): folder with the subject folders (``'HS'``; a
            cropped copy may be ``'SMIC_all_cropped/HS'``).
        ann_file (str): optional sheet (relative to data_root); empty = folders
            only.
        **kwargs: :class:`~mmmer.datasets.sheet_dataset.ClipFolderDataset`
            arguments (exclude_clips, missing_clips: what to do with sheet rows
            whose folder is absent) and :class:`MEDataset` ones.
    """
    DATASET_NAME = 'smic'
    DISPLAY_NAME = 'SMIC'
    LAYOUT = LAYOUT
    TRIMMED_CLIPS = True

    def __init__(self,
                 data_root: str = 'data/smic',
                 frames_dir: str = 'HS',
                 ann_file: str = '',
                 **kwargs):
        super().__init__(data_root=data_root, ann_file=ann_file, frames_dir=frames_dir,
                         **kwargs)

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
