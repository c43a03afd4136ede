from . import transforms  # noqa: F401
from .base import DatasetLayoutError, MEDataset
from .sheet_dataset import ClipFolderDataset, FACSSheetDataset
from .casme2 import CASME2Dataset
from .synthetic import SyntheticMEDataset, generate_synthetic_dataset
from .samm import SAMMDataset
from .smic import SMICDataset
from .casme3 import CASME3Dataset
from .mmew import MMEWDataset
from .composite import CompositeDataset
from .flow_folder import FlowFolderDataset
from . import samplers  # noqa: F401
from .dataset_wrappers import FlipExpandedDataset
# Registered in DATASETS; lives with the generators (diffusers is imported lazily).
from mmmer.generation.generated_dataset import GeneratedAugmentDataset  # noqa: E402

__all__ = [
    'DatasetLayoutError', 'MEDataset', 'ClipFolderDataset', 'FACSSheetDataset',
    'CASME2Dataset', 'SyntheticMEDataset', 'generate_synthetic_dataset', 'SAMMDataset', 'SMICDataset', 'CASME3Dataset',
    'MMEWDataset', 'CompositeDataset', 'FlowFolderDataset', 'FlipExpandedDataset',
    'GeneratedAugmentDataset'
]
