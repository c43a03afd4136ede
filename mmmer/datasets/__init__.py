from . import transforms  # noqa: F401
from .base import DatasetLayoutError, MEDataset  # noqa: F401
from .casme2 import CASME2Dataset  # noqa: F401
from .synthetic import SyntheticMEDataset, generate_synthetic_dataset  # noqa: F401
from .samm import SAMMDataset  # noqa: F401
from .smic import SMICDataset  # noqa: F401
from .casme3 import CASME3Dataset  # noqa: F401
from .mmew import MMEWDataset  # noqa: F401
from .composite import CompositeDataset  # noqa: F401
from .flow_folder import FlowFolderDataset  # noqa: F401
from . import samplers  # noqa: F401
from .flip_expanded_dataset import FlipExpandedDataset  # noqa: F401
# Registered in DATASETS; lives with the generators (diffusers is imported lazily).
from mmmer.generation.generated_dataset import GeneratedAugmentDataset  # noqa: F401,E402
