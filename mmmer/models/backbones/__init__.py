from .htnet import HTNet  # noqa: F401
from .swin import SwinTransformer2D, SwinTransformer3D  # noqa: F401
from .edmdbn import EDMDBN  # noqa: F401
from .shufflenet_v2 import ShuffleNetV2  # noqa: F401
from .ahmsa import AHMSANet  # noqa: F401
