"""``sleepkd distill``'s workflow on real DREAMS: YASA, GSSC and their ensemble.

The 6 shared DREAMS excerpts (30 min each, 360 epochs in all, heavily N2) are
written at 100 Hz as EDF nights with their expert hypnograms in a temporary
folder. Leave one subject out: each teacher is distilled over the other five
scored nights by ``distill_cohort`` (strategy dist; it trains the student
alone on the same nights with the same passes); the held-out night is staged
from the exported ONNX students; kappa against the experts, pooled over the
held-out nights per seed and per held-out night (paired intervals over
seed x subject). Resumable. Writes ``benchmarks/results/cohort_dreams.{json,md}``.

Run: ``nice python benchmarks/cohort_dreams.py`` (options: ``--help``).
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np
from lib import cohort_dreams as bench

from braindecode_sleepkd.evaluation.writer import clean, read_results, write_results

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--teachers", default="yasa,gssc,ensemble")
parser.add_argument("--seeds", type=int, default=3)
parser.add_argument("--max-epochs", type=int, default=40)
parser.add_argument("--batch-size", type=int, default=8)
parser.add_argument("--work", default=Path(tempfile.gettempdir()) / "cohort_dreams")
parser.add_argument("--out", default=Path(__file__).parent / "results")
args = parser.parse_args()
work, NAME = Path(args.work), "cohort_dreams"
labels = bench.write_dreams_nights(work / "nights")
res = read_results(args.out, NAME).get("runs", {})
command = (
    f"nice python benchmarks/cohort_dreams.py --teachers {args.teachers} --seeds "
    f"{args.seeds} --max-epochs {args.max_epochs} --batch-size {args.batch_size}"
)


def fmt(c):
    return f"{c['mean_diff']:+.3f} [{c['ci_low']:+.3f}, {c['ci_high']:+.3f}]"


def save():
    summary = bench.summarize(res, labels)
    lines = [
        "# The cohort workflow on real DREAMS (`benchmarks/cohort_dreams.py`)", "",
        f"`{command}`", "",
        "6 real DREAMS excerpts (30 min each, 360 epochs, heavily N2, REM nearly "
        "absent; resampled to 100 Hz), leave one subject out, "
        f"{args.seeds} seeds, deepsleepnet student, strategy dist, "
        f"{args.max_epochs} passes, batch {args.batch_size}. Kappa against the "
        "experts pooled over the held-out nights (mean over seeds); differences "
        "per held-out night x seed with a 95% t interval. Tiny: a check of the "
        "workflow on real EEG, not a claim about cohorts.", "",
        "| teacher | teacher kappa | student | student alone | student / teacher "
        "| gap closed | student - alone | student - teacher |",
        "|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for teacher, t in summary.items():
        p = {row: np.mean(v) for row, v in t["pooled"].items()}
        lines.append(
            f"| {teacher} | {p['teacher']:.3f} | {p['student']:.3f} | "
            f"{p['student_alone']:.3f} | {t['ratio']:.2f} | {t['gap_closed']:.2f} | "
            f"{fmt(t['student - alone'])} | {fmt(t['student - teacher'])} |"
        )
    results = {"command": command, "runs": res, "summary": clean(summary)}
    write_results(args.out, NAME, results, lines + [""])


for teacher in args.teachers.split(","):
    for seed in range(args.seeds):
        for subject in sorted(labels):
            key = f"{teacher}/{seed}/{subject}"
            if key not in res:
                print("fold", key, flush=True)
                res[key] = bench.fold(
                    work / "nights", subject, work, teacher, seed,
                    max_epochs=args.max_epochs, batch_size=args.batch_size,
                )  # fmt: skip
                save()
save()
print((Path(args.out) / f"{NAME}.md").read_text())
