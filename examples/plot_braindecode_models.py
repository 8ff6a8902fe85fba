""".. _braindecode-models-example:

Your own braindecode model as teacher or student
================================================

Any braindecode model can be the epoch encoder of a sleep model, and any sleep
model exposing ``forward_features`` can be a teacher, an assistant or a
student. Here the teacher is braindecode's ``SleepStagerChambon2018``
(through :func:`~braindecode_sleepkd.models.from_braindecode`, which wraps it in
a :class:`~braindecode_sleepkd.models.BraindecodeEncoder` and adds a sequence
learner and a classifier), and the student a tiny convolutional encoder of our
own assembled with :func:`~braindecode_sleepkd.models.make_sleep_model`.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os

import matplotlib.pyplot as plt
import torch
from _helpers import sample_fit_params, sample_sequences
from torch import nn

from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.metrics import macro_f1, n_parameters
from braindecode_sleepkd.models import from_braindecode, make_sleep_model

QUICK = os.environ.get("SLEEPKD_EXAMPLES_QUICK") == "1"
MAX_EPOCHS = 1 if QUICK else 12
torch.manual_seed(0)

SFREQ, SEQ_LEN = 50.0, 10
X, y, subjects = sample_sequences(SFREQ, SEQ_LEN)  # excerpts 1, 3, 4 and 6
n_chans, n_times = X.shape[2], X.shape[3]
test = subjects == subjects.max()

# %%
# The teacher: braindecode's SleepStagerChambon2018
# -------------------------------------------------
# The braindecode model is built with ``return_feats=True`` (so it returns
# features instead of class scores), applied to every 30-s epoch, and followed
# by a BiLSTM over the sequence. Constructor arguments of the braindecode model
# are passed as keywords.

teacher = from_braindecode(
    "SleepStagerChambon2018",
    n_chans=n_chans,
    n_times=n_times,
    sfreq=SFREQ,
    sequence_learner="bilstm",
    sequence_kwargs={"units": 32},
)
print(teacher.epoch_encoder)

# %%
# The three levels the distillation compares come from ``forward_features``:

with torch.no_grad():
    feats = teacher.forward_features(torch.as_tensor(X[:2]))
for name, value in feats._asdict().items():
    print(f"{name:>17}: {tuple(value.shape)}")

# %%
# The student: any small encoder module
# -------------------------------------
# An encoder maps one epoch ``(n, n_chans, n_times)`` to features ``(n, d)``;
# :func:`~braindecode_sleepkd.models.make_sleep_model` finds ``d`` by a dry run
# and adds a GRU over the sequence.

encoder = nn.Sequential(
    nn.Conv1d(n_chans, 8, kernel_size=25, stride=5),
    nn.ReLU(),
    nn.MaxPool1d(4),
    nn.Conv1d(8, 16, kernel_size=9, stride=2),
    nn.ReLU(),
    nn.AdaptiveAvgPool1d(1),
    nn.Flatten(1),
)
student = make_sleep_model(
    encoder, n_chans, n_times, sfreq=SFREQ, sequence_learner="gru", units=8
)
for name, model in (("teacher", teacher), ("student", student)):
    print(f"{name}: {n_parameters(model):,} parameters")

# %%
# Distil
# ------
# Instances are copied by the estimator, never modified: the teacher instance is
# trained on the labels in the first stage (pass ``teacher_pretrained=True`` to
# use an already trained one as is). ``assistant=None`` distils teacher ->
# student directly. The learnable alignments absorb the different feature
# widths (240 vs 16 epoch features).

clf = SleepKDClassifier(
    teacher,
    None,
    student,
    strategy="sleepkd",
    **sample_fit_params(SEQ_LEN, MAX_EPOCHS),
)
clf.fit(X[~test], y[~test])
print(clf.stages_)
print("alignments of the student:", clf.alignments_["student"])

f1 = {
    "teacher (Chambon)": macro_f1(
        y[test], clf.teacher_(torch.as_tensor(X[test])).argmax(-1).numpy()
    ),
    "student (ours)": macro_f1(y[test], clf.predict(X[test])),
}
print(f1)

# %%
# Student's training curves, term by term:

history = clf.histories_["student"]
fig, ax = plt.subplots(figsize=(6, 3.5))
for key in history[0]:
    if key.startswith("train_loss_"):
        ax.plot(history[:, key], marker="o", label=key.replace("train_loss_", ""))
ax.set(xlabel="epoch", ylabel="unweighted loss term", yscale="log")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# References
# ----------
# S. Chambon et al. A Deep Learning Architecture for Temporal Sleep Stage
# Classification Using Multivariate and Multimodal Time Series. IEEE TNSRE,
# 2018.
