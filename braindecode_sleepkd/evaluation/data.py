"""Benchmark data: load, cut sequences, scale per recording, describe."""

import numpy as np

from ..datasets import SLEEP_STAGES, make_sequences, sequence_starts

DATASETS = ("sample", "dreams", "sleep-edf", "isruc", "simulated")


def load_windows(name, *, data_path=None, n_recordings=None, max_epochs=None, seed=0):
    """Load the windows of a benchmark data set.

    Parameters
    ----------
    name : {"sample", "dreams", "sleep-edf", "isruc", "simulated"}
        ``sample`` and ``dreams`` are the DREAMS Spindles excerpts (the sample
        loads them from the default places); ``simulated`` is
        :func:`~braindecode_sleepkd.datasets.simulate_sleep_eeg`.
    data_path : str | Path | None
        Folder of the files (default: the package's data folder).
    n_recordings : int | None
        Keep only the first recordings (simulated: how many to simulate).
    max_epochs : int | None
        Simulated only: epochs kept per recording.
    seed : int
        Seed of the simulation.

    Returns
    -------
    windows : braindecode.datasets.BaseConcatDataset
    """
    if name == "sample":
        from ..datasets import load_sample

        windows = load_sample(path=data_path)
    elif name == "dreams":
        from ..datasets import DREAMS

        windows = DREAMS(path=data_path)
    elif name == "sleep-edf":
        from ..datasets import SleepEDF

        kwargs = {} if n_recordings is None else {"subject_ids": range(n_recordings)}
        return SleepEDF(path=data_path, **kwargs)
    elif name == "simulated":
        from ..datasets import simulate_sleep_eeg

        return simulate_sleep_eeg(
            n_recordings=39 if n_recordings is None else n_recordings,
            max_epochs_per_recording=max_epochs,
            seed=seed,
            hypnogram_dir=data_path,
        )
    elif name == "isruc":
        raise ValueError(
            "The ISRUC-Sleep loader is not part of this version yet "
            "(braindecode_sleepkd.datasets has no ISRUC class)."
        )
    else:
        raise ValueError(f"Unknown dataset {name!r}; valid: {', '.join(DATASETS)}.")
    if n_recordings is not None:
        from braindecode.datasets import BaseConcatDataset

        windows = BaseConcatDataset(windows.datasets[:n_recordings])
    return windows


def sequences(windows, seq_len):
    """Non-overlapping sequences with their subject, recording and epoch index.

    Returns
    -------
    X : np.ndarray, (n_seq, seq_len, n_chans, n_times), float32
    y : np.ndarray, (n_seq, seq_len), int64
    subjects, recordings : np.ndarray, (n_seq,)
    epoch_index : np.ndarray, (n_seq, seq_len)
        Global index of every epoch (the last sequence of a recording may
        overlap the one before; use this index to count each epoch once).
    """
    X, y, subjects = make_sequences(windows, seq_len, on_short="skip")
    starts, rec_ids = sequence_starts(windows, seq_len, on_short="skip")
    epoch_index = starts[:, None] + np.arange(int(seq_len))
    return X, y, np.asarray(subjects), np.asarray(rec_ids), epoch_index


def evenly_spaced(recordings, n_per_recording):
    """Indices of ``n_per_recording`` evenly spaced sequences of every recording.

    Deterministic; a recording with fewer sequences keeps them all.
    """
    keep = []
    for rec in np.unique(recordings):
        idx = np.flatnonzero(recordings == rec)
        n = min(len(idx), int(n_per_recording))
        keep.append(idx[np.linspace(0, len(idx) - 1, n).round().astype(int)])
    return np.sort(np.concatenate(keep))


def robust_scale_per_recording(X, recordings, eps=1e-6):
    """Centre each recording on its median and divide by its inter-quartile range.

    Stateless per recording (no statistic crosses recordings), so it leaks
    nothing between training and test subjects.
    """
    out = np.empty_like(X, dtype=np.float32)
    for rec in np.unique(recordings):
        sel = recordings == rec
        q25, med, q75 = np.percentile(X[sel], [25, 50, 75])
        out[sel] = (X[sel] - med) / (q75 - q25 + eps)
    return out


def describe(windows, y, subjects, epoch_index):
    """Size of the data set: recordings, subjects, epochs and stage counts."""
    flat_idx, first = np.unique(epoch_index.ravel(), return_index=True)
    labels = y.ravel()[first]
    counts = np.bincount(labels, minlength=len(SLEEP_STAGES))
    desc = windows.description
    simulated = (
        bool(desc.get("simulated", False).any()) if "simulated" in desc else False
    )
    return {
        "n_recordings": len(windows.datasets),
        "n_subjects": int(len(np.unique(subjects))),
        "n_epochs": int(len(flat_idx)),
        "hours": round(len(flat_idx) * 30 / 3600, 2),
        "stage_counts": dict(zip(SLEEP_STAGES, counts.tolist())),
        "simulated": simulated,
    }


def simulated_sequences(n_recordings, epochs_per_recording, seq_len, sfreq=100.0):
    """Simulated nights cut into sequences and scaled per recording (seed 0).

    Returns
    -------
    X, y, subjects, recordings : np.ndarray
        As :func:`sequences` (``X`` robust-scaled per recording).
    """
    from ..datasets import simulate_sleep_eeg

    windows = simulate_sleep_eeg(
        n_recordings=n_recordings,
        max_epochs_per_recording=epochs_per_recording,
        sfreq=sfreq,
        seed=0,
    )
    X, y, subjects, recordings, _ = sequences(windows, seq_len)
    return robust_scale_per_recording(X, recordings), y, subjects, recordings
