from . import backbones, classifiers, data_preprocessors, heads, layers, losses, necks  # noqa: F401
from .classifiers import MEClassifier  # noqa: F401
