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
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SFREQ, SEQ_LEN, N_EPOCHS = 100.0, 20, 960

CHILD = """
import sys, time, warnings
warnings.simplefilter("ignore")
from braindecode_sleepkd.staging import stage_night
model = sys.argv[2]
if not model.endswith(".onnx"):
    from braindecode_sleepkd.export import load_student
    model = load_student(model)
stage_night(model, sys.argv[1], "EEG", seq_len=20, stride=20)  # warm-up: 1st call
t0 = time.perf_counter()
hyp = stage_night(model, sys.argv[1], "EEG", seq_len=20, stride=int(sys.argv[3]))
dt = time.perf_counter() - t0
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print("RESULT", len(hyp), dt, int(hwm) / 1024)
"""


def write_night(fname, n_epochs):
    from edfio import Edf, EdfSignal

    from braindecode_sleepkd.datasets import simulate_sleep_eeg

    X, _, _ = simulate_sleep_eeg(n_recordings=2, sfreq=SFREQ, return_arrays=True)
    x = np.tile(X[:, 0].ravel(), 2)[: int(n_epochs * 30 * SFREQ)]
    sig = EdfSignal(
        np.clip(x, -999, 999), SFREQ, label="EEG", physical_dimension="uV",
        physical_range=(-1000, 1000),
    )  # fmt: skip
    Edf([sig]).write(fname)


def speed(tmp, n_epochs, strides):
    import torch

    from braindecode_sleepkd import export as ex
    from braindecode_sleepkd.metrics import n_parameters
    from braindecode_sleepkd.models import preset

    night = tmp / "night.edf"
    write_night(night, n_epochs)
    rows = []
    for role in ("teacher", "assistant", "student"):
        torch.manual_seed(0)
        model = preset("deepsleepnet", role, sfreq=SFREQ).eval()
        pt = ex.save_student(model, tmp / f"{role}.pt")
        onnx = ex.to_onnx(model, tmp / f"{role}.onnx", check=False)
        n_params = n_parameters(model)
        for runtime, path in (("torch", pt), ("onnx", onnx)):
            for stride in strides:
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, str(night), str(path), str(stride)],
                    capture_output=True, text=True, check=True,
                ).stdout  # fmt: skip
                _, n, dt, mb = [ln for ln in out.splitlines() if "RESULT" in ln][
                    0
                ].split()
                row = dict(
                    model=role, params=n_params, runtime=runtime, stride=stride,
                    n_epochs=int(n), seconds=round(float(dt), 2),
                    peak_mb=round(float(mb)),
                )  # fmt: skip
                print(row, flush=True)
                rows.append(row)
    return rows


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
        rows = speed(Path(tmp), n_epochs, (SEQ_LEN, SEQ_LEN // 2))
    agreement = [] if args.no_dreams else dreams_agreement(args.quick)
    meta = dict(
        command="python benchmarks/stage_night.py" + (" --quick" * args.quick),
        n_epochs=n_epochs, sfreq=SFREQ, seq_len=SEQ_LEN, cpu_count=os.cpu_count(),
        loadavg_before_after=os.getloadavg(), date=time.strftime("%Y-%m-%d %H:%M"),
    )  # fmt: skip
    if args.quick:
        return
    res = HERE / "results"
    (res / "stage_night.json").write_text(
        json.dumps(dict(meta=meta, speed=rows, dreams=agreement), indent=1)
    )
    lines = [
        "# Staging a night (stage_night)", "", f"Command: `{meta['command']}`; "
        f"load average at the end {meta['loadavg_before_after']}, "
        f"{meta['cpu_count']} CPUs, {meta['date']}.", "",
        f"Simulated {n_epochs}-epoch night (8 h) at {SFREQ:g} Hz read from EDF, "
        f"seq_len {SEQ_LEN}; seconds per night (EDF reading included), peak "
        "memory (VmHWM of the subprocess, including the Python/torch import).", "",
        "| model | params | runtime | stride | s / night | peak MB |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    lines += [
        f"| {r['model']} | {r['params']:,} | {r['runtime']} | {r['stride']} | "
        f"{r['seconds']} | {r['peak_mb']} |"
        for r in rows
    ]
    if agreement:
        lines += [
            "", "DREAMS excerpts: agreement of stages with stride 1, and accuracy /"
            " kappa vs the experts (student trained briefly on simulated nights).",
            "", "| recording | stride | epochs | agree w/ stride 1 | acc | kappa |",
            "|---|---|---|---|---|---|",
        ]  # fmt: skip
        lines += [
            f"| {r['recording']} | {r['stride']} | {r['n_epochs']} | "
            f"{r['agree_with_stride1']:.3f} | {r['accuracy']:.3f} | {r['kappa']:.3f} |"
            for r in agreement
        ]
    (res / "stage_night.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
