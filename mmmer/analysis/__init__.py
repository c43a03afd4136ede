"""Library code behind tools/analysis (complexity, benchmark, Grad-CAM)."""
from .complexity import (config_complexity, count_flops, count_parameters,  # noqa: F401
                         model_complexity, sdpa_macs)
from .gradcam import GradCAM  # noqa: F401
