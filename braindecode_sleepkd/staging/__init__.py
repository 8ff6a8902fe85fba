"""Stage a whole recording: one stage and one probability vector per 30-s epoch.

:func:`stage_night` reads a recording (``mne.io.Raw``, EDF path or braindecode
windows of one recording), cuts it into 30-s epochs, slides sequences over them
and combines the overlapping predictions of a fitted estimator, a bare student
module or an exported ONNX file into a :class:`Hypnogram`.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from .epochs import read_epochs
from .hypnogram import Hypnogram
from .models import as_predictor
from .plot import plot_hypnogram
from .sliding import combine, sequence_starts
from .stage import stage_night
from .statistics import sleep_statistics

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
