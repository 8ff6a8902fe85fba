"""``sleepkd export``."""

import sys


def add_parser(subparsers):
    """Register the ``export`` sub-command."""
    parser = subparsers.add_parser("export", help="not available yet")
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Not built yet: say so and fail."""
    print("sleepkd export: not available yet in this version.", file=sys.stderr)
    return 2
