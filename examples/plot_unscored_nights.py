""".. _unscored-nights-example:

Distil with unscored nights: the share of the gap closed
========================================================

Sleep labs hold far more unscored nights than scored ones. A teacher labels
them for free: pass them as ``fit(X, y, unlabelled=X_unscored)`` (or mark
unscored epochs with label ``-1``) and they get the distillation terms only.

Here a teacher is trained on a few scored simulated nights; a narrow student is
trained alone, by KD on the scored nights, and by KD and by SleepKD with
unscored nights added. We report the share of the teacher-vs-alone gap each closes,
``(score - alone) / (teacher - alone)``, and plot what the history records: the
student's agreement with its guide on the training data, and each loss term's
value and share of the gradient over training. One split and one seed: a hint,
not a result (see the gap-closure benchmark for intervals over seeds and
splits).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os

import matplotlib.pyplot as plt
import numpy as np

from braindecode_sleepkd import SleepKDClassifier, preset, simulate_sleep_eeg
from braindecode_sleepkd.evaluation import data as bdata
from braindecode_sleepkd.metrics import kappa

QUICK = os.environ.get("SLEEPKD_EXAMPLES_QUICK") == "1"
EPOCHS = 1 if QUICK else 15
SFREQ, SEQ_LEN = 50.0, 10

# %%
# Simulated nights: scored, unscored and held out
# -----------------------------------------------
# Real Sleep-EDF hypnograms drive a simulated EEG; subjects never cross sets.

windows = simulate_sleep_eeg(
    n_recordings=8 if QUICK else 24,
    max_epochs_per_recording=100 if QUICK else 200,
    sfreq=SFREQ,
    seed=0,
)
X, y, subjects, recordings, _ = bdata.sequences(windows, SEQ_LEN)
X = bdata.robust_scale_per_recording(X, recordings)
order = np.unique(subjects)
test = subjects == order[0]
scored = np.isin(subjects, order[1:3])
unscored = ~test & ~scored
print(f"scored {scored.sum()}, unscored {unscored.sum()}, test {test.sum()} sequences")

# %%
# A teacher, then the student three ways
# --------------------------------------

common = dict(seq_len=SEQ_LEN, batch_size=16, verbose=0, random_state=0)
signal = dict(n_chans=1, n_times=X.shape[-1], sfreq=SFREQ)
teacher = SleepKDClassifier(
    None,
    None,
    preset("deepsleepnet", "teacher", **signal),
    strategy="scratch",
    max_epochs=EPOCHS,
    **common,
).fit(X[scored], y[scored])
narrow = dict(student__lstm_units=8, student__dropout=0.0)
runs = {
    "alone": dict(strategy="scratch"),
    "KD": dict(strategy="kd", recipe="authors"),
    "KD + unscored nights": dict(strategy="kd", recipe="authors"),
    "SleepKD + unscored nights": dict(strategy="sleepkd", recipe="paper"),
}
fits, scores = {}, {"teacher": kappa(y[test], teacher.predict(X[test]))}
for name, params in runs.items():
    extra = X[unscored] if "unscored" in name else None
    fits[name] = SleepKDClassifier(
        teacher.module_,
        None,
        "deepsleepnet",
        teacher_pretrained=True,
        max_epochs=EPOCHS,
        **narrow,
        **params,
        **common,
    ).fit(X[scored], y[scored], unlabelled=extra)
    scores[name] = kappa(y[test], fits[name].predict(X[test]))

gap = scores["teacher"] - scores["alone"]
for name, value in scores.items():
    closed = (value - scores["alone"]) / gap if gap else float("nan")
    print(f"{name:22s} kappa {value:.3f}   gap closed {closed:+.2f}")

# %%
# What the history says
# ---------------------
# ``train_agreement`` is the share of training epochs where the student agrees
# with its guide; ``train_loss_<term>`` each weighted loss term and
# ``grad_share_<term>`` its share of the gradient norm on the student. A term
# whose share stays near zero does not steer the student, whatever its weight
# (the authors' KD recipe has the soft term only; SleepKD's paper weights add
# the epoch, sequence and hard terms).

fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
axes[0].bar(list(scores), list(scores.values()), color="tab:blue")
axes[0].set_ylabel("kappa on the held-out subject")
axes[0].tick_params(axis="x", rotation=25)
for name in ("KD", "KD + unscored nights", "SleepKD + unscored nights"):
    axes[1].plot(fits[name].history[:, "train_agreement"], marker="o", label=name)
axes[1].set_xlabel("epoch")
axes[1].set_ylabel("agreement with the teacher (train)")
axes[1].legend(fontsize=8)
history = fits["SleepKD + unscored nights"].history
for term in ("soft", "hard", "epoch", "seq"):
    axes[2].plot(
        history[:, f"train_loss_{term}"],
        marker="o",
        label=f"{term} (grad share {history[-1, f'grad_share_{term}']:.2f})",
    )
axes[2].set_yscale("log")
axes[2].set_xlabel("epoch")
axes[2].set_ylabel("weighted loss term (SleepKD)")
axes[2].legend(fontsize=8)
fig.tight_layout()
plt.show()
