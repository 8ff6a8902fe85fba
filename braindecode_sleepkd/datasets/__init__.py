"""Sleep data as braindecode windows: real loaders, sequences and a simulator.

Labels are integers 0..4 for ``SLEEP_STAGES = ("W", "N1", "N2", "N3", "REM")``;
the MNE raw objects and the windows hold volts, as MNE expects, and every
dataset's ``description`` has ``subject``, ``recording`` and ``unit`` (plus
counts of what was dropped). :func:`make_sequences` turns windows into the
models' input, in microvolts (:mod:`.units` is where the unit is converted).
"""

from .dreams import DREAMS, read_dreams_hypnogram, read_dreams_signal
from .hypnograms import read_sleep_edf_hypnogram
from .isruc import ISRUC, read_isruc_labels, soft_targets
from .paths import data_path
from .sample import load_sample
from .sequences import (
    make_sequences,
    sequence_starts,
)
from .simulated import iter_simulated_nights, simulate_sleep_eeg
from .sleep_edf import SleepEDF
from .stages import SLEEP_STAGES, stage_counts
from .units import from_microvolts, to_microvolts

__all__ = [
    "DREAMS",
    "ISRUC",
    "SLEEP_STAGES",
    "SleepEDF",
    "data_path",
    "from_microvolts",
    "load_sample",
    "make_sequences",
    "read_dreams_hypnogram",
    "read_dreams_signal",
    "read_isruc_labels",
    "read_sleep_edf_hypnogram",
    "sequence_starts",
    "iter_simulated_nights",
    "simulate_sleep_eeg",
    "soft_targets",
    "stage_counts",
    "to_microvolts",
]
