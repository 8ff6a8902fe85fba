""".. _stage-a-night-example:

Stage a night with a distilled student
======================================

Distil a small student on five DREAMS excerpts, then stage the sixth one from
its raw recording with :func:`~braindecode_sleepkd.staging.stage_night`: one
stage and one probability vector per 30-s epoch, overlapping sequences
combined by the mean of their probabilities. The hypnogram is plotted against
the expert's and the sleep statistics of both are printed. Six short excerpts
and a few training epochs: the numbers are illustrative only.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from _helpers import sample_fit_params

from braindecode_sleepkd.datasets import load_sample, make_sequences
from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.preprocessing import EpochScaler
from braindecode_sleepkd.staging import plot_hypnogram, sleep_statistics, stage_night

QUICK = os.environ.get("SLEEPKD_EXAMPLES_QUICK") == "1"
MAX_EPOCHS = 1 if QUICK else 10
torch.manual_seed(0)

# %%
# Distil a student on five excerpts
# ---------------------------------

SFREQ, SEQ_LEN = 50.0, 10
windows = load_sample(sfreq=SFREQ)
splits = windows.split("subject")
test_subject = sorted(splits)[-1]
train = load_sample(sfreq=SFREQ, subject_ids=[int(s) for s in sorted(splits)[:-1]])
X, y, _ = make_sequences(train, seq_len=SEQ_LEN, stride=2)
clf = SleepKDClassifier(
    "salient",
    "salient",
    "salient",
    strategy="sleepkd",
    **sample_fit_params(SEQ_LEN, MAX_EPOCHS),
)
clf.fit(EpochScaler().transform(X), y)

# %%
# Stage the held-out excerpt
# --------------------------
# ``scaler="robust"`` applies the same per-epoch scaling as in training.

night = splits[test_subject]
channel = night.datasets[0].raw.ch_names[0]
hyp = stage_night(clf, night, channel, stride=SEQ_LEN // 2, scaler="robust")
print(hyp.to_dataframe().head())
expert = np.asarray(night.datasets[0].y)
print(f"accuracy vs the expert: {(hyp.stages == expert).mean():.2f}")

# %%
# Sleep statistics of both hypnograms
# -----------------------------------

stats = pd.DataFrame(
    {"student": sleep_statistics(hyp.stages), "expert": sleep_statistics(expert)}
)
print(stats.round(1))

# %%
# Hypnogram against the expert's, probabilities underneath
# --------------------------------------------------------

fig = plot_hypnogram(hyp, reference=expert, title=f"DREAMS excerpt {test_subject}")
plt.show()
