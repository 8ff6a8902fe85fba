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
``pip install braindecode-sleepkd[export]``.
"""

import contextlib
import copy
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from torch import nn

__all__ = [
    "MAX_OPSET",
    "MIN_OPSET",
    "ONNX_ATOL",
    "ExportError",
    "check_onnx",
    "check_opset",
    "load_student",
    "save_student",
    "student_module",
    "to_onnx",
    "to_torchscript",
]

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


# --------------------------------------------------------------------- helpers
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


def student_module(estimator_or_module):
    """Return the torch module to export: the fitted student, or the module.

    Parameters
    ----------
    estimator_or_module : SleepKDClassifier | skorch.NeuralNet | torch.nn.Module
        A fitted estimator (its ``module_``, the student, is used) or a module.

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
    obj = estimator_or_module
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
    signal = getattr(estimator_or_module, "signal_", None) or {}
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


# ------------------------------------------------------------------------ ONNX
def to_onnx(
    estimator_or_module,
    path,
    seq_len=None,
    opset=DEFAULT_OPSET,
    *,
    check=True,
    atol=ONNX_ATOL,
    n_chans=None,
    n_times=None,
):
    """Export the student (or a module) to an ONNX file and verify it.

    The graph has one input ``x`` ``(batch, seq_len, n_chans, n_times)`` (float32)
    and one output ``logits`` ``(batch, seq_len, n_classes)``. The batch axis is
    always dynamic.

    Parameters
    ----------
    estimator_or_module : SleepKDClassifier | torch.nn.Module
        A fitted estimator (its student ``module_`` is exported) or a module.
    path : str | pathlib.Path
        The ``.onnx`` file to write (its folder is created if needed).
    seq_len : int | None, default=None
        ``None``: the sequence axis is dynamic too (any number of epochs per
        sequence); an error says so if the architecture does not allow it. An
        int: the sequence length is fixed to it.
    opset : int, default=17
        ONNX opset version, from :data:`MIN_OPSET` (10) to :data:`MAX_OPSET`.
    check : bool, default=True
        Validate the file with ``onnx.checker`` and compare onnxruntime with torch
        (on a batch size and, when dynamic, a sequence length other than the
        ones used to export); raise :class:`ExportError` above ``atol``.
    atol : float, default=1e-4
        Largest accepted max-abs difference of the logits.
    n_chans, n_times : int | None
        Input size, when neither the model nor the estimator records it.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        The estimator is not fitted.
    ImportError
        ``onnx`` (or, with ``check=True``, ``onnxruntime``) is not installed.
    ValueError
        ``opset`` or ``seq_len`` is out of range.
    ExportError
        The path cannot be written, the export failed, or the exported model
        does not reproduce torch's logits.
    """
    opset = check_opset(opset)
    _check_seq_len(seq_len)
    module = student_module(estimator_or_module)
    onnx = _require("onnx", "export to ONNX")
    if check:
        _require("onnxruntime", "check the exported ONNX model")
    chans, times = _signal_shape(estimator_or_module, module, n_chans, n_times)
    path = _prepare_path(path)
    dynamic = seq_len is None
    export_len = 3 if dynamic else int(seq_len)
    model = _eval_copy(module)
    x = _example(chans, times, batch=2, seq_len=export_len)
    axes = {0: "batch", 1: "seq_len"} if dynamic else {0: "batch"}
    try:
        with _quiet():
            torch.onnx.export(
                model,
                (x,),
                str(path),
                dynamo=False,
                opset_version=opset,
                input_names=["x"],
                output_names=["logits"],
                dynamic_axes={"x": axes, "logits": axes},
                do_constant_folding=True,
            )
    except Exception as err:
        path.unlink(missing_ok=True)
        hint = (
            " This architecture may not allow a dynamic sequence axis: pass "
            "seq_len=<int> to export a fixed sequence length."
            if dynamic
            else ""
        )
        raise ExportError(
            f"ONNX export of {type(module).__name__} failed: "
            f"{type(err).__name__}: {str(err).splitlines()[0]}.{hint}"
        ) from err

    proto = onnx.load(str(path))
    meta = {
        "producer": "braindecode-sleepkd",
        "model": type(module).__name__,
        "n_chans": str(chans),
        "n_times": str(times),
        "seq_len": "dynamic" if dynamic else str(int(seq_len)),
    }
    for key in ("sfreq", "n_classes"):
        value = getattr(module, key, None)
        if value is not None:
            meta[key] = str(value)
    onnx.helper.set_model_props(proto, meta)
    onnx.save(proto, str(path))
    if check:
        try:
            onnx.checker.check_model(str(path), full_check=True)
        except Exception as err:
            path.unlink(missing_ok=True)
            raise ExportError(f"The exported ONNX file is invalid: {err}") from err
        X = _example(
            chans, times, batch=3, seq_len=5 if dynamic else export_len, seed=1
        )
        diff = check_onnx(path, X, module)
        if not diff <= atol:
            path.unlink(missing_ok=True)
            what = (
                "with another sequence length than at export: this architecture "
                "does not allow a dynamic sequence axis; pass seq_len=<int>"
                if dynamic
                else "check the model for operators that onnxruntime computes "
                "differently"
            )
            raise ExportError(
                f"onnxruntime's logits differ from torch's by {diff:.3g} "
                f"(> atol={atol:g}) {what}."
            )
    return path


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


