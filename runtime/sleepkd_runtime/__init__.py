"""braindecode-sleepkd-runtime: stage nights with an exported student, no torch.

Only numpy, onnxruntime and edfio are imported. The student is an ONNX file
written by ``braindecode_sleepkd.export.to_onnx``; its preprocessing
:class:`~sleepkd_runtime.contract.Contract` (rate, channels, unit, per-epoch
scaling, sequence length, classes) travels in the file and is applied here.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from .contract import Contract, ContractError, scale_epochs
from .hypnogram import Hypnogram
from .model import OnnxStudent
from .stage import stage_array, stage_edf, stage_epochs
from .statistics import sleep_statistics

__version__ = "0.1.0"

__all__ = [
    "Contract",
    "ContractError",
    "Hypnogram",
    "OnnxStudent",
    "__version__",
    "scale_epochs",
    "sleep_statistics",
    "stage_array",
    "stage_edf",
    "stage_epochs",
]
