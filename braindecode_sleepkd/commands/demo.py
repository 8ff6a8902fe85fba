"""``sleepkd demo``."""

import sys


def add_parser(subparsers):
    """Register the ``demo`` sub-command."""
    parser = subparsers.add_parser("demo", help="not available yet")
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Not built yet: say so and fail."""
    print("sleepkd demo: not available yet in this version.", file=sys.stderr)
    return 2
