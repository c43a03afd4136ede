"""Offline preprocessing of datasets: run the expensive pipeline once per
sample and cache its arrays on disk (see :mod:`.runner` and :mod:`.cache`)."""
from .cache import CACHE_FORMAT_VERSION, preprocess_config_hash, sample_cache_key
from .runner import PreprocessingError, run_preprocessing
from .workers import limit_dataloader_workers, main_module_problem, worker_start_problem

__all__ = ['CACHE_FORMAT_VERSION', 'PreprocessingError', 'limit_dataloader_workers',
           'main_module_problem', 'preprocess_config_hash', 'run_preprocessing',
           'sample_cache_key', 'worker_start_problem']
