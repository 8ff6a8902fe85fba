"""Put five known silent bugs back, one at a time, and show which test fails.

Each bug is a one-line edit of package code that once passed every relevant
test. The edit is applied to the working tree, the oracle tests are run, and
the file is restored (also on error, Ctrl-C or SIGTERM); the first failing test and its
assertion are recorded. A bug "caught" by a crash (an exception other than
``AssertionError``) counts as not caught.

Run from the repository root::

    PYTHONPATH=.:runtime OMP_NUM_THREADS=1 nice python benchmarks/known_bugs.py \
        --out benchmarks/results/known_bugs.json
"""

import argparse
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

BUGS = [
    dict(
        name="validation nights also train",
        file="braindecode_sleepkd/cohort/distill.py",
        old="train = [i for i in range(len(records)) if i not in set(valid)]",
        new="train = list(range(len(records)))",
        tests="tests/test_oracles_cohort.py",
    ),
    dict(
        name="teacher probabilities one epoch late in the store",
        file="braindecode_sleepkd/cohort/store.py",
        old='probas.append(rec["proba"][:k].reshape(n, L, -1))',
        new='probas.append(rec["proba"][1 : k + 1].reshape(n, L, -1))',
        tests="tests/test_oracles_cohort.py",
    ),
    dict(
        name="runtime stages without the contract's per-epoch scaling",
        file="runtime/sleepkd_runtime/stage.py",
        old='contract.prepare(X, unit="uV"),',
        new='replace(contract, scaling="none").prepare(X, unit="uV"),',
        tests="tests/test_oracles_runtime.py tests/test_oracles_cohort.py",
    ),
    dict(
        name="EDF+ stage annotations one epoch late",
        file="runtime/sleepkd_runtime/hypnogram.py",
        old="EdfAnnotation(float(o), EPOCH_S, str(d))",
        new="EdfAnnotation(float(o) + EPOCH_S, EPOCH_S, str(d))",
        tests="tests/test_oracles_outputs.py",
    ),
    dict(
        name="model_card.md lists no skipped night (only their count)",
        file="braindecode_sleepkd/cohort/card.py",
        old='lines += [f"  - {k}: {why}" for k, why in d.get("skipped", {}).items()]',
        new="pass",
        tests="tests/test_oracles_cohort.py",
    ),
]


def failures(output):
    """Each failing test of pytest's ``--tb=short`` output: its exception type and
    the first lines of its message."""
    out = []
    parts = re.split(r"^_{3,} (\S+) _{3,}$", output, flags=re.M)
    for name, body in zip(parts[1::2], parts[2::2]):
        lines = [ln[4:].strip() for ln in body.splitlines() if ln.startswith("E   ")]
        lines = [ln for ln in lines if ln]
        if not lines:
            continue
        error, _, first = lines[0].partition(":")
        message = " ".join([first.strip(), *lines[1:3]]).strip()
        out.append(dict(test=name, error=error.strip(), message=message[:300]))
    return out


def replay(bug):
    path = Path(bug["file"])
    text = path.read_text()
    if text.count(bug["old"]) != 1:
        raise SystemExit(f"{path}: the line to edit is not found once: {bug['old']}")
    try:
        path.write_text(text.replace(bug["old"], bug["new"]))
        cmd = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", "-rf"]
        cmd += ["--tb=short", "-p", "no:cacheprovider", *bug["tests"].split()]
        run = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        path.write_text(text)
    failed = failures(run.stdout)
    counts = re.findall(r"(\d+) (failed|passed|error)", run.stdout)
    asserted = [f for f in failed if f["error"] == "AssertionError"]
    return dict(
        **bug,
        caught=bool(asserted),
        failures=failed,
        outcome=", ".join(f"{n} {w}" for n, w in counts),
    )


def _exit_on_sigterm(signum, frame):
    """SIGTERM unwinds like Ctrl-C, so the edited file is restored."""
    raise SystemExit(128 + signum)


def main(argv=None):
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/known_bugs.json")
    args = parser.parse_args(argv)
    results = []
    for bug in BUGS:
        results.append(replay(bug))
        r = results[-1]
        print(f"{'CAUGHT' if r['caught'] else 'MISSED'} {r['name']}: {r['outcome']}")
        for f in r["failures"]:
            print(f"    {f['test']}: {f['error']}: {f['message']}")
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(r["caught"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
