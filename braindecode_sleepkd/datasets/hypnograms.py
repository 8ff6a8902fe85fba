"""Sleep-EDF (EDF+) hypnograms -> one AASM label per 30-s epoch."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from pathlib import Path

import mne
import numpy as np
from sleepkd_runtime.edf import check_edf_size

from .stages import SLEEP_EDF_MAPPING

SLEEP_EDF_STAGE_CHARS = ("1", "2", "3", "4", "R")


def sleep_period(annotations, crop_wake_mins=30.0):
    """Start and end (s) of the sleep period plus ``crop_wake_mins`` of wake.

    Uses the same rule as braindecode's ``SleepPhysionet``: from the first
    to the last annotation whose description ends in a sleep stage
    (1, 2, 3, 4, R), widened by ``crop_wake_mins`` on both sides.
    """
    sleep = [i for i, d in enumerate(annotations.description) if d[-1:] in "1234R"]
    if not sleep:
        raise ValueError("hypnogram without any sleep stage annotation")
    first, last = annotations[sleep[0]], annotations[sleep[-1]]
    tmin = first["onset"] - crop_wake_mins * 60
    tmax = last["onset"] + last["duration"] + crop_wake_mins * 60
    return max(tmin, 0.0), tmax


def read_sleep_edf_hypnogram(fname, crop_wake_mins=30.0, epoch_s=30.0):
    """AASM label per 30-s epoch of a Sleep-EDF ``*-Hypnogram.edf`` file.

    R&K stages are mapped to AASM (S3 + S4 -> N3); ``Movement time`` and
    ``Sleep stage ?`` epochs get label -1 and are counted. Wake is cropped
    to ``crop_wake_mins`` before the first and after the last sleep epoch.

    Parameters
    ----------
    fname : str | Path
        EDF+ annotation file readable by :func:`mne.read_annotations`.
    crop_wake_mins : float | None
        Minutes of wake kept around the sleep period; None keeps everything.
    epoch_s : float
        Epoch length in seconds.

    Returns
    -------
    labels : np.ndarray of int64, shape (n_epochs,)
        Labels 0..4, -1 for movement / unknown.
    report : dict
        ``onset`` (s, start of the first epoch in the file's time),
        ``n_movement``, ``n_unknown`` (epochs labelled -1 for each reason).
    """
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"Hypnogram file not found: {fname}")
    check_edf_size(fname)
    try:
        annots = mne.read_annotations(fname)
    except Exception as exc:
        raise ValueError(f"Cannot read annotations from {fname}: {exc}") from exc
    if len(annots) == 0:
        raise ValueError(
            f"{fname}: no annotations; expected an EDF+ hypnogram with one "
            "'Sleep stage ...' annotation per scored period (corrupt file?)."
        )
    unknown = sorted(
        {d for d in annots.description if d not in SLEEP_EDF_MAPPING}
        - {"Movement time", "Sleep stage ?"}
    )
    if unknown:
        raise ValueError(f"{fname}: unknown annotation descriptions {unknown}")
    if crop_wake_mins is None:
        tmin, tmax = 0.0, float(annots.onset[-1] + annots.duration[-1])
    else:
        tmin, tmax = sleep_period(annots, crop_wake_mins)
    n_epochs = int(np.floor((tmax - tmin) / epoch_s + 1e-9))
    labels = np.full(n_epochs, -1, dtype=np.int64)
    reasons = np.zeros(n_epochs, dtype=np.int64)  # 1 movement, 2 unknown
    for onset, duration, desc in zip(annots.onset, annots.duration, annots.description):
        a = int(np.ceil((onset - tmin) / epoch_s - 1e-9))
        b = int(np.floor((onset + duration - tmin) / epoch_s + 1e-9))
        a, b = max(a, 0), min(b, n_epochs)
        if b <= a:
            continue
        labels[a:b] = SLEEP_EDF_MAPPING.get(desc, -1)
        if desc == "Movement time":
            reasons[a:b] = 1
        elif desc not in SLEEP_EDF_MAPPING:
            reasons[a:b] = 2
    reasons[(labels < 0) & (reasons == 0)] = 2  # not covered by any annotation
    report = dict(
        onset=tmin,
        n_movement=int((reasons == 1).sum()),
        n_unknown=int((reasons == 2).sum()),
    )
    return labels, report
