"""``stage_night``: a whole recording to a hypnogram in one call."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from dataclasses import replace
from pathlib import Path

from sleepkd_runtime.edf import recording_start
from sleepkd_runtime.stage import stage_array, staging_contract

from .epochs import read_epochs
from .models import as_predictor

#: ``scaler`` value meaning "as the model's preprocessing contract says".
FROM_CONTRACT = "contract"


def _scaling(scaler):
    """``(scaling name or None, transformer or None)`` from ``scaler``."""
    if isinstance(scaler, str) or scaler is None:
        if scaler == FROM_CONTRACT:
            return None, None
        return ("none" if scaler is None else scaler), None
    if not hasattr(scaler, "transform"):
        raise TypeError(
            "scaler must be 'contract', 'none', 'robust', 'standard', None or an "
            f"object with transform(X), got {type(scaler).__name__}."
        )
    return None, scaler


def stage_night(
    model,
    recording,
    channel=None,
    *,
    seq_len=None,
    stride=None,
    scaler=FROM_CONTRACT,
    sfreq=None,
    resample=False,
    override=False,
    short="pad",
    batch_size=64,
    progress=False,
):
    """Stage a whole recording: one stage per scored 30-s epoch.

    The recording is cut into consecutive 30-s epochs of the model's channels
    (a trailing partial epoch dropped) and prepared as the model's
    **preprocessing contract** says (its rate, channels, input unit and
    per-epoch scaling, recorded by ``fit`` and carried by an exported ONNX
    file); sequences of ``seq_len`` epochs slide over the night every
    ``stride`` epochs, a last one ends on the last epoch, so every epoch is
    covered. The probability of an epoch is the **mean of the probabilities**
    (softmax) of all sequences that contain it, and its stage is the most
    probable one.

    Parameters
    ----------
    model : SleepKDClassifier | torch.nn.Module | str | Path
        A fitted estimator, a bare student module, an exported ONNX file or a
        checkpoint (see :func:`~braindecode_sleepkd.staging.as_predictor`).
    recording : mne.io.BaseRaw | str | Path | braindecode windows dataset
        A raw recording, an EDF path, or braindecode windows of one recording.
    channel : str | list of str | None
        The channel(s) to stage, in the model's order; default the channel
        names in the model's contract (a model fitted on windows has them).
    seq_len : int | None
        Epochs per sequence (default: the contract's, the ONNX file's fixed
        length, or 20).
    stride : int | None
        Epochs between sequence starts, 1 to ``seq_len``; default ``seq_len // 2``
        (each epoch seen in about two contexts). ``stride=seq_len`` is fastest.
    scaler : "contract" | {"none", "robust", "standard"} | transformer | None
        Per-epoch scaling. ``"contract"`` (default): the one the model was
        trained with. A named method that contradicts the contract raises a
        :class:`~sleepkd_runtime.contract.ContractError` naming both, unless
        ``override=True``. ``None`` is ``"none"``; an object with
        ``transform(X)`` on ``(n_seq, seq_len, n_chans, n_times)`` is applied
        instead of the contract's scaling.
    sfreq : float | None
        Sampling rate the model was trained at, for a model without a contract
        (one that contradicts the contract is refused unless ``override``).
    resample : bool
        Resample a recording at another rate to the model's (else an error).
    override : bool
        Let ``channel``, ``scaler`` and ``sfreq`` replace the contract's values
        (with a warning).
    short : {"pad", "raise"}, default="pad"
        A recording shorter than one sequence is staged as one shorter
        sequence (``"pad"``; not possible for an ONNX file with a fixed
        sequence length, which raises) or refused (``"raise"``).
    batch_size : int
        Sequences per forward pass.
    progress : bool
        Kept for compatibility; staging a night takes well under a second.

    Returns
    -------
    hypnogram : Hypnogram
        ``.stages``, ``.proba``, ``.onsets``, ``.start`` (the recording's
        clock time, when known), ``.to_dataframe()``, ``.to_annotations()``,
        ``.statistics()``.

    Raises
    ------
    ValueError
        Unknown channel, a sampling rate or channel count other than the
        model's, a recording shorter than one epoch (or one sequence with
        ``short="raise"``), a bad ``stride``, or an option that contradicts
        the model's contract (:class:`~sleepkd_runtime.contract.ContractError`).

    Warns
    -----
    UserWarning
        The model carries no contract (an older file, a bare module): what was
        assumed (microvolts, no scaling unless ``scaler`` says, the rate).
    """
    scaling, transformer = _scaling(scaler)
    pred = as_predictor(model, seq_len=seq_len, sfreq=sfreq, batch_size=batch_size)
    contract, channels = staging_contract(
        pred.contract,
        channels=channel,
        sfreq=sfreq if pred.contract is not None else None,
        scaling=scaling,
        override=override,
    )
    model_sfreq = contract.sfreq if contract is not None else pred.sfreq
    X, onsets, rec_sfreq = read_epochs(recording, channels, model_sfreq, resample)
    if transformer is not None:  # instead of the contract's scaling
        X = transformer.transform(X[None])[0]
        contract, scaling = contract and replace(contract, scaling="none"), "none"
    hyp = stage_array(
        pred,
        X,
        onsets,
        rec_sfreq,
        contract,
        seq_len=pred.seq_len,
        stride=stride,
        scaling=scaling,
        short=short,
    )
    hyp.start = _start(recording)
    return hyp


def _start(recording):
    """Clock time of the recording's start (EDF header, or raw's measurement
    date), naive; None when unknown (windows, anonymised files)."""
    if isinstance(recording, (str, Path)):
        return recording_start(recording)
    info = getattr(recording, "info", None)
    meas_date = info.get("meas_date") if info is not None else None
    return None if meas_date is None else meas_date.replace(tzinfo=None)
