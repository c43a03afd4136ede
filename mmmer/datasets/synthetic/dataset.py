"""The synthetic dataset as an :class:`~mmmer.datasets.MEDataset`."""
import copy
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.logging import MMLogger

from mmmer.registry import DATASETS

from ..base import DatasetLayoutError
from ..casme2 import CASME2Dataset
from .writer import ANNOTATION_FILE, FRAMES_DIR, generate_synthetic_dataset

__all__ = ['SyntheticMEDataset']


@DATASETS.register_module()
class SyntheticMEDataset(CASME2Dataset):
    """The embedded synthetic dataset, generated in ``data_root`` on first use.

    Args:
        data_root (str): where the dataset lives (generated if missing or made
            with other settings; reused otherwise).
        generator (dict, optional): keyword arguments of
            :func:`generate_synthetic_dataset` (``num_subjects``,
            ``clips_per_class``, ``extra_negative``, ``seed``, ``frame_size``,
            ...). Default: the default dataset (8 subjects x 9 clips).
        **kwargs: see :class:`CASME2Dataset`.

    Subjects are namespaced ``synthetic_subXX``; every sample also has
    ``gt_flow_path`` (the apex ground-truth displacement) and ``synthetic_class``.
    """
    DATASET_NAME = 'synthetic'
    ANNOTATION_NAMES = (ANNOTATION_FILE, )

    def __init__(self, data_root: str = '', ann_file: str = ANNOTATION_FILE,
                 generator: Optional[dict] = None, **kwargs):
        self.generator_cfg = copy.deepcopy(generator or {})
        self.generation_record: Optional[dict] = None
        kwargs.setdefault('frames_dir', FRAMES_DIR)
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    def parse_annotations(self) -> List[dict]:
        if not self.data_root:
            raise DatasetLayoutError('SyntheticMEDataset needs data_root= (the '
                                     'folder to generate the dataset in).')
        record = generate_synthetic_dataset(self.data_root, **self.generator_cfg)
        self.generation_record = record
        MMLogger.get_current_instance().info(
            f'SyntheticMEDataset: dataset {record["action"]} in {record["root"]} '
            f'with settings {record["settings"]}')
        by_clip: Dict[Tuple[str, str], dict] = {
            (c['subject'], c['clip']): c for c in record['clips']}
        data_list = super().parse_annotations()
        for sample in data_list:
            meta = by_clip[(sample['subject'].split('_', 1)[1], sample['clip'])]
            sample['gt_flow_path'] = osp.join(self.data_root, meta['gt_flow'])
            sample['synthetic_class'] = meta['cls']
        return data_list
