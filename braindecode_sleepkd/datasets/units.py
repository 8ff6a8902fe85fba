"""Units of the signals: volts in MNE objects, microvolts in model inputs.

MNE's convention is that ``Raw`` and ``Epochs`` hold **volts**, and MNE's own
functions (plots, filters' defaults, :func:`mne.export.export_raw`, ...) trust
it. Every ``Raw`` made by this package (the loaders :class:`~.DREAMS`,
:class:`~.ISRUC`, :class:`~.SleepEDF`, :func:`~.load_sample` and the simulator
:func:`~.simulate_sleep_eeg`), and so every braindecode windows dataset cut
from one, holds volts, and says so in its ``description["unit"]`` (``"V"``).

The models take **microvolts** (EEG of tens of uV, the unit of the published
sleep stagers and of this package's trained students). This module is the one
place where a recording's values are turned into the model's input unit:
:func:`to_microvolts`, used by
:func:`~braindecode_sleepkd.datasets.make_sequences`,
:class:`~braindecode_sleepkd.datasets.sequences.SequenceDataset` and
:func:`~braindecode_sleepkd.staging.read_epochs`; the fitted estimator then
records ``unit="uV"`` in its preprocessing contract
(:class:`~sleepkd_runtime.contract.Contract`), which staging and the runtime
apply to recordings in any unit.

The unit of one recording's windows is (:func:`recording_unit`) its
``description["unit"]`` when it has one (``"V"``, ``"mV"``, ``"uV"``, ``"nV"``,
or ``"unitless"`` for a signal already standardised, e.g. by
:func:`~braindecode_sleepkd.teachers.gssc_preprocessing.gssc_preprocess`, which
is passed on unchanged); otherwise it is read from the amplitude as the
contract does (:func:`~sleepkd_runtime.contract.detect_unit`: a median
per-epoch standard deviation above 1e-3 reads as microvolts, below as volts),
so windows of other origins (braindecode's ``SleepPhysionet`` in volts, or
older code that put microvolts into a ``Raw``) are read correctly.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np
from sleepkd_runtime.contract import UNITS, detect_unit, normalise_unit

__all__ = [
    "MODEL_UNIT",
    "RAW_UNIT",
    "UNITLESS",
    "UNIT_KEY",
    "check_unit",
    "from_microvolts",
    "recording_unit",
    "to_microvolts",
]

#: Unit of the signals in the ``Raw`` and windows made by this package (MNE's).
RAW_UNIT = "V"
#: Unit of the arrays given to the models (and recorded in their contract).
MODEL_UNIT = "uV"
#: ``description["unit"]`` of a signal already standardised: kept as it is.
UNITLESS = "unitless"
#: Column of a windows dataset's ``description`` that gives its unit.
UNIT_KEY = "unit"
#: ``unit`` value that reads the unit from the amplitude of the signal.
AUTO = "auto"


def check_unit(unit, allow_auto=False):
    """The canonical spelling of ``unit``.

    Parameters
    ----------
    unit : str
        ``"V"``, ``"mV"``, ``"uV"`` (``"µV"``), ``"nV"``, ``"unitless"``, or
        ``"auto"`` when ``allow_auto``.
    allow_auto : bool
        Accept ``"auto"``.

    Returns
    -------
    unit : str

    Raises
    ------
    ValueError
        For anything else, listing the accepted units.
    """
    text = str(unit).strip()
    if text.lower() == UNITLESS:
        return UNITLESS
    if allow_auto and text.lower() == AUTO:
        return AUTO
    try:
        return normalise_unit(text)
    except ValueError:
        accepted = sorted(UNITS) + [UNITLESS] + ([AUTO] if allow_auto else [])
        raise ValueError(
            f"Unknown unit {unit!r}: expected one of {accepted}."
        ) from None


def _factor(unit, data):
    unit = check_unit(unit, allow_auto=True)
    if unit == AUTO:
        unit = detect_unit(data)
    if unit == UNITLESS:
        return 1.0
    return UNITS[unit] / UNITS[MODEL_UNIT]


def to_microvolts(data, unit=RAW_UNIT):
    """A signal in ``unit`` as microvolts, the unit of the models' input.

    Parameters
    ----------
    data : array-like
        The signal, e.g. ``raw.get_data()`` (``(n_chans, n_times)``) or
        windows ``(..., n_chans, n_times)``.
    unit : str
        Its unit: ``"V"`` (MNE's, the default), ``"mV"``, ``"uV"``, ``"nV"``,
        ``"unitless"`` (returned unchanged) or ``"auto"`` (read from the
        amplitude, see :func:`~sleepkd_runtime.contract.detect_unit`).

    Returns
    -------
    data : np.ndarray
        Float64 (the product is computed in double precision, so that
        ``to_microvolts(from_microvolts(x))`` gives ``x`` back in float32),
        or ``data`` itself as an array when no conversion is needed.
    """
    data = np.asarray(data)
    factor = _factor(unit, data)
    if factor == 1.0:
        return data
    return data.astype(np.float64, copy=False) * factor


def from_microvolts(data, unit=RAW_UNIT):
    """A signal in microvolts as ``unit`` (volts by default), float64.

    The inverse of :func:`to_microvolts`; the loaders use it to put
    microvolts read from text files or EDF channels into MNE's volts.

    Parameters
    ----------
    data : array-like
        The signal in microvolts.
    unit : str
        Target unit, ``"V"`` by default (not ``"auto"`` nor ``"unitless"``).

    Returns
    -------
    data : np.ndarray of float64
    """
    unit = check_unit(unit)
    if unit == UNITLESS:
        raise ValueError("from_microvolts needs a voltage unit, not 'unitless'.")
    return np.asarray(data, dtype=np.float64) * (UNITS[MODEL_UNIT] / UNITS[unit])


def raw_microvolts_to_volts(raw):
    """Turn a preloaded ``Raw`` holding microvolts into volts, in place.

    The loaders build their raw objects from microvolts, resample them, then
    call this: resampling before the conversion keeps the models' input
    (converted back by :func:`to_microvolts`) equal to what it was when the
    raw objects held microvolts.

    Returns
    -------
    raw : mne.io.BaseRaw
        The same object, in volts.
    """
    raw.apply_function(from_microvolts, channel_wise=False, verbose="error")
    return raw


def declared_unit(ds):
    """``description["unit"]`` of one recording's dataset, or None if absent."""
    desc = getattr(ds, "description", None)
    if desc is None or UNIT_KEY not in getattr(desc, "index", ()):
        return None
    value = desc[UNIT_KEY]
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return check_unit(value)


def recording_unit(ds, sample=None):
    """The unit of the signal behind one recording's windows.

    Parameters
    ----------
    ds : braindecode dataset
        Windows (or a raw dataset) of one recording.
    sample : array-like | None
        Some of its windows ``(n, n_chans, n_times)``, to read the unit from
        their amplitude when ``ds.description`` has no ``"unit"``; default
        its first 8 windows.

    Returns
    -------
    unit : str
        ``"V"``, ``"mV"``, ``"uV"``, ``"nV"`` or ``"unitless"``.
    """
    unit = declared_unit(ds)
    if unit is not None:
        return unit
    if sample is None:
        sample = np.stack(
            [np.asarray(ds[i][0], dtype=np.float64) for i in range(min(len(ds), 8))]
        )
    return detect_unit(sample)


#: MNE channel types whose values are voltages (volts in MNE).
VOLTAGE_TYPES = ("eeg", "eog", "emg", "ecg", "seeg", "ecog", "dbs")


def raw_to_microvolts(raw, data, picks=None):
    """Values of an MNE ``Raw`` as microvolts, channel by channel.

    MNE holds voltage channels (EEG, EOG, EMG, ECG, ...) in volts: they are
    multiplied by 1e6; other channels (``misc``, ``stim``, ...) are kept.

    Parameters
    ----------
    raw : mne.io.BaseRaw
    data : np.ndarray, shape (n_picks, n_times)
        ``raw.get_data(picks=picks)``.
    picks : list | None
        The channels of ``data``.

    Returns
    -------
    data : np.ndarray of float64
    """
    types = raw.get_channel_types(picks=picks)
    factor = np.array(
        [_factor(RAW_UNIT, None) if t in VOLTAGE_TYPES else 1.0 for t in types]
    )
    return np.asarray(data, dtype=np.float64) * factor[:, None]
