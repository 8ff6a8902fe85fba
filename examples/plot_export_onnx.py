""".. _export-onnx-example:

Export the student to ONNX and compare latency
==============================================

After distillation the student is what gets deployed. This example fits a small
teacher -> student chain, exports the student with
:func:`braindecode_sleepkd.export.to_onnx` (the batch and sequence axes stay
dynamic), checks onnxruntime against torch with
:func:`braindecode_sleepkd.export.check_onnx`, and compares the CPU latency of
the teacher and the student, in torch and in onnxruntime.

Needs the ``export`` extra: ``pip install braindecode-sleepkd[export]``
(``onnx`` and ``onnxruntime``).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
import torch
from _helpers import sample_fit_params

from braindecode_sleepkd.datasets import load_sample, make_sequences
from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.export import check_onnx, to_onnx
from braindecode_sleepkd.metrics import n_parameters, time_calls

QUICK = os.environ.get("SLEEPKD_EXAMPLES_QUICK") == "1"
MAX_EPOCHS = 1 if QUICK else 8
N_REPEATS = 5 if QUICK else 30
torch.manual_seed(0)

SFREQ, SEQ_LEN = 50.0, 10
windows = load_sample(sfreq=SFREQ, subject_ids=[1, 3, 4])
X, y, subjects = make_sequences(windows, seq_len=SEQ_LEN)

# %%
# Fit a teacher and a student
# ---------------------------

clf = SleepKDClassifier(
    "salient",
    None,
    "salient",
    strategy="sleepkd",
    teacher__channels=(16, 32, 48, 64),
    teacher__seq_channels=64,
    student__channels=(8, 16, 24),
    student__seq_channels=16,
    **sample_fit_params(SEQ_LEN, MAX_EPOCHS),
)
clf.fit(X, y)

# %%
# Export and check
# ----------------
# ``to_onnx`` exports the student of the fitted estimator, validates the file
# and compares onnxruntime with torch on another input shape than the one
# used to export. ``check_onnx`` gives the max-abs difference of the logits on
# any data.

out_dir = Path(tempfile.mkdtemp())
path = to_onnx(clf, out_dir / "student.onnx")
print(f"{path.name}: {path.stat().st_size / 1e3:.1f} kB")
diff = check_onnx(path, X[:4], clf)
print(f"max |onnxruntime - torch| on 4 sequences: {diff:.2e}")

# The sequence axis is dynamic: a whole night in one sequence works too.
night = X[subjects == subjects[0]]
night = night.reshape(1, -1, *night.shape[2:])
print(f"one night, {night.shape}: diff {check_onnx(path, night, clf):.2e}")

# %%
# Latency on this CPU
# -------------------
# Median time to stage one sequence of ``seq_len`` epochs (batch of 1), in
# torch (eval mode, ``torch.inference_mode``) and in onnxruntime.

x1 = X[:1]


def torch_runner(module):
    module = module.eval()
    xt = torch.as_tensor(x1)

    def run():
        with torch.inference_mode():
            module(xt)

    return run


def median_ms(runners, n_repeats=N_REPEATS):
    """Median time of each runner, interleaved so that load hits all alike."""
    times = time_calls(runners, n_repeats=n_repeats, n_warmup=1)
    return {name: 1e3 * float(np.median(t)) for name, t in times.items()}


session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
latency = median_ms(
    {
        "teacher\ntorch": torch_runner(clf.teacher_),
        "student\ntorch": torch_runner(clf.module_),
        "student\nonnxruntime": lambda: session.run(["logits"], {"x": x1}),
    }
)
n_params = {
    "teacher": n_parameters(clf.teacher_),
    "student": n_parameters(clf.module_),
}
print(n_params)
for name, ms in latency.items():
    print(f"{name.replace(chr(10), ' '):>20}: {ms:.2f} ms")

fig, ax = plt.subplots(figsize=(6, 3.5))
bars = ax.bar(list(latency), list(latency.values()), color=["0.5", "C0", "C1"])
ax.bar_label(bars, fmt="%.1f ms")
ax.set(ylabel="median latency (ms)", title=f"One sequence of {SEQ_LEN} epochs")
fig.tight_layout()
plt.show()

# %%
# Timings on a shared machine are noisy; ``sleepkd export`` and
# :func:`braindecode_sleepkd.evaluation.compare_models` measure them more
# carefully (:func:`braindecode_sleepkd.metrics.inference_speed`: several
# batch sizes, median and fastest runs).
