"""Reading the channels of an EDF night into 30-s epochs with edfio (no MNE).

edfio was chosen by measurement (``benchmarks/results/runtime_stage.md``): on an
8-hour, 4-channel, 100-Hz EDF, reading one channel took 0.27 s with edfio, 0.79 s
with MNE and 1.85 s with EDFlib-Python, and edfio imports no more than numpy.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import warnings
from pathlib import Path

from .contract import unit_factor
from .epochs import cut_epochs


def check_edf_size(fname):
    """Raise if ``fname`` holds fewer bytes than its EDF header announces.

    Readers read a truncated EDF file short without a word (only the complete
    data records); this compares the file size with the header's number of
    data records times the record size. Headers that cannot be parsed are
    left to the reader, which raises on them.
    """
    fname = Path(fname)
    with fname.open("rb") as f:
        head = f.read(256)
        if len(head) < 256 or head[:1] == b"\xff":  # too short to judge, or BDF
            return
        try:
            n_header = int(head[184:192])
            n_records = int(head[236:244])
            n_signals = int(head[252:256])
            f.seek(256 + 216 * n_signals)
            spr = f.read(8 * n_signals)
            samples = [int(spr[8 * i : 8 * i + 8]) for i in range(n_signals)]
        except (ValueError, OSError):
            return
    if n_records <= 0 or n_signals <= 0 or n_header != 256 * (n_signals + 1):
        return
    expected = n_header + n_records * 2 * sum(samples)
    size = fname.stat().st_size
    if size < expected:
        raise ValueError(
            f"{fname} is truncated: its EDF header announces {n_records} data "
            f"records ({expected} bytes) but the file has {size} bytes."
        )


def open_edf(fname, read):
    """``read(fname)`` of an EDF file that exists and is whole, with clear errors.

    Parameters
    ----------
    fname : str | Path
    read : callable
        Opens the file (edfio's reader here, MNE's in the package); any error
        it raises on a damaged header becomes a ``ValueError`` that names the
        file.

    Raises
    ------
    FileNotFoundError, ValueError
        A missing, truncated (:func:`check_edf_size`) or unreadable file.
    """
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"EDF file not found: {fname}")
    check_edf_size(fname)
    try:
        return read(fname)
    except Exception as err:  # the readers raise several types on a bad header
        raise ValueError(
            f"Cannot read {fname} as EDF: the file is corrupt or truncated "
            f"({type(err).__name__}: {err})"
        ) from err


def _to_uv(signal, fname):
    dim = str(signal.physical_dimension or "").strip()
    try:
        return unit_factor(dim, "uV")
    except ValueError:
        warnings.warn(
            f"Channel {signal.label!r} of {fname} has physical dimension {dim!r}, "
            "not a voltage: its values are taken as microvolts.",
            UserWarning,
            stacklevel=3,
        )
        return 1.0


def read_edf_signals(fname, channels):
    """The named channels of an EDF file, in microvolts, and their rate.

    Each channel is read in the unit its EDF header names (``uV``, ``mV``,
    ``V``...) and converted to microvolts.

    Parameters
    ----------
    fname : str | Path
        The EDF (or EDF+) file.
    channels : list of str
        Channel labels as in the file, in the model's order.

    Returns
    -------
    signals : list of np.ndarray of float64
        One signal per channel.
    sfreq : float

    Raises
    ------
    FileNotFoundError, ValueError
        A missing, unreadable or truncated file, an unknown channel, or
        channels at different rates.
    """
    import edfio

    fname = Path(fname)
    edf = open_edf(fname, lambda f: edfio.read_edf(f, lazy_load_data=True))
    by_label = {s.label.strip(): s for s in edf.signals}
    missing = [c for c in channels if c not in by_label]
    if missing:
        raise ValueError(
            f"Channel(s) {missing} not in {fname}; available: {list(by_label)}"
        )
    signals = [by_label[c] for c in channels]
    rates = sorted({float(s.sampling_frequency) for s in signals})
    if len(rates) > 1:
        raise ValueError(
            f"Channels {channels} of {fname} are sampled at different rates "
            f"{rates} Hz; pick channels of one rate."
        )
    return [s.data * _to_uv(s, fname) for s in signals], rates[0]


def read_edf_epochs(fname, channels):
    """Consecutive 30-s epochs of ``channels`` of an EDF file, in microvolts.

    The channels are read by :func:`read_edf_signals` and cut by
    :func:`~sleepkd_runtime.epochs.cut_epochs` (a trailing partial epoch is
    dropped).

    Returns
    -------
    X : np.ndarray of float32, shape (n_epochs, n_chans, n_times)
    onsets : np.ndarray, shape (n_epochs,)
        Epoch onsets in seconds from the start of the recording.
    sfreq : float

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`read_edf_signals`, and fewer samples than one epoch or NaN
        samples.
    """
    signals, sfreq = read_edf_signals(fname, channels)
    X, onsets = cut_epochs(signals, sfreq, str(fname))
    return X, onsets, sfreq


def recording_start(fname):
    """The start date and time in an EDF header, or None when it has none.

    An EDF+ file with an anonymised start date (``Startdate X``) or a header
    that cannot be read gives None.

    Returns
    -------
    start : datetime.datetime | None
        Naive: EDF keeps the local clock time of the recording, no time zone.
    """
    import edfio

    try:
        edf = edfio.read_edf(Path(fname), lazy_load_data=True)
        with warnings.catch_warnings():  # differing legacy and EDF+ dates
            warnings.simplefilter("ignore")
            return edf.startdatetime
    except Exception:  # noqa: BLE001 - anonymised or damaged: no clock time
        return None
