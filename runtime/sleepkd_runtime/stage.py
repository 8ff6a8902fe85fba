"""Stage a night: sequences slid over its epochs, overlapping predictions averaged."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from dataclasses import replace

import numpy as np

from .contract import SCALINGS, Contract, assumed_contract
from .edf import read_edf_epochs, recording_start
from .hypnogram import Hypnogram
from .model import DEFAULT_SEQ_LEN, OnnxStudent
from .sliding import combine, night_starts


def as_channels(channel, required=False):
    """A list of channel names from a name, a list of names or None.

    None gives None unless ``required``, which refuses it.
    """
    if channel is None and not required:
        return None
    channels = [channel] if isinstance(channel, str) else list(channel or [])
    if not channels or not all(isinstance(c, str) and c for c in channels):
        raise ValueError(
            f"channel must be a channel name or a list of names, got {channel!r}."
        )
    return channels


def check_scaling(scaling):
    """``None`` (the model's) or one of :data:`SCALINGS` (``None`` -> ``"none"``
    is not assumed: pass ``"none"``)."""
    if scaling is not None and scaling not in SCALINGS:
        raise ValueError(
            f"scaling must be one of {SCALINGS} or None (the model's contract), "
            f"got {scaling!r}."
        )
    return scaling


def staging_contract(
    contract, *, channels=None, sfreq=None, scaling=None, override=False
):
    """The model's contract reconciled with the user's options, and the channels.

    Parameters
    ----------
    contract : Contract | None
        The model's contract (None: older model, decided after reading).
    channels : list of str | None
    sfreq : float | None
    scaling : str | None
    override : bool
        Let an option that contradicts the contract replace its value.

    Returns
    -------
    contract : Contract | None
    channels : list of str
    """
    check_scaling(scaling)
    channels = as_channels(channels)
    if contract is not None:
        contract = contract.reconcile(
            sfreq=sfreq, channels=channels, scaling=scaling, override=override
        )
        channels = list(contract.channels) if contract.channels else channels
    if not channels:
        raise ValueError(
            "Which channel(s) to stage? The model's contract names none (it was "
            "fitted on arrays, not windows): pass channel= (--channel)."
        )
    return contract, channels


def finish_contract(contract, X, sfreq, *, scaling=None, seq_len=None, what="model"):
    """The contract to apply to epochs ``X`` read at ``sfreq``.

    A model without a contract gets :func:`assumed_contract` (with its warning)
    from the epochs' shape, with the user's ``scaling`` if given. A model with
    one is checked against the recording's rate and shape.
    """
    if contract is None:
        contract = assumed_contract(
            X.shape[1], X.shape[2], sfreq=sfreq, seq_len=seq_len, what=what
        )
        return replace(contract, scaling=scaling) if scaling else contract
    if not np.isclose(sfreq, contract.sfreq):
        raise ValueError(
            f"The recording is sampled at {sfreq:g} Hz but the model was trained "
            f"at {contract.sfreq:g} Hz (its contract); resample it (stage_night's "
            "resample=True, sleepkd stage --resample)."
        )
    return contract


def stage_epochs(
    predict_proba, X, onsets, seq_len, *, stride=None, fixed=False, short="pad"
):
    """Stage prepared epochs: one stage and probability vector per epoch.

    Sequences of ``seq_len`` epochs start every ``stride`` epochs (default
    ``seq_len // 2``), a last one ends on the last epoch; an epoch's
    probability is the mean of those of the sequences that contain it.

    Parameters
    ----------
    predict_proba : callable
        ``(n_seq, seq_len, n_chans, n_times) float32 -> probabilities``.
    X : np.ndarray, shape (n_epochs, n_chans, n_times)
        Epochs already prepared for the model (its contract applied).
    onsets : np.ndarray, shape (n_epochs,)
    seq_len : int
    stride : int | None
    fixed : bool
        The model accepts only ``seq_len`` epochs per sequence.
    short : {"pad", "raise"}
        A night shorter than one sequence is staged as one shorter sequence
        (``"pad"``, not possible when ``fixed``) or refused.

    Returns
    -------
    Hypnogram
    """
    if short not in ("pad", "raise"):
        raise ValueError(f"short must be 'pad' or 'raise', got {short!r}.")
    n_epochs = len(X)
    L = int(seq_len)
    if n_epochs < L:
        if short != "pad" or fixed:
            why = "the model has a fixed sequence length" if fixed else 'short="raise"'
            raise ValueError(
                f"The recording has {n_epochs} epochs, fewer than one sequence "
                f"(seq_len={L}), and {why}."
            )
        L = n_epochs
    stride = max(1, L // 2) if stride is None else int(stride)
    stride = min(stride, L) if n_epochs < int(seq_len) else stride
    starts = night_starts(n_epochs, L, stride)
    chunk = 256
    probas = []
    for i in range(0, len(starts), chunk):
        idx = starts[i : i + chunk, None] + np.arange(L)
        probas.append(predict_proba(np.ascontiguousarray(X[idx])))
    proba, counts = combine(np.concatenate(probas), starts, n_epochs)
    return Hypnogram(proba, onsets, counts)


def sequence_length(seq_len, fixed, contract, default=DEFAULT_SEQ_LEN):
    """Epochs per sequence: the user's, the graph's fixed one, the contract's,
    else ``default`` (the model's own, or 20)."""
    if fixed is not None and seq_len is not None and int(seq_len) != fixed:
        raise ValueError(
            f"The model was exported with a fixed sequence length of {fixed} "
            f"epochs; seq_len={seq_len} is not possible."
        )
    return int(seq_len or fixed or (contract.seq_len if contract else None) or default)


def check_epochs(model, X, sfreq, contract):
    """Raise if epochs ``X`` read at ``sfreq`` do not have the model's shape.

    The samples per epoch are compared only where the recording's rate is the
    contract's (:func:`finish_contract` refuses another rate, saying so).
    """
    n_chans, n_times = X.shape[1:]
    if model.n_chans is not None and n_chans != model.n_chans:
        raise ValueError(
            f"The model was trained on {model.n_chans} channel(s) but {n_chans} "
            "were given."
        )
    if (
        model.n_times is not None
        and n_times != model.n_times
        and (contract is None or np.isclose(sfreq, contract.sfreq))
    ):
        raise ValueError(
            f"The model expects {model.n_times} samples per epoch but the "
            f"recording gives {n_times} ({sfreq:g} Hz x 30 s); resample it "
            "(stage_night's resample=True, sleepkd stage --resample)."
        )


def stage_array(
    model,
    X,
    onsets,
    sfreq,
    contract,
    *,
    seq_len=None,
    stride=None,
    scaling=None,
    short="pad",
):
    """Stage the 30-s epochs of a recording, as the model's contract says.

    The one staging path of :func:`stage_edf` and of the package's
    ``stage_night``: the epochs' shape is checked, the sequence length chosen
    (:func:`sequence_length`), the contract completed (:func:`finish_contract`)
    and applied, and sequences slid over the night (:func:`stage_epochs`).

    Parameters
    ----------
    model : object
        With ``predict_proba`` (``(n_seq, seq_len, n_chans, n_times)`` ->
        probabilities), ``fixed_seq_len`` (int or None), ``n_chans`` and
        ``n_times`` (int or None) and ``name`` (how warnings name it), e.g. an
        :class:`OnnxStudent`.
    X : np.ndarray, shape (n_epochs, n_chans, n_times)
        The recording's epochs in microvolts.
    onsets : np.ndarray, shape (n_epochs,)
        Their onsets in seconds.
    sfreq : float
        Their sampling rate.
    contract : Contract | None
        The model's contract reconciled with the options
        (:func:`staging_contract`); None for a model without one.
    seq_len, stride : int | None
        Epochs per sequence and between sequence starts.
    scaling : str | None
        Per-epoch scaling for a model without a contract.
    short : {"pad", "raise"}

    Returns
    -------
    Hypnogram
    """
    check_epochs(model, X, sfreq, contract)
    L = sequence_length(seq_len, model.fixed_seq_len, contract)
    contract = finish_contract(
        contract, X, sfreq, scaling=scaling, seq_len=L, what=model.name
    )
    return stage_epochs(
        model.predict_proba,
        contract.prepare(X, unit="uV"),
        onsets,
        L,
        stride=stride,
        fixed=model.fixed_seq_len is not None,
        short=short,
    )


def stage_edf(
    model,
    night,
    channel=None,
    *,
    seq_len=None,
    stride=None,
    scaling=None,
    sfreq=None,
    override=False,
    short="pad",
    batch_size=64,
):
    """Stage an EDF night with an ONNX student, as its contract says.

    Imports numpy, onnxruntime and edfio only (no torch, MNE or pandas).

    Parameters
    ----------
    model : str | Path | OnnxStudent
        The exported student.
    night : str | Path
        The EDF recording.
    channel : str | list of str | None
        Channel(s) to stage; default the contract's channel names.
    seq_len, stride : int | None
        Epochs per sequence (default the contract's) and between sequences.
    scaling : {"none", "robust", "standard"} | None
        Per-epoch scaling; default the contract's. A value that contradicts
        the contract raises :class:`~sleepkd_runtime.contract.ContractError`
        unless ``override``.
    sfreq : float | None
        The model's rate, for an older model without a contract.
    override : bool
        Let options replace the contract's values (with a warning).
    short : {"pad", "raise"}
    batch_size : int

    Returns
    -------
    Hypnogram
        Its ``start`` is the recording's (EDF header), when it has one.
    """
    student = (
        model if isinstance(model, OnnxStudent) else OnnxStudent(model, batch_size)
    )
    contract, channels = staging_contract(
        student.contract,
        channels=channel,
        sfreq=sfreq,
        scaling=scaling,
        override=override,
    )
    X, onsets, rec_sfreq = read_edf_epochs(night, channels)
    hyp = stage_array(
        student,
        X,
        onsets,
        rec_sfreq,
        contract,
        seq_len=seq_len,
        stride=stride,
        scaling=scaling,
        short=short,
    )
    hyp.start = recording_start(night)
    return hyp


__all__ = [
    "Contract",
    "finish_contract",
    "sequence_length",
    "stage_array",
    "stage_edf",
    "stage_epochs",
    "staging_contract",
]
