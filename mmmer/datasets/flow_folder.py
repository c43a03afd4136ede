"""FlowFolderDataset: precomputed 28x28 flow images in the HTNet layout.

HTNet ("HTNet for micro-expression recognition", Wang et al.) ships the
MEGC2019 3DB as

- ``combined_3_class2_for_optical_flow.csv`` with columns
  ``dataset,sub,filename_o,label,apex,imagename,sub_filename`` (442 rows;
  ``label`` 0 negative / 1 positive / 2 surprise; ``apex`` and
  ``sub_filename`` empty; e.g. ``smic,s01,s01_ne_01,0,,s01_s1_ne_01.jpg,``);
- ``datasets/STSNet_whole_norm_u_v_os/<sub>_<filename_o> .png``: one 28x28x3
  flow image per sample. **The space before ``.png`` is part of the name.**
  Read with cv2, its planes are (B, G, R) = (strain, v, u), each min-max
  scaled to 0..255 (:class:`~mmmer.datasets.transforms.LoadFlowImage`);
- ``datasets/combined_datasets_whole/<imagename>``: the 224x224 apex face
  used to place the facial-region crops
  (:class:`~mmmer.datasets.transforms.LoadApexFace`).

Samples carry ``flow_path`` and ``apex_face_path`` instead of frames.
Subjects are namespaced like the raw-frame parsers (``smic_s1``,
``casme2_sub01``, ``samm_006``), so LOSO folds have the same names
whichever layout is used. The CSV is read as text so ``006`` stays ``006``.
"""
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.logging import MMLogger

from mmmer.registry import DATASETS

from .base import MEDataset
from .label_maps import THREE_CLASS_NAMES
from .annotation import (AnnotationError, cell_text, check_missing_clip_policy,
                    namespaced_subject, raise_or_log_missing,
                    read_annotation_table, require_dir)

LAYOUT = ('<data_root>/combined_3_class2_for_optical_flow.csv, '
          '<data_root>/datasets/STSNet_whole_norm_u_v_os/<sub>_<filename_o> .png, '
          '<data_root>/datasets/combined_datasets_whole/<imagename>')


@DATASETS.register_module()
class FlowFolderDataset(MEDataset):
    """The HTNet-layout 3DB: one flow image and one apex face per sample.

    Args:
        data_root (str): the HTNet data folder (e.g. ``'data/htnet'``).
        ann_file (str): the CSV, relative to ``data_root``.
        flow_dir (str): folder of ``<sub>_<filename_o> .png`` flow images.
        face_dir (str): folder of the apex faces named by ``imagename``.
        class_names (Sequence[str]): names of the CSV's integer labels, in
            id order (MEGC2019: negative, positive, surprise).
        datasets (Sequence[str], optional): keep only rows whose ``dataset``
            column is listed (e.g. ``['casme2']`` for a single-dataset run).
        require_faces (bool): treat a missing apex face as a missing file
            (else the sample keeps ``apex_face_path=None`` and the region
            crops fall back to fixed points).
        missing_clips (str): samples whose files are missing: ``'error'``
            (one error listing them), ``'skip'`` or ``'keep'`` (paths None;
            used by check_dataset).
    """
    DATASET_NAME = 'flow_folder'

    def __init__(self,
                 data_root: str = 'data/htnet',
                 ann_file: str = 'combined_3_class2_for_optical_flow.csv',
                 flow_dir: str = 'datasets/STSNet_whole_norm_u_v_os',
                 face_dir: str = 'datasets/combined_datasets_whole',
                 class_names: Sequence[str] = THREE_CLASS_NAMES,
                 datasets: Optional[Sequence[str]] = None,
                 require_faces: bool = True,
                 missing_clips: str = 'error',
                 **kwargs):
        self.flow_dir = flow_dir
        self.face_dir = face_dir
        self.keep_datasets = None if datasets is None else {d.lower() for d in datasets}
        self.require_faces = require_faces
        self.missing_clips = check_missing_clip_policy(missing_clips)
        kwargs.pop('label_set', None)
        super().__init__(data_root=data_root, ann_file=ann_file,
                         label_set={n: i for i, n in enumerate(class_names)}, **kwargs)

    def flow_file(self, sub: str, clip: str) -> Optional[str]:
        """``<sub>_<clip> .png`` (HTNet's name), or without the space."""
        root = osp.join(self.data_root, self.flow_dir)
        for name in (f'{sub}_{clip} .png', f'{sub}_{clip}.png'):
            path = osp.join(root, name)
            if osp.isfile(path):
                return path
        return None

    def parse_annotations(self) -> List[dict]:
        require_dir(self.data_root, 'Flow-folder data_root', LAYOUT)
        table = read_annotation_table(self.ann_file, header_cell='filename_o',
                                      layout_hint=LAYOUT)
        c_ds = table.column_index('dataset')
        c_sub = table.column_index('sub')
        c_clip = table.column_index('filename_o')
        c_label = table.column_index('label')
        c_img = table.column_index('imagename')
        c_apex = table.column_index('apex', required=False)
        require_dir(osp.join(self.data_root, self.flow_dir), 'Flow image folder', LAYOUT)
        face_root = osp.join(self.data_root, self.face_dir)
        if self.require_faces:
            require_dir(face_root, 'Apex face folder', LAYOUT)
        logger = MMLogger.get_current_instance()
        names = self.class_names
        samples, missing = [], []
        for i, cells in enumerate(table.rows):
            where = table.where(i)
            dataset = cell_text(cells[c_ds]).lower()
            if self.keep_datasets is not None and dataset not in self.keep_datasets:
                continue
            sub, clip = cell_text(cells[c_sub]), cell_text(cells[c_clip])
            label_text = cell_text(cells[c_label])
            if not label_text.isdigit() or int(label_text) >= len(names):
                raise AnnotationError(
                    f'{where}: label {cells[c_label]!r} is not a class id in '
                    f'0..{len(names) - 1} ({", ".join(names)}).')
            emotion = names[int(label_text)]
            label = self.label_of(emotion)
            flow_path = self.flow_file(sub, clip)
            image = cell_text(cells[c_img])
            face_path = osp.join(face_root, image) if image else None
            if face_path is not None and not osp.isfile(face_path):
                face_path = None
            lost = []
            if flow_path is None:
                lost.append(f'{where}: {self.flow_dir}/{sub}_{clip} .png')
            if face_path is None and self.require_faces:
                lost.append(f'{where}: {self.face_dir}/{image or "<empty imagename>"}')
            missing.extend(lost)
            if lost and self.missing_clips == 'skip':
                continue
            apex = cell_text(cells[c_apex]) if c_apex is not None else ''
            sample = dict(
                dataset=dataset or 'unknown',
                subject=namespaced_subject(dataset, sub),
                clip=clip, emotion=emotion, gt_label=label,
                flow_path=flow_path, apex_face_path=face_path,
                annotation_row=where)
            if apex.isdigit():
                sample['apex'] = int(apex)
            samples.append(sample)
        raise_or_log_missing('FlowFolderDataset', missing, self.missing_clips, LAYOUT,
                             logger, what=f'file(s) named by {self.ann_file} are missing')
        if not samples:
            logger.warning(f'FlowFolderDataset: no rows of {self.ann_file} kept '
                           f'(datasets={sorted(self.keep_datasets or [])}).')
        return samples
