"""What every exporter shares: errors, opsets, the module to export, paths."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import contextlib
import copy
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from torch import nn

#: Largest max-abs logit difference accepted between onnxruntime and torch.
ONNX_ATOL = 1e-4
#: Default ONNX opset (supported by onnxruntime >= 1.14).
DEFAULT_OPSET = 17
#: Lowest ONNX opset accepted: ``MaxPool`` with ``ceil_mode`` (used by the
#: presets) and dynamic axes through pooling need opset 10.
MIN_OPSET = 10
#: Highest ONNX opset accepted: the newest one torch's TorchScript-based exporter
#: (the one used here) writes.
MAX_OPSET = int(
    getattr(
        getattr(torch.onnx, "_constants", None),
        "ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET",
        20,
    )
)
_EXTRA_HINT = "install the export extra: pip install braindecode-sleepkd[export]"
_STUDENT_FORMAT = "braindecode-sleepkd-student/1"


class ExportError(RuntimeError):
    """The model could not be exported, or the exported file does not match it."""


def check_opset(opset):
    """Return ``opset`` as an int, or say which opsets are supported.

    Parameters
    ----------
    opset : int
        ONNX opset version asked for.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``opset`` is not an int in ``MIN_OPSET .. MAX_OPSET``.
    """
    supported = f"supported opsets are {MIN_OPSET} to {MAX_OPSET}"
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)):
        raise ValueError(f"opset must be an int ({supported}), got {opset!r}.")
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(
            f"ONNX opset {opset} is not supported: {supported} (default "
            f"{DEFAULT_OPSET}; opsets below {MIN_OPSET} lack MaxPool's ceil_mode "
            f"and dynamic pooling; {MAX_OPSET} is the newest that torch's "
            "exporter writes)."
        )
    return int(opset)


def _check_seq_len(seq_len):
    if seq_len is None:
        return
    if isinstance(seq_len, bool) or not isinstance(seq_len, (int, np.integer)):
        raise ValueError(f"seq_len must be a positive int or None, got {seq_len!r}.")
    if seq_len < 1:
        raise ValueError(f"seq_len must be a positive int or None, got {seq_len}.")


def _require(name, purpose):
    """Import an optional dependency or say which extra installs it."""
    try:
        return __import__(name)
    except ImportError as err:
        raise ImportError(
            f"{name} is required to {purpose} but is not installed; {_EXTRA_HINT}"
        ) from err


def final_estimator(obj):
    """The last step of a scikit-learn ``Pipeline``, else ``obj`` itself."""
    steps = getattr(obj, "steps", None)
    return steps[-1][1] if steps else obj


def student_module(estimator_or_module):
    """Return the torch module to export: the fitted student, or the module.

    Parameters
    ----------
    estimator_or_module : SleepKDClassifier | NeuralNet | Pipeline | nn.Module
        A fitted estimator (its ``module_``, the student, is used), a pipeline
        ending in one, or a module.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    TypeError
        If the object is neither an estimator nor a module.
    """
    obj = final_estimator(estimator_or_module)
    if isinstance(obj, nn.Module):
        return obj
    if hasattr(obj, "module_") or hasattr(obj, "check_is_fitted"):
        fitted = getattr(obj, "fitted_", None)
        if fitted is None:  # another skorch net: fitted once initialised
            fitted = bool(getattr(obj, "initialized_", False))
        if not fitted or not isinstance(getattr(obj, "module_", None), nn.Module):
            raise NotFittedError(
                f"Cannot export: this {type(obj).__name__} is not fitted yet. Call "
                "fit() first, or pass a fitted estimator or a torch module."
            )
        return obj.module_
    raise TypeError(
        "Expected a fitted SleepKDClassifier (or skorch net) or a torch.nn.Module, "
        f"got {type(obj).__name__}."
    )


def _signal_shape(estimator_or_module, module, n_chans=None, n_times=None):
    """``(n_chans, n_times)`` of one epoch, from arguments, the model or the net."""
    signal = getattr(final_estimator(estimator_or_module), "signal_", None) or {}
    n_chans = n_chans or getattr(module, "n_chans", None) or signal.get("n_chans")
    n_times = n_times or getattr(module, "n_times", None) or signal.get("n_times")
    if n_chans is None or n_times is None:
        raise ValueError(
            "Cannot infer the input size (n_chans, n_times) of the model; pass "
            "n_chans= and n_times= (or an example X=)."
        )
    return int(n_chans), int(n_times)


def _prepare_path(path, suffixes=None):
    """Make ``path``'s folder if needed and check that the file can be written."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ExportError(f"Cannot write to {path}: it is a directory.")
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(
            f"Cannot write to {path}: cannot create its folder {parent} ({err})."
        ) from err
    if not os.access(parent, os.W_OK):
        raise ExportError(f"Cannot write to {path}: folder {parent} is not writable.")
    if path.exists() and not os.access(path, os.W_OK):
        raise ExportError(f"Cannot write to {path}: the file is not writable.")
    return path


def _eval_copy(module):
    """A CPU copy in eval mode (the estimator's module is left untouched)."""
    return copy.deepcopy(module).cpu().eval()


def _example(n_chans, n_times, batch, seq_len, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, seq_len, n_chans, n_times, generator=gen)


@dataclass(frozen=True)
class _Export:
    """What an exporter works on: the file, the model copy and its two inputs.

    ``example`` (batch 2, ``seq_len`` or 3 epochs) is the input the model is
    exported with; ``check_input`` (batch 3 and, for a dynamic sequence axis,
    5 epochs) is another shape, on which the exported file is compared with
    torch.
    """

    path: Path
    model: nn.Module
    n_chans: int
    n_times: int
    dynamic: bool
    example: torch.Tensor
    check_input: torch.Tensor


def _prepare_export(estimator_or_module, module, path, seq_len, n_chans, n_times):
    """The :class:`_Export` of ``module``: input size, writable path, CPU copy.

    ``seq_len=None`` makes the sequence axis dynamic; ``n_chans``/``n_times``
    are the exporters' arguments (see :func:`_signal_shape`).
    """
    chans, times = _signal_shape(estimator_or_module, module, n_chans, n_times)
    path = _prepare_path(path)
    dynamic = seq_len is None
    export_len = 3 if dynamic else int(seq_len)
    return _Export(
        path=path,
        model=_eval_copy(module),
        n_chans=chans,
        n_times=times,
        dynamic=dynamic,
        example=_example(chans, times, batch=2, seq_len=export_len),
        check_input=_example(
            chans, times, batch=3, seq_len=5 if dynamic else export_len, seed=1
        ),
    )


@contextlib.contextmanager
def _quiet():
    """Silence the tracer's warnings about the input checks (shapes are fixed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX")
        warnings.filterwarnings("ignore", message=".*feature will be removed")
        warnings.filterwarnings("ignore", message=".*variable length with LSTM")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        yield


def _as_float_array(X):
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 4:
        raise ValueError(
            f"X must have shape (n_seq, seq_len, n_chans, n_times), got {X.shape}."
        )
    return X


def _torch_logits(module, X, batch_size=256):
    module = _eval_copy(module)
    outs = []
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            outs.append(module(torch.from_numpy(X[start : start + batch_size])))
    return torch.cat(outs).numpy()
