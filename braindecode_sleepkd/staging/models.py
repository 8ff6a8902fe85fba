"""One prediction interface over a fitted estimator, a torch module or ONNX."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from pathlib import Path

import numpy as np
from sleepkd_runtime.model import DEFAULT_SEQ_LEN, OnnxStudent


class Predictor:
    """Probabilities ``(n_seq, seq_len, n_classes)`` from sequences of epochs.

    Parameters
    ----------
    predict_proba : callable
        ``X (n_seq, seq_len, n_chans, n_times) float32 -> probabilities``.
    seq_len : int
        Epochs per sequence used to stage a night.
    fixed_seq_len : bool
        The model only accepts ``seq_len`` epochs per sequence.
    sfreq, n_chans, n_times, n_classes : float | int | None
        What the model was trained on, when known.
    kind : str
        ``"estimator"``, ``"torch"`` or ``"onnx"``.
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
        self.sfreq = None if sfreq is None else float(sfreq)
        self.n_chans = n_chans
        self.n_times = n_times
        self.n_classes = n_classes
        self.kind = kind


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
    if fixed is not None and seq_len is not None and seq_len != fixed:
        raise ValueError(
            f"{path} was exported with a fixed sequence length of {fixed} epochs; "
            f"seq_len={seq_len} is not possible."
        )
    contract = student.contract
    if sfreq is None:
        sfreq = contract.sfreq if contract is not None else None
    if sfreq is None and student.n_times is not None:
        sfreq = student.n_times / 30.0
    return Predictor(
        student.predict_proba,
        fixed or seq_len or DEFAULT_SEQ_LEN,
        fixed is not None,
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
        Epochs per sequence; default the estimator's ``seq_len``, the ONNX
        file's fixed sequence length, else 20.
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
        n_times = getattr(model, "n_times", None)
        sfreq = sfreq or getattr(model, "sfreq", None)
        if sfreq is None and n_times:
            sfreq = n_times / 30.0
        return Predictor(
            _torch_proba(model, batch_size),
            seq_len or DEFAULT_SEQ_LEN,
            False,
            sfreq,
            getattr(model, "n_chans", None),
            n_times,
            getattr(model, "n_classes", None),
            "torch",
            getattr(model, "contract_", None),
        )
    if hasattr(model, "predict_proba") and hasattr(model, "module_"):
        signal = dict(getattr(model, "signal_", None) or {})
        n_times = signal.get("n_times")
        sfreq = sfreq or signal.get("sfreq") or (n_times / 30.0 if n_times else None)

        def predict_proba(X):
            return np.asarray(model.predict_proba(X), dtype=np.float64)

        return Predictor(
            predict_proba,
            seq_len or getattr(model, "seq_len", DEFAULT_SEQ_LEN),
            False,
            sfreq,
            signal.get("n_chans"),
            n_times,
            signal.get("n_classes"),
            "estimator",
            getattr(model, "contract_", None),
        )
    raise TypeError(
        "model must be a fitted SleepKDClassifier, a torch module, an ONNX file "
        f"or a checkpoint path, got {type(model).__name__}."
    )
