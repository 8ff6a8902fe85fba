"""Windows -> sequences of consecutive 30-s epochs of one recording."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import warnings

import numpy as np
import pandas as pd
from braindecode.samplers import SequenceSampler
from torch.utils.data import Dataset

from .units import recording_unit, to_microvolts

SHORT_OPTIONS = ("raise", "skip")


def _recording_name(description):
    parts = [
        f"{key}={description[key]}"
        for key in ("dataset", "subject", "recording", "night")
        if key in description.index
    ]
    return ", ".join(parts) or "recording"


def _count(value, name):
    """``value`` as an int >= 1, or a ValueError saying what was given."""
    try:
        ok = float(value) == int(value) and int(value) >= 1
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    return int(value)


def _window_starts(ds):
    """Start sample and length (in samples) of every window of one recording."""
    meta = ds.metadata if hasattr(ds, "metadata") else None
    if meta is not None and "i_start_in_trial" in meta:
        starts = meta["i_start_in_trial"].to_numpy(np.int64)
        stops = meta["i_stop_in_trial"].to_numpy(np.int64)
    else:
        crop = np.asarray(ds.crop_inds, dtype=np.int64)
        starts, stops = crop[:, 1], crop[:, 2]
    return starts, stops


def _check_windows(windows, caller):
    """A clear TypeError for anything but a braindecode dataset of windows."""
    if not hasattr(windows, "datasets"):
        shape = getattr(windows, "shape", None)
        what = type(windows).__name__ + (f" of shape {shape}" if shape else "")
        raise TypeError(
            f"{caller} expects a braindecode BaseConcatDataset of windows, one "
            f"dataset per recording (e.g. from load_sample() or "
            f"create_windows_from_events), got {what}. Arrays already cut into "
            "sequences (n_seq, seq_len, n_chans, n_times) go to the estimator "
            "directly."
        )


def _check_compatible(windows):
    """Same number of channels, samples per window and sampling rate everywhere."""
    shapes, rates = set(), set()
    for ds in windows.datasets:
        x = ds[0][0]
        shapes.add(tuple(np.shape(x)))
        info = ds.raw.info if getattr(ds, "raw", None) is not None else None
        if info is None and getattr(ds, "windows", None) is not None:
            info = ds.windows.info
        if info is not None:
            rates.add(float(info["sfreq"]))
    if len(rates) > 1:
        raise ValueError(
            f"Recordings with different sampling rates {sorted(rates)} Hz cannot "
            "be combined into sequences; resample them to one rate first."
        )
    if len(shapes) > 1:
        raise ValueError(
            f"Windows of different shapes {sorted(shapes)} (channels, samples) "
            "cannot be combined into sequences."
        )
    return shapes.pop()


def sequence_starts(windows, seq_len, stride=None, on_short="raise"):
    """Indices of the first window of every sequence.

    Sequences hold ``seq_len`` consecutive windows of one recording: they
    never cross recordings nor a gap in time (epochs left out by a loader).
    They start every ``stride`` windows; when the last one does not reach the
    end of a run of consecutive windows, one more sequence ending at its last
    window is added, so with ``stride <= seq_len`` every window is in at least one
    sequence (a larger stride skips windows between sequences).

    Parameters
    ----------
    windows : braindecode.datasets.BaseConcatDataset
        Windows datasets, one per recording, windows in time order.
    seq_len : int
        Windows per sequence (>= 1).
    stride : int | None
        Windows between the starts of two sequences; default ``seq_len``
        (no overlap).
    on_short : {"raise", "skip"}
        A recording (or run of consecutive windows) shorter than ``seq_len``
        raises a ``ValueError`` naming it, or is skipped with a warning that
        counts the windows left out.

    Returns
    -------
    starts : np.ndarray of int64
        Global window index of each sequence's first window.
    rec_ids : np.ndarray of int64
        Recording (position in ``windows.datasets``) of each sequence.
    """
    _check_windows(windows, "sequence_starts")
    seq_len = _count(seq_len, "seq_len")
    stride = seq_len if stride is None else _count(stride, "stride")
    if on_short not in SHORT_OPTIONS:
        raise ValueError(f"on_short must be one of {SHORT_OPTIONS}, got {on_short!r}")
    starts, rec_ids, skipped = [], [], []
    offset = 0
    for i_rec, ds in enumerate(windows.datasets):
        win_starts, win_stops = _window_starts(ds)
        n = len(win_starts)
        gaps = np.flatnonzero(win_starts[1:] != win_stops[:-1]) + 1
        bounds = np.concatenate([[0], gaps, [n]])
        for a, b in zip(bounds[:-1], bounds[1:]):
            length = b - a
            if length < seq_len:
                what = _recording_name(ds.description)
                if len(bounds) > 2:
                    what += f" (run of windows {a}..{b - 1} between gaps)"
                if on_short == "raise":
                    raise ValueError(
                        f"seq_len={seq_len} is longer than {what}, which has "
                        f"{length} consecutive windows; use a smaller seq_len or "
                        "on_short='skip'."
                    )
                skipped.append((what, length))
                continue
            local = np.arange(0, length - seq_len + 1, stride)
            if local[-1] + seq_len < length:
                local = np.append(local, length - seq_len)
            starts.append(offset + a + local)
            rec_ids.append(np.full(len(local), i_rec))
        offset += n
    if skipped:
        warnings.warn(
            f"{len(skipped)} recordings or runs shorter than seq_len={seq_len} "
            f"skipped, {sum(n for _, n in skipped)} windows in no sequence: "
            + "; ".join(f"{w}: {n}" for w, n in skipped),
            stacklevel=3,
        )
    if not starts:
        raise ValueError(f"No recording holds {seq_len} consecutive windows.")
    return (
        np.concatenate(starts).astype(np.int64),
        np.concatenate(rec_ids).astype(np.int64),
    )


def _fast(ds):
    """Whether the windows of ``ds`` can be read straight from its preloaded raw."""
    raw = getattr(ds, "raw", None)
    return (
        raw is not None
        and getattr(raw, "preload", False)
        and getattr(ds, "transform", None) is None
        and getattr(ds, "targets_from", "metadata") == "metadata"
    )


def _window_values(ds, i):
    """Window ``i`` of ``ds`` in the recording's own unit, float64 when possible."""
    raw = getattr(ds, "raw", None)
    if (
        raw is not None
        and getattr(ds, "transform", None) is None
        and getattr(ds, "targets_from", "metadata") == "metadata"
        and hasattr(ds, "crop_inds")
    ):
        _, start, stop = (int(v) for v in ds.crop_inds[i])
        return raw.get_data(start=start, stop=stop)
    return np.asarray(ds[i][0], dtype=np.float64)


