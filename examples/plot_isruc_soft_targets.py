""".. _isruc-soft-targets-example:

Two scorers as soft targets (ISRUC layout)
==========================================

ISRUC-Sleep ships the stages of every recording scored by two experts
(``<n>_1.txt`` and ``<n>_2.txt``).
:class:`~braindecode_sleepkd.datasets.ISRUC` with ``scorer="both"`` keeps
both, and :func:`~braindecode_sleepkd.datasets.soft_targets` averages them
into class probabilities: where the experts disagree the target is 50/50.
:class:`~braindecode_sleepkd.estimator.SleepKDClassifier` accepts such
probability labels of shape ``(n_seq, seq_len, n_classes)`` directly.

**The ISRUC files are not on this machine** (and cannot be downloaded here),
so this example writes small files *in the ISRUC layout* into a temporary
folder and loads them with the real loader: the signal is the real EEG of
four DREAMS excerpts of the embedded sample, "scorer 1" is the DREAMS
hypnogram, and "scorer 2" is a simulated second expert who scores some stage
transitions one epoch later and some N1 epochs as wake or N2. With the real
ISRUC data only the folder changes: ``ISRUC(subject_ids, path, subgroup=3,
scorer="both")``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from _helpers import sample_fit_params
from edfio import Edf, EdfSignal

from braindecode_sleepkd.datasets import (
    ISRUC,
    SLEEP_STAGES,
    load_sample,
    sequence_starts,
    soft_targets,
)
from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.metrics import macro_f1

QUICK = os.environ.get("SLEEPKD_EXAMPLES_QUICK") == "1"
MAX_EPOCHS = 1 if QUICK else 12
rng = np.random.default_rng(0)
torch.manual_seed(0)

# %%
# Write four recordings in the ISRUC layout
# -----------------------------------------
# ``<root>/<n>/<n>.rec`` (EDF under another extension) with the channel
# ``C4-A1``, plus one label file per scorer with the ISRUC codes
# (0 W, 1 N1, 2 N2, 3 N3, 5 REM; one line per 30-s epoch).

SFREQ = 100.0
ISRUC_CODES = np.array([0, 1, 2, 3, 5])  # AASM label 0..4 -> ISRUC code


def second_scorer(labels):
    """A plausible second expert: late transitions and N1 confusions."""
    other = labels.copy()
    changes = np.flatnonzero(np.diff(labels)) + 1
    late = changes[rng.random(changes.size) < 0.5]
    other[late] = labels[late - 1]  # this transition scored one epoch later
    n1 = np.flatnonzero(labels == 1)
    swap = n1[rng.random(n1.size) < 0.3]
    other[swap] = rng.choice([0, 2], size=swap.size)
    return other


root = Path(tempfile.mkdtemp()) / "ISRUC-subgroup3"
sample = load_sample(sfreq=SFREQ, subject_ids=[1, 3, 4, 6])
for n, ds in enumerate(sample.datasets, start=1):
    signal = np.concatenate([x[0] for x, *_ in ds])  # uV, epochs back to back
    labels = np.array([y for _, y, *_ in ds])
    folder = root / str(n)
    folder.mkdir(parents=True)
    edf = Edf(
        [
            EdfSignal(
                np.clip(signal, -500, 500),
                sampling_frequency=SFREQ,
                label="C4-A1",
                physical_dimension="uV",
                physical_range=(-500.0, 500.0),
            )
        ]
    )
    edf.write(folder / f"{n}.rec")
    for scorer, lab in ((1, labels), (2, second_scorer(labels))):
        codes = ISRUC_CODES[lab]
        (folder / f"{n}_{scorer}.txt").write_text("\n".join(map(str, codes)) + "\n")
print(sorted(str(p.relative_to(root)) for p in root.rglob("*.*")))

# %%
# Load them with both scorers
# ---------------------------

windows = ISRUC([1, 2, 3, 4], root, subgroup=3, scorer="both", sfreq=50.0)
print(windows.description[["subject", "n_windows", "n_disagree"]])
soft = soft_targets(windows)  # (n_windows, 5): mean of the two one-hot labels
print("epochs where the scorers disagree:", int((soft.max(1) < 1).sum()))

# %%
# Sequences of soft targets
# -------------------------
# :func:`~braindecode_sleepkd.datasets.sequence_starts` gives the first
# window of every sequence; the same indices cut the signal and the soft
# targets.

SEQ_LEN = 10
starts, rec_ids = sequence_starts(windows, SEQ_LEN)
idx = starts[:, None] + np.arange(SEQ_LEN)
X = np.stack([np.stack([windows[i][0] for i in row]) for row in idx])
X = X.astype(np.float32)
Y_soft = soft[idx]  # (n_seq, seq_len, 5)
subjects = windows.description["subject"].to_numpy()[rec_ids]
print("X", X.shape, "soft targets", Y_soft.shape)

test = subjects == 4
meta = np.concatenate(
    [ds.metadata[["target_scorer1", "target_scorer2"]] for ds in windows.datasets]
)
scorer1, scorer2 = meta[idx][test, :, 0], meta[idx][test, :, 1]

# %%
# Distil with probability labels
# -------------------------------
# The hard term becomes a cross-entropy against the probabilities; the rest of
# SleepKD is unchanged. Here teacher -> student (``assistant=None``).

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
clf.fit(X[~test], Y_soft[~test])
y_pred = clf.predict(X[test])
for name, ref in (("scorer 1", scorer1), ("scorer 2", scorer2)):
    print(f"macro-F1 against {name}: {macro_f1(ref, y_pred):.3f}")

# %%
# The two experts and the soft target of the held-out recording
# -------------------------------------------------------------

fig, axes = plt.subplots(2, 1, figsize=(10, 4.5), sharex=True)
t = np.arange(scorer1.size)
axes[0].step(t, scorer1.ravel(), where="post", label="scorer 1")
axes[0].step(t, scorer2.ravel() + 0.1, where="post", label="scorer 2", alpha=0.7)
axes[0].step(t, y_pred.ravel() - 0.1, where="post", label="student", alpha=0.7)
axes[0].set_yticks(range(5), SLEEP_STAGES)
axes[0].invert_yaxis()
axes[0].legend(loc="lower right", fontsize="small")
axes[1].imshow(
    Y_soft[test].reshape(-1, 5).T, aspect="auto", interpolation="nearest", cmap="Blues"
)
axes[1].set_yticks(range(5), SLEEP_STAGES)
axes[1].set(xlabel="epoch (30 s)", title="soft target (mean of the two scorers)")
fig.tight_layout()
plt.show()
