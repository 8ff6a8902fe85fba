"""Shared step of every loader: labelled recordings -> braindecode windows."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import mne
import numpy as np
import pandas as pd
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.preprocessing import create_windows_from_events

from ..constants import EPOCH_S
from .stages import AASM_EVENT_MAPPING, AASM_EVENT_NAMES

_NAME_KEYS = ("dataset", "subject", "recording", "night")


def annotate_epochs(raw, labels, epoch_s=EPOCH_S, first_onset=0.0):
    """Write one AASM annotation per labelled epoch on ``raw`` (in place).

    Parameters
    ----------
    raw : mne.io.BaseRaw
        Recording whose epoch ``k`` starts at ``first_onset + k * epoch_s``.
    labels : array-like of int
        Label per epoch in 0..4; a negative label leaves the epoch out.
    epoch_s : float
        Epoch length in seconds.
    first_onset : float
        Onset of the first epoch, in seconds from the start of ``raw``.

    Returns
    -------
    raw : mne.io.BaseRaw
        The same object, annotated.
    """
    labels = np.asarray(labels, dtype=np.int64)
    keep = np.flatnonzero(labels >= 0)
    names = np.asarray(AASM_EVENT_NAMES, dtype=object)[labels[keep]]
    onsets = first_onset + keep * epoch_s
    annots = mne.Annotations(
        onset=onsets,
        duration=np.full(len(keep), epoch_s),
        description=names.tolist(),
        orig_time=raw.annotations.orig_time,
    )
    raw.set_annotations(annots, emit_warning=False)
    return raw


def make_windows(raw_datasets, mapping=None, epoch_s=EPOCH_S):
    """Cut labelled recordings into non-overlapping windows of ``epoch_s``.

    Parameters
    ----------
    raw_datasets : list of braindecode.datasets.RawDataset
        Recordings annotated with :func:`annotate_epochs` (or with the
        descriptions of ``mapping``), all at the same sampling rate.
    mapping : dict | None
        Annotation description -> label; AASM names by default.
    epoch_s : float
        Window length in seconds.

    Returns
    -------
    windows : braindecode.datasets.BaseConcatDataset
        One windows dataset per recording, preloaded, float32 on access.
    """
    sfreqs = {ds.raw.info["sfreq"] for ds in raw_datasets}
    if len(sfreqs) != 1:
        raise ValueError(
            "Recordings with different sampling rates cannot be windowed "
            f"together: {sorted(sfreqs)} Hz. Resample them to one rate (sfreq=)."
        )
    sfreq = sfreqs.pop()
    names = set(AASM_EVENT_MAPPING if mapping is None else mapping)
    empty = [
        ", ".join(f"{k}={v}" for k, v in ds.description.items() if k in _NAME_KEYS)
        or "recording"
        for ds in raw_datasets
        if not any(d in names for d in ds.raw.annotations.description)
    ]
    if empty:
        raise ValueError(
            f"No labelled epoch left in {len(empty)} recordings ("
            + "; ".join(empty)
            + "): zero-length recording, or every epoch unscored or dropped. "
            "Leave them out (subject_ids=...)."
        )
    n_samples = int(round(epoch_s * sfreq))
    if not np.isclose(n_samples, epoch_s * sfreq):
        raise ValueError(
            f"{epoch_s} s at {sfreq} Hz is not a whole number of samples; "
            "choose another sfreq."
        )
    return create_windows_from_events(
        BaseConcatDataset(raw_datasets),
        window_size_samples=n_samples,
        window_stride_samples=n_samples,
        mapping=AASM_EVENT_MAPPING if mapping is None else mapping,
        preload=True,
        on_missing="ignore",
        on_last_window="drop",
    )


def raw_dataset(raw, description):
    """Wrap a raw recording and its description (dict) for braindecode."""
    return RawDataset(raw, pd.Series(description, name=""))
