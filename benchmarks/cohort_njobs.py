"""Teacher scoring time against ``n_jobs`` and threads, on an idle machine.

A world of simulated nights (``--nights``, 100 Hz) is scored by each teacher
member on an empty cache, in a child process, with ``score_cohort``:
``n_jobs=1`` with one thread, ``n_jobs=1`` with the default threads (torch
and LightGBM use every core) and ``n_jobs=2`` (joblib's loky workers, one
thread each). The load average before each run shows whether the machine was
idle. Writes ``benchmarks/results/cohort_njobs.{json,md}``.

Run: ``python benchmarks/cohort_njobs.py`` (nothing else running).
"""

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from lib import cohort as bench

from braindecode_sleepkd.evaluation.writer import write_results

#: (name, n_jobs, threads per process; None: the libraries' default)
SETTINGS = (("1 job, 1 thread", 1, 1), ("1 job, default threads", 1, None),
            ("2 jobs", 2, None))  # fmt: skip
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--nights", type=int, default=32)
parser.add_argument("--epochs-per-night", type=int, default=300)
parser.add_argument("--members", default="yasa,gssc")
parser.add_argument("--work", default=Path(tempfile.gettempdir()) / "cohort_njobs")
parser.add_argument("--out", default=Path(__file__).parent / "results")
args = parser.parse_args()
work = Path(args.work)
bench.make_world(work, 0, args.nights - bench.N_TEST, args.epochs_per_night)
folders = [str(work / "all"), str(work / "test")]
command = (
    f"python benchmarks/cohort_njobs.py --nights {args.nights} "
    f"--epochs-per-night {args.epochs_per_night} --members {args.members}"
)
res = {"command": command, "cpus": os.cpu_count(), "runs": []}
for member in args.members.split(","):
    for name, n_jobs, threads in SETTINGS:
        for var in THREAD_VARS:  # inherited by the child process
            if threads is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = str(threads)
        cold = work / f"cold-{member}-{n_jobs}-{threads}"
        shutil.rmtree(cold, ignore_errors=True)
        load = os.getloadavg()[0]
        rec = bench.in_child("score", folders=folders, teacher=member,
                             cache_dir=str(cold), n_jobs=n_jobs)  # fmt: skip
        res["runs"].append(dict(rec, member=member, setting=name, load=load))
        print(member, name, f"{rec['seconds']:.1f} s (load {load:.2f})", flush=True)

lines = [
    "# Teacher scoring against n_jobs", "", f"`{command}`", "",
    f"{res['cpus']} CPU cores; simulated nights of {args.epochs_per_night} epochs, "
    "empty cache each run, time of the child process (loading the nights and the "
    "scorer included). Speed-up: against one job with one thread. Load before: "
    "the 1-minute load average, which still counts this script's previous run.",
    "",
    "| member | setting | nights | seconds | s / night | speed-up | load before |",
    "|---|---|---|---|---|---|---|",
]  # fmt: skip
for member in args.members.split(","):
    mine = [r for r in res["runs"] if r["member"] == member]
    base = mine[0]["seconds"]
    for r in mine:
        lines.append(
            f"| {member} | {r['setting']} | {r['n_nights']} | {r['seconds']:.1f} | "
            f"{r['seconds'] / r['n_nights']:.2f} | {base / r['seconds']:.2f}x | "
            f"{r['load']:.2f} |"
        )
write_results(args.out, "cohort_njobs", res, lines + [""])
print("\n".join(lines))