def _window_target(ds, i):
    """Label of window ``i`` of ``ds`` (from the metadata when it has them)."""
    if getattr(ds, "targets_from", "metadata") == "metadata" and hasattr(ds, "y"):
        return int(ds.y[i])
    return int(ds[i][1])


def _recording_arrays(ds):
    """All windows of one recording as (X float32 (n, C, T) in microvolts, y int64).

    The values are converted from the recording's unit (:func:`.units.recording_unit`,
    volts for the package's loaders) with :func:`.units.to_microvolts`.
    """
    if _fast(ds):
        data = ds.raw.get_data()
        starts, stops = _window_starts(ds)
        n_times = int(stops[0] - starts[0])
        idx = starts[:, None] + np.arange(n_times)
        X = data[:, idx].transpose(1, 0, 2)
        unit = recording_unit(ds, sample=X[:8])
        X = np.ascontiguousarray(to_microvolts(X, unit), dtype=np.float32)
        y = np.asarray(ds.y, dtype=np.int64)
        return X, y
    items = [ds[i] for i in range(len(ds))]
    X = np.stack([np.asarray(it[0], dtype=np.float64) for it in items])
    unit = recording_unit(ds, sample=X[:8])
    X = np.asarray(to_microvolts(X, unit), dtype=np.float32)
    y = np.asarray([int(it[1]) for it in items], dtype=np.int64)
    return X, y


def _groups(windows, rec_ids, group_by):
    desc = windows.description
    if group_by not in desc:
        raise ValueError(f"description has no column {group_by!r}: {list(desc)}")
    return desc[group_by].to_numpy()[rec_ids]


def make_sequences(
    windows, seq_len, stride=None, *, on_short="raise", group_by="subject"
):
    """Sequences of consecutive epochs of one recording, as arrays.

    Parameters
    ----------
    windows : braindecode.datasets.BaseConcatDataset
        Windows datasets, one per recording (e.g. from :func:`load_sample`).
    seq_len : int
        Epochs per sequence.
    stride : int | None
        Epochs between the starts of two sequences; default ``seq_len``.
        See :func:`sequence_starts` for how the end of a recording is covered.
    on_short : {"raise", "skip"}
        What to do with a recording shorter than ``seq_len``.
    group_by : str
        Description column returned in ``groups`` (for ``GroupKFold``).

    Returns
    -------
    X : np.ndarray of float32, shape (n_seq, seq_len, n_chans, n_times)
    y : np.ndarray of int64, shape (n_seq, seq_len)
    groups : np.ndarray, shape (n_seq,)
        The subject (``group_by``) of each sequence.

    See Also
    --------
    SequenceDataset : the same sequences, loaded lazily.
    """
    _check_windows(windows, "make_sequences")
    _check_compatible(windows)
    starts, rec_ids = sequence_starts(windows, seq_len, stride, on_short)
    offsets = np.concatenate([[0], np.cumsum([len(d) for d in windows.datasets])])
    X_parts, y_parts = [], []
    for i_rec in np.unique(rec_ids):
        Xr, yr = _recording_arrays(windows.datasets[i_rec])
        local = starts[rec_ids == i_rec] - offsets[i_rec]
        idx = local[:, None] + np.arange(_count(seq_len, "seq_len"))
        X_parts.append(Xr[idx])
        y_parts.append(yr[idx])
    X = np.concatenate(X_parts).astype(np.float32, copy=False)
    y = np.concatenate(y_parts).astype(np.int64, copy=False)
    return X, y, _groups(windows, rec_ids, group_by)


