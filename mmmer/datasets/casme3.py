"""CAS(ME)^3 part A, micro-expressions: sheet ``label`` of the v2 workbook.

Facts used (all from the official workbooks):

- ``cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx``, sheet ``label`` (the
  workbook also has empty ``Sheet1``/``Sheet3``): 860 rows, columns
  ``Subject | Filename | Onset | Apex | Offset | AU | Objective class |
  emotion``. Every cell is text; pandas still yields ints.
- Raw layout ``part_A/spNO.1/a/color/355.jpg`` (whole task videos, frames from
  ``1.jpg``); the official ME-clip release is
  ``Part_A_ME_clip/frame/spNO.1_b_166/166.jpg`` (clip = ``{Subject}_{Filename}_{Onset}``).
- 397 rows repeat a (Subject, Filename) pair: several MEs in one video. Each
  row is its own sample with clip id ``{Filename}_{Onset}`` (``a_355``), made
  unique with ``-2``, ``-3`` suffixes if a pair also shares the onset.
- Filename task letters a-m, one uppercase ``J`` (folders are matched
  case-insensitively).
- Known bad rows (apex 83 < onset 112; onset 3647 > apex; offset 0 twice;
  offset 3460 for 34; onset = apex = 0) are repaired by rule, not by index
  (:class:`~mmmer.datasets.annotation.KeyFrameRepairer`); every repair is logged
  with its row.
- Emotions disgust 250, surprise 187, others 158 + ``Others`` 3, fear 86,
  anger 64, sad 57, happy 55; 3-class 699 = 457/55/187 from 88 subjects.
"""
import os.path as osp
from collections import Counter
from typing import List, Optional

from mmmer.registry import DATASETS

from .annotation import (ClipRow, cell_text, check_emotion, find_child_dir,
                         normalize_subject, parse_frame_value, read_annotation_table,
                         require_dir)
from .sheet_dataset import FACSSheetDataset

__all__ = ['CASME3Dataset', 'CASME3_EMOTIONS']

CASME3_EMOTIONS = ('disgust', 'surprise', 'others', 'fear', 'anger', 'sad', 'happy')

LAYOUTS = {
    'raw': ('part_A', '<data_root>/part_A/spNO.1/a/color/355.jpg'),
    'me_clip': ('Part_A_ME_clip/frame', '<data_root>/Part_A_ME_clip/frame/spNO.1_b_166/166.jpg'),
}


@DATASETS.register_module()
class CASME3Dataset(FACSSheetDataset):
    """CAS(ME)^3 part A micro-expressions (Li et al., TPAMI 2022), 30 fps.

    Args:
        data_root (str): e.g. ``'data/casme3'``.
        ann_file (str): the v2 ME label workbook, relative to ``data_root``.
        sheet_name (str): ``'label'``.
        layout (str): ``'raw'`` (whole task videos) or ``'me_clip'`` (the
            official per-ME clip folders).
        frames_dir (str, optional): overrides the layout's default folder.
        exclude_clips (list[tuple]): ``(subject, clip id)`` pairs, clip id as
            built here (``'a_355'``).
        max_duration (int): longest plausible onset->offset length in frames;
            longer rows get the offset repaired (5 s at 30 fps by default).
        **kwargs: :class:`~mmmer.datasets.sheet_dataset.FACSSheetDataset`
            arguments (bad_apex, missing_clips) and :class:`MEDataset` ones.
    """
    DATASET_NAME = 'casme3'
    DISPLAY_NAME = 'CAS(ME)^3'

    def __init__(self,
                 data_root: str = 'data/casme3',
                 ann_file: str = 'cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx',
                 sheet_name='label',
                 layout: str = 'raw',
                 frames_dir: Optional[str] = None,
                 max_duration: Optional[int] = 150,
                 **kwargs):
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {sorted(LAYOUTS)}, got {layout!r}')
        self.layout = layout
        frames_dir = frames_dir if frames_dir is not None else LAYOUTS[layout][0]
        self._layout_hint = (f'<data_root>/{ann_file} (sheet {sheet_name!r}) and '
                             + LAYOUTS[layout][1].replace(LAYOUTS[layout][0], frames_dir))
        super().__init__(data_root=data_root, ann_file=ann_file, sheet_name=sheet_name,
                         frames_dir=frames_dir, max_duration=max_duration, **kwargs)

    @property
    def layout_hint(self) -> str:
        return self._layout_hint

    def clips_are_trimmed(self) -> bool:
        return self.layout == 'me_clip'

    def read_rows(self) -> List[ClipRow]:
        table = read_annotation_table(self.ann_file, header_cell='Subject',
                                      sheet_name=self.sheet_name, layout_hint=self.layout_hint)
        c_sub = table.column_index('Subject')
        c_file = table.column_index('Filename')
        c_on = table.column_index('Onset')
        c_ap = table.column_index('Apex')
        c_off = table.column_index('Offset')
        c_au = table.column_index('AU', 'Action Units', required=False)
        c_obj = table.column_index('Objective class', required=False)
        c_emo = table.column_index('emotion', 'Estimated Emotion')
        names = table.columns

        rows, seen = [], Counter()
        for i, cells in enumerate(table.rows):
            where = table.where(i)
            task = cell_text(cells[c_file])
            if not task:
                continue
            subject = normalize_subject('casme3', cells[c_sub])
            emotion = check_emotion(cells[c_emo], CASME3_EMOTIONS, where, names[c_emo])
            onset = parse_frame_value(cells[c_on], where, names[c_on], allow_missing=True)
            onset_text = cell_text(cells[c_on]) or 'x'
            clip = f'{task}_{onset_text}'
            seen[(subject, clip)] += 1
            if seen[(subject, clip)] > 1:
                clip = f'{clip}-{seen[(subject, clip)]}'
            rows.append(ClipRow(
                where=where, subject=subject, clip=clip, onset=onset,
                apex=parse_frame_value(cells[c_ap], where, names[c_ap], allow_missing=True),
                offset=parse_frame_value(cells[c_off], where, names[c_off], allow_missing=True),
                emotion=emotion,
                action_units=cell_text(cells[c_au]) if c_au is not None else '',
                extra=dict(task=task, onset_in_sheet=onset_text,
                           objective_class=cell_text(cells[c_obj]) if c_obj is not None else '')))
        return rows

    def prepare_locator(self) -> None:
        self.frames_root = require_dir(osp.join(self.data_root, self.frames_dir),
                                       'CAS(ME)^3 frame folder', self.layout_hint)

    def locate_clip(self, row: ClipRow) -> Optional[str]:
        task, onset_text = row.extra['task'], row.extra['onset_in_sheet']
        if self.layout == 'me_clip':
            return find_child_dir(self.frames_root, f'{row.subject}_{task}_{onset_text}')
        sub_dir = find_child_dir(self.frames_root, row.subject)
        task_dir = find_child_dir(sub_dir, task) if sub_dir else None
        if task_dir is None:
            return None
        # the raw release keeps colour frames in color/ next to depth/
        return find_child_dir(task_dir, 'color') or task_dir
