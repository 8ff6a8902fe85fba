"""Sequences of many nights in one memory-mapped file, written night by night.

Training reads the sequences from disk: only one night is in memory while the
file is written, and the estimator then indexes the memory map batch by batch,
so memory does not grow with the number of nights (the operating system pages
the file in and out).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib.format import open_memmap
from sleepkd_runtime.contract import scale_epochs

from .nights import read_night


@dataclass
class SequenceStore:
    """Sequences of several nights, with labels and teacher probabilities.

    Attributes
    ----------
    X : np.memmap, shape (n_seq, seq_len, 1, n_times)
        Scaled epochs, float32, on disk.
    y : np.ndarray of int64, shape (n_seq, seq_len)
        Labels, -1 where unscored.
    proba : np.ndarray of float32, shape (n_seq, seq_len, 5)
        The teacher's probabilities.
    night : np.ndarray of int64, shape (n_seq,)
        Index of each sequence's night in the records given.
    n_dropped : int
        Epochs after the last whole sequence of each night (not used).
    """

    X: np.ndarray
    y: np.ndarray
    proba: np.ndarray
    night: np.ndarray
    n_dropped: int


def write_sequences(path, records, folder, channel, seq_len, scaling="robust"):
    """Cut scored nights into sequences of ``seq_len`` epochs, on disk.

    Parameters
    ----------
    path : str | Path
        The ``.npy`` file to write (replaced).
    records : list of dict
        :func:`~braindecode_sleepkd.cohort.scoring.score_one` records.
    folder : dict
        Night name -> :class:`~braindecode_sleepkd.cohort.nights.Night`.
    channel : str
    seq_len : int
    scaling : {"robust", "standard", "none"}
        Per-epoch scaling (recorded in the student's contract).

    Returns
    -------
    SequenceStore
    """
    L = int(seq_len)
    counts = [len(r["y"]) // L for r in records]
    if not sum(counts):
        raise ValueError(
            f"No night has {L} epochs (one sequence of seq_len={L}); nights: "
            f"{[len(r['y']) for r in records]} epochs."
        )

    def epochs_of(rec):  # at the rate it was scored at (resampled if it was)
        return read_night(folder[rec["name"]], channel, rec["sfreq"], True)[0]

    first = epochs_of(records[0])
    shape = (sum(counts), L, 1, first.shape[-1])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    X = open_memmap(path, mode="w+", dtype=np.float32, shape=shape)
    ys, probas, nights, at, dropped = [], [], [], 0, 0
    for i, (rec, n) in enumerate(zip(records, counts)):
        epochs = first if i == 0 else epochs_of(rec)
        first = None
        k = n * L
        X[at : at + n] = scale_epochs(epochs[:k], scaling).reshape(n, L, 1, -1)
        ys.append(rec["y"][:k].reshape(n, L))
        probas.append(rec["proba"][:k].reshape(n, L, -1))
        nights.append(np.full(n, i))
        dropped += len(rec["y"]) - k
        at += n
    X.flush()
    return SequenceStore(
        X=np.load(path, mmap_mode="c"),  # writable view, file left as is
        y=np.concatenate(ys),
        proba=np.concatenate(probas).astype(np.float32),
        night=np.concatenate(nights),
        n_dropped=int(dropped),
    )
