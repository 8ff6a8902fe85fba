"""Size and CPU speed of the teacher / assistant / student presets.

Run on demand: ``.venv/bin/python benchmarks/model_speed.py --out
benchmarks/results`` (writes ``model_speed.md`` and ``.json``). A family's three
models are timed round-robin, so that other load slows them alike; ratios are
against the family's teacher (:mod:`lib.speed`).
"""

import argparse
import sys
from pathlib import Path

from lib import speed
from lib.cli import command_line

from braindecode_sleepkd.evaluation.writer import write_results
from braindecode_sleepkd.models import FAMILIES


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--families", nargs="+", default=sorted(FAMILIES))
    parser.add_argument("--sfreq", type=float, default=100.0)
    parser.add_argument("--n-chans", type=int, default=1)
    parser.add_argument("--seq-len", type=int, default=20)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--n-repeats", type=int, default=15)
    parser.add_argument("--n-warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, nargs="+", help="default: all, 1")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    """Run the benchmark and write the Markdown and JSON files."""
    args = parse_args(argv)
    result = speed.results(args, command_line(sys.argv[0]))
    md = speed.report(result)
    write_results(args.out, "model_speed", result, md, indent=2)
    print(md)


if __name__ == "__main__":
    main()
