"""The base class of the errors a user can fix without reading mmmer's code.

Every error mmmer raises for a problem in the user's data, files or settings
(a missing dataset folder, an unreadable annotation row, a sample that cannot
be preprocessed, a generator trained on a fold's test subject, a missing
optional dependency) derives from :class:`MMMERUserError` as well as from the
built-in exception it always was (``FileNotFoundError``, ``ValueError``, ...),
so existing ``except`` clauses keep working. Command-line tools wrapped with
:func:`mmmer.utils.cli.run_cli` print such an error's message alone, without a
traceback, because the message already says which file or sample is wrong and
what to do.
"""

__all__ = ['MMMERUserError', 'MissingDependencyError']


class MMMERUserError(Exception):
    """An error whose message tells the user what to fix."""


class MissingDependencyError(MMMERUserError, ImportError):
    """An optional dependency is not installed; the message names the command
    that installs it."""
