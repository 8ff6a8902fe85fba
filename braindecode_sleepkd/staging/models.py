"""One prediction interface over a fitted estimator, a torch module or ONNX."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from pathlib import Path

import numpy as np
from sleepkd_runtime.constants import EPOCH_S
from sleepkd_runtime.model import DEFAULT_SEQ_LEN, OnnxStudent
from sleepkd_runtime.stage import sequence_length


class Predictor:
    """Probabilities ``(n_seq, seq_len, n_classes)`` from sequences of epochs.

    Parameters
    ----------
    predict_proba : callable
        ``X (n_seq, seq_len, n_chans, n_times) float32 -> probabilities``.
    seq_len : int
        Epochs per sequence used to stage a night.
    fixed_seq_len : int | None
        The only sequence length the model accepts, if it has one.
    sfreq, n_chans, n_times, n_classes : float | int | None
        What the model was trained on, when known (``sfreq`` default
        ``n_times / 30``).
    kind : str
        ``"estimator"``, ``"torch"`` or ``"onnx"`` (its ``name`` is
        ``"<kind> model"``).
    contract : sleepkd_runtime.contract.Contract | None
        The model's preprocessing contract, when it carries one.
    """

    def __init__(
        self,
        predict_proba,
        seq_len,
        fixed_seq_len,
        sfreq,
        n_chans,
        n_times,
        n_classes,
        kind,
        contract=None,
    ):
        self.contract = contract
        self.predict_proba = predict_proba
        self.seq_len = int(seq_len)
        self.fixed_seq_len = fixed_seq_len
        if sfreq is None and n_times:
            sfreq = n_times / EPOCH_S
        self.sfreq = None if sfreq is None else float(sfreq)
        self.n_chans = n_chans
        self.n_times = n_times
        self.n_classes = n_classes
        self.kind = kind
        self.name = f"{kind} model"


def _torch_proba(module, batch_size):
    import torch

    def predict_proba(X):
        module.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(X), batch_size):
                logits = module(torch.from_numpy(X[i : i + batch_size]))
                out.append(torch.softmax(logits.float(), dim=-1).numpy())
        return np.concatenate(out)

    return predict_proba


def _onnx(path, seq_len, sfreq, batch_size):
    student = OnnxStudent(path, batch_size)
    fixed = student.fixed_seq_len
    contract = student.contract
    if sfreq is None and contract is not None:
        sfreq = contract.sfreq
    return Predictor(
        student.predict_proba,
        sequence_length(seq_len, fixed, contract),
        fixed,
        sfreq,
        student.n_chans,
        student.n_times,
        student.n_classes,
        "onnx",
        contract,
    )


def as_predictor(model, seq_len=None, sfreq=None, batch_size=64):
    """Wrap a model so that a night can be staged with it.

    Parameters
    ----------
    model : SleepKDClassifier | torch.nn.Module | str | Path
        A fitted estimator (its student, via ``predict_proba``), a bare
        :class:`~braindecode_sleepkd.models.SleepSequenceModel`, an ONNX file
        (run with onnxruntime), or a checkpoint (``.pkl``, ``.pt``) read with
        :func:`braindecode_sleepkd.export.load_checkpoint` (pickles: only
        files you trust).
    seq_len : int | None
        Epochs per sequence; default the ONNX file's fixed sequence length,
        the model's contract's, the estimator's ``seq_len``, else 20.
    sfreq : float | None
        Sampling rate the model was trained at; default from the estimator's
        ``signal_``, the module's ``sfreq`` or ``n_times / 30``.
    batch_size : int
        Sequences per forward pass (torch and ONNX).

    Returns
    -------
    predictor : Predictor
    """
    if isinstance(model, (str, Path)):
        path = Path(model)
        if not path.is_file():
            raise FileNotFoundError(f"model file not found: {path}")
        if path.suffix == ".onnx":
            return _onnx(path, seq_len, sfreq, batch_size)
        from ..export import load_checkpoint

        model = load_checkpoint(path)
    from torch import nn

    if isinstance(model, nn.Module):
        contract = getattr(model, "contract_", None)
        return Predictor(
            _torch_proba(model, batch_size),
            sequence_length(seq_len, None, contract),
            None,
            sfreq or getattr(model, "sfreq", None),
            getattr(model, "n_chans", None),
            getattr(model, "n_times", None),
            getattr(model, "n_classes", None),
            "torch",
            contract,
        )
    if hasattr(model, "predict_proba") and hasattr(model, "module_"):
        signal = dict(getattr(model, "signal_", None) or {})
        contract = getattr(model, "contract_", None)
        default = getattr(model, "seq_len", DEFAULT_SEQ_LEN)

        def predict_proba(X):
            return np.asarray(model.predict_proba(X), dtype=np.float64)

        return Predictor(
            predict_proba,
            sequence_length(seq_len, None, contract, default),
            None,
            sfreq or signal.get("sfreq"),
            signal.get("n_chans"),
            signal.get("n_times"),
            signal.get("n_classes"),
            "estimator",
            contract,
        )
    raise TypeError(
        "model must be a fitted SleepKDClassifier, a torch module, an ONNX file "
        f"or a checkpoint path, got {type(model).__name__}."
    )
