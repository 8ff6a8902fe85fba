"""The ``sleepkd`` command line: ``demo``, ``benchmark`` and ``export``.

Each sub-command lives in :mod:`braindecode_sleepkd.commands` as a module with
``add_parser(subparsers)`` and ``run(args) -> int``.
"""

import argparse
import importlib
import sys
import warnings

COMMANDS = ("demo", "benchmark", "export", "stage")


class CommandError(Exception):
    """A user error in a sub-command: printed as one line, exit code 2."""


def build_parser():
    """Build the argument parser of the ``sleepkd`` command."""
    parser = argparse.ArgumentParser(
        prog="sleepkd",
        description="SleepKD: distil a large sleep-staging network into a small one.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    for name in COMMANDS:
        module = importlib.import_module(f"braindecode_sleepkd.commands.{name}")
        module.add_parser(sub)
    return parser


def main(argv=None):
    """Run the ``sleepkd`` command; returns the process exit code."""
    warnings.filterwarnings("ignore", message="Montage name 'standard_1020'")
    parser = build_parser()
    args = parser.parse_args(argv)
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
