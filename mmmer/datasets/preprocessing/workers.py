"""Whether worker processes can be started from the running program.

Processes started with ``'spawn'`` or ``'forkserver'`` re-create the parent's
``__main__`` before they unpickle their work: a program run as a module
(``python -m``) is imported by name, a script is re-run from its file. A
script read from standard input (``python - <<EOF``) has the file name
``'<stdin>'``, which does not exist, so every such worker dies at start
(``BrokenProcessPool`` for the preprocessing pool, "DataLoader worker exited
unexpectedly" for a PyTorch ``DataLoader``). ``python -c`` and interactive
sessions have no ``__file__``; their workers leave ``__main__`` alone and
work, unless a transform is defined in that unnamed main program.
``'fork'`` copies the parent and is never affected.

:func:`worker_start_problem` says why workers cannot start (or ``None``);
:func:`run_preprocessing` then preprocesses in-process with a warning, and
:func:`limit_dataloader_workers` sets a config's loader ``num_workers`` to 0.
"""
import multiprocessing as mp
import os.path as osp
import sys
from multiprocessing import process
from typing import Iterable, Optional

__all__ = ['main_module_problem', 'worker_start_problem', 'limit_dataloader_workers']

DATALOADER_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def main_module_problem() -> Optional[str]:
    """Why a spawned process cannot re-create ``__main__``, or ``None``."""
    main = sys.modules.get('__main__')
    if main is None or getattr(getattr(main, '__spec__', None), 'name', None):
        return None  # run as a module: re-imported by name
    path = getattr(main, '__file__', None)
    if path is None:
        return None  # python -c / interactive: __main__ is left alone
    full = path if osp.isabs(path) else osp.join(process.ORIGINAL_DIR or '', path)
    if osp.isfile(full):
        return None
    where = 'standard input' if path == '<stdin>' else f'{path!r}, which is not a file'
    return (f'the main program was read from {where}, and worker processes '
            f'started with spawn/forkserver must re-import it from a file')


def worker_start_problem(start_method: Optional[str],
                         modules: Iterable[str] = ()) -> Optional[str]:
    """Why worker processes started with ``start_method`` would die, or ``None``.

    Args:
        start_method: ``'fork'``, ``'spawn'``, ``'forkserver'``; ``None`` means
            the platform's default.
        modules: modules the workers must import (e.g. those defining the
            pipeline's transforms); ``'__main__'`` among them needs a main
            program that workers can import.
    """
    method = start_method or mp.get_all_start_methods()[0]
    if method == 'fork':
        return None
    problem = main_module_problem()
    if problem:
        return problem
    if '__main__' in set(modules):
        main = sys.modules.get('__main__')
        if getattr(main, '__file__', None) is None and \
                getattr(getattr(main, '__spec__', None), 'name', None) is None:
            return ('a transform of the pipeline is defined in the main program '
                    '(python -c or an interactive session), which worker processes '
                    'cannot import')
    return None


def limit_dataloader_workers(cfg, logger=None):
    """Set ``num_workers=0`` in the config's data loaders whose workers could
    not start (see :func:`worker_start_problem`); warn once per loader.

    A loader's start method is its ``multiprocessing_context``, else
    ``env_cfg.mp_cfg.mp_start_method`` (which MMEngine's Runner applies
    process-wide), else the platform default. Returns the changed keys.
    """
    env_cfg = cfg.get('env_cfg', None) or {}
    global_method = (env_cfg.get('mp_cfg', None) or {}).get('mp_start_method', None)
    changed = []
    for key in DATALOADER_KEYS:
        loader = cfg.get(key, None)
        if not loader or int(loader.get('num_workers', 0) or 0) <= 0:
            continue
        context = loader.get('multiprocessing_context', None)
        method = context if isinstance(context, str) else \
            getattr(context, '_name', None) or global_method
        problem = worker_start_problem(method)
        if problem is None:
            continue
        message = (f'{key}.num_workers={loader["num_workers"]} set to 0 (data loaded '
                   f'in the main process): {problem}. Run the code from a script '
                   'file, or use the fork start method, to load data in workers.')
        if logger is None:
            from mmengine.logging import MMLogger
            logger = MMLogger.get_current_instance()
        logger.warning(message)
        loader['num_workers'] = 0
        # DataLoader rejects these without workers.
        for option in ('persistent_workers', 'prefetch_factor', 'multiprocessing_context'):
            loader.pop(option, None)
        changed.append(key)
    return changed
