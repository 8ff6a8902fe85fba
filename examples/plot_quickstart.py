""".. _quickstart-example:

Quick start: teacher -> assistant -> student on real sleep EEG
==============================================================

Load the embedded sample (real DREAMS excerpts), build the three sizes of a
preset family, distil the teacher into the student through the teacher
assistant with :class:`~braindecode_sleepkd.estimator.SleepKDClassifier`,
evaluate the student on a held-out subject, and plot its hypnogram and
confusion matrix.

The models are shrunk and trained for a few epochs so that this runs in a
couple of minutes on a CPU: the scores show how to use the package, not what
SleepKD achieves on a full data set.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os

import matplotlib.pyplot as plt
import torch
from _helpers import role_params, sample_fit_params
from sklearn.metrics import ConfusionMatrixDisplay, classification_report

from braindecode_sleepkd.datasets import SLEEP_STAGES, load_sample, make_sequences
from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.metrics import accuracy, kappa, macro_f1, n_parameters
from braindecode_sleepkd.models import preset
from braindecode_sleepkd.staging import plot_hypnograms

# ``SLEEPKD_EXAMPLES_QUICK=1`` (used by the tests) trains for a single epoch.
QUICK = os.environ.get("SLEEPKD_EXAMPLES_QUICK") == "1"
MAX_EPOCHS = 1 if QUICK else 12
torch.manual_seed(0)

# %%
# Load the sample and cut it into sequences
# -----------------------------------------
# :func:`~braindecode_sleepkd.datasets.load_sample` reads six excerpts of the
# DREAMS Spindles database (one central EEG channel each) into braindecode
# windows of 30 s with AASM labels ``W, N1, N2, N3, REM = 0..4``. We resample to
# 50 Hz to keep the example fast and keep four subjects.
# :func:`~braindecode_sleepkd.datasets.make_sequences` then cuts every recording
# into sequences of ``seq_len`` consecutive epochs.

SFREQ, SEQ_LEN = 50.0, 10
windows = load_sample(sfreq=SFREQ, subject_ids=[1, 3, 4, 6])
print(windows.description)

X, y, subjects = make_sequences(windows, seq_len=SEQ_LEN)
print("X:", X.shape, "(n_seq, seq_len, n_chans, n_times)")
print("y:", y.shape, "(n_seq, seq_len)")

test = subjects == subjects.max()
X_train, y_train = X[~test], y[~test]
X_test, y_test = X[test], y[test]
print(f"{len(X_train)} training and {len(X_test)} test sequences")

# %%
# The three presets
# -----------------
# A preset family comes in three sizes. :func:`~braindecode_sleepkd.models.preset`
# builds one; any size can be overridden. Here all three are made narrower
# than the defaults (which are sized for 100 Hz and a full data set).

SIZES = {
    "teacher": dict(channels=(16, 32, 48, 64), seq_channels=64),
    "assistant": dict(channels=(12, 24, 32), seq_channels=32),
    "student": dict(channels=(8, 16, 24), seq_channels=16),
}
for role, sizes in SIZES.items():
    model = preset("salient", role, sfreq=SFREQ, **sizes)
    n_params = n_parameters(model)
    print(f"{role:>9}: {type(model).__name__} with {n_params:,} parameters")

# %%
# Distil with :class:`~braindecode_sleepkd.estimator.SleepKDClassifier`
# ------------------------------------------------------------------------
# The roles are given as preset names; the sizes are routed to each model with
# ``<role>__<parameter>`` (``_helpers.role_params``
# writes them from ``SIZES``; ``_helpers.sample_fit_params``
# holds the small, seeded fit settings of the gallery). ``fit`` trains the
# teacher on the labels, distils it into the assistant, then the assistant into
# the student (SleepKD: epoch- and sequence-level feature losses, soft KL and
# hard cross-entropy).

clf = SleepKDClassifier(
    "salient",
    "salient",
    "salient",
    strategy="sleepkd",
    **sample_fit_params(SEQ_LEN, MAX_EPOCHS),
    **role_params(SIZES),
)
clf.fit(X_train, y_train)
print("stages run:", clf.stages_)

# %%
# The loss of each stage, term by term, is in ``histories_``:

fig, axes = plt.subplots(1, 3, figsize=(10, 3), sharey=False)
for ax, (stage, history) in zip(axes, clf.histories_.items()):
    for key in history[0]:
        if key.startswith("train_loss"):
            ax.plot(history[:, key], marker="o", label=key.replace("train_", ""))
    ax.set(title=stage, xlabel="epoch")
axes[0].set_ylabel("loss")
axes[-1].legend(fontsize="small")
fig.tight_layout()

# %%
# Evaluate the student on the held-out subject
# --------------------------------------------
# ``predict`` uses the student (``clf.module_``) and returns one stage per
# epoch, shape ``(n_seq, seq_len)``. The scorers of
# :mod:`braindecode_sleepkd.metrics` flatten the sequence axis.

y_pred = clf.predict(X_test)
print(f"accuracy {accuracy(y_test, y_pred):.3f}")
print(f"macro-F1 {macro_f1(y_test, y_pred):.3f}")
print(f"kappa    {kappa(y_test, y_pred):.3f}")
print(
    classification_report(
        y_test.ravel(),
        y_pred.ravel(),
        labels=range(5),
        target_names=SLEEP_STAGES,
        zero_division=0,
    )
)

# %%
# Hypnogram and confusion matrix
# ------------------------------
# The test sequences are consecutive and do not overlap, so flattening them
# gives the hypnogram of the held-out night.

plot_hypnograms(
    {"Expert": y_test, "Student": y_pred},
    title="Hypnogram of the held-out subject",
)

ConfusionMatrixDisplay.from_predictions(
    y_test.ravel(),
    y_pred.ravel(),
    labels=range(5),
    display_labels=SLEEP_STAGES,
    normalize="true",
    values_format=".2f",
    colorbar=False,
)
plt.title("Student, normalised by true stage")
plt.show()

# %%
# References
# ----------
# H. Liang, Y. Liu, H. Wang and Z. Jia. Teacher Assistant-Based Knowledge
# Distillation Extracting Multi-level Features on Single Channel Sleep EEG.
# IJCAI 2023. https://doi.org/10.24963/ijcai.2023/439
