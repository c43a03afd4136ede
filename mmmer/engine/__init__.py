"""Training engine: the LOSO loop, its fold configs and summary, hooks."""
from . import fold_preparers, hooks, schedulers  # noqa: F401
from .fold_checkpoints import apply_checkpoint_policy, reduce_to_weights
from .fold_config import (build_fold_config, fold_dir_name, resolve_fold_checkpoint,
                          split_validation_subjects)
from .hooks import OracleEpochSelectionHook
from .loso import LOSOLoop, parse_shard
from .loso_summary import (summarize_oracle, summarize_predictions, summary_markdown,
                           write_summary)

__all__ = ['LOSOLoop', 'parse_shard', 'build_fold_config', 'fold_dir_name',
           'resolve_fold_checkpoint', 'split_validation_subjects', 'summarize_predictions',
           'summarize_oracle', 'summary_markdown', 'write_summary',
           'OracleEpochSelectionHook', 'apply_checkpoint_policy', 'reduce_to_weights']
