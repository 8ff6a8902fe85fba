"""Cost of a distillation epoch relative to a plain student epoch.

Times a training epoch of the student alone and distilled (KD, SleepKD) from a
frozen teacher, cached once per stage or run live at every batch, on the same
data, interleaved over repeats (:mod:`lib.overhead`).
Writes ``distill_overhead.md`` and ``.json``::

    .venv/bin/python benchmarks/distill_overhead.py --out benchmarks/results
"""

import argparse
import platform
import sys

import torch
from lib import overhead

from braindecode_sleepkd.evaluation.writer import write_results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="deepsleepnet")
    parser.add_argument("--n-seq", type=int, default=192)
    parser.add_argument("--seq-len", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args(argv)
    rows, setup = overhead.epoch_seconds(
        args.family, args.n_seq, args.seq_len, args.epochs, args.repeats
    )
    command = "python " + " ".join([sys.argv[0], *(argv or sys.argv[1:])])
    result = {
        "command": command,
        **{k: vars(args)[k] for k in ("family", "n_seq", "seq_len", "epochs")},
        "repeats": args.repeats,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "rows": rows,
        "median_setup_s_cached_runs": setup,
    }
    lines = overhead.report(result)
    write_results(args.out, "distill_overhead", result, lines, indent=2)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
