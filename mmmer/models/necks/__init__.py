from .cbam import CBAM  # noqa: F401
from .lite_vit import LiteViTBlock  # noqa: F401
