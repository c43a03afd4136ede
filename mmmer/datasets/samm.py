"""SAMM (micro-expression set): ``SAMM_Micro_FACS_Codes_v2.xlsx`` + frame folders.

Facts used (specs/datasets.md sections 0, 2, 7):

- Layout ``<data_root>/SAMM/006/006_1_2/006_05562.jpg``; subject folder = the
  3-digit id, clip folder = ``Filename``, frame file ``{sss}_{frame}.jpg``
  with 4- or 5-digit zero padding. Clip folders hold only onset..offset.
- The sheet has ~13 rows of free-text notes above the header (Excel row 14);
  other distributions have one. The header row is found by its ``Subject``
  cell, never assumed.
- pandas coerces the subject ``"006"`` to int 6 when it reads below the real
  header; subjects are re-padded to 3 digits and namespaced ``samm_006``.
- Emotions are capitalised, ``Other`` in some copies and ``Others`` in others.
- A few rows have a missing apex or one outside [onset, offset] (e.g.
  ``028_4_1``, ``032_3_1``) and one has a wrong offset: repaired by rule
  (:class:`~mmmer.datasets.annotation.KeyFrameRepairer`), each repair logged.
- 159 samples / 29 subjects; 3-class (MEGC2019) 133 = 92/26/15 from 28
  subjects; 5-class 136.
"""
import os.path as osp
from typing import List, Optional, Sequence

from mmmer.registry import DATASETS

from .base import MEDataset
from .annotation import (ClipRow, KeyFrameRepairer, build_clip_samples,
                    check_missing_clip_policy, find_child_dir, parse_exclude_clips,
                    read_facs_clip_rows, require_dir)

SAMM_EMOTIONS = ('anger', 'contempt', 'disgust', 'fear', 'happiness', 'sadness',
                 'surprise', 'other', 'others')

LAYOUT = ('<data_root>/SAMM_Micro_FACS_Codes_v2.xlsx and '
          '<data_root>/<frames_dir>/<subject 006>/<Filename 006_1_2>/006_05562.jpg')


@DATASETS.register_module()
class SAMMDataset(MEDataset):
    """SAMM micro-expressions (Davison et al., 2018), 200 fps grayscale.

    Args:
        data_root (str): e.g. ``'data/samm'``.
        ann_file (str): the FACS-codes sheet, relative to ``data_root``.
        frames_dir (str): folder holding the subject folders (``'SAMM'``; MEB's
            cropped copy is ``'SAMM_CROP'``).
        sheet_name (int | str): sheet of the workbook (first by default).
        exclude_clips (list[tuple]): ``(subject, Filename)`` pairs to drop.
        bad_apex (str): ``'midpoint'`` | ``'drop'`` | ``'error'`` for rows whose
            apex is missing or outside [onset, offset].
        missing_clips (str): ``'error'`` | ``'skip'`` | ``'keep'`` (keep with
            empty ``frame_paths``; used by check_dataset).
        **kwargs: :class:`MEDataset` arguments (label_set, subjects, ...).
    """
    DATASET_NAME = 'samm'
    TRIMMED_CLIPS = True

    def __init__(self,
                 data_root: str = 'data/samm',
                 ann_file: str = 'SAMM_Micro_FACS_Codes_v2.xlsx',
                 frames_dir: str = 'SAMM',
                 sheet_name=0,
                 exclude_clips: Optional[Sequence] = None,
                 bad_apex: str = 'midpoint',
                 missing_clips: str = 'error',
                 **kwargs):
        self.frames_dir = frames_dir
        self.sheet_name = sheet_name
        self.exclude_clips = list(exclude_clips or [])
        self.repairer = KeyFrameRepairer(bad_apex=bad_apex)
        self.missing_clips = check_missing_clip_policy(missing_clips)
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    def parse_annotations(self) -> List[dict]:
        require_dir(self.data_root, 'SAMM data_root', LAYOUT)
        rows = read_facs_clip_rows(self.ann_file, self.sheet_name, 'samm',
                                   SAMM_EMOTIONS, LAYOUT)

        frames_root = osp.join(self.data_root, self.frames_dir)
        require_dir(frames_root, 'SAMM frame folder', LAYOUT)

        def locate(row: ClipRow):
            # subject folders are 3-digit; tolerate unpadded copies ('6').
            for name in (row.subject, str(int(row.subject)) if row.subject.isdigit() else None):
                if name is None:
                    continue
                sub_dir = find_child_dir(frames_root, name)
                if sub_dir:
                    clip_dir = find_child_dir(sub_dir, row.clip)
                    if clip_dir:
                        return clip_dir
            return None

        return build_clip_samples(
            self, rows, locate, trimmed=self.TRIMMED_CLIPS, repairer=self.repairer,
            missing_clips=self.missing_clips, layout_hint=LAYOUT,
            exclude=parse_exclude_clips('samm', self.exclude_clips))
