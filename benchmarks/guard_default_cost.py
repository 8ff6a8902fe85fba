"""Cost of the default baseline guard: fit time with ``baseline="auto"`` and None.

The estimator's defaults (SleepKD, paper recipe: teacher -> assistant ->
student) with deepsleepnet presets for the three roles, validation on 20% of
the training subjects (``groups=``) in both runs, so ``"auto"`` runs the guard
(one more student stage, the student alone) and None does not. Two data sets:

- ``sample``: the DREAMS sample (6 excerpts, sequences of 10 epochs, subject 1
  held out as in the quick start; 30 training sequences);
- ``simulated``: simulated sleep EEG (``simulate_sleep_eeg``), ``--nights``
  nights of at most ``--epochs-per-night`` epochs each, sequences of 10.

Each configuration is fitted ``--repeats`` times, alternating; the fastest
fit is reported. One CPU thread. Writes ``benchmarks/results/guard_default_cost``
``.md`` and ``.json``.

Run: ``nice python benchmarks/guard_default_cost.py [--repeats 2] [--epochs 5]``
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from braindecode_sleepkd import SleepKDClassifier
from braindecode_sleepkd.datasets import load_sample, make_sequences, simulate_sleep_eeg
from braindecode_sleepkd.report import DistillationGuardWarning

RESULTS = Path(__file__).parent / "results"


def sample_data():
    """Training sequences, labels and subjects of the quick start's split."""
    X, y, subjects = make_sequences(load_sample(), seq_len=10)
    train = subjects != 1
    return X[train], y[train], subjects[train]


def simulated_data(nights, per_night, seed=0, **options):
    """Sequences of 10 epochs, labels and subjects of simulated nights.

    Each sequence is centred on its median and divided by its inter-quartile
    range; ``options`` go to ``simulate_sleep_eeg``.
    """
    windows = simulate_sleep_eeg(nights, per_night, seed=seed, **options)
    X, y, subjects = make_sequences(windows, seq_len=10)
    med = np.median(X, axis=(1, 2, 3), keepdims=True)
    iqr = np.subtract(*np.percentile(X, [75, 25], axis=(1, 2, 3), keepdims=True))
    return ((X - med) / (iqr + 1e-8)).astype(np.float32), y, subjects


def fit_times(X, y, groups, repeats, epochs):
    """``{baseline: [seconds per fit]}`` and the last guarded fit's report."""
    times, report = {"auto": [], None: []}, None
    for _ in range(repeats):
        for baseline in times:
            clf = SleepKDClassifier(
                "deepsleepnet", "deepsleepnet", "deepsleepnet",
                max_epochs=epochs, batch_size=8, random_state=0, verbose=0,
                baseline=baseline,
            )  # fmt: skip
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DistillationGuardWarning)
                clf.fit(X, y, groups=groups)
            times[baseline].append(time.perf_counter() - start)
            if baseline == "auto":
                report = clf.report_
    return times, report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--nights", type=int, default=10)
    parser.add_argument("--epochs-per-night", type=int, default=100)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    command = (
        f"python benchmarks/guard_default_cost.py --repeats {args.repeats} "
        f"--epochs {args.epochs} --nights {args.nights} "
        f"--epochs-per-night {args.epochs_per_night}"
    )
    data = {
        "sample": sample_data(),
        "simulated": simulated_data(args.nights, args.epochs_per_night),
    }
    out = {"command": command, "epochs_per_stage": args.epochs, "data": {}}
    lines = [
        "# Cost of the default baseline guard (`benchmarks/guard_default_cost.py`)",
        "",
        f"`{command}`: the default estimator (SleepKD, paper recipe, teacher -> "
        f"assistant -> student), deepsleepnet presets, {args.epochs} epochs per "
        "stage, batch 8, `groups=` given (20% of the training subjects validate), "
        "one CPU thread, fastest of the repeats.",
        "",
        "| data | training sequences | baseline=None (s) | baseline='auto' (s) "
        "| ratio | student alone (s) |",
        "|---|---|---|---|---|---|",
    ]
    for name, (X, y, groups) in data.items():
        times, report = fit_times(X, y, groups, args.repeats, args.epochs)
        off, on = min(times[None]), min(times["auto"])
        out["data"][name] = {
            "n_train_sequences": len(X),
            "seconds_none": times[None],
            "seconds_auto": times["auto"],
            "ratio": on / off,
            "student_alone_seconds": report.baseline_seconds,
            "report": str(report),
        }
        lines.append(
            f"| {name} | {len(X)} | {off:.2f} | {on:.2f} | x{on / off:.2f} "
            f"| {report.baseline_seconds:.2f} |"
        )
        print(lines[-1], flush=True)
    lines += ["", "Reports of the last guarded fits (validation subjects):", ""]
    for name, entry in out["data"].items():
        lines += [f"{name}:", "", "```", entry["report"], "```", ""]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "guard_default_cost.json").write_text(json.dumps(out, indent=1))
    (RESULTS / "guard_default_cost.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
