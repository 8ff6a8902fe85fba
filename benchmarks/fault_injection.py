"""Fault injection: SIGKILL a checkpointed fit at random points of every stage.

Each trial runs a checkpointed ``SleepKDClassifier`` fit in a child process,
kills it with SIGKILL at a random batch of the stage that is running
(``--kills-per-stage`` times per stage, the point drawn from a seeded
generator), and resumes it in a new process with another ``PYTHONHASHSEED``
until a last run finishes; then checks that nothing saved was lost or trained
again and that the predictions equal an uninterrupted fit's within ``--atol``
(:mod:`lib.faults`).

Writes ``fault_injection.json`` and ``fault_injection.md`` to ``--out``; exits 1
if a check fails.

Usage::

    .venv/bin/python benchmarks/fault_injection.py --out benchmarks/results
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import argparse
import sys

from lib import faults

from braindecode_sleepkd.evaluation.writer import write_results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--kills-per-stage", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="seeds the kill points")
    parser.add_argument("--atol", type=float, default=1e-6)
    parser.add_argument("--work", default=None, help="scratch folder (default: tmp)")
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    report = {"command": " ".join(["python benchmarks/fault_injection.py", *argv])}
    report.update(
        faults.run(args.trials, args.kills_per_stage, args.seed, args.atol, args.work)
    )
    write_results(args.out, "fault_injection", report, faults.markdown(report))
    print(f"{report['kills']} kills survived: {'PASS' if report['passed'] else 'FAIL'}")
    for failure in report["failures"]:
        print("  " + failure)
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
