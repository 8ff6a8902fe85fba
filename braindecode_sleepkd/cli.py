"""The ``sleepkd`` command line: ``demo``, ``benchmark`` and ``export``."""

import argparse
import sys


def _not_available(name):
    def run(args):
        print(f"sleepkd {name}: not available yet in this version.", file=sys.stderr)
        return 2

    return run


def build_parser():
    """Build the argument parser of the ``sleepkd`` command."""
    parser = argparse.ArgumentParser(
        prog="sleepkd",
        description="SleepKD: distil a large sleep-staging network into a small one.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{demo,benchmark,export}")
    demo = sub.add_parser(
        "demo", help="distil teacher -> assistant -> student on the sample"
    )
    demo.set_defaults(func=_not_available("demo"))
    bench = sub.add_parser("benchmark", help="the paper's comparison of methods")
    bench.set_defaults(func=_not_available("benchmark"))
    export = sub.add_parser("export", help="export a fitted student to ONNX")
    export.set_defaults(func=_not_available("export"))
    return parser


def main(argv=None):
    """Run the ``sleepkd`` command; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
