"""Sleep-EDF (Sleep Cassette) on top of braindecode's ``SleepPhysionet``."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from braindecode.datasets import BaseConcatDataset
from braindecode.datasets.sleep_physionet import SleepPhysionet
from sleepkd_runtime.edf import check_edf_size

from ._edf import microvolt_factor
from ._windows import EPOCH_S, make_windows
from .stages import SLEEP_EDF_MAPPING
from .units import MODEL_UNIT, RAW_UNIT

SLEEP_EDF_URL = "https://physionet.org/content/sleep-edfx/1.0.0/sleep-cassette/"
ON_MISSING_OPTIONS = ("warn", "raise", "ignore")


def sleep_edf_records():
    """File names of the Sleep Cassette recordings, as listed by MNE.

    Returns
    -------
    records : pandas.DataFrame
        Columns ``subject``, ``night``, ``psg``, ``hypnogram``.
    """
    from mne.datasets.sleep_physionet._utils import AGE_SLEEP_RECORDS

    table = pd.read_csv(AGE_SLEEP_RECORDS)
    psg = table[table["record type"] == "PSG"].set_index(["subject", "night"])
    hyp = table[table["record type"] == "Hypnogram"].set_index(["subject", "night"])
    return pd.DataFrame({"psg": psg["fname"], "hypnogram": hyp["fname"]}).reset_index()


def _default_folder():
    from mne.datasets.sleep_physionet.age import data_path

    return Path(data_path())


def _dropped_epochs(raw, epoch_s=EPOCH_S):
    """Epochs of ``raw``'s annotations that the AASM mapping leaves out."""
    out = {}
    for ann in raw.annotations:
        if ann["description"] not in SLEEP_EDF_MAPPING:
            n = int(ann["duration"] // epoch_s)
            out[ann["description"]] = out.get(ann["description"], 0) + n
    return out


class SleepEDF(BaseConcatDataset):
    """Sleep-EDF Sleep Cassette nights as 30-s AASM windows.

    Reuses braindecode's ``SleepPhysionet._load_raw`` to read a PSG file
    and its hypnogram, select the EEG channels and crop wake, after checking
    that every file is on disk: braindecode's ``SleepPhysionet`` would
    otherwise try to download (5 tries, 10 s apart) and MNE would accept any
    file found under the expected name.

    Parameters
    ----------
    subject_ids : list of int | int | None
        Subjects 0..82 (39, 68, 69, 78, 79 do not exist); None: 0..19, the
        Sleep-EDF-20 subset (39 nights: subject 13 has no night 2).
    recording_ids : list of int
        Nights, 1 and/or 2.
    path : str | Path | None
        Folder holding the ``SC4*-PSG.edf`` and ``SC4*-Hypnogram.edf``
        files; default MNE's ``physionet-sleep-data`` folder.
    channel : str
        ``"Fpz-Cz"`` (default) or ``"Pz-Oz"``.
    crop_wake_mins : float
        Minutes of wake kept before the first and after the last sleep
        epoch (30, as in the literature); 0 keeps the whole night.
    sfreq : float | None
        Resample to this rate (Hz); None keeps 100 Hz.
    scale_to_uv : bool | None
        Deprecated. The default (None, as False) keeps braindecode's and
        MNE's volts in the raw objects and the windows
        (``description["unit"]`` is ``"V"``); models still get microvolts,
        from :func:`~braindecode_sleepkd.datasets.make_sequences`. True
        stores microvolts in the raw objects as before version 0.3
        (``description["unit"]`` then says ``"uV"``, so the models' input is
        the same), which MNE's functions misread; it warns and will be
        removed.
    on_missing : {"warn", "raise", "ignore"}
        Requested (subject, night) pairs that are not in the corpus (e.g.
        subject 13 night 2, subjects 36 and 52 night 1) are skipped with a
        warning that lists and counts them, as braindecode and MNE do
        (``"warn"``), skipped silently, or refused (``"raise"``). No
        existing pair at all always raises.

    Attributes
    ----------
    description : pandas.DataFrame
        ``subject``, ``recording`` (night), ``night``, ``channel``,
        ``n_windows``, ``n_dropped`` with ``n_movement`` and ``n_unknown``
        (epochs left out by the AASM mapping), ``dataset``, ``unit`` (of the
        raw objects: ``"V"``, or ``"uV"`` with ``scale_to_uv=True``).

    Notes
    -----
    AASM mapping: W, N1, N2, N3 = S3 + S4, REM; ``Movement time`` and
    ``Sleep stage ?`` are dropped and counted (also in a warning).

    Units: see :mod:`braindecode_sleepkd.datasets.units` (volts in MNE
    objects, microvolts for the models).
    """

    def __init__(
        self,
        subject_ids=None,
        recording_ids=(1, 2),
        path=None,
        channel="Fpz-Cz",
        crop_wake_mins=30,
        sfreq=None,
        scale_to_uv=None,
        on_missing="warn",
    ):
        if scale_to_uv is not None:
            warnings.warn(
                "SleepEDF(scale_to_uv=...) is deprecated and will be removed: the "
                "raw objects and windows hold volts, as MNE expects, and "
                "make_sequences gives the models microvolts either way. Leave "
                "scale_to_uv out"
                + (
                    " (True stores microvolts in the raw objects, which MNE's "
                    "functions misread)."
                    if scale_to_uv
                    else "."
                ),
                FutureWarning,
                stacklevel=2,
            )
        scale_to_uv = bool(scale_to_uv)
        if subject_ids is None:
            subject_ids = list(range(20))
        subject_ids = [int(s) for s in np.atleast_1d(subject_ids)]
        recording_ids = [int(r) for r in np.atleast_1d(recording_ids)]
        if on_missing not in ON_MISSING_OPTIONS:
            raise ValueError(
                f"on_missing must be one of {ON_MISSING_OPTIONS}, got {on_missing!r}"
            )
        table = sleep_edf_records().set_index(["subject", "night"])
        pairs = [(s, r) for s in subject_ids for r in recording_ids]
        absent = [p for p in pairs if p not in table.index]
        pairs = [p for p in pairs if p in table.index]
        if absent and (on_missing == "raise" or not pairs):
            raise ValueError(
                f"Not in the Sleep Cassette corpus (subject, night): {absent}"
                + ("" if pairs else "; no requested night exists.")
            )
        if absent and on_missing == "warn":
            warnings.warn(
                f"SleepEDF: {len(absent)} requested (subject, night) pairs are not "
                f"in the Sleep Cassette corpus and were skipped: {absent}; loading "
                f"the other {len(pairs)} nights (on_missing='raise' refuses).",
                stacklevel=2,
            )
        folder = Path(path).expanduser() if path is not None else _default_folder()
        files = [
            (folder / table.loc[p, "psg"], folder / table.loc[p, "hypnogram"])
            for p in pairs
        ]
        missing = [str(f) for pair in files for f in pair if not f.is_file()]
        if missing:
            raise FileNotFoundError(
                f"{len(missing)} Sleep-EDF files missing: {', '.join(missing)}. "
                f"Download them from {SLEEP_EDF_URL} (or run "
                "mne.datasets.sleep_physionet.age.fetch_data with network "
                "access) into that folder, or pass path= to where they are."
            )
        datasets, notes = [], []
        for (subject, night), (psg, hyp) in zip(pairs, files):
            ds = self._load_one(psg, hyp, channel, crop_wake_mins, scale_to_uv)
            if sfreq is not None and ds.raw.info["sfreq"] != sfreq:
                ds.raw.resample(sfreq, verbose="error")
            if ds.description["n_dropped"]:
                notes.append(
                    f"subject {subject} night {night}: "
                    f"{ds.description['n_movement']} movement, "
                    f"{ds.description['n_unknown']} unknown"
                )
            datasets.append(ds)
        if notes:
            n_mov = sum(int(d.description["n_movement"]) for d in datasets)
            n_unk = sum(int(d.description["n_unknown"]) for d in datasets)
            warnings.warn(
                f"SleepEDF: {n_mov + n_unk} epochs left out by the AASM mapping "
                f"({n_mov} movement, {n_unk} unknown) in {len(notes)} of "
                f"{len(datasets)} nights: " + "; ".join(notes),
                stacklevel=2,
            )
        windows = make_windows(datasets, mapping=SLEEP_EDF_MAPPING)
        for ds in windows.datasets:
            ds.description["n_windows"] = len(ds)
        super().__init__(windows.datasets)

    @staticmethod
    def _load_one(psg, hyp, channel, crop_wake_mins, scale_to_uv):
        from braindecode.datasets import RawDataset

        check_edf_size(psg)
        check_edf_size(hyp)
        try:
            raw, desc = SleepPhysionet._load_raw(
                str(psg),
                str(hyp),
                preload=True,
                load_eeg_only=True,
                crop_wake_mins=crop_wake_mins,
            )
        except Exception as exc:
            raise ValueError(
                f"Cannot read {psg.name} with {hyp.name}: corrupt or truncated "
                f"EDF? ({type(exc).__name__}: {exc})"
            ) from exc
        if channel not in raw.ch_names:
            raise ValueError(
                f"Channel {channel!r} not in {psg}; available: {raw.ch_names}"
            )
        # MNE gives volts when it knows the EDF physical dimension; otherwise
        # (an unusual spelling) the file's values: read the dimension
        try:
            factor = microvolt_factor(raw, f"EEG {channel}")
        except (AttributeError, KeyError, ValueError, IndexError):
            factor = 1e6
        if not scale_to_uv:
            factor = factor / 1e6
        raw.pick([channel])
        if factor != 1.0:
            raw.apply_function(lambda x: x * factor, channel_wise=False)
        dropped = _dropped_epochs(raw)
        n_movement = dropped.pop("Movement time", 0)
        n_unknown = sum(dropped.values())
        desc = dict(
            subject=int(desc["subject"]),
            recording=int(desc["recording"]),
            night=int(desc["recording"]),
            channel=channel,
            n_dropped=n_movement + n_unknown,
            n_movement=n_movement,
            n_unknown=n_unknown,
            dataset="Sleep-EDF",
            unit=MODEL_UNIT if scale_to_uv else RAW_UNIT,
        )
        return RawDataset(raw, pd.Series(desc, name=""))
