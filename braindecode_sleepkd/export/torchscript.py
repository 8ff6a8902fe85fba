"""TorchScript (``torch.jit.trace``) and ``torch.export`` export of the student."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import torch

from ._base import (
    ExportError,
    _check_seq_len,
    _prepare_export,
    _quiet,
    student_module,
)


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
    job = _prepare_export(estimator_or_module, module, path, seq_len, n_chans, n_times)
    model, x, dynamic = job.model, job.example, job.dynamic
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
        xc = job.check_input
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
            torch.jit.save(exported, str(job.path))
        else:
            torch.export.save(exported, str(job.path))
    return job.path
