"""Weighted loss terms of SleepKD (paper recipe) on a narrow student, per epoch.

A reduced form of the setting where SleepKD with the paper's weights cost a
narrow student: simulated labelled-only nights, an own deepsleepnet teacher
trained from scratch, a narrow student (``lstm_units=8, dropout=0``), a fixed
budget with no validation split (nothing stops training at the best epoch), no
assistant. For each row (the student alone, KD paper, SleepKD paper) it
records every epoch's weighted loss terms (``train_loss_<term>``, whose sum is
the loss) and each term's share of the gradient norm on the learner
(``grad_share_<term>``, first batch of the epoch), and the held-out subjects'
macro-F1. One CPU thread; one seed: a hint, not a measurement.

Writes ``benchmarks/results/feature_terms_narrow.json`` and ``.png``.

Run: ``nice python benchmarks/feature_terms_narrow.py [--nights 8]
[--epochs-per-night 160] [--teacher-epochs 20] [--epochs 48] [--seed 0]``
"""

import argparse
import json
import time
from pathlib import Path

import torch
from guard_default_cost import simulated_data  # a script beside this one

from braindecode_sleepkd import SleepKDClassifier
from braindecode_sleepkd.metrics import macro_f1
from braindecode_sleepkd.models import preset

RESULTS = Path(__file__).parent / "results"
ROWS = {
    "alone": dict(strategy="scratch"),
    "kd_paper": dict(strategy="kd", recipe="paper"),
    "sleepkd_paper": dict(strategy="sleepkd", recipe="paper"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=8)
    parser.add_argument("--epochs-per-night", type=int, default=160)
    parser.add_argument("--teacher-epochs", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=48)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    # robust-scaled sequences of 10 epochs, 10 min of wake kept per night
    X, y, subjects = simulated_data(
        args.nights, args.epochs_per_night, args.seed, crop_wake_mins=10
    )
    test = subjects == subjects.max()
    common = dict(
        batch_size=16, random_state=args.seed, verbose=0, train_split=False,
        baseline=None,
    )  # fmt: skip
    start = time.perf_counter()
    teacher = SleepKDClassifier(
        None, None, preset("deepsleepnet", "teacher"), strategy="scratch",
        max_epochs=args.teacher_epochs, **common,
    ).fit(X[~test], y[~test])  # fmt: skip
    out = {
        "command": "python benchmarks/feature_terms_narrow.py "
        f"--nights {args.nights} --epochs-per-night {args.epochs_per_night} "
        f"--teacher-epochs {args.teacher_epochs} --epochs {args.epochs} "
        f"--seed {args.seed}",
        "n_train_sequences": int((~test).sum()),
        "n_test_sequences": int(test.sum()),
        "teacher_macro_f1": float(macro_f1(y[test], teacher.predict(X[test]))),
        "rows": {},
    }
    for name, params in ROWS.items():
        clf = SleepKDClassifier(
            teacher.module_, None, "deepsleepnet", teacher_pretrained=True,
            student__lstm_units=8, student__dropout=0.0, max_epochs=args.epochs,
            **params, **common,
        ).fit(X[~test], y[~test])  # fmt: skip
        hist = clf.history
        terms = clf.strategy_.weights()
        out["rows"][name] = {
            "macro_f1": float(macro_f1(y[test], clf.predict(X[test]))),
            "weights": terms,
            "loss": {t: hist[:, f"train_loss_{t}"] for t in terms},
            "grad_share": {
                t: hist[:, f"grad_share_{t}"]
                for t in terms
                if f"grad_share_{t}" in hist[-1]
            },
            "train_macro_f1": hist[:, "train_macro_f1"]
            if "train_macro_f1" in hist[-1]
            else None,
        }
        print(name, out["rows"][name]["macro_f1"], flush=True)
    out["seconds"] = time.perf_counter() - start
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "feature_terms_narrow.json").write_text(json.dumps(out, indent=1))
    plot(out, RESULTS / "feature_terms_narrow.png")
    print(json.dumps({k: v for k, v in out.items() if k != "rows"}))


def plot(out, path):
    """Weighted terms and gradient shares per epoch of SleepKD paper and KD."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = ("sleepkd_paper", "kd_paper")
    fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True)
    for col, name in enumerate(rows):
        row = out["rows"][name]
        for term, values in row["loss"].items():
            axes[0, col].semilogy(values, label=f"{term} x {row['weights'][term]}")
        for term, values in row["grad_share"].items():
            axes[1, col].plot(values, label=term)
        axes[0, col].set_title(f"{name} (test macro-F1 {row['macro_f1']:.3f})")
        axes[0, col].legend(fontsize=8)
        axes[1, col].legend(fontsize=8)
        axes[1, col].set_xlabel("epoch")
    axes[0, 0].set_ylabel("weighted term (train mean)")
    axes[1, 0].set_ylabel("share of the gradient norm")
    fig.suptitle(
        f"Narrow student, labelled-only simulated EEG, fixed budget; teacher "
        f"{out['teacher_macro_f1']:.3f}, alone {out['rows']['alone']['macro_f1']:.3f}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=80)


if __name__ == "__main__":
    main()
