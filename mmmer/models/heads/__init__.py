from .base_head import BaseMEHead  # noqa: F401
from .linear_head import LinearClsHead  # noqa: F401
from .hinge_head import SVMHingeHead  # noqa: F401