# ------------------------------------------------------------------ TorchScript
def to_torchscript(
    estimator_or_module,
    path,
    seq_len=None,
    *,
    method="trace",
    check=True,
    atol=1e-5,
    n_chans=None,
    n_times=None,
):
    """Export the student (or a module) as TorchScript or a ``torch.export`` file.

    Parameters
    ----------
    estimator_or_module : SleepKDClassifier | torch.nn.Module
        A fitted estimator (its student is exported) or a module.
    path : str | pathlib.Path
        File to write: load it with ``torch.jit.load`` (``method="trace"``) or
        ``torch.export.load(path).module()`` (``method="export"``, ``.pt2``).
    seq_len : int | None, default=None
        ``None``: dynamic sequence axis (checked on another length); an int:
        traced and checked at that length only.
    method : {"trace", "export"}, default="trace"
        ``torch.jit.trace`` or ``torch.export.export`` with dynamic shapes.
    check : bool, default=True
        Compare the exported program with the module on another input shape and
        raise :class:`ExportError` above ``atol``.
    atol : float, default=1e-5
        Largest accepted max-abs difference of the logits.
    n_chans, n_times : int | None
        Input size, when neither the model nor the estimator records it.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    if method not in ("trace", "export"):
        raise ValueError(f"method must be 'trace' or 'export', got {method!r}.")
    _check_seq_len(seq_len)
    module = student_module(estimator_or_module)
    chans, times = _signal_shape(estimator_or_module, module, n_chans, n_times)
    path = _prepare_path(path)
    dynamic = seq_len is None
    export_len = 3 if dynamic else int(seq_len)
    model = _eval_copy(module)
    x = _example(chans, times, batch=2, seq_len=export_len)
    try:
        with _quiet(), torch.no_grad():
            if method == "trace":
                exported = torch.jit.trace(model, (x,), check_trace=False)
                run = exported
            else:
                batch = torch.export.Dim("batch")
                shapes = {0: batch}
                if dynamic:
                    shapes[1] = torch.export.Dim("seq_len")
                exported = torch.export.export(
                    model, (x,), dynamic_shapes={"x": shapes}
                )
                run = exported.module()
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        hint = (
            " The sequence axis may not be dynamic for this architecture: pass "
            "seq_len=<int>."
            if dynamic
            else ""
        )
        if "data-dependent" in first:
            hint += (
                " (torch.export cannot follow the model's data-dependent input "
                "check; use method='trace'.)"
            )
        raise ExportError(
            f"torch {'jit.trace' if method == 'trace' else 'export'} of "
            f"{type(module).__name__} failed: {type(err).__name__}: {first}{hint}"
        ) from err
    if check:
        xc = _example(
            chans, times, batch=3, seq_len=5 if dynamic else export_len, seed=1
        )
        with torch.no_grad():
            try:
                got = run(xc)
            except Exception as err:
                raise ExportError(
                    f"The exported program fails on input {tuple(xc.shape)}: {err}"
                ) from err
            diff = float((got - model(xc)).abs().max())
        if not diff <= atol:
            raise ExportError(
                f"The exported program's logits differ from torch's by {diff:.3g} "
                f"(> atol={atol:g}) on input {tuple(xc.shape)}"
                + ("; pass seq_len=<int> for a fixed length." if dynamic else ".")
            )
    with _quiet():
        if method == "trace":
            torch.jit.save(exported, str(path))
        else:
            torch.export.save(exported, str(path))
    return path


# ------------------------------------------------------- student checkpoints
def save_student(estimator_or_module, path):
    """Save the student module (pickled whole) with its input description.

    The file is a ``torch.save`` dictionary readable by :func:`load_student` and
    by ``sleepkd export --checkpoint``. It holds the module object itself, so
    loading needs this package (and the model's class) importable, and trust in
    the file (it is a pickle).

    Parameters
    ----------
    estimator_or_module : SleepKDClassifier | torch.nn.Module
        A fitted estimator (its student is saved) or a module.
    path : str | pathlib.Path
        Usually ``student.pt``.

    Returns
    -------
    pathlib.Path
    """
    module = student_module(estimator_or_module)
    path = _prepare_path(path)
    signal = dict(getattr(estimator_or_module, "signal_", None) or {})
    torch.save(
        {"format": _STUDENT_FORMAT, "module": _eval_copy(module), "signal": signal},
        str(path),
    )
    return path


def load_student(path):
    """Load what :func:`save_student` (or ``torch.save(module)``) wrote.

    Parameters
    ----------
    path : str | pathlib.Path
        A ``.pt`` file. Only load files you trust: they are pickles.

    Returns
    -------
    torch.nn.Module
        The student, on CPU, in eval mode.
    """
    obj = torch.load(str(path), map_location="cpu", weights_only=False)
    if isinstance(obj, dict) and obj.get("format") == _STUDENT_FORMAT:
        module = obj["module"]
        for key, value in (obj.get("signal") or {}).items():
            if getattr(module, key, None) is None:
                setattr(module, key, value)
        return module.eval()
    if isinstance(obj, nn.Module):
        return obj.eval()
    raise ValueError(
        f"{path} is neither a student saved by save_student() nor a pickled torch "
        "module (a bare state_dict cannot be used: it has no architecture)."
    )


def load_checkpoint(path):
    """Load an exportable object: a pickled estimator or a ``.pt`` student.

    ``.pkl``, ``.pickle`` and ``.joblib`` files are read with :mod:`joblib`
    (which also reads plain pickles), anything else with :func:`load_student`.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"Checkpoint {path} does not exist.")
    if path.suffix.lower() in (".pkl", ".pickle", ".joblib"):
        import joblib

        try:
            return joblib.load(path)
        except Exception as err:  # a corrupt pickle can raise almost anything
            raise ValueError(
                f"Cannot read {path} as a pickled estimator ({type(err).__name__}: "
                f"{err}). Expected a fitted SleepKDClassifier saved with pickle or "
                "joblib.dump, or a student saved with save_student (.pt)."
            ) from err
    return load_student(path)
