""".. _cohort-example:

From a folder of nights to a deployable student and its model card
===================================================================

A lab holds many nights and has scored only a few. Here a pretrained scorer,
`YASA <https://raphaelvallat.com/yasa/>`_, labels every night of a folder of
EDF files (in parallel, its outputs cached on disk), and a small student is
distilled from it: the scored nights give labels and the validation set, the
unscored nights the distillation terms. The result is ``student.onnx`` (it
stages nights with only the torch-free runtime), the fitted estimator and a
model card. The same run is one command::

    sleepkd distill NIGHTS_DIR --teacher yasa --channel EEG --out OUT

The nights are simulated (:func:`~braindecode_sleepkd.datasets.simulate_sleep_eeg`,
driven by real Sleep-EDF hypnograms) and written as EDF by the example
itself, so the truth of every night is known, the unscored ones too. Needs
``pip install braindecode-sleepkd[yasa]``.
"""

# %%
# Write a folder of nights
# ------------------------
# The first nights come with a ``<night>.hypnogram.txt`` (one stage per 30-s
# epoch); the others are unscored.
import os
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from braindecode_sleepkd.cohort import distill_cohort, find_nights, read_night
from braindecode_sleepkd.cohort.simulate import write_simulated_cohort
from braindecode_sleepkd.metrics import kappa

QUICK = os.environ.get("SLEEPKD_EXAMPLES_QUICK") == "1"
N_NIGHTS, N_SCORED = (5, 2) if QUICK else (12, 4)
folder = Path(tempfile.mkdtemp()) / "nights"
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # movement epochs of the hypnograms left out
    truth = write_simulated_cohort(
        folder, N_NIGHTS, N_SCORED, max_epochs=200 if QUICK else 600, sfreq=100
    )
nights = find_nights(folder)
print(f"{len(nights)} nights, {sum(n.hypnogram is not None for n in nights)} scored")

# %%
# Distil YASA into a narrow student
# ---------------------------------
# ``distill_cohort`` is what ``sleepkd distill`` runs. A second call with the
# same ``out`` folder reuses YASA's cached outputs.
out = folder.parent / "out"
card = distill_cohort(
    folder,
    out,
    teacher="yasa",
    channel="EEG",
    student_kwargs=dict(lstm_units=16),
    max_epochs=1 if QUICK else 15,
    min_steps=0 if QUICK else 300,  # quick: one pass, no floor of steps
    n_jobs=2,
    progress=False,
)
print(card.to_markdown())

# %%
# The student against the truth, on the unscored nights
# -----------------------------------------------------
# The card's validation nights are scored ones; the simulator also knows the
# truth of the unscored nights the student learnt from YASA alone. YASA's
# outputs come back from the cache (no second scoring).
from sleepkd_runtime.stage import stage_edf  # noqa: E402 (torch-free staging)

from braindecode_sleepkd.cohort import make_scorer, score_cohort  # noqa: E402

unscored = [n for n in nights if n.hypnogram is None]
yasa = score_cohort(
    make_scorer("yasa"), unscored, "EEG", cache_dir=out / "cache", progress=False
)
print(f"YASA outputs from the cache: {yasa.n_cached} of {len(unscored)} nights")
for night, rec in zip(unscored, yasa.nights):
    k_student = kappa(
        truth[night.name], stage_edf(out / "student.onnx", night.path).stages
    )
    k_yasa = kappa(truth[night.name], rec["proba"].argmax(1))
    print(
        f"{night.name}: kappa vs truth, student {k_student:.3f}, YASA {k_yasa:.3f} "
        f"(ratio {k_student / k_yasa:.2f})"
    )

_, y_first, _ = read_night(nights[0], "EEG")
fig, ax = plt.subplots(figsize=(9, 2.5))
hyp = stage_edf(out / "student.onnx", nights[0].path)
ax.step(np.arange(len(y_first)), y_first, where="post", label="expert (hypnogram)")
ax.step(np.arange(len(hyp)), hyp.stages + 0.1, where="post", label="student")
ax.set_yticks(range(5), ["W", "N1", "N2", "N3", "REM"])
ax.invert_yaxis()
ax.set_xlabel("30-s epoch")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
