from .me_classifier import MEClassifier  # noqa: F401
