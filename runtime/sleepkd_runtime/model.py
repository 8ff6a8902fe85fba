"""An exported student (ONNX) run with onnxruntime, with its contract."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from pathlib import Path

import numpy as np

from .contract import Contract

DEFAULT_SEQ_LEN = 20
"""Epochs per sequence when neither the model nor the user says."""


def softmax(logits):
    """Softmax over the last axis, in float64."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _int_dim(dim):
    return int(dim) if isinstance(dim, (int, np.integer)) and dim > 0 else None


class OnnxStudent:
    """A student exported to ONNX: probabilities from sequences of epochs.

    Parameters
    ----------
    path : str | Path
        An ``.onnx`` file written by ``braindecode_sleepkd.export.to_onnx``.
    batch_size : int
        Sequences per onnxruntime call.

    Attributes
    ----------
    contract : Contract | None
        The preprocessing contract stored in the file (None for older files).
    fixed_seq_len : int | None
        The sequence length the graph is fixed to, if it is not dynamic.
    n_chans, n_times, n_classes : int | None
        From the graph's input and output shapes.
    name : str
        How messages name the model (``"ONNX file <file name>"``).
    """

    def __init__(self, path, batch_size=64):
        try:
            import onnxruntime as ort
        except ImportError as err:
            raise ImportError(
                "onnxruntime is required to stage with an ONNX model: pip install "
                "braindecode-sleepkd-runtime (or onnxruntime)"
            ) from err
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"model file not found: {path}")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(
                str(path), opts, providers=["CPUExecutionProvider"]
            )
        except Exception as err:
            raise ValueError(
                f"Cannot load {path} as an ONNX model ({type(err).__name__}: {err})."
            ) from err
        self.path = path
        self.name = f"ONNX file {path.name}"
        self.batch_size = int(batch_size)
        inp = self.session.get_inputs()[0]
        shape = list(inp.shape) + [None] * (4 - len(inp.shape))
        self.input_name = inp.name
        self.fixed_seq_len = _int_dim(shape[1])
        self.n_chans, self.n_times = _int_dim(shape[2]), _int_dim(shape[3])
        self.n_classes = _int_dim(self.session.get_outputs()[0].shape[-1])
        props = self.session.get_modelmeta().custom_metadata_map
        self.contract = Contract.from_metadata(props)

    def predict_proba(self, X):
        """Softmax probabilities ``(n_seq, seq_len, n_classes)`` of ``X``
        ``(n_seq, seq_len, n_chans, n_times)`` (already prepared)."""
        X = np.ascontiguousarray(X, dtype=np.float32)
        out = [
            self.session.run(None, {self.input_name: X[i : i + self.batch_size]})[0]
            for i in range(0, len(X), self.batch_size)
        ]
        return softmax(np.concatenate(out))
