"""Stage a whole recording: one stage and one probability vector per 30-s epoch.

:func:`stage_night` reads a recording (``mne.io.Raw``, EDF path or braindecode
windows of one recording), cuts it into 30-s epochs, slides sequences over them
and combines the overlapping predictions of a fitted estimator, a bare student
module or an exported ONNX file into a :class:`Hypnogram`, preparing the epochs as
the model's preprocessing contract says. The hypnogram, the sliding sequences and
the statistics come from the torch-free runtime (``sleepkd_runtime``).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from sleepkd_runtime.hypnogram import Hypnogram
from sleepkd_runtime.sliding import combine, sequence_starts
from sleepkd_runtime.statistics import sleep_statistics

from .epochs import read_epochs
from .models import as_predictor
from .plot import plot_hypnogram
from .stage import stage_night

__all__ = [
    "Hypnogram",
    "as_predictor",
    "combine",
    "plot_hypnogram",
    "read_epochs",
    "sequence_starts",
    "sleep_statistics",
    "stage_night",
]
