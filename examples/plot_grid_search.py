""".. _grid-search-example:

Tune the loss weights with GridSearchCV, folds by subject
=========================================================

The loss weights of :class:`~braindecode_sleepkd.estimator.SleepKDClassifier`
(``alpha_epoch``, ``beta_seq``, ``gamma_soft``, ``delta_hard``) and the
``temperature`` are plain estimator parameters, so scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` tunes them. The folds come from
:class:`~sklearn.model_selection.GroupKFold` over subjects, so no subject is
both in a training and a validation fold, and the score is the macro-F1 over
all epochs from :mod:`braindecode_sleepkd.metrics` (scikit-learn's
``"f1_macro"`` string cannot handle labels of shape ``(n_seq, seq_len)``).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from _helpers import sample_fit_params, sample_sequences
from sklearn.model_selection import GridSearchCV, GroupKFold

from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.metrics import macro_f1_scorer
from braindecode_sleepkd.models import preset

QUICK = os.environ.get("SLEEPKD_EXAMPLES_QUICK") == "1"
MAX_EPOCHS = 1 if QUICK else 8
torch.manual_seed(0)

SFREQ, SEQ_LEN = 50.0, 10
X, y, subjects = sample_sequences(SFREQ, SEQ_LEN)
print("subjects:", np.unique(subjects))

# %%
# A teacher trained once
# ----------------------
# To keep the search cheap, the teacher is trained once on all four subjects
# and given as a pretrained instance; each candidate then trains only the
# student (``assistant=None``: teacher -> student). This lets the teacher see
# the validation subjects, which makes the scores optimistic; for an unbiased
# search give the teacher as a preset name (it is then trained inside every
# fold, at a higher cost).

common = sample_fit_params(SEQ_LEN, MAX_EPOCHS)
teacher_sizes = dict(channels=(16, 32, 48, 64), seq_channels=64)
teacher_fit = SleepKDClassifier(
    "salient",
    None,
    preset("salient", "teacher", sfreq=SFREQ, **teacher_sizes),
    strategy="scratch",
    **common,
).fit(X, y)
teacher = teacher_fit.module_

# %%
# The search
# ----------

clf = SleepKDClassifier(
    teacher,
    None,
    "salient",
    teacher_pretrained=True,
    strategy="sleepkd",
    student__channels=(8, 16, 24),
    student__seq_channels=16,
    **common,
)
param_grid = {
    "alpha_epoch": [0.0, 0.3],
    "gamma_soft": [0.4, 0.8] if not QUICK else [0.4],
}
n_splits = 2 if QUICK else 4
search = GridSearchCV(
    clf,
    param_grid,
    cv=GroupKFold(n_splits=n_splits),
    scoring=macro_f1_scorer,
    refit=True,
    n_jobs=1,
)
search.fit(X, y, groups=subjects)

results = pd.DataFrame(search.cv_results_)
columns = ["param_alpha_epoch", "param_gamma_soft", "mean_test_score"]
print(results[columns + ["std_test_score"]].to_string(index=False))
print("best:", search.best_params_, f"macro-F1 {search.best_score_:.3f}")

# %%
# ``best_estimator_`` is a fitted
# :class:`~braindecode_sleepkd.estimator.SleepKDClassifier` refitted on all the
# data with the best weights.

fig, ax = plt.subplots(figsize=(6, 3.5))
labels = [
    f"alpha={a}\ngamma={g}"
    for a, g in zip(results["param_alpha_epoch"], results["param_gamma_soft"])
]
ax.bar(labels, results["mean_test_score"], yerr=results["std_test_score"])
ax.set(ylabel=f"macro-F1 ({n_splits} folds by subject)", ylim=(0, 1))
fig.tight_layout()
plt.show()
