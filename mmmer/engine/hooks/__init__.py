"""Runtime hooks of mmmer.

* :class:`GPUMemoryHook`: per-epoch peak CUDA memory (a no-op on CPU).
* :class:`ResidentDataHook`: serve a fold's packed dataset from the device.
* :class:`PersistentEMAHook`: EMA of weights (MMEngine's ``EMAHook``, whose
  average would otherwise be reset by ``runner.test()`` after
  ``runner.train()`` in the same Runner, as the LOSO loop does). Use
  ``custom_hooks = [dict(type='PersistentEMAHook', momentum=0.001)]`` or
  ``ema = dict(momentum=0.001)`` in a config (expanded by
  :func:`mmmer.engine.runtime.apply_runtime_options`); do not use plain
  ``EMAHook`` with the LOSO loop.
* :class:`AtomicCheckpointHook`: checkpoints written then renamed, pruned to
  ``max_keep_ckpts`` only after ``last_checkpoint`` names the new one.
* :class:`OracleEpochSelectionHook`: the optimistic test-fold epoch selection
  (``loso.oracle=True``), with every random state it touches restored.
* :class:`RNGStateHook`: global RNG states saved in checkpoints and restored
  on resume (added to every LOSO fold), so a resumed fold is exact.
"""
from .ema_hook import PersistentEMAHook  # noqa: F401
from .gpu_memory_hook import GPUMemoryHook  # noqa: F401
from .resident_data_hook import ResidentDataHook, ResidentDataLoader  # noqa: F401
from .atomic_checkpoint_hook import AtomicCheckpointHook  # noqa: F401
from .oracle_hook import OracleEpochSelectionHook  # noqa: F401
from .rng_state_hook import RNGStateHook  # noqa: F401

__all__ = ['PersistentEMAHook', 'GPUMemoryHook', 'ResidentDataHook', 'ResidentDataLoader',
           'AtomicCheckpointHook', 'OracleEpochSelectionHook', 'RNGStateHook']
