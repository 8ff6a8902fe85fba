"""ONNX export of the student, with its check against torch."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import torch

from ._base import (
    DEFAULT_OPSET,
    ONNX_ATOL,
    ExportError,
    _check_seq_len,
    _prepare_export,
    _quiet,
    _require,
    check_opset,
    student_module,
)
from .check import check_onnx


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
    contract=None,
):
    """Export the student (or a module) to an ONNX file and verify it.

    The graph has one input ``x`` ``(batch, seq_len, n_chans, n_times)`` (float32)
    and one output ``logits`` ``(batch, seq_len, n_classes)``. The batch axis is
    always dynamic. The estimator's preprocessing contract (``contract_``: rate,
    channels, unit, per-epoch scaling, sequence length, classes) is written into
    the file's ``metadata_props`` (key ``sleepkd.contract``), where
    :func:`~braindecode_sleepkd.staging.stage_night`, ``sleepkd stage`` and the
    torch-free ``sleepkd-stage`` read it.

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
    contract : sleepkd_runtime.contract.Contract | None
        The contract to write; default the estimator's (or the pipeline's:
        an ``EpochScaler`` step sets its scaling). A bare module has none
        unless given: staging then warns and assumes microvolts, no scaling.

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
    from ..contract import contract_of

    contract = contract if contract is not None else contract_of(estimator_or_module)
    opset = check_opset(opset)
    _check_seq_len(seq_len)
    module = student_module(estimator_or_module)
    onnx = _require("onnx", "export to ONNX")
    if check:
        _require("onnxruntime", "check the exported ONNX model")
    job = _prepare_export(estimator_or_module, module, path, seq_len, n_chans, n_times)
    path, dynamic = job.path, job.dynamic
    axes = {0: "batch", 1: "seq_len"} if dynamic else {0: "batch"}
    try:
        with _quiet():
            torch.onnx.export(
                job.model,
                (job.example,),
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
        "n_chans": str(job.n_chans),
        "n_times": str(job.n_times),
        "seq_len": "dynamic" if dynamic else str(int(seq_len)),
    }
    for key in ("sfreq", "n_classes"):
        value = getattr(module, key, None)
        if value is not None:
            meta[key] = str(value)
    if contract is not None:
        meta.update(contract.to_metadata())
    onnx.helper.set_model_props(proto, meta)
    onnx.save(proto, str(path))
    if check:
        try:
            onnx.checker.check_model(str(path), full_check=True)
        except Exception as err:
            path.unlink(missing_ok=True)
            raise ExportError(f"The exported ONNX file is invalid: {err}") from err
        diff = check_onnx(path, job.check_input, module)
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
