"""``stage_night``: a whole recording to a hypnogram in one call."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np

from .epochs import read_epochs
from .hypnogram import Hypnogram
from .models import as_predictor
from .sliding import combine, sequence_starts


def _scale(X, scaler):
    if scaler is None:
        return X
    if scaler == "robust" or scaler == "standard":
        from ..preprocessing import EpochScaler

        scaler = EpochScaler(method=scaler)
    return scaler.transform(X[None])[0]


def _progress(total, enabled):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, unit="seq", desc="staging", leave=False)


def stage_night(
    model,
    recording,
    channel,
    *,
    seq_len=None,
    stride=None,
    scaler="robust",
    sfreq=None,
    resample=False,
    short="pad",
    batch_size=64,
    progress=False,
):
    """Stage a whole recording: one stage per scored 30-s epoch.

    The recording is cut into consecutive 30-s epochs of ``channel`` (in
    microvolts, a trailing partial epoch dropped), each epoch is scaled as in
    training, and sequences of ``seq_len`` epochs slide over the night every
    ``stride`` epochs; a last sequence ends on the last epoch, so every epoch is
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
    channel : str | list of str
        The channel(s) to stage, in the order the model was trained on.
    seq_len : int | None
        Epochs per sequence (default: the estimator's, the ONNX file's, or 20).
    stride : int | None
        Epochs between sequence starts, 1 to ``seq_len``; default ``seq_len // 2``
        (each epoch seen in about two contexts). ``stride=seq_len`` is fastest.
    scaler : {"robust", "standard"} | transformer | None, default="robust"
        Per-epoch scaling applied in training: an
        :class:`~braindecode_sleepkd.preprocessing.EpochScaler` method, any
        object with ``transform(X)`` on ``(n_seq, seq_len, n_chans, n_times)``,
        or None for none.
    sfreq : float | None
        Sampling rate the model was trained at, when the model does not say.
    resample : bool
        Resample a recording at another rate to the model's (else an error).
    short : {"pad", "raise"}, default="pad"
        A recording shorter than one sequence is staged as one shorter
        sequence (``"pad"``; not possible for an ONNX file with a fixed
        sequence length, which raises) or refused (``"raise"``).
    batch_size : int
        Sequences per forward pass.
    progress : bool
        Show a progress bar (tqdm).

    Returns
    -------
    hypnogram : Hypnogram
        ``.stages``, ``.proba``, ``.onsets``, ``.to_dataframe()``,
        ``.to_annotations()``, ``.statistics()``.

    Raises
    ------
    ValueError
        Unknown channel, a sampling rate or channel count other than the
        model's, a recording shorter than one epoch (or one sequence with
        ``short="raise"``), or a bad ``stride``.
    """
    pred = as_predictor(model, seq_len=seq_len, sfreq=sfreq, batch_size=batch_size)
    X, onsets, rec_sfreq = read_epochs(recording, channel, pred.sfreq, resample)
    n_epochs, n_chans, n_times = X.shape
    if pred.n_chans is not None and n_chans != pred.n_chans:
        raise ValueError(
            f"The model was trained on {pred.n_chans} channel(s) but {n_chans} "
            f"were given ({channel!r})."
        )
    if pred.n_times is not None and n_times != pred.n_times:
        raise ValueError(
            f"The model expects {pred.n_times} samples per epoch but the "
            f"recording gives {n_times} ({rec_sfreq:g} Hz x 30 s)."
        )
    X = _scale(X, scaler)
    L = pred.seq_len
    if n_epochs < L:
        if short != "pad" or pred.fixed_seq_len:
            why = (
                "the ONNX model has a fixed sequence length"
                if pred.fixed_seq_len
                else 'short="raise"'
            )
            raise ValueError(
                f"The recording has {n_epochs} epochs, fewer than one sequence "
                f"(seq_len={L}), and {why}."
            )
        L = n_epochs
    stride = max(1, L // 2) if stride is None else int(stride)
    stride = min(stride, L) if n_epochs < pred.seq_len else stride
    starts = sequence_starts(n_epochs, L, stride)
    bar = _progress(len(starts), progress)
    chunk = max(1, batch_size) * 4
    probas = []
    for i in range(0, len(starts), chunk):
        idx = starts[i : i + chunk, None] + np.arange(L)
        probas.append(pred.predict_proba(np.ascontiguousarray(X[idx])))
        if bar is not None:
            bar.update(len(idx))
    if bar is not None:
        bar.close()
    proba, counts = combine(np.concatenate(probas), starts, n_epochs)
    return Hypnogram(proba, onsets, counts)
