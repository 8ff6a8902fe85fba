"""Reading one channel of an EDF file with MNE, in microvolts, with clear errors."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import mne
import numpy as np
from sleepkd_runtime.contract import unit_factor
from sleepkd_runtime.edf import open_edf


def read_edf_raw(fname, preload=False, **kwargs):
    """Open an EDF (or EDF-format ``.rec``) file with MNE, with clear errors.

    Parameters
    ----------
    fname : str | Path
        The file.
    preload : bool
        Load the data now.
    **kwargs
        Passed to :func:`mne.io.read_raw_edf`.

    Returns
    -------
    raw : mne.io.Raw
    """
    raw = open_edf(
        fname,
        lambda f: mne.io.read_raw_edf(f, preload=preload, verbose="error", **kwargs),
    )
    sfreq = float(raw.info["sfreq"])
    if not np.isfinite(sfreq) or sfreq <= 0:
        raise ValueError(
            f"Cannot read {fname} as EDF: its header gives a sampling rate of "
            f"{sfreq:g} Hz (invalid data record duration or samples per record); "
            "expected a positive rate. The file is corrupt."
        )
    return raw


def pick_channel(raw, channel, fname):
    """Return ``raw`` reduced to ``channel``, or raise listing the channels."""
    if channel not in raw.ch_names:
        raise ValueError(
            f"Channel {channel!r} not in {fname}; available: {raw.ch_names}"
        )
    return raw.pick([channel])


def microvolt_factor(raw, channel):
    """Factor turning MNE's values of ``channel`` into microvolts.

    MNE scales a signal to volts only when it knows the EDF physical
    dimension (``uV``, ``mV``, ...) spelled its way; otherwise (e.g. ``UV``
    in the DREAMS files) it keeps the physical values. This reads MNE's
    per-channel multiplier and the original unit to undo either case.
    """
    idx = raw._raw_extras[0]["ch_names"].index(channel)
    mne_mult = float(raw._raw_extras[0]["units"][idx])
    try:
        to_uv = unit_factor(raw._orig_units.get(channel, ""), "uV")
    except ValueError:  # not a voltage: its values are kept
        to_uv = 1.0
    return to_uv / mne_mult


def read_edf_channel(fname, channel):
    """Read one EDF channel in microvolts.

    Parameters
    ----------
    fname : str | Path
        EDF file.
    channel : str
        Channel name as in the file.

    Returns
    -------
    data : np.ndarray, shape (n_samples,)
        Microvolts, float64.
    sfreq : float
        Sampling rate of that channel.
    """
    raw = read_edf_raw(fname)
    factor = microvolt_factor(raw, channel) if channel in raw.ch_names else 1.0
    raw = pick_channel(raw, channel, fname)
    try:
        data = raw.get_data()[0]
    except Exception as exc:
        raise ValueError(
            f"Cannot read the samples of {fname}: the file is corrupt or "
            f"truncated ({type(exc).__name__}: {exc})"
        ) from exc
    return np.asarray(data * factor, dtype=np.float64), float(raw.info["sfreq"])
