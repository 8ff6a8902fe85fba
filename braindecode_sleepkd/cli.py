"""The ``sleepkd`` command line: ``demo``, ``benchmark`` and ``export``.

Each sub-command lives in :mod:`braindecode_sleepkd.commands` as a module with
``add_parser(subparsers)`` and ``run(args) -> int``; the commands never import
this module.
"""

import argparse
import sys
import warnings

from .commands import CommandError, benchmark, demo, export, stage

COMMANDS = {"demo": demo, "benchmark": benchmark, "export": export, "stage": stage}

__all__ = ["COMMANDS", "CommandError", "build_parser", "main"]


def build_parser():
    """Build the argument parser of the ``sleepkd`` command."""
    parser = argparse.ArgumentParser(
        prog="sleepkd",
        description="SleepKD: distil a large sleep-staging network into a small one.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    for module in COMMANDS.values():
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
