"""
.. _yasa-example:

Distil YASA's pretrained sleep stager into a tiny network
=========================================================

Many users have no big neural teacher trained on thousands of nights, but
already trust a pretrained scorer. `YASA <https://raphaelvallat.com/yasa/>`_
(Vallat & Walker, eLife 2021) ships pretrained LightGBM sleep-staging
classifiers inside its package. Here
:class:`~braindecode_sleepkd.teachers.yasa.YASATeacher` runs YASA on the
continuous signal behind our windows and hands its per-epoch probabilities to
:class:`~braindecode_sleepkd.estimator.SleepKDClassifier`, which distils them
into a small CNN + BiLSTM student. We compare the hypnograms of YASA, the
student and the human expert on a held-out excerpt, and the student's size and
speed.

The data are the real DREAMS Spindles excerpts (30 minutes each, one central
EEG channel): tiny and mostly N2, so the numbers below only illustrate the
workflow. YASA needs more than 80 Hz, so excerpt3 (50 Hz) is left out. Needs
``pip install braindecode-sleepkd[yasa]``.
"""

# %%
# Load the excerpts
# -----------------
# ``load_sample`` reads the excerpts as 30-s windows at 100 Hz (the excerpts
# are 100 or 200 Hz; YASA itself works at 100 Hz, so nothing it uses is lost).
# The teacher scores the windows' underlying continuous recording and maps
# each window to YASA's 30-s epoch with the same start sample.
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
from braindecode_sleepkd.metrics import inference_speed, n_parameters
from braindecode_sleepkd.teachers.yasa import YASATeacher

torch.manual_seed(0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # counts of ambiguous epochs left out
    windows = load_sample(sfreq=100, subject_ids=[1, 4, 6, 7])
train = BaseConcatDataset(windows.datasets[1:])  # excerpts 4, 6, 7
test = BaseConcatDataset(windows.datasets[:1])  # excerpt 1, held out
print(windows.description[["recording", "sfreq_native", "n_windows"]])

# %%
# YASA as the teacher
# -------------------
# The probabilities are cached per recording, so fitting and evaluating below
# run YASA once per excerpt.
teacher = YASATeacher()
t0 = time.perf_counter()
yasa_test = teacher.predict_proba_windows(test)
print(f"YASA scored excerpt1 in {time.perf_counter() - t0:.1f} s")
y_test = np.asarray(test.datasets[0].y)
yasa_pred = yasa_test.argmax(1)

# %%
# Distil into a tiny student
# --------------------------
# ``strategy="kd"`` trains the student directly on YASA's soft probabilities
# plus the expert labels (``SleepKDClassifier(teacher, "deepsleepnet",
# "deepsleepnet")`` would add an assistant in between). The student is the
# ``deepsleepnet`` student preset with fewer LSTM units.
seq_len = 10
clf = SleepKDClassifier(
    teacher,
    None,
    "deepsleepnet",
    strategy="kd",
    student__lstm_units=16,
    **sample_fit_params(seq_len, 5, batch_size=4),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    clf.fit(train)
print(clf.stages_)

# %%
# YASA and the student against the expert
# ---------------------------------------
# On the held-out excerpt, the student's stage of a window is the mean over
# the sequences of ``seq_len`` epochs that hold it (where two overlap). The
# kappas against the expert are printed, then the hypnograms are stacked in
# the usual order (W, REM, N1, N2, N3 from the top).
student_pred = student_stages(clf, test)
compare_hypnograms(
    y_test, {"YASA (teacher)": yasa_pred, "Student": student_pred}, title="Excerpt 1"
)
plt.show()

# %%
# Size and speed
# --------------
# The student is a few tens of thousands of parameters and scores hundreds of
# 30-s epochs per second on a CPU; YASA computes hand-made features
# over the whole recording first.
student = clf.student_
n_params = n_parameters(student)
x = torch.randn(1, seq_len, 1, 3000)
speed = inference_speed({"student": student}, x, (8,), n_repeats=5)
speed = speed["student"][8]["epochs_per_s"]
print(f"student: {n_params:,} parameters, {speed:.0f} epochs/s on CPU")
