"""Which SleepKD settings matter? A small controlled comparison on simulated EEG.

One teacher (trained once) and one subject-wise split of simulated sleep EEG; a
narrow student (so that there is a gap to close) trained from scratch, with KD
and with SleepKD variants (temperature, feature normalisation, alignment
direction, no assistant), several seeds each; test macro-F1 and kappa.

Usage::

    .venv/bin/python benchmarks/sleepkd_variants.py --out benchmarks/results
"""

import argparse
import sys
import time

import numpy as np
import torch

from braindecode_sleepkd import SleepKDClassifier, preset
from braindecode_sleepkd.benchmark import data as bdata
from braindecode_sleepkd.benchmark.writer import write_results
from braindecode_sleepkd.metrics import n_parameters, scores

STUDENT = dict(lstm_units=8, dropout=0.0)
VARIANTS = {
    "scratch": dict(strategy="scratch"),
    "kd T=1": dict(strategy="kd"),
    "kd T=4": dict(strategy="kd", temperature=4.0),
    "sleepkd (default: T=1, assistant)": dict(strategy="sleepkd"),
    "sleepkd T=4": dict(strategy="sleepkd", temperature=4.0),
    "sleepkd no assistant": dict(strategy="sleepkd", ablation="no_assistant"),
    "sleepkd teacher_to_student": dict(
        strategy="sleepkd", strategy__align="teacher_to_student"
    ),
    "sleepkd unnormalised features": dict(
        strategy="sleepkd", strategy__normalize_features=False
    ),
}


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
    Xtr, ytr, Xte, yte = X[~test], y[~test], X[test], y[test]

    common = dict(batch_size=16, lr=1e-3, verbose=0, seq_len=10, recipe="paper")
    torch.manual_seed(0)
    tfit = SleepKDClassifier(
        None,
        None,
        preset("deepsleepnet", "teacher"),
        strategy="scratch",
        max_epochs=args.teacher_epochs,
        random_state=0,
        **common,
    ).fit(Xtr, ytr)
    teacher = tfit.module_
    rows = {"teacher": [scores(yte, tfit.predict(Xte))]}
    for name, params in VARIANTS.items():
        rows[name] = []
        for seed in args.seeds:
            clf = SleepKDClassifier(
                teacher,
                "deepsleepnet",
                "deepsleepnet",
                teacher_pretrained=True,
                max_epochs=args.max_epochs,
                random_state=seed,
                **{f"student__{k}": v for k, v in STUDENT.items()},
                **params,
                **common,
            ).fit(Xtr, ytr)
            rows[name].append(scores(yte, clf.predict(Xte)))
            print(f"{name} seed {seed}: {rows[name][-1]['macro_f1']:.3f}", flush=True)
        n_params = n_parameters(clf.module_)

    def agg(runs, key):
        vals = [s[key] for s in runs]
        return 100 * float(np.mean(vals)), 100 * float(np.std(vals))

    command = "python " + " ".join([sys.argv[0], *(argv or sys.argv[1:])])
    table = [
        "# SleepKD variants on SIMULATED sleep EEG",
        "",
        f"Command: `{command}`",
        "",
        f"Simulated EEG (`simulate_sleep_eeg`, real Sleep-EDF hypnograms), "
        f"{args.n_recordings} nights x {args.epochs_per_recording} epochs; "
        f"train {ytr.size} epochs, test {yte.size} epochs of 2 held-out subjects. "
        f"Teacher: deepsleepnet teacher preset, {args.teacher_epochs} epochs, "
        "trained once and shared. Student: deepsleepnet student preset with "
        f"{STUDENT} ({n_params:,} parameters), {args.max_epochs} epochs per "
        f"stage, seeds {args.seeds}; loss weights at the paper's values. "
        f"Run time {(time.time() - start) / 60:.1f} min on 2 CPU cores.",
        "",
        "| model / variant | macro-F1 (%) | kappa x100 |",
        "|---|---:|---:|",
    ]
    for name, runs in rows.items():
        f1, f1s = agg(runs, "macro_f1")
        ka, kas = agg(runs, "kappa")
        table.append(f"| {name} | {f1:.1f} ± {f1s:.1f} | {ka:.1f} ± {kas:.1f} |")
    table += [
        "",
        "One split and few seeds: differences under ~3 points are within the "
        "seed-to-seed spread (the ± column).",
        "",
    ]
    keep = ("accuracy", "macro_f1", "kappa")
    runs = {k: [{m: s[m] for m in keep} for s in v] for k, v in rows.items()}
    write_results(
        args.out, args.name, {"command": command, "rows": runs}, table, indent=2
    )
    print("\n".join(table))


if __name__ == "__main__":
    main()
