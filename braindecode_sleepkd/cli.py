"""The ``sleepkd`` command line: demo, benchmark, distill, export and stage.

Each sub-command lives in :mod:`braindecode_sleepkd.commands` as a module with
``add_parser(subparsers)`` and ``run(args) -> int``; the commands never import
this module.
"""

import argparse
import importlib
import sys
import warnings

from .commands import HELP, CommandError

#: Sub-command -> one-line help (:data:`~.commands.HELP`). Each is the module
#: ``commands.<name>``, imported only when that sub-command is asked for:
#: ``sleepkd --help`` imports none of them (nor torch, braindecode or MNE).
COMMANDS = HELP

__all__ = ["COMMANDS", "CommandError", "build_parser", "command_module", "main"]


def command_module(name):
    """The module of sub-command ``name`` (imported on first use)."""
    return importlib.import_module(f".commands.{name}", __package__)


def build_parser(commands=None):
    """Build the argument parser of the ``sleepkd`` command.

    Parameters
    ----------
    commands : list of str | None
        Sub-commands whose options are registered (default all); the others
        are listed with their help only, their modules not imported. ``main``
        registers only the one it runs, so that ``sleepkd --help`` and
        ``sleepkd stage`` with an ONNX student never import what the other
        commands need (torch among them).
    """
    parser = argparse.ArgumentParser(
        prog="sleepkd",
        description="SleepKD: distil a large sleep-staging network into a small one.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    for name, text in COMMANDS.items():
        if commands is None or name in commands:
            command_module(name).add_parser(sub)
        else:
            sub.add_parser(name, help=text)
    return parser


def main(argv=None):
    """Run the ``sleepkd`` command; returns the process exit code."""
    warnings.filterwarnings("ignore", message="Montage name 'standard_1020'")
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = [argv[0]] if argv and argv[0] in COMMANDS else []
    parser = build_parser(chosen)
    args = parser.parse_args(argv)
    args.argv = argv  # the command as typed, for what records it (model cards)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except (CommandError, ValueError, FileNotFoundError) as err:
        print(f"sleepkd {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
