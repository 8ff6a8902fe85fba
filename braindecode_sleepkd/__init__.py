"""braindecode-sleepkd: SleepKD knowledge distillation for sleep staging.

Teacher -> teacher assistant -> student distillation of epoch-level,
sequence-level and output-level knowledge (Liang et al., IJCAI 2023), as a
skorch / scikit-learn estimator on braindecode data.

The public names below are imported on first use (PEP 562), so that the
torch-free parts (``sleepkd stage`` with an ONNX student, the preprocessing
contract) start without importing torch, braindecode or MNE.
"""

import importlib
import warnings
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("braindecode-sleepkd")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

#: Public name -> the submodule that defines it.
_LAZY = {
    "DREAMS": "datasets",
    "SLEEP_STAGES": "datasets",
    "SleepEDF": "datasets",
    "load_sample": "datasets",
    "make_sequences": "datasets",
    "simulate_sleep_eeg": "datasets",
    "make_strategy": "distill",
    "strategies": "distill",
    "SleepKDClassifier": "estimator",
    "DistillationReport": "report",
    "DeepSleepNetKD": "models",
    "SalientKD": "models",
    "SleepFeatures": "models",
    "SleepSequenceModel": "models",
    "preset": "models",
    "EpochScaler": "preprocessing",
    "SubjectValidSplit": "splits",
    "subject_valid_split": "splits",
}

__all__ = sorted([*_LAZY, "__version__"])


def _import_braindecode_models():
    # braindecode's EEGPT module builds MNE's "standard_1020" montage at import
    # time, which MNE >= 1.12 deprecates; silence exactly that warning.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Montage name 'standard_1020'", category=FutureWarning
        )
        import braindecode.models  # noqa: F401


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _import_braindecode_models()
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
