"""The preprocessing contract of a fitted estimator: recorded by ``fit``, applied
by ``predict``, written into ONNX files.

The :class:`~sleepkd_runtime.contract.Contract` itself lives in the torch-free
runtime (it is read on devices); this module builds it from what ``fit`` sees
and finds it on estimators, pipelines and modules.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import warnings

import numpy as np
from sleepkd_runtime.contract import (
    Contract,
    ContractError,
    detect_scaling,
    detect_unit,
    scale_epochs,
    unit_factor,
)

from .constants import SLEEP_STAGES

__all__ = [
    "Contract",
    "ContractError",
    "apply_contract",
    "check_contract",
    "contract_of",
    "fit_contract",
    "windows_channels",
]


def windows_channels(X):
    """Channel names of braindecode windows (None for arrays, unknown names, or
    recordings that name their channels differently)."""
    datasets = getattr(X, "datasets", None)
    if not datasets:
        return None
    found = set()
    for ds in datasets:
        inner = getattr(ds, "windows", None) or getattr(ds, "raw", None)
        found.add(tuple(getattr(inner, "ch_names", None) or ()))
    # recordings naming their channels differently: no names in the contract
    return found.pop() if len(found) == 1 and () not in found else None


def fit_contract(X, signal, seq_len, channels=None, unit=None):
    """The contract of what ``fit`` saw.

    Parameters
    ----------
    X : np.ndarray, shape (n_seq, seq_len, n_chans, n_times)
        The training sequences (a sample of them is inspected).
    signal : dict
        ``n_chans``, ``n_times``, ``sfreq`` and ``n_classes`` (``net.signal_``).
    seq_len : int
        Epochs per training sequence.
    channels : tuple of str | None
        Channel names, when ``fit`` got windows.
    unit : str | None
        Unit of ``X`` when known: ``"uV"`` for sequences that
        :func:`~braindecode_sleepkd.datasets.make_sequences` cut from windows
        (it converts them to microvolts, see
        :mod:`braindecode_sleepkd.datasets.units`); None reads it from the
        amplitude of unscaled arrays.

    Returns
    -------
    Contract
        ``scaling`` is read from the epochs (:func:`detect_scaling`: a robust
        or standard per-epoch scaling leaves median 0 / IQR 1 or mean 0 / std 1
        in every epoch), ``unit`` is ``unit`` or, when None, read from their
        amplitude when unscaled (``"uV"`` for scaled epochs).
    """
    from . import __version__

    sample = np.asarray(X[:8], dtype=np.float32)
    scaling = detect_scaling(sample)
    n_classes = int(signal["n_classes"])
    classes = (
        SLEEP_STAGES
        if n_classes == len(SLEEP_STAGES)
        else tuple(str(k) for k in range(n_classes))
    )
    return Contract(
        sfreq=signal["sfreq"],
        n_chans=signal["n_chans"],
        n_times=signal["n_times"],
        seq_len=seq_len,
        channels=channels if channels and len(channels) == signal["n_chans"] else None,
        unit=unit or (detect_unit(sample) if scaling == "none" else "uV"),
        scaling=scaling,
        classes=classes,
        version=__version__,
    )


def contract_of(obj):
    """The contract of a fitted estimator, a pipeline ending in one, or a module.

    In a scikit-learn ``Pipeline``, an
    :class:`~braindecode_sleepkd.preprocessing.EpochScaler` step before the
    estimator sets the contract's scaling. Returns None when there is none.
    """
    steps = getattr(obj, "steps", None)
    if steps:
        contract = contract_of(steps[-1][1])
        methods = [
            step.method
            for _, step in steps[:-1]
            if type(step).__name__ == "EpochScaler"
        ]
        if contract is not None and methods:
            from dataclasses import replace

            contract = replace(contract, scaling=methods[-1])
        return contract
    return getattr(obj, "contract_", None)


def apply_contract(contract, X, windows=None, sfreq=None, *, check=True):
    """Check prediction inputs against the contract and apply its scaling.

    Parameters
    ----------
    contract : Contract | None
    X : np.ndarray, shape (n_seq, seq_len, n_chans, n_times)
        Scaled per epoch, so a chunk of sequences gives the same numbers as
        the whole.
    windows : braindecode windows | None
        The windows ``X`` was cut from (by
        :func:`~braindecode_sleepkd.datasets.make_sequences`, so in
        microvolts), to check their channel names and, for a model fitted on
        arrays in another unit, convert ``X`` to it.
    sfreq : float | None
        The windows' sampling rate.
    check : bool
        Check the windows with :func:`check_contract` (False: a caller that
        applies the contract chunk by chunk has checked them once).

    Raises
    ------
    ContractError
        Windows at another rate or with other channels than the model's.
    """
    if contract is None:
        return X
    if check:
        check_contract(contract, windows, sfreq, stacklevel=4)
    from .datasets.units import MODEL_UNIT  # windows: torch is loaded already

    if windows is not None and contract.unit != MODEL_UNIT:
        # sequences cut from windows are microvolts; a model fitted on arrays
        # in another unit gets that unit
        X = np.asarray(X, dtype=np.float32) * np.float32(
            unit_factor(MODEL_UNIT, contract.unit)
        )
    if contract.scaling == "none":
        return X
    return scale_epochs(X, contract.scaling)


def check_contract(contract, windows=None, sfreq=None, stacklevel=3):
    """Warn about other channel names, refuse another sampling rate.

    Parameters
    ----------
    contract : Contract | None
    windows : braindecode windows | None
        The windows the inputs were cut from.
    sfreq : float | None
        Their sampling rate.
    stacklevel : int
        Of the channel warning (3: the caller of the caller).

    Raises
    ------
    ContractError
        Windows at another rate than the model's.
    """
    if contract is None:
        return
    names = windows_channels(windows) if windows is not None else None
    if names and contract.channels and tuple(names) != tuple(contract.channels):
        # montages name one derivation differently (DREAMS: CZ-A1 / C3-A1):
        # say so, but let the user decide
        warnings.warn(
            f"The model was trained on channels {list(contract.channels)} but "
            f"these windows have {list(names)}; check that they are the same "
            "derivations in the same order.",
            UserWarning,
            stacklevel=stacklevel,
        )
    if sfreq is not None and not np.isclose(sfreq, contract.sfreq):
        raise ContractError(
            f"The model was trained at {contract.sfreq:g} Hz but these windows "
            f"are sampled at {sfreq:g} Hz; resample them first."
        )