class RecordingSequenceSampler(SequenceSampler):
    """braindecode ``SequenceSampler`` that respects recordings and time gaps.

    braindecode's sampler groups windows by ``subject``/``session``/``run``:
    two nights of one subject without a ``session`` column would be merged
    into one recording and a sequence could span both. This one groups by
    position in ``windows.datasets`` and uses :func:`sequence_starts`.

    Parameters
    ----------
    windows : braindecode.datasets.BaseConcatDataset
        Windows, one dataset per recording.
    seq_len, stride, on_short
        As in :func:`make_sequences`.
    randomize : bool
        Yield sequences in random order.
    random_state : int | np.random.RandomState | None
        Seed for ``randomize``.
    """

    def __init__(
        self,
        windows,
        seq_len,
        stride=None,
        on_short="raise",
        randomize=False,
        random_state=None,
    ):
        self._starts = sequence_starts(windows, seq_len, stride, on_short)
        metadata = pd.DataFrame(
            {
                "run": np.repeat(
                    np.arange(len(windows.datasets)),
                    [len(d) for d in windows.datasets],
                ),
                "i_start_in_trial": np.concatenate(
                    [_window_starts(d)[0] for d in windows.datasets]
                ),
            }
        )
        super().__init__(
            metadata,
            n_windows=int(seq_len),
            n_windows_stride=int(seq_len if stride is None else stride),
            randomize=randomize,
            random_state=random_state,
        )

    def _compute_seq_start_inds(self):
        return self._starts


class SequenceDataset(Dataset):
    """Lazy counterpart of :func:`make_sequences` (same sequences, same order).

    Item ``i`` is ``(X, y)`` with ``X`` float32 ``(seq_len, n_chans,
    n_times)`` and ``y`` int64 ``(seq_len,)``, read from the windows on
    access, so data larger than memory can be streamed (e.g. windows created
    with ``preload=False``).

    Parameters
    ----------
    windows : braindecode.datasets.BaseConcatDataset
        Windows, one dataset per recording.
    seq_len, stride, on_short, group_by
        As in :func:`make_sequences`.

    Attributes
    ----------
    sampler : RecordingSequenceSampler
        The braindecode sampler that defines the sequences.
    groups : np.ndarray
        ``group_by`` value of each sequence.
    """

    def __init__(
        self, windows, seq_len, stride=None, on_short="raise", group_by="subject"
    ):
        _check_windows(windows, "SequenceDataset")
        _check_compatible(windows)
        self.windows = windows
        self.seq_len = int(seq_len)
        self.sampler = RecordingSequenceSampler(windows, seq_len, stride, on_short)
        self.groups = _groups(windows, self.sampler.file_ids, group_by)
        self._offsets = np.concatenate(
            [[0], np.cumsum([len(d) for d in windows.datasets])]
        )
        self._units = {}

    def __len__(self):
        return len(self.sampler)

    def __getitem__(self, index):
        start = int(self.sampler.start_inds[index])
        i_rec = int(self.sampler.file_ids[index])
        ds = self.windows.datasets[i_rec]
        local = start - int(self._offsets[i_rec])
        X = np.stack(
            [_window_values(ds, i) for i in range(local, local + self.seq_len)]
        )
        X = np.asarray(to_microvolts(X, self._unit(i_rec)), dtype=np.float32)
        y = np.asarray(
            [_window_target(ds, i) for i in range(local, local + self.seq_len)],
            dtype=np.int64,
        )
        return X, y

    def _unit(self, i_rec):
        """Unit of recording ``i_rec`` (read once, as :func:`make_sequences` does)."""
        if i_rec not in self._units:
            ds = self.windows.datasets[i_rec]
            sample = np.stack([_window_values(ds, i) for i in range(min(len(ds), 8))])
            self._units[i_rec] = recording_unit(ds, sample=sample)
        return self._units[i_rec]
