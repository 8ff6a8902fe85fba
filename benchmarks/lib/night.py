"""Staging a whole night from EDF: seconds and peak memory per model and runtime.

Each case stages a simulated night with
:func:`braindecode_sleepkd.staging.stage_night` in its own subprocess (EDF
reading, scaling and inference timed; peak memory is the subprocess's VmHWM,
imports included), for the teacher, assistant and student presets, in torch and
through ONNX; then the agreement between stride choices on the DREAMS
excerpts, and the report. Used by ``benchmarks/stage_night.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np

from .cost import child_result

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


def write_night(fname, n_epochs, sfreq=100.0):
    """Write a simulated night of ``n_epochs`` 30-s epochs, one EEG channel, to EDF."""
    from edfio import Edf, EdfSignal

    from braindecode_sleepkd.datasets import simulate_sleep_eeg

    X, _, _ = simulate_sleep_eeg(n_recordings=2, sfreq=sfreq, return_arrays=True)
    x = np.tile(X[:, 0].ravel(), 2)[: int(n_epochs * 30 * sfreq)]
    sig = EdfSignal(
        np.clip(x, -999, 999), sfreq, label="EEG", physical_dimension="uV",
        physical_range=(-1000, 1000),
    )  # fmt: skip
    Edf([sig]).write(fname)


def speed(tmp, n_epochs, strides, sfreq=100.0, log=print):
    """Seconds and peak memory of staging a night, per preset role and runtime.

    Parameters
    ----------
    tmp : Path
        Scratch folder (the night, the saved models).
    n_epochs : int
        Epochs of the simulated night.
    strides : sequence of int
        Strides of :func:`~braindecode_sleepkd.staging.stage_night`.
    sfreq : float
        Sampling rate of the night and the models.
    log : callable
        Called with every row.

    Returns
    -------
    list of dict
        ``model, params, runtime, stride, n_epochs, seconds, peak_mb``.
    """
    import torch

    from braindecode_sleepkd import export as ex
    from braindecode_sleepkd.metrics import n_parameters
    from braindecode_sleepkd.models import preset

    night = tmp / "night.edf"
    write_night(night, n_epochs, sfreq)
    rows = []
    for role in ("teacher", "assistant", "student"):
        torch.manual_seed(0)
        model = preset("deepsleepnet", role, sfreq=sfreq).eval()
        pt = ex.save_student(model, tmp / f"{role}.pt")
        onnx = ex.to_onnx(model, tmp / f"{role}.onnx", check=False)
        n_params = n_parameters(model)
        for runtime, path in (("torch", pt), ("onnx", onnx)):
            for stride in strides:
                n, dt, mb = child_result(CHILD, night, path, stride)
                row = dict(
                    model=role, params=n_params, runtime=runtime, stride=stride,
                    n_epochs=int(n), seconds=round(float(dt), 2),
                    peak_mb=round(float(mb)),
                )  # fmt: skip
                log(row)
                rows.append(row)
    return rows


def stride_agreement(quick=False, sfreq=100.0, seq_len=20, log=print):
    """Agreement between stride choices on the real DREAMS excerpts.

    A student trained briefly on simulated nights stages every excerpt with
    stride 1, ``seq_len // 2`` and ``seq_len``.

    Parameters
    ----------
    quick : bool
        Two simulated nights, one training epoch, one excerpt.
    sfreq : float
        Sampling rate.
    seq_len : int
        Sequence length of the student.
    log : callable
        Called with every row.

    Returns
    -------
    list of dict
        ``recording, stride, n_epochs, agree_with_stride1, accuracy, kappa``.
    """
    from braindecode_sleepkd.datasets import DREAMS, simulate_sleep_eeg
    from braindecode_sleepkd.datasets.sequences import make_sequences
    from braindecode_sleepkd.estimator import SleepKDClassifier
    from braindecode_sleepkd.metrics import accuracy, kappa
    from braindecode_sleepkd.preprocessing import EpochScaler
    from braindecode_sleepkd.staging import stage_night

    sim = simulate_sleep_eeg(
        n_recordings=2 if quick else 6, max_epochs_per_recording=400, sfreq=sfreq
    )
    X, y, _ = make_sequences(sim, seq_len, stride=5)
    clf = SleepKDClassifier(
        "deepsleepnet", None, "deepsleepnet", strategy="scratch", seq_len=seq_len,
        max_epochs=1 if quick else 4, batch_size=16, random_state=0, verbose=0,
    )  # fmt: skip
    clf.fit(EpochScaler().transform(X), y)
    dreams = DREAMS(sfreq=sfreq)
    rows = []
    for ds in dreams.datasets[: 1 if quick else None]:
        ch = ds.raw.ch_names[0]
        y_true = np.asarray(ds.y)
        ref = None
        for stride in (1, seq_len // 2, seq_len):
            hyp = stage_night(clf, ds, ch, stride=stride)
            ref = hyp.stages if ref is None else ref
            rows.append(dict(
                recording=str(ds.description.get("subject", "?")), stride=stride,
                n_epochs=len(hyp), agree_with_stride1=float((hyp.stages == ref).mean()),
                accuracy=accuracy(y_true, hyp.stages),
                kappa=kappa(y_true, hyp.stages),
            ))  # fmt: skip
            log(rows[-1])
    return rows


SPEED = ["model", ("params", "params", ","), "runtime", "stride"]
SPEED += [("s / night", "seconds", ""), ("peak MB", "peak_mb", "")]
AGREEMENT = ["recording", "stride", ("epochs", "n_epochs", "")]
AGREEMENT += [("agree w/ stride 1", "agree_with_stride1", ".3f")]
AGREEMENT += [("acc", "accuracy", ".3f"), ("kappa", "kappa", ".3f")]


def report(results):
    """The Markdown lines of ``{"meta": ..., "speed": rows, "dreams": rows}``."""
    from .tables import records_table

    meta = results["meta"]
    lines = [
        "# Staging a night (stage_night)", "", f"Command: `{meta['command']}`; "
        f"load average at the end {tuple(meta['loadavg_before_after'])}, "
        f"{meta['cpu_count']} CPUs, {meta['date']}.", "",
        f"Simulated {meta['n_epochs']}-epoch night (8 h) at {meta['sfreq']:g} Hz read "
        f"from EDF, seq_len {meta['seq_len']}; seconds per night (EDF reading "
        "included), peak memory (VmHWM of the subprocess, including the Python/torch "
        "import).", "",
        *records_table(results["speed"], SPEED),
    ]  # fmt: skip
    if results["dreams"]:
        lines += [
            "", "DREAMS excerpts: agreement of stages with stride 1, and accuracy /"
            " kappa vs the experts (student trained briefly on simulated nights).",
            "", *records_table(results["dreams"], AGREEMENT),
        ]  # fmt: skip
    return [*lines, ""]
