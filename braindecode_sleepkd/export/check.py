"""Compare an exported ONNX file with the torch module it came from."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np

from ._base import (
    ExportError,
    _as_float_array,
    _require,
    _torch_logits,
    student_module,
)


def check_onnx(path, X, model):
    """Max abs difference of the logits of onnxruntime and torch on ``X``.

    Parameters
    ----------
    path : str | pathlib.Path
        An ONNX file written by :func:`to_onnx`.
    X : array-like | torch.Tensor
        Sequences ``(n_seq, seq_len, n_chans, n_times)``.
    model : SleepKDClassifier | torch.nn.Module
        The estimator (its student) or module that was exported.

    Returns
    -------
    float
        ``max |logits_onnxruntime - logits_torch|``; :data:`ONNX_ATOL` (1e-4) is
        the tolerance used by :func:`to_onnx`.
    """
    ort = _require("onnxruntime", "run the ONNX model")
    module = student_module(model)
    X = _as_float_array(X)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    try:
        onnx_out = session.run(["logits"], {"x": X})[0]
    except Exception as err:
        raise ExportError(
            f"onnxruntime could not run {path} on input of shape {X.shape} "
            f"(was it exported with a fixed seq_len?): {err}"
        ) from err
    torch_out = _torch_logits(module, X)
    if onnx_out.shape != torch_out.shape:
        raise ExportError(
            f"onnxruntime returns logits of shape {onnx_out.shape}, torch "
            f"{torch_out.shape}."
        )
    return float(np.max(np.abs(onnx_out - torch_out)))
