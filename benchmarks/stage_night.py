"""Staging a whole night: seconds and peak memory per model and runtime.

A simulated 8-hour night (960 epochs at 100 Hz, ``simulate_sleep_eeg``) is
written to a temporary EDF; each case stages it with
:func:`braindecode_sleepkd.staging.stage_night` in its own subprocess (EDF
reading, scaling and inference included; Python/torch import excluded from the
seconds but not from the memory), for the deepsleepnet teacher, assistant and
student, in torch and through ONNX. Peak memory is the subprocess's VmHWM.
The weights are untrained: speed does not depend on them.

Then the agreement between stride choices on the real DREAMS excerpts: a
student trained briefly on simulated nights stages every excerpt with
stride 1, seq_len // 2 and seq_len; reported is the share of epochs whose
stage is the same as with stride 1, and the accuracy against the experts.

Run: ``.venv/bin/python benchmarks/stage_night.py``
(``--quick`` for a 60-epoch smoke run; ``--no-dreams`` to skip the agreement).
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from braindecode_sleepkd.benchmark.night import speed
from braindecode_sleepkd.benchmark.tables import records_table
from braindecode_sleepkd.benchmark.writer import write_results

HERE = Path(__file__).resolve().parent
SFREQ, SEQ_LEN, N_EPOCHS = 100.0, 20, 960
SPEED = ["model", ("params", "params", ","), "runtime", "stride"]
SPEED += [("s / night", "seconds", ""), ("peak MB", "peak_mb", "")]
AGREEMENT = ["recording", "stride", ("epochs", "n_epochs", "")]
AGREEMENT += [("agree w/ stride 1", "agree_with_stride1", ".3f")]
AGREEMENT += [("acc", "accuracy", ".3f"), ("kappa", "kappa", ".3f")]


def dreams_agreement(quick):
    from braindecode_sleepkd.datasets import DREAMS, simulate_sleep_eeg
    from braindecode_sleepkd.datasets.sequences import make_sequences
    from braindecode_sleepkd.estimator import SleepKDClassifier
    from braindecode_sleepkd.metrics import accuracy, kappa
    from braindecode_sleepkd.preprocessing import EpochScaler
    from braindecode_sleepkd.staging import stage_night

    sim = simulate_sleep_eeg(
        n_recordings=2 if quick else 6, max_epochs_per_recording=400, sfreq=SFREQ
    )
    X, y, _ = make_sequences(sim, SEQ_LEN, stride=5)
    clf = SleepKDClassifier(
        "deepsleepnet", None, "deepsleepnet", strategy="scratch", seq_len=SEQ_LEN,
        max_epochs=1 if quick else 4, batch_size=16, random_state=0, verbose=0,
    )  # fmt: skip
    clf.fit(EpochScaler().transform(X), y)
    dreams = DREAMS(sfreq=SFREQ)
    rows = []
    for ds in dreams.datasets[: 1 if quick else None]:
        ch = ds.raw.ch_names[0]
        y_true = np.asarray(ds.y)
        ref = None
        for stride in (1, SEQ_LEN // 2, SEQ_LEN):
            hyp = stage_night(clf, ds, ch, stride=stride)
            ref = hyp.stages if ref is None else ref
            rows.append(dict(
                recording=str(ds.description.get("subject", "?")), stride=stride,
                n_epochs=len(hyp), agree_with_stride1=float((hyp.stages == ref).mean()),
                accuracy=accuracy(y_true, hyp.stages),
                kappa=kappa(y_true, hyp.stages),
            ))  # fmt: skip
            print(rows[-1], flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-dreams", action="store_true")
    args = parser.parse_args()
    n_epochs = 60 if args.quick else N_EPOCHS
    with tempfile.TemporaryDirectory() as tmp:
        rows = speed(Path(tmp), n_epochs, (SEQ_LEN, SEQ_LEN // 2), SFREQ)
    agreement = [] if args.no_dreams else dreams_agreement(args.quick)
    meta = dict(
        command="python benchmarks/stage_night.py" + (" --quick" * args.quick),
        n_epochs=n_epochs, sfreq=SFREQ, seq_len=SEQ_LEN, cpu_count=os.cpu_count(),
        loadavg_before_after=os.getloadavg(), date=time.strftime("%Y-%m-%d %H:%M"),
    )  # fmt: skip
    if args.quick:
        return
    lines = [
        "# Staging a night (stage_night)", "", f"Command: `{meta['command']}`; "
        f"load average at the end {meta['loadavg_before_after']}, "
        f"{meta['cpu_count']} CPUs, {meta['date']}.", "",
        f"Simulated {n_epochs}-epoch night (8 h) at {SFREQ:g} Hz read from EDF, "
        f"seq_len {SEQ_LEN}; seconds per night (EDF reading included), peak "
        "memory (VmHWM of the subprocess, including the Python/torch import).", "",
        *records_table(rows, SPEED),
    ]  # fmt: skip
    if agreement:
        lines += [
            "", "DREAMS excerpts: agreement of stages with stride 1, and accuracy /"
            " kappa vs the experts (student trained briefly on simulated nights).",
            "", *records_table(agreement, AGREEMENT),
        ]  # fmt: skip
    results = dict(meta=meta, speed=rows, dreams=agreement)
    write_results(HERE / "results", "stage_night", results, [*lines, ""])


if __name__ == "__main__":
    main()
