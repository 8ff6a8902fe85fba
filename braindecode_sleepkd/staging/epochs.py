"""Reading a recording into consecutive 30-s epochs of the named channels."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from pathlib import Path

import numpy as np
from sleepkd_runtime.constants import EPOCH_S
from sleepkd_runtime.epochs import cut_epochs
from sleepkd_runtime.stage import as_channels


def _check_sfreq(sfreq, model_sfreq, resample, what):
    if model_sfreq is None or np.isclose(sfreq, model_sfreq):
        return False
    if not resample:
        raise ValueError(
            f"{what} is sampled at {sfreq:g} Hz but the model was trained at "
            f"{model_sfreq:g} Hz; pass resample=True (--resample) to resample it, "
            "as done in training."
        )
    return True


def _from_raw(raw, channels, model_sfreq, resample, name):
    import mne

    missing = [c for c in channels if c not in raw.ch_names]
    if missing:
        raise ValueError(
            f"Channel(s) {missing} not in {name}; available: {raw.ch_names}"
        )
    sfreq = float(raw.info["sfreq"])
    if _check_sfreq(sfreq, model_sfreq, resample, name):
        raw = raw.copy().pick(channels).load_data()
        raw.resample(model_sfreq, verbose="error")
        sfreq = float(raw.info["sfreq"])
    picks = mne.pick_channels(raw.ch_names, channels, ordered=True)
    from ..datasets.units import raw_to_microvolts

    data = raw.get_data(picks=picks)
    # voltage channels are in volts in MNE: to microvolts, as in training
    return raw_to_microvolts(raw, data, picks), sfreq


def _from_edf(fname, channels, model_sfreq, resample):
    import mne
    from sleepkd_runtime.edf import read_edf_signals

    signals, sfreq = read_edf_signals(fname, channels)
    if not _check_sfreq(sfreq, model_sfreq, resample, str(fname)):
        return signals, sfreq
    n = min(len(s) for s in signals)
    info = mne.create_info(channels, sfreq, "misc")
    raw = mne.io.RawArray(np.stack([s[:n] for s in signals]), info, verbose="error")
    raw.resample(model_sfreq, verbose="error")
    return raw.get_data(), float(raw.info["sfreq"])


def _from_windows(windows, channels, model_sfreq):
    from ..inputs import _windows_sfreq

    datasets = getattr(windows, "datasets", [windows])
    if len(datasets) != 1:
        raise ValueError(
            f"stage_night stages one recording; got windows of {len(datasets)} "
            "recordings (split them, e.g. windows.split('subject'))."
        )
    ds = datasets[0]
    sfreq = _windows_sfreq(windows) if hasattr(windows, "datasets") else None
    inner = getattr(ds, "windows", None) or getattr(ds, "raw", None)
    if sfreq is None and inner is not None:
        sfreq = float(inner.info["sfreq"])
    if sfreq is None:
        raise ValueError("Cannot find the sampling rate of these windows.")
    _check_sfreq(sfreq, model_sfreq, False, "These windows")
    ch_names = list(inner.ch_names) if inner is not None else channels
    missing = [c for c in channels if c not in ch_names]
    if missing:
        raise ValueError(
            f"Channel(s) {missing} not in the windows; available: {ch_names}"
        )
    from ..datasets.sequences import _window_values
    from ..datasets.units import recording_unit, to_microvolts

    idx = [ch_names.index(c) for c in channels]
    X = np.stack([_window_values(ds, i)[idx] for i in range(len(ds))])
    # the recording's unit (volts for the package's windows) -> microvolts
    X = to_microvolts(X, recording_unit(ds, sample=X[:8]))
    meta = getattr(ds, "metadata", None)
    if meta is not None and "i_start_in_trial" in meta:
        onsets = np.asarray(meta["i_start_in_trial"], dtype=float) / sfreq
    else:
        onsets = np.arange(len(X)) * EPOCH_S
    return X.astype(np.float32), onsets, sfreq


def read_epochs(recording, channel, model_sfreq=None, resample=False):
    """Cut a recording into consecutive 30-s epochs of the given channels.

    Parameters
    ----------
    recording : mne.io.BaseRaw | str | Path | braindecode windows dataset
        A raw recording, an EDF file, or braindecode windows of one recording
        (their own epoching is kept).
    channel : str | list of str
        Channel name(s) as in the recording, in the model's channel order.
    model_sfreq : float | None
        Sampling rate the model was trained at; a recording at another rate is
        an error unless ``resample`` (windows cannot be resampled here).
    resample : bool
        Resample a raw or EDF recording to ``model_sfreq``.

    Returns
    -------
    X : np.ndarray, shape (n_epochs, n_chans, n_times)
        Float32, microvolts (from an MNE raw's volts, an EDF file's physical
        dimension, or the windows' unit, see
        :mod:`braindecode_sleepkd.datasets.units`). A trailing partial epoch
        is dropped.
    onsets : np.ndarray, shape (n_epochs,)
        Onset of each epoch in seconds from the start of the recording.
    sfreq : float
    """
    import mne

    channels = as_channels(channel, required=True)
    if isinstance(recording, (str, Path)):
        data, sfreq = _from_edf(Path(recording), channels, model_sfreq, resample)
    elif isinstance(recording, mne.io.BaseRaw):
        data, sfreq = _from_raw(
            recording, channels, model_sfreq, resample, "the recording"
        )
    elif any(hasattr(recording, a) for a in ("datasets", "windows", "raw")):
        return _from_windows(recording, channels, model_sfreq)
    else:
        raise TypeError(
            "recording must be an mne.io.Raw, an EDF path or braindecode windows "
            f"of one recording, got {type(recording).__name__}."
        )
    X, onsets = cut_epochs(data, sfreq, "The recording")
    return X, onsets, sfreq
