"""Shared entry-point behaviour of the command-line tools.

Every ``tools/*.py`` script ends with::

    if __name__ == '__main__':
        run_cli(main)

:func:`run_cli` does three things:

- A :class:`~mmmer.utils.errors.MMMERUserError` (missing dataset folder,
  unreadable annotation row, sample that cannot be preprocessed, generator
  trained on a test subject, missing optional dependency, ...) is printed as
  ``error: <message>`` on stderr, without a traceback, and the process exits
  with status 2. The message already names the file or sample and what to do;
  a traceback would only bury it. ``--debug`` on the command line (removed
  before ``main`` parses its arguments) or ``MMMER_DEBUG=1`` re-raises the
  error with its full traceback.
- Every other exception is a bug or an unexpected environment problem and
  keeps its traceback.
- The current working directory is appended to ``sys.path`` (after the
  installed packages), so ``custom_imports = dict(imports=['projects.x.models'])``
  in a plugin config resolves from the directory the tool is run in, as it
  does for ``python -m``. mmmer itself must be installed (``pip install -e .``
  or ``pip install .``); the tools never put the checkout on ``sys.path``
  ahead of it.
"""
import os
import sys
from typing import Callable, List, Optional

from .errors import MMMERUserError

__all__ = ['DEBUG_ENV', 'USER_ERROR_EXIT_CODE', 'debug_requested', 'run_cli']

#: Environment variable that turns tracebacks back on.
DEBUG_ENV = 'MMMER_DEBUG'
#: Exit status of a tool stopped by a user-facing error (argparse uses 2 too).
USER_ERROR_EXIT_CODE = 2


def debug_requested(argv: Optional[List[str]] = None) -> bool:
    """True when ``--debug`` is in ``argv`` or ``MMMER_DEBUG`` is set to a
    true value (anything but '', '0', 'false', 'no')."""
    argv = sys.argv[1:] if argv is None else argv
    env = os.environ.get(DEBUG_ENV, '').strip().lower()
    return '--debug' in argv or env not in ('', '0', 'false', 'no')


def _add_cwd_to_path():
    cwd = os.getcwd()
    if cwd not in sys.path and os.path.abspath(cwd) not in map(
            os.path.abspath, (p or '.' for p in sys.path)):
        sys.path.append(cwd)


def run_cli(main: Callable, argv: Optional[List[str]] = None):
    """Run ``main(argv)`` as a command-line entry point (see module doc).

    Args:
        main: the tool's ``main(argv=None)``.
        argv: arguments without the program name (default ``sys.argv[1:]``).

    Returns:
        Whatever ``main`` returns (a user error exits instead).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = debug_requested(argv)
    argv = [a for a in argv if a != '--debug']
    _add_cwd_to_path()
    try:
        return main(argv)
    except MMMERUserError as e:
        if debug:
            raise
        name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] \
            else 'mmmer'
        print(f'{name}: error: {e}', file=sys.stderr)
        print(f'(run with --debug or {DEBUG_ENV}=1 for the traceback)',
              file=sys.stderr)
        sys.exit(USER_ERROR_EXIT_CODE)
