from .cache import preprocess_config_hash, sample_cache_key  # noqa: F401
from .runner import PreprocessingError, run_preprocessing  # noqa: F401
