from . import hooks, schedulers  # noqa: F401
from .loso import LOSOLoop, summarize_predictions, write_summary  # noqa: F401
from .oracle_hook import OracleEpochSelectionHook  # noqa: F401
