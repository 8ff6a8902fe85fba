"""braindecode-sleepkd: SleepKD knowledge distillation for sleep staging.

Teacher -> teacher assistant -> student distillation of epoch-level,
sequence-level and output-level knowledge (Liang et al., IJCAI 2023), as a
skorch / scikit-learn estimator on braindecode data.
"""

import warnings
from importlib.metadata import PackageNotFoundError, version

# braindecode's EEGPT module builds MNE's "standard_1020" montage at import time,
# which MNE >= 1.12 deprecates; silence exactly that warning, for this import only.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="Montage name 'standard_1020'", category=FutureWarning
    )
    import braindecode.models  # noqa: F401

from .datasets import (
    DREAMS,
    SLEEP_STAGES,
    SleepEDF,
    load_sample,
    make_sequences,
    simulate_sleep_eeg,
)
from .distill import make_strategy, strategies
from .estimator import SleepKDClassifier
from .models import DeepSleepNetKD, SalientKD, SleepFeatures, SleepSequenceModel, preset
from .preprocessing import EpochScaler
from .report import DistillationReport
from .splits import SubjectValidSplit, subject_valid_split

try:
    __version__ = version("braindecode-sleepkd")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "DREAMS",
    "SLEEP_STAGES",
    "DeepSleepNetKD",
    "DistillationReport",
    "EpochScaler",
    "SalientKD",
    "SleepEDF",
    "SleepFeatures",
    "SleepKDClassifier",
    "SleepSequenceModel",
    "SubjectValidSplit",
    "__version__",
    "load_sample",
    "make_sequences",
    "make_strategy",
    "preset",
    "simulate_sleep_eeg",
    "strategies",
    "subject_valid_split",
]
