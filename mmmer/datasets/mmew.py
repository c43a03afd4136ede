"""MMEW micro-expression part: ``MMEW_Micro_Exp.xlsx`` + emotion-sorted folders.

Facts used:

- Layout ``<data_root>/Micro_Expression/{emotion}/{Filename}/{frame}.jpg``:
  clips sit in a folder per emotion and frame files are named by their frame
  number (``onset.jpg``, ``apex.jpg`` exist).
- Emotion folders: anger, disgust, fear, happiness, others, sadness,
  surprise; some releases name ``others`` ``repression``. Clip folders are
  therefore looked up by ``Filename`` across all emotion folders, and a
  folder that disagrees with the sheet's emotion is reported.
- Sheet (first sheet): ``Subject | Filename | OnsetFrame | ApexFrame |
  OffsetFrame | Action Units | Estimated Emotion | remarks``; Subject numeric
  1-30 (namespaced ``mmew_01``).
- 300 samples, 30 subjects: happiness 36, surprise 89, disgust 72, fear 16,
  sadness 13, anger 8, others 66; 3-class 234 = 109/36/89.
- MEB rewrites apex/offset of 16 rows; here impossible triples are repaired by
  rule (:class:`~mmmer.datasets.annotation.KeyFrameRepairer`) and logged.
"""
import os
import os.path as osp
from typing import Dict, List, Optional

from mmengine.logging import MMLogger

from mmmer.registry import DATASETS

from .annotation import ClipRow, read_facs_clip_rows, require_dir
from .base import DatasetLayoutError
from .sheet_dataset import FACSSheetDataset

__all__ = ['MMEWDataset', 'MMEW_EMOTIONS']

MMEW_EMOTIONS = ('anger', 'disgust', 'fear', 'happiness', 'others', 'sadness',
                 'surprise', 'repression')
# folder names that mean the same class in different releases
_FOLDER_ALIASES = {'repression': 'others'}

LAYOUT = ('<data_root>/MMEW_Micro_Exp.xlsx and '
          '<data_root>/<frames_dir Micro_Expression>/{emotion}/{Filename}/{frame}.jpg')


@DATASETS.register_module()
class MMEWDataset(FACSSheetDataset):
    """MMEW micro-expressions (Ben et al., TPAMI 2021), 90 fps.

    Arguments: :class:`~mmmer.datasets.sheet_dataset.FACSSheetDataset` and
    :class:`MEDataset` ones. Defaults: ``data_root='data/mmew'``, the sheet
    ``ann_file='MMEW_Micro_Exp.xlsx'`` and ``frames_dir='Micro_Expression'``
    (the folder holding the emotion folders).
    """
    DATASET_NAME = 'mmew'
    DISPLAY_NAME = 'MMEW'
    LAYOUT = LAYOUT
    # whether clip folders hold exactly onset..offset is not documented for
    # MMEW, so the sheet (not the folder) defines the clip
    TRIMMED_CLIPS = False
    DEFAULT_PATHS = dict(data_root='data/mmew', ann_file='MMEW_Micro_Exp.xlsx',
                         frames_dir='Micro_Expression')

    def _index_clip_folders(self) -> Dict[str, tuple]:
        """``{Filename: (clip_dir, emotion folder)}`` over all emotion folders."""
        root = require_dir(osp.join(self.data_root, self.frames_dir),
                           'MMEW frame folder', LAYOUT)
        index = {}
        for emo in sorted(os.listdir(root)):
            emo_dir = osp.join(root, emo)
            if not osp.isdir(emo_dir):
                continue
            for clip in os.listdir(emo_dir):
                clip_dir = osp.join(emo_dir, clip)
                if not osp.isdir(clip_dir):
                    continue
                if clip in index:
                    raise DatasetLayoutError(
                        f'MMEW clip {clip!r} exists in two emotion folders: '
                        f'{index[clip][0]} and {clip_dir}; keep one.')
                index[clip] = (clip_dir, emo.lower())
        return index

    def read_rows(self) -> List[ClipRow]:
        return read_facs_clip_rows(self.ann_file, self.sheet_name, 'mmew',
                                   MMEW_EMOTIONS, LAYOUT,
                                   frame_columns=(('OnsetFrame', 'Onset'), ('ApexFrame', 'Apex'),
                                                  ('OffsetFrame', 'Offset')))

    def prepare_locator(self) -> None:
        self.clip_index = self._index_clip_folders()

    def locate_clip(self, row: ClipRow) -> Optional[str]:
        hit = self.clip_index.get(row.clip)
        if hit is None:
            return None
        clip_dir, folder = hit
        canon = _FOLDER_ALIASES.get(folder, folder)
        if canon != _FOLDER_ALIASES.get(row.emotion.lower(), row.emotion.lower()):
            MMLogger.get_current_instance().warning(
                f'MMEWDataset: {row.where}: {row.clip} is {row.emotion!r} in '
                f'the sheet but sits in folder {folder!r}; the sheet wins.')
        return clip_dir
