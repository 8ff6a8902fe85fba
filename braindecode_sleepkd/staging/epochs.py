"""Reading a recording into consecutive 30-s epochs of the named channels."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from pathlib import Path

import numpy as np

EPOCH_SEC = 30.0


def _channels(channel):
    if isinstance(channel, str):
        return [channel]
    channels = list(channel or [])
    if not channels or not all(isinstance(c, str) for c in channels):
        raise ValueError(
            f"channel must be a channel name or a list of names, got {channel!r}."
        )
    return channels


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
    from ..datasets._edf import microvolt_factor, read_edf_raw

    raw = read_edf_raw(fname)
    missing = [c for c in channels if c not in raw.ch_names]
    if missing:
        raise ValueError(
            f"Channel(s) {missing} not in {fname}; available: {raw.ch_names}"
        )
    factors = np.array([microvolt_factor(raw, c) for c in channels])
    raw = raw.pick(channels)
    sfreq = float(raw.info["sfreq"])
    try:
        if _check_sfreq(sfreq, model_sfreq, resample, str(fname)):
            raw.load_data().resample(model_sfreq, verbose="error")
            sfreq = float(raw.info["sfreq"])
        data = raw.get_data()
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(
            f"Cannot read the samples of {fname}: the file is corrupt or "
            f"truncated ({type(exc).__name__}: {exc})"
        ) from exc
    # get_data() is in MNE's unit (volts when it knew the EDF unit): to µV
    return data * factors[:, None], sfreq


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
        onsets = np.arange(len(X)) * EPOCH_SEC
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

    channels = _channels(channel)
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
    n_times = EPOCH_SEC * sfreq
    if not np.isclose(n_times, round(n_times)):
        raise ValueError(f"30 s at {sfreq:g} Hz is not a whole number of samples.")
    n_times = int(round(n_times))
    n_epochs = data.shape[1] // n_times
    if n_epochs == 0:
        raise ValueError(
            f"The recording lasts {data.shape[1] / sfreq:.1f} s, shorter than one "
            "30-s epoch."
        )
    X = data[:, : n_epochs * n_times].reshape(len(channels), n_epochs, n_times)
    X = np.ascontiguousarray(X.transpose(1, 0, 2), dtype=np.float32)
    if not np.isfinite(X).all():
        raise ValueError("The recording contains NaN or infinite samples.")
    return X, np.arange(n_epochs) * EPOCH_SEC, sfreq
