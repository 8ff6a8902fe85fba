"""Stage a whole recording: one stage and one probability vector per 30-s epoch.

:func:`stage_night` reads a recording (``mne.io.Raw``, EDF path or braindecode
windows of one recording), cuts it into 30-s epochs, slides sequences over them
and combines the overlapping predictions of a fitted estimator, a bare student
module or an exported ONNX file into a :class:`Hypnogram`, preparing the epochs as
the model's preprocessing contract says. The staging itself is the torch-free
runtime's (:func:`sleepkd_runtime.stage_array`, the same code as
:func:`sleepkd_runtime.stage_edf`), as are the hypnogram and the statistics.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from sleepkd_runtime.hypnogram import Hypnogram
from sleepkd_runtime.statistics import sleep_statistics

from .epochs import read_epochs
from .models import as_predictor
from .plot import plot_hypnogram, plot_hypnograms
from .stage import stage_night

__all__ = [
    "Hypnogram",
    "as_predictor",
    "plot_hypnogram",
    "plot_hypnograms",
    "read_epochs",
    "sleep_statistics",
    "stage_night",
]
