"""``sleepkd benchmark``."""

import sys


def add_parser(subparsers):
    """Register the ``benchmark`` sub-command."""
    parser = subparsers.add_parser("benchmark", help="not available yet")
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Not built yet: say so and fail."""
    print("sleepkd benchmark: not available yet in this version.", file=sys.stderr)
    return 2
