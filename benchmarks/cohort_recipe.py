"""The cohort's label term: ``distill_cohort`` with hard weight 0 against 1.

The shared DREAMS excerpts are written at 100 Hz as EDF nights in a temporary
folder; three of them keep their expert hypnogram as ``<stem>.scored.txt``
(the nights a lab scored), the others are unscored for the cohort. Each
held-out night is left out of its cohort (3 scored + 2 unscored nights: one
scored night validates), distilled with each hard weight and each seed, and
staged from the exported ONNX student; kappa against the experts on the
held-out nights, and the paired difference (hard 1 - hard 0) per held-out
night x seed with a 95% t interval. Writes
``benchmarks/results/cohort_recipe.{json,md}`` (``cohort_recipe_<teacher>`` for
another teacher than YASA).

Run: ``nice python benchmarks/cohort_recipe.py`` (options: ``--help``).
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from lib import cohort_dreams as bench

from braindecode_sleepkd.evaluation import paired_by_key
from braindecode_sleepkd.metrics import kappa

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--teacher", default="yasa")
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--scored", default="1,3,4", help="subjects the lab scored")
parser.add_argument("--held-out", default="6,8", help="test subjects")
parser.add_argument("--weights", default="0,1", help="hard weights compared")
parser.add_argument("--min-steps", type=int, default=300)
parser.add_argument("--patience", type=int, default=100)
parser.add_argument("--work", default=Path(tempfile.gettempdir()) / "cohort_recipe")
parser.add_argument("--out", default=Path(__file__).parent / "results")
args = parser.parse_args()
work = Path(args.work)
nights = work / "nights"
labels = bench.write_dreams_nights(nights)
for s in args.scored.split(","):
    link = nights / f"excerpt{s}.scored.txt"
    if not link.exists():
        os.symlink(nights / f"excerpt{s}.hypnogram.txt", link)
weights = [float(w) for w in args.weights.split(",")]
stem = "cohort_recipe" + ("" if args.teacher == "yasa" else f"_{args.teacher}")
results_path = Path(args.out) / f"{stem}.json"
runs = json.loads(results_path.read_text())["runs"] if results_path.exists() else {}
command = (
    f"nice python benchmarks/cohort_recipe.py --teacher {args.teacher} --seeds "
    f"{args.seeds} --scored {args.scored} --held-out {args.held_out} --weights "
    f"{args.weights} --min-steps {args.min_steps} --patience {args.patience}"
)
for seed in range(args.seeds):
    for subject in [int(s) for s in args.held_out.split(",")]:
        for w in weights:
            key = f"{w:g}/{seed}/{subject}"
            if key in runs:
                continue
            rec = bench.fold(
                nights, subject, work / f"hard{w:g}", args.teacher, seed,
                hypnogram="{stem}.scored.txt", hard_weight=w, baseline=False,
                min_steps=args.min_steps, patience=args.patience, n_jobs=1,
            )  # fmt: skip
            runs[key] = {k: rec[k] for k in ("teacher", "student")}
            results_path.parent.mkdir(parents=True, exist_ok=True)
            results_path.write_text(json.dumps({"command": command, "runs": runs}))
            print(key, kappa(labels[subject], rec["student"]), flush=True)

per = {}  # row -> {"seed/subject": kappa}
for key, rec in runs.items():
    w, seed, subject = key.split("/")
    y = labels[int(subject)]
    per.setdefault(f"student, hard {w}", {})[f"{seed}/{subject}"] = kappa(
        y, rec["student"]
    )
    per.setdefault("teacher", {})[f"{seed}/{subject}"] = kappa(y, rec["teacher"])
rows = [
    "# The cohort's label term (`benchmarks/cohort_recipe.py`)",
    "",
    f"`{command}`",
    "",
    f"Teacher {args.teacher}; DREAMS excerpts at 100 Hz; cohort of 5 nights: "
    f"excerpts {args.scored} scored (one validates), the others unscored; "
    f"held-out nights {args.held_out}; {args.seeds} seeds; deepsleepnet student, "
    f"strategy dist, recipe function_matching, at least {args.min_steps} "
    f"optimiser steps, early stopping patience {args.patience} steps. Kappa against "
    "the experts on each held-out night (mean over held-out night x seed). A "
    "reduced run on 2 CPU cores: a hint, not a claim.",
    "",
    "| row | kappa (mean) | n |",
    "|---|---|---|",
]
for row, values in sorted(per.items()):
    rows.append(f"| {row} | {np.mean(list(values.values())):.3f} | {len(values)} |")
if len(weights) == 2:
    a, b = (f"student, hard {w:g}" for w in weights[::-1])
    if a in per and b in per:
        c = paired_by_key(per[a], per[b])
        rows += [
            "",
            f"{a} - {b}: {c['mean_diff']:+.3f} [{c['ci_low']:+.3f}, "
            f"{c['ci_high']:+.3f}] (95% t interval over {c.get('n', len(per[a]))} "
            "held-out night x seed pairs)",
        ]
(Path(args.out) / f"{stem}.md").write_text("\n".join(rows) + "\n")
print("\n".join(rows))
