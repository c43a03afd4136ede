"""EMA of weights that survives ``runner.test()`` after ``runner.train()``."""
from mmengine.hooks import EMAHook
from mmengine.model import is_model_wrapper

from mmmer.registry import HOOKS


@HOOKS.register_module()
class PersistentEMAHook(EMAHook):
    """MMEngine's ``EMAHook`` for a Runner that trains and then tests.

    The LOSO loop (``mmmer.engine.loso``) calls ``runner.train()`` and then
    ``runner.test()`` on the same Runner. MMEngine 0.10.7 calls
    ``before_run`` again at the start of ``test()``, and ``EMAHook.before_run``
    rebuilds the averaged model as a fresh copy of the *raw* weights, so the
    test would silently run without the average (checked in
    ``tests/test_engine/test_hooks.py``). This subclass keeps the average it
    already holds for the same model; everything else (update rule
    ``ema <- (1 - momentum) * ema + momentum * w`` after every iteration,
    swapping at val/test, saving ``ema_state_dict`` and the averaged weights
    as ``state_dict`` in checkpoints, resuming) is MMEngine's.

    Config: ``custom_hooks = [dict(type='PersistentEMAHook', momentum=1e-3)]``
    or ``ema = dict(momentum=1e-3)`` (see
    :func:`mmmer.engine.runtime.apply_runtime_options`). Arguments are those
    of ``mmengine.hooks.EMAHook``.
    """

    def before_run(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        if getattr(self, 'ema_model', None) is not None and \
                getattr(self, 'src_model', None) is model:
            return
        super().before_run(runner)
