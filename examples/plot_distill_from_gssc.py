""".. _gssc-example:

Distil a deep pretrained sleep network (GSSC) at every level
============================================================

The realistic use of knowledge distillation: a big pretrained sleep network
exists, and a bedside or wearable device needs a tiny one. The Greifswald
Sleep Stage Classifier (GSSC; Hanna & Flöel, Front. Neuroinform. 2023) is a
pretrained PyTorch network (a 1-D ResNet per epoch and a bidirectional GRU
over the night, 16.6 M parameters) whose weights ship inside its package.
:class:`~braindecode_sleepkd.teachers.gssc.GSSCTeacher` exposes its logits,
512-d epoch embeddings and GRU states, so SleepKD distils all three levels
through an assistant into a student of about 50 k parameters. We compare the
hypnograms of GSSC, the student and the expert on a held-out excerpt, with
size and speed side by side.

The data are the real DREAMS Spindles excerpts (30 minutes each, one central
EEG channel): tiny and mostly N2, so the numbers only illustrate the workflow.
Needs ``pip install braindecode-sleepkd[gssc]``; note that ``gssc`` is licensed
under the AGPL-3.0 (this package is BSD-3 and only imports it).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

# %%
# Load and preprocess the excerpts
# --------------------------------
# GSSC was trained on signals band-passed to 0.3-30 Hz and z-scored per
# recording. :func:`~braindecode_sleepkd.teachers.gssc_preprocess` does both
# on the recordings behind the windows, so the teacher, the assistant and the
# student all see the same signal; the teacher resamples each 30-s epoch to
# its 2560 samples itself.
import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from _helpers import (
    compare_hypnograms,
    sample_fit_params,
    student_stages,
)
from braindecode.datasets import BaseConcatDataset

from braindecode_sleepkd.datasets import load_sample
from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.teachers import GSSCTeacher, gssc_preprocess

QUICK = os.environ.get("SLEEPKD_EXAMPLES_QUICK") == "1"
torch.manual_seed(0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # counts of ambiguous epochs left out
    windows = gssc_preprocess(load_sample(sfreq=100, subject_ids=[1, 4, 6, 7, 8]))
train = BaseConcatDataset(windows.datasets[1:])  # excerpts 4, 6, 7, 8
test = BaseConcatDataset(windows.datasets[:1])  # excerpt 1, held out
y_test = np.asarray(test.datasets[0].y)

# %%
# GSSC as the teacher
# -------------------
# The weights are read with ``torch.load(weights_only=True)`` into networks
# rebuilt from ``gssc``'s own classes. ``forward_features`` returns the three
# levels on our sequences ``(batch, seq_len, 1, n_times)``.
seq_len = 10
teacher = GSSCTeacher()
x_test = torch.stack([torch.as_tensor(test[i][0]) for i in range(len(test))])
x_test = x_test.reshape(-1, seq_len, 1, x_test.shape[-1])
t0 = time.perf_counter()
with torch.no_grad():
    out = teacher.forward_features(x_test)
gssc_seconds = time.perf_counter() - t0
print({name: tuple(level.shape) for name, level in out._asdict().items()})
gssc_pred = out.logits.argmax(-1).reshape(-1).numpy()

# %%
# Distil it into a tiny student through an assistant
# --------------------------------------------------
# ``teacher_pretrained=True`` skips the teacher's stage. The assistant (the
# ``deepsleepnet`` assistant preset, 252 k parameters: 46 times smaller than
# GSSC's 11.7 M, 5 times bigger than the student's 51 k) learns from GSSC's
# logits and from its 512-d epoch and sequence features through learnable
# alignments; the student learns from the assistant. GSSC's outputs are
# computed once per sequence and reused.
clf = SleepKDClassifier(
    teacher,
    "deepsleepnet",  # the assistant preset: 252 k parameters
    "deepsleepnet",
    strategy="sleepkd",  # through the assistant (the default, KD, skips it)
    teacher_pretrained=True,
    student__lstm_units=32,
    **sample_fit_params(seq_len, 1 if QUICK else 15, batch_size=4, lr=1e-3),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    clf.fit(train)
print(clf.stages_)
print(clf.alignments_["assistant"])

# %%
# GSSC and the student against the expert
# ----------------------------------------
# The student stages the held-out excerpt one window at a time
# (``_helpers.student_stages``: a window's stage comes
# from the sequences that hold it). Each scorer's kappa against the expert is
# printed and the three hypnograms are stacked, stages from top to bottom W,
# REM, N1, N2, N3 (``_helpers.compare_hypnograms``).
student_pred = student_stages(clf, test)
compare_hypnograms(
    y_test, {"GSSC (teacher)": gssc_pred, "Student": student_pred}, title="Excerpt 1"
)


# %%
# Size and speed side by side
# ---------------------------
# Parameters and CPU time to stage this 30-minute excerpt (60 epochs). The
# teacher's memory is switched off for the timing.
def seconds(model, x):
    with torch.no_grad():
        model(x[:1])  # warm-up
        t0 = time.perf_counter()
        model(x)
    return time.perf_counter() - t0


timed = GSSCTeacher(memory=False)
rows = [("GSSC", timed), ("assistant", clf.assistant_), ("student", clf.module_)]
sizes = [sum(p.numel() for p in m.parameters()) for _, m in rows]
times = [seconds(m.eval(), x_test) for _, m in rows]
for (name, _), n, t in zip(rows, sizes, times):
    print(f"{name:9s} {n:>11,} parameters {t:7.3f} s for excerpt1")
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3))
names = [name for name, _ in rows]
ax1.bar(names, sizes)
ax1.set_yscale("log")
ax1.set_title("Parameters", fontsize=10)
ax2.bar(names, times)
ax2.set_yscale("log")
ax2.set_title("CPU seconds for one excerpt", fontsize=10)
fig.tight_layout()
plt.show()

# %%
# References
# ----------
# Hanna J., Flöel A. An accessible and versatile deep learning-based sleep
# stage classifier. Front. Neuroinform. 17:1086634, 2023.
#
# Liang H., Liu Y., Wang H., Jia Z. Teacher assistant-based knowledge
# distillation extracting multi-level features on single channel sleep EEG.
# IJCAI 2023.
