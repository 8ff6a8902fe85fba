"""Sub-commands of the ``sleepkd`` command line (one module each).

Each module has ``add_parser(subparsers)`` and ``run(args) -> int``; a user error
is raised as :class:`CommandError` (printed as one line, exit code 2).
"""


class CommandError(Exception):
    """A user error in a sub-command: printed as one line, exit code 2."""
