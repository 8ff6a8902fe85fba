"""Distil pretrained scorers over simulated cohorts: kappa, time and memory vs nights.

A world of simulated nights (100 Hz, truth known): 4 scored, ``--pool``
unscored and 4 test nights. Each teacher member (YASA, GSSC) scores every
night once into a shared cache, in a child process that records its time and
peak memory; 16 nights are also scored on empty caches with ``n_jobs=1`` and
``n_jobs=2``. Each cohort (0 or 4 scored x 0/10/40/100/200 unscored nights) is
then distilled by ``distill_cohort`` (strategy dist; ``--min-passes`` over the
data, more where that gives fewer than ``--min-steps`` gradient steps; the
student alone gets the same passes) in
its own child process (time and peak RSS), and its student and student alone
are scored on the test nights against the truth and against the teacher.
Resumable: finished entries are kept in the JSON. Writes
``benchmarks/results/cohort_scaling.{json,md,png}``.

Run: ``nice python benchmarks/cohort_scaling.py`` (options: ``--help``).
"""

import argparse
import shutil
import tempfile
from pathlib import Path

from lib import cohort as bench

from braindecode_sleepkd.evaluation.writer import read_results, write_results

STUDENTS = {"narrow": {"lstm_units": 8, "dropout": 0.0}, "preset": {}}
MEMBERS = {"yasa": ["yasa"], "gssc": ["gssc"], "ensemble": ["yasa", "gssc"]}
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs-per-night", type=int, default=300)
parser.add_argument("--pool", type=int, default=200, help="unscored nights made")
parser.add_argument("--unscored", default="0,10,40,100,200")
parser.add_argument("--min-passes", type=int, default=5)
parser.add_argument("--min-steps", type=int, default=400)
parser.add_argument("--teachers", default="yasa,ensemble,gssc")
parser.add_argument("--students", default="narrow,preset")
parser.add_argument("--work", default=Path(tempfile.gettempdir()) / "cohort_scaling")
parser.add_argument("--out", default=Path(__file__).parent / "results")
args = parser.parse_args()
work, out, NAME = Path(args.work), Path(args.out), "cohort_scaling"
truth = bench.make_world(work, 4, args.pool, args.epochs_per_night)
folders = [str(work / "all"), str(work / "test")]
cache = str(work / "cache")
res = read_results(out, NAME) or {"scoring": {}, "runs": {}}
res["command"] = "nice python benchmarks/cohort_scaling.py " + " ".join(
    f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k in
    ("epochs_per_night", "pool", "unscored", "min_passes", "min_steps", "teachers",
     "students")
)  # fmt: skip


def save():
    write_results(out, NAME, res, bench.report(res, truth), figure=bench.plot(res))


def ensure_scored(member):
    """Score all nights with ``member`` (timed), once."""
    rec = res["scoring"].setdefault(member, {})
    for n_jobs in (1, 2):
        if f"jobs{n_jobs}" not in rec:
            cold = work / f"cold-{member}-{n_jobs}"
            shutil.rmtree(cold, ignore_errors=True)
            kw = dict(teacher=member, cache_dir=str(cold), n_jobs=n_jobs)
            rec[f"jobs{n_jobs}"] = bench.in_child(
                "score", folders=folders, max_nights=16, **kw
            )
            save()
    if "all" not in rec:
        rec["all"] = bench.in_child(
            "score", folders=folders, teacher=member, cache_dir=cache, n_jobs=2
        )
        save()


for teacher in args.teachers.split(","):
    for member in MEMBERS[teacher]:
        ensure_scored(member)
    for student in args.students.split(","):
        for n_scored in (0, 4):
            for n_unscored in (int(u) for u in args.unscored.split(",")):
                key = f"{teacher}/{student}/{n_scored}/{n_unscored}"
                if n_scored + n_unscored == 0 or key in res["runs"]:
                    continue
                print("running", key, flush=True)
                run_out = work / "runs" / key.replace("/", "_")
                rec = bench.in_child(
                    "distill",
                    folder=str(bench.cohort_folder(work, n_scored, n_unscored, 4)),
                    out=str(run_out),
                    teacher=teacher,
                    cache_dir=cache,
                    student_kwargs=STUDENTS[student],
                    max_epochs=bench.passes(n_scored, n_unscored, args.epochs_per_night,
                                            args.min_passes, args.min_steps),
                )  # fmt: skip
                rec.update(bench.test_scores(work, run_out, teacher, cache, truth))
                res["runs"][key] = rec
                save()
save()
print((out / f"{NAME}.md").read_text())
