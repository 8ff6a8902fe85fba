"""Cost of the baseline guard: fit time with and without ``baseline="student"``.

The DREAMS sample (6 excerpts, sequences of 10 epochs, subject 1 held out as in
the quick start), deepsleepnet presets for the three roles, 5 epochs per
stage, batch 8, validation on 20% of the training subjects (``groups=``) in
both runs, one CPU thread. Each configuration is fitted ``--repeats`` times,
alternating; the fastest fit of each is reported. Writes
``benchmarks/results/guard_cost.md``.

Run: ``nice python benchmarks/guard_cost.py [--repeats 3] [--epochs 5]``
"""

import argparse
import time
import warnings
from pathlib import Path

import torch

from braindecode_sleepkd import SleepKDClassifier
from braindecode_sleepkd.datasets import load_sample, make_sequences

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--out", default=Path(__file__).parent / "results/guard_cost.md")
args = parser.parse_args()
torch.set_num_threads(1)
X, y, subjects = make_sequences(load_sample(), seq_len=10)
train = subjects != 1
times = {None: [], "student": []}
report = None
for _ in range(args.repeats):
    for baseline in times:
        clf = SleepKDClassifier(
            "deepsleepnet",
            "deepsleepnet",
            "deepsleepnet",
            max_epochs=args.epochs,
            batch_size=8,
            random_state=0,
            verbose=0,
            baseline=baseline,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X[train], y[train], groups=subjects[train])
        times[baseline].append(time.perf_counter() - start)
        report = clf.report_ or report
best = {k: min(v) for k, v in times.items()}
ratio = best["student"] / best[None]
text = (
    "# Cost of the baseline guard (`benchmarks/guard_cost.py`)\n\n"
    f"`python benchmarks/guard_cost.py --repeats {args.repeats} --epochs "
    f"{args.epochs}`: DREAMS sample, {int(train.sum())} training sequences of 10 "
    f"epochs, deepsleepnet presets, {args.epochs} epochs per stage, batch 8, one "
    "CPU thread, fastest of the repeats.\n\n"
    "| baseline | fit time (s) | all fits (s) |\n|---|---|---|\n"
    + "".join(
        f"| {k!s} | {best[k]:.2f} | {', '.join(f'{t:.2f}' for t in times[k])} |\n"
        for k in times
    )
    + f"\nThe guard multiplies the fit time by {ratio:.2f} "
    f"(+{best['student'] - best[None]:.2f} s; the student alone's stage took "
    f"{report.baseline_seconds:.2f} s in the last guarded fit).\n\n"
    "Report of the last guarded fit (validation subjects):\n\n```\n"
    f"{report}\n```\n"
)
Path(args.out).write_text(text)
print(text)
