"""The cohort's default budget on five unscored DREAMS excerpts.

The shared DREAMS excerpts are written at 100 Hz as EDF nights in a temporary
folder, all unscored for the cohort (a hypnogram pattern that matches no
file). Each held-out excerpt is left out; ``distill_cohort`` distils YASA over
the other five with its defaults (at least 300 optimiser steps, early stopping
on the validation night against the teacher, best pass restored) and with
the budget a user had to find by hand (batch 8, 60 passes, no early
stopping). The held-out night is staged from the exported student: agreement
with YASA and kappa against the experts. Writes
``benchmarks/results/cohort_budget.{json,md}``.

Run: ``nice python benchmarks/cohort_budget.py`` (options: ``--help``).
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from lib import cohort_dreams as bench

from braindecode_sleepkd.metrics import kappa

#: The budgets compared: name -> distill_cohort settings.
BUDGETS = {
    "defaults": {},
    "batch 8, 60 passes": dict(
        batch_size=8, max_epochs=60, min_steps=0, patience=10**6
    ),
}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--teacher", default="yasa")
parser.add_argument("--seeds", type=int, default=1)
parser.add_argument("--held-out", default="6,8", help="test subjects")
parser.add_argument("--work", default=Path(tempfile.gettempdir()) / "cohort_budget")
parser.add_argument("--out", default=Path(__file__).parent / "results")
args = parser.parse_args()
work = Path(args.work)
labels = bench.write_dreams_nights(work / "nights")
results_path = Path(args.out) / "cohort_budget.json"
runs = json.loads(results_path.read_text())["runs"] if results_path.exists() else {}
command = (
    f"nice python benchmarks/cohort_budget.py --teacher {args.teacher} --seeds "
    f"{args.seeds} --held-out {args.held_out}"
)
for seed in range(args.seeds):
    for subject in [int(s) for s in args.held_out.split(",")]:
        for i, (name, params) in enumerate(BUDGETS.items()):
            key = f"{name}/{seed}/{subject}"
            if key in runs:
                continue
            rec = bench.fold(
                work / "nights", subject, work / f"budget{i}", args.teacher, seed,
                hypnogram="{stem}.unscored", baseline=False, n_jobs=1, **params,
            )  # fmt: skip
            t, s = np.asarray(rec["teacher"]), np.asarray(rec["student"])
            top = np.bincount(s, minlength=5)
            runs[key] = dict(
                agreement=float((s == t).mean()),
                kappa=float(kappa(labels[subject], s)),
                teacher_kappa=float(kappa(labels[subject], t)),
                top_stage_share=float(top.max() / len(s)),
            )
            results_path.parent.mkdir(parents=True, exist_ok=True)
            results_path.write_text(json.dumps({"command": command, "runs": runs}))
            print(key, runs[key], flush=True)

rows = [
    "# The cohort's default budget (`benchmarks/cohort_budget.py`)",
    "",
    f"`{command}`",
    "",
    f"Teacher {args.teacher}; DREAMS excerpts at 100 Hz, all unscored; each "
    f"held-out excerpt ({args.held_out}) is left out of a cohort of the other "
    "five (one validates, against the teacher); deepsleepnet student, "
    "strategy dist. On the held-out excerpt: agreement with the teacher, kappa "
    "against the experts, and the share of its epochs the student gives its "
    "most frequent stage. Means over held-out excerpt x seed. A small run on 2 "
    "CPU cores: a hint, not a claim.",
    "",
    "| budget | agreement with teacher | kappa (experts) | teacher kappa | top "
    "stage share | n |",
    "|---|---|---|---|---|---|",
]
for name in BUDGETS:
    got = [r for k, r in runs.items() if k.split("/")[0] == name]
    if got:
        mean = {m: np.mean([r[m] for r in got]) for m in got[0]}
        rows.append(
            f"| {name} | {mean['agreement']:.3f} | {mean['kappa']:.3f} | "
            f"{mean['teacher_kappa']:.3f} | {mean['top_stage_share']:.3f} | "
            f"{len(got)} |"
        )
(Path(args.out) / "cohort_budget.md").write_text("\n".join(rows) + "\n")
print("\n".join(rows))
