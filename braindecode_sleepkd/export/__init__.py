"""Export the fitted student to ONNX / TorchScript and check it against torch.

The student of a fitted :class:`~braindecode_sleepkd.estimator.SleepKDClassifier`
(or any sleep model taking ``(batch, seq_len, n_chans, n_times)`` and returning
logits ``(batch, seq_len, n_classes)``) is exported with a dynamic batch axis and,
where the architecture allows it, a dynamic sequence axis. Every export is
checked: the file is validated (``onnx.checker`` for ONNX) and its output is
compared with torch's on an input of another shape than the one used to export.

ONNX uses torch's TorchScript-based exporter (``dynamo=False``): it needs only
``onnx`` (and ``onnxruntime`` for the checks), while the newer ``torch.export``
based exporter also needs ``onnxscript``. Install the extra with
``pip install braindecode-sleepkd[export]``. :func:`quantize_onnx` writes an int8
copy (onnxruntime's quantisation).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from ._base import (
    DEFAULT_OPSET,
    MAX_OPSET,
    MIN_OPSET,
    ONNX_ATOL,
    ExportError,
    check_opset,
    student_module,
)
from .check import check_onnx
from .checkpoints import load_checkpoint, load_student, save_student
from .onnx import to_onnx
from .quantize import quantize_onnx
from .torchscript import to_torchscript

__all__ = [
    "DEFAULT_OPSET",
    "MAX_OPSET",
    "MIN_OPSET",
    "ONNX_ATOL",
    "ExportError",
    "check_onnx",
    "check_opset",
    "load_checkpoint",
    "load_student",
    "quantize_onnx",
    "save_student",
    "student_module",
    "to_onnx",
    "to_torchscript",
]
