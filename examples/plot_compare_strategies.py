""".. _compare-strategies-example:

Compare strategies: scratch vs KD vs SleepKD
============================================

Train the same small student three ways on the same split of the embedded
sample and compare the macro-F1 on a held-out subject:

- ``"scratch"``: the student alone, on the labels;
- ``"kd"``: classic knowledge distillation (soft KL on the teacher's
  probabilities plus hard cross-entropy), teacher -> student;
- ``"sleepkd"``: SleepKD, epoch-level and sequence-level features plus soft and
  hard terms, teacher -> assistant -> student.

The teacher is trained once and passed to the other runs as a pretrained
instance (``teacher_pretrained=True``), so every strategy learns from the same
teacher. With six short recordings and a few epochs the differences are mostly
noise: run ``sleepkd benchmark`` on Sleep-EDF for a real comparison.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os

import matplotlib.pyplot as plt
import torch
from _helpers import role_params, sample_fit_params

from braindecode_sleepkd.datasets import load_sample, make_sequences
from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.metrics import macro_f1
from braindecode_sleepkd.models import SalientKD
from braindecode_sleepkd.preprocessing import EpochScaler

QUICK = os.environ.get("SLEEPKD_EXAMPLES_QUICK") == "1"
MAX_EPOCHS = 1 if QUICK else 15
torch.manual_seed(0)

# %%
# Data: three subjects for training, one for testing
# --------------------------------------------------
# Every 30-s epoch is scaled on its own (median / inter-quartile range).

SFREQ, SEQ_LEN = 50.0, 10
windows = load_sample(sfreq=SFREQ, subject_ids=[1, 3, 4, 6])
scaler = EpochScaler()  # robust per-epoch scaling, no statistics learnt
X, y, subjects = make_sequences(windows, seq_len=SEQ_LEN)
X = scaler.transform(X)
test = subjects == subjects.max()
X_test, y_test = X[test], y[test]
# overlapping training sequences (stride 2) give more contexts from little data
X_all, y_all, subjects_all = make_sequences(windows, seq_len=SEQ_LEN, stride=2)
train = subjects_all != subjects.max()
X_train, y_train = scaler.transform(X_all[train]), y_all[train]
print(f"train {X_train.shape}, test {X_test.shape}")

# %%
# Train the teacher once
# ----------------------
# ``strategy="scratch"`` trains only the student; passing the family's class
# with ``student__role="teacher"`` as the *student* is a simple way to train a
# teacher-sized model alone. Its ``module_`` then becomes the pretrained
# teacher of every strategy.

SIZES = {
    "teacher": dict(channels=(16, 32, 48, 64), seq_channels=64),
    "assistant": dict(channels=(12, 24, 32), seq_channels=32),
    "student": dict(channels=(8, 16, 24), seq_channels=16),
}
common = sample_fit_params(SEQ_LEN, MAX_EPOCHS)
teacher_fit = SleepKDClassifier(
    "salient",
    None,
    SalientKD,
    strategy="scratch",
    student__role="teacher",
    **role_params({"student": SIZES["teacher"]}),
    **common,
)
teacher_fit.fit(X_train, y_train)
teacher = teacher_fit.module_
scores = {"teacher": macro_f1(y_test, teacher_fit.predict(X_test))}

# %%
# The student, three ways
# -----------------------

overrides = role_params({role: SIZES[role] for role in ("assistant", "student")})
for strategy in ("scratch", "kd", "sleepkd"):
    clf = SleepKDClassifier(
        teacher,
        "salient",
        "salient",
        strategy=strategy,
        teacher_pretrained=True,
        **overrides,
        **common,
    )
    clf.fit(X_train, y_train)
    scores[f"student\n{strategy}"] = macro_f1(y_test, clf.predict(X_test))
    print(f"{strategy:>8}: stages {clf.stages_}")

for name, score in scores.items():
    print(f"{name.replace(chr(10), ' '):>16}: macro-F1 {score:.3f}")

# %%
# Macro-F1 on the held-out subject
# --------------------------------

fig, ax = plt.subplots(figsize=(6, 3.5))
colors = ["0.5"] + ["tab:blue", "tab:orange", "tab:green"]
bars = ax.bar(list(scores), list(scores.values()), color=colors)
ax.bar_label(bars, fmt="%.2f")
ax.set(ylabel="macro-F1", ylim=(0, 1), title="Held-out subject")
fig.tight_layout()
plt.show()

# %%
# References
# ----------
# H. Liang, Y. Liu, H. Wang and Z. Jia. Teacher Assistant-Based Knowledge
# Distillation Extracting Multi-level Features on Single Channel Sleep EEG.
# IJCAI 2023. https://doi.org/10.24963/ijcai.2023/439
#
# G. Hinton, O. Vinyals and J. Dean. Distilling the Knowledge in a Neural
# Network. arXiv:1503.02531, 2015.
