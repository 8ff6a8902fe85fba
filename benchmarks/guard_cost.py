"""Cost of the baseline guard: fit time with and without ``baseline="student"``.

The DREAMS sample (6 excerpts, sequences of 10 epochs, subject 1 held out as in
the quick start), deepsleepnet presets for the three roles, 5 epochs per
stage, batch 8, validation on 20% of the training subjects (``groups=``) in
both runs, one CPU thread. Each configuration is fitted ``--repeats`` times,
alternating; the fastest fit of each is reported
(:mod:`lib.guard`). Writes
``benchmarks/results/guard_cost.md``.

Run: ``nice python benchmarks/guard_cost.py [--repeats 3] [--epochs 5]``
"""

import argparse
from pathlib import Path

import torch
from lib import guard

from braindecode_sleepkd.datasets import load_sample, make_sequences


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--out", default=Path(__file__).parent / "results/guard_cost.md"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    X, y, subjects = make_sequences(load_sample(), seq_len=10)
    train = subjects != 1
    times, report = guard.fit_times(
        X[train], y[train], subjects[train], args.repeats, args.epochs
    )
    command = (
        f"python benchmarks/guard_cost.py --repeats {args.repeats} "
        f"--epochs {args.epochs}"
    )
    text = guard.report_text(times, report, command, int(train.sum()), args.epochs)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
