"""Concurrent LOSO folds on one machine: ``tools/train.py CONFIG --fold-workers N``.

LOSO folds are independent, and a small model (HTNet's synthetic demo, a
CPU run of a few folds) rarely keeps every core of a machine busy in one
process. ``--fold-workers N`` starts N ``tools/train.py`` processes at once,
worker ``i`` running ``--shard i/N`` of the same command into the same work
dir, with the machine's threads split between them (``OMP_NUM_THREADS`` /
``MKL_NUM_THREADS`` = threads // N, at least 1). When all have finished, the
parent pools the folds' saved predictions exactly as ``--merge-only`` does,
so ``loso_summary.json`` is the one a sequential run writes: every fold is
the same Runner on the same fold config (seeded per fold), only the process
it runs in differs.

The parent reads the dataset once before the workers start (preprocessing
caches are written then, not raced for by N processes). Each worker's output
goes to ``WORK_DIR/fold_workers/worker_<i>.log``. A worker that fails leaves
the others running (their folds are valid); the parent then stops with the
failing worker's log tail, and rerunning the same command continues: finished
folds are skipped, interrupted ones resume from their checkpoints.
"""
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List, Optional, Sequence, Tuple

from mmmer.utils.errors import MMMERUserError

__all__ = ['split_fold_workers_arg', 'worker_commands', 'threads_per_worker',
           'run_fold_workers', 'FoldWorkersError', 'FoldWorkerFailed']


class FoldWorkersError(MMMERUserError, ValueError):
    """A bad ``--fold-workers`` value or a refused flag combination."""


class FoldWorkerFailed(MMMERUserError, RuntimeError):
    """A worker process exited with an error (its log tail is in the message)."""

FLAG = '--fold-workers'
HELP = (f'  {FLAG} N        run N LOSO folds at once as separate processes on this '
        'machine\n                        (shards 0/N..N-1/N of this command, threads '
        'split between them),\n                        then pool them as --merge-only')


def split_fold_workers_arg(argv: Optional[Sequence[str]]) -> Tuple[List[str], int]:
    """Remove ``--fold-workers N`` (or ``--fold-workers=N``) from ``argv``.

    Returns the remaining arguments and N (0 when absent). ``argv=None``
    reads ``sys.argv[1:]``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if '-h' in argv or '--help' in argv:
        print(HELP)
    rest, value = [], None
    it = iter(argv)
    for a in it:
        if a == FLAG:
            value = next(it, None)
            if value is None:
                raise FoldWorkersError(f'{FLAG} needs a number of worker processes, e.g. {FLAG} 2')
        elif a.startswith(FLAG + '='):
            value = a.split('=', 1)[1]
        else:
            rest.append(a)
    if value is None:
        return rest, 0
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise FoldWorkersError(f'{FLAG} {value}: give a whole number of worker processes >= 1')
    return rest, n


def threads_per_worker(num_workers: int, total: Optional[int] = None) -> int:
    """The intra-op threads of each worker: the parent's share, at least 1."""
    if total is None:
        import torch
        total = torch.get_num_threads()
    return max(1, int(total) // int(num_workers))


def worker_commands(script: str, argv: Sequence[str], num_workers: int,
                    work_dir: str) -> List[List[str]]:
    """One ``python SCRIPT ARGV --work-dir WORK_DIR --shard i/N`` per worker."""
    base = [sys.executable, osp.abspath(script), *argv, '--work-dir', work_dir]
    return [base + ['--shard', f'{i}/{num_workers}'] for i in range(num_workers)]


def _tail(path: str, limit: int = 3000) -> str:
    try:
        with open(path, errors='replace') as f:
            return f.read()[-limit:]
    except OSError:
        return ''


def run_fold_workers(script: str, argv: Sequence[str], args, cfg,
                     num_workers: int, threads: Optional[int] = None,
                     poll_s: float = 0.5) -> Optional[dict]:
    """Run the LOSO of ``cfg`` with ``num_workers`` concurrent shard processes.

    Args:
        script: the ``tools/train.py`` file to start the workers with.
        argv: the command's arguments without ``--fold-workers``.
        args: its parsed arguments (for the refused combinations).
        cfg: the built config (``cfg.work_dir`` resolved).
        num_workers: N.
        threads: threads to split (default: this process's torch threads).

    Returns the pooled summary (None when some folds are unfinished).
    """
    from mmengine.logging import print_log

    from .loso import LOSOLoop
    clashes = [flag for flag, on in (
        ('--shard', getattr(args, 'shard', None)),
        ('--merge-only', getattr(args, 'merge_only', False)),
        ('--all-subjects', getattr(args, 'all_subjects', False)),
        ('--launcher ' + str(getattr(args, 'launcher', 'none')),
         getattr(args, 'launcher', 'none') != 'none')) if on]
    if clashes:
        raise FoldWorkersError(f'{FLAG} runs the shards itself on this machine; it cannot be '
                         f'combined with {", ".join(clashes)}.')
    folds = args.folds.split(',') if getattr(args, 'folds', None) else None
    loop = LOSOLoop(cfg, work_dir=cfg.work_dir, folds=folds)
    todo = [s for s in loop.my_folds() if not loop.fold_done(s)]  # reads the data once
    n = max(1, min(num_workers, len(todo)))
    per = threads_per_worker(n, threads)
    log_dir = osp.join(loop.work_dir, 'fold_workers')
    os.makedirs(log_dir, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(per), MKL_NUM_THREADS=str(per))
    print_log(f'{FLAG} {num_workers}: {len(todo)} unfinished fold(s) on {n} worker '
              f'process(es) x {per} thread(s); logs in {log_dir}', logger='current')
    procs = []
    try:
        for i, cmd in enumerate(worker_commands(script, argv, n, loop.work_dir)):
            log = osp.join(log_dir, f'worker_{i}.log')
            with open(log, 'w') as f:
                procs.append((i, log, subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT,
                                                       env=env)))
        while any(p.poll() is None for _, _, p in procs):
            time.sleep(poll_s)
    except BaseException:
        for _, _, p in procs:
            if p.poll() is None:
                p.terminate()
        for _, _, p in procs:
            p.wait()
        raise
    failed = [(i, log, p.returncode) for i, log, p in procs if p.returncode != 0]
    if failed:
        i, log, rc = failed[0]
        raise FoldWorkerFailed(
            f'{FLAG}: worker {i} (--shard {i}/{n}) exited with status {rc}; '
            f'{len(failed)} of {n} worker(s) failed. Its log {log} ends with:\n'
            f'{_tail(log)}\nFix the cause and rerun the same command: finished folds '
            'are kept.')
    missing = [s for s in loop.subjects() if not loop.fold_done(s)]
    if missing:
        print_log(f'{len(missing)} fold(s) not finished (outside --folds?): {missing}; '
                  'pool them with --merge-only when all are done.', logger='current')
        return None
    return loop.summarize()
