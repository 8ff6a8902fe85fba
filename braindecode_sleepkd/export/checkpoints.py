"""Save and load the student (or a fitted estimator) as a checkpoint."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from pathlib import Path

import torch
from torch import nn

from ._base import (
    _STUDENT_FORMAT,
    _eval_copy,
    _prepare_path,
    final_estimator,
    student_module,
)


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
    from ..contract import contract_of

    signal = dict(getattr(final_estimator(estimator_or_module), "signal_", None) or {})
    contract = contract_of(estimator_or_module)
    torch.save(
        {
            "format": _STUDENT_FORMAT,
            "module": _eval_copy(module),
            "signal": signal,
            "contract": None if contract is None else contract.to_dict(),
        },
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
        if obj.get("contract"):
            from ..contract import Contract

            module.contract_ = Contract.from_dict(obj["contract"])
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
