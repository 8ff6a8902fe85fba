"""Which SleepKD settings matter? A small controlled comparison on simulated EEG.

One teacher (trained once) and one subject-wise split of simulated sleep EEG; a
narrow student (so that there is a gap to close) trained from scratch, with KD
and with SleepKD variants (temperature, feature normalisation, alignment
direction, no assistant), several seeds each; test macro-F1 and kappa
(:mod:`lib.variants`).

Usage::

    .venv/bin/python benchmarks/sleepkd_variants.py --out benchmarks/results
"""

import argparse
import sys
import time

import numpy as np
from lib import variants

from braindecode_sleepkd.evaluation import data as bdata
from braindecode_sleepkd.evaluation.writer import write_results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-recordings", type=int, default=12)
    parser.add_argument("--epochs-per-recording", type=int, default=300)
    parser.add_argument("--teacher-epochs", type=int, default=20)
    parser.add_argument("--max-epochs", type=int, default=12)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--name", default="sleepkd_variants", help="output file stem")
    args = parser.parse_args(argv)
    start = time.time()
    X, y, subjects, _ = bdata.simulated_sequences(
        args.n_recordings, args.epochs_per_recording, 10
    )
    test = np.isin(subjects, np.unique(subjects)[-2:])  # two subjects held out
    rows, n_params = variants.fit_variants(
        (X[~test], y[~test]), (X[test], y[test]), args.teacher_epochs,
        args.max_epochs, args.seeds, log=lambda m: print(m, flush=True),
    )  # fmt: skip
    command = "python " + " ".join([sys.argv[0], *(argv or sys.argv[1:])])
    setting = (
        f"Simulated EEG (`simulate_sleep_eeg`, real Sleep-EDF hypnograms), "
        f"{args.n_recordings} nights x {args.epochs_per_recording} epochs; "
        f"train {y[~test].size} epochs, test {y[test].size} epochs of 2 held-out "
        f"subjects. Teacher: deepsleepnet teacher preset, {args.teacher_epochs} "
        "epochs, trained once and shared. Student: deepsleepnet student preset with "
        f"{variants.STUDENT} ({n_params:,} parameters), {args.max_epochs} epochs per "
        f"stage, seeds {args.seeds}; loss weights at the paper's values. "
        f"Run time {(time.time() - start) / 60:.1f} min on 2 CPU cores."
    )
    table = variants.report(command, setting, rows)
    res = {"command": command, "rows": variants.kept(rows)}
    write_results(args.out, args.name, res, table, indent=2)
    print("\n".join(table))


if __name__ == "__main__":
    main()
