"""int8 quantisation of an exported ONNX student with onnxruntime.

Two modes, chosen by whether calibration data are given:

- **static** (calibration sequences given): ``Conv`` and ``MatMul`` get int8
  weights and activations calibrated on the data (``QuantizeLinear`` /
  ``QLinearConv`` operators), then ``LSTM`` gets int8 weights dynamically
  (onnxruntime has no static int8 LSTM);
- **dynamic** (no data): ``LSTM`` and ``MatMul`` only. ``Conv`` stays float:
  its dynamic form (``ConvInteger``) ran about 2x slower than float on a 2-core
  CPU for the deepsleepnet student.

The preprocessing contract and the other metadata of the float file are kept,
and ``sleepkd.quantization`` (JSON) records the mode and which weight-bearing
operator types stayed float.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import json
import tempfile
from pathlib import Path

import numpy as np

from ._base import ExportError, _prepare_path, _require

#: Operator types with weights, and whether each mode quantises them.
_WEIGHTED = ("Conv", "ConvTranspose", "MatMul", "Gemm", "LSTM", "GRU")
STATIC_OPS, DYNAMIC_OPS = ("Conv", "MatMul"), ("LSTM", "MatMul")


def _reader(X, input_name, batch_size=1):
    from onnxruntime.quantization import CalibrationDataReader

    class _Reader(CalibrationDataReader):
        def __init__(self):
            self._batches = iter(
                {input_name: X[i : i + batch_size]}
                for i in range(0, len(X), batch_size)
            )

        def get_next(self):
            return next(self._batches, None)

    return _Reader()


def _check_calibration(X, onnx_path):
    import onnx

    X = np.ascontiguousarray(X, dtype=np.float32)
    graph = onnx.load(str(onnx_path)).graph
    dims = [d.dim_value or None for d in graph.input[0].type.tensor_type.shape.dim]
    if X.ndim != 4 or len(X) == 0:
        raise ValueError(
            "calibration must be sequences (n_seq, seq_len, n_chans, n_times) "
            f"prepared as for the model, got shape {X.shape}."
        )
    wrong = [
        (axis, want, got)
        for axis, (want, got) in enumerate(zip(dims, X.shape))
        if axis and want and want != got
    ]
    if wrong:
        raise ValueError(
            f"calibration has shape {X.shape} but the model takes {dims} "
            f"(axis, expected, got: {wrong})."
        )
    if not np.isfinite(X).all():
        raise ValueError("calibration contains NaN or infinite values.")
    return X, graph.input[0].name


def quantize_onnx(path, out, calibration=None, *, max_sequences=64):
    """Write an int8 copy of an ONNX student.

    Parameters
    ----------
    path : str | Path
        The float ONNX file (from :func:`~braindecode_sleepkd.export.to_onnx`).
    out : str | Path
        The int8 file to write.
    calibration : array-like | None
        Sequences ``(n_seq, seq_len, n_chans, n_times)`` prepared as the
        model's input (its contract applied), e.g. training sequences: static
        quantisation. None: dynamic quantisation.
    max_sequences : int
        Calibration sequences used at most (the first ones).

    Returns
    -------
    info : dict
        ``path``, ``mode`` (``"static"`` or ``"dynamic"``), ``quantized_ops``
        and ``float_ops`` (weight-bearing operator types left in float), the
        sizes in bytes of the float and int8 files.
    """
    _require("onnxruntime", "quantize an ONNX model")
    onnx = _require("onnx", "quantize an ONNX model")
    from onnxruntime.quantization import (
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ONNX file not found: {path}")
    out = _prepare_path(out)
    float_model = onnx.load(str(path))
    props = {p.key: p.value for p in float_model.metadata_props}
    present = {n.op_type for n in float_model.graph.node} & set(_WEIGHTED)
    mode = "dynamic" if calibration is None else "static"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if mode == "static":
                X, name = _check_calibration(calibration[:max_sequences], path)
                pre, mid = Path(tmp) / "pre.onnx", Path(tmp) / "static.onnx"
                quant_pre_process(str(path), str(pre))
                quantize_static(
                    str(pre),
                    str(mid),
                    _reader(X, name),
                    quant_format=QuantFormat.QOperator,
                    weight_type=QuantType.QInt8,
                    activation_type=QuantType.QUInt8,
                    op_types_to_quantize=list(STATIC_OPS),
                )
                quantize_dynamic(
                    str(mid), str(out), weight_type=QuantType.QInt8,
                    op_types_to_quantize=["LSTM"],
                )  # fmt: skip
                done = set(STATIC_OPS) | {"LSTM"}
            else:
                quantize_dynamic(
                    str(path), str(out), weight_type=QuantType.QInt8,
                    op_types_to_quantize=list(DYNAMIC_OPS),
                )  # fmt: skip
                done = set(DYNAMIC_OPS)
    except ValueError:
        raise
    except Exception as err:
        out.unlink(missing_ok=True)
        raise ExportError(
            f"int8 quantisation of {path} failed: {type(err).__name__}: {err}"
        ) from err
    info = {
        "mode": mode,
        "quantized_ops": sorted(present & done),
        "float_ops": sorted(present - done),
    }
    model = onnx.load(str(out))
    kept = {p.key: p.value for p in model.metadata_props}
    onnx.helper.set_model_props(
        model, {**kept, **props, "sleepkd.quantization": json.dumps(info)}
    )
    onnx.save(model, str(out))
    return {
        **info,
        "path": out,
        "float_bytes": path.stat().st_size,
        "int8_bytes": out.stat().st_size,
    }
