"""SAMM (micro-expression set): ``SAMM_Micro_FACS_Codes_v2.xlsx`` + frame folders.

Facts used:

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
from typing import List, Optional

from mmmer.registry import DATASETS

from .annotation import ClipRow, find_child_dir, read_facs_clip_rows, require_dir
from .sheet_dataset import FACSSheetDataset

__all__ = ['SAMMDataset', 'SAMM_EMOTIONS']

SAMM_EMOTIONS = ('anger', 'contempt', 'disgust', 'fear', 'happiness', 'sadness',
                 'surprise', 'other', 'others')

LAYOUT = ('<data_root>/SAMM_Micro_FACS_Codes_v2.xlsx and '
          '<data_root>/<frames_dir>/<subject 006>/<Filename 006_1_2>/006_05562.jpg')


@DATASETS.register_module()
class SAMMDataset(FACSSheetDataset):
    """SAMM micro-expressions (Davison et al., 2018), 200 fps grayscale.

    Arguments: :class:`~mmmer.datasets.sheet_dataset.FACSSheetDataset` and
    :class:`MEDataset` ones. Defaults: ``data_root='data/samm'``, the sheet
    ``ann_file='SAMM_Micro_FACS_Codes_v2.xlsx'`` and ``frames_dir='SAMM'``
    (MEB's cropped copy is ``'SAMM_CROP'``).
    """
    DATASET_NAME = 'samm'
    DISPLAY_NAME = 'SAMM'
    LAYOUT = LAYOUT
    TRIMMED_CLIPS = True
    DEFAULT_PATHS = dict(data_root='data/samm', ann_file='SAMM_Micro_FACS_Codes_v2.xlsx',
                         frames_dir='SAMM')

    def read_rows(self) -> List[ClipRow]:
        return read_facs_clip_rows(self.ann_file, self.sheet_name, 'samm',
                                   SAMM_EMOTIONS, LAYOUT)

    def prepare_locator(self) -> None:
        self.frames_root = require_dir(osp.join(self.data_root, self.frames_dir),
                                       'SAMM frame folder', LAYOUT)

    def locate_clip(self, row: ClipRow) -> Optional[str]:
        # subject folders are 3-digit; tolerate unpadded copies ('6').
        for name in (row.subject, str(int(row.subject)) if row.subject.isdigit() else None):
            if name is None:
                continue
            sub_dir = find_child_dir(self.frames_root, name)
            if sub_dir:
                clip_dir = find_child_dir(sub_dir, row.clip)
                if clip_dir:
                    return clip_dir
        return None
