"""Sliding sequences over a night and combining their overlapping predictions."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np


def night_starts(n_epochs, seq_len, stride):
    """First epoch of every sequence slid over a night, each epoch covered.

    Sequences start every ``stride`` epochs; one last sequence ending on the
    last epoch is added when the stride does not land there, so the first and
    the last epochs of the night are always covered.

    Parameters
    ----------
    n_epochs : int
        Epochs in the night (at least ``seq_len``).
    seq_len : int
        Epochs per sequence.
    stride : int
        Epochs between the starts of two sequences, 1 to ``seq_len``.

    Returns
    -------
    starts : np.ndarray of int
    """
    n_epochs, seq_len, stride = int(n_epochs), int(seq_len), int(stride)
    if seq_len < 1:
        raise ValueError(f"seq_len must be at least 1, got {seq_len}.")
    if not 1 <= stride <= seq_len:
        raise ValueError(
            f"stride must be between 1 and seq_len={seq_len} (a larger stride "
            f"would leave epochs unscored), got {stride}."
        )
    if n_epochs < seq_len:
        raise ValueError(
            f"The night has {n_epochs} epochs, fewer than one sequence "
            f"(seq_len={seq_len})."
        )
    starts = list(range(0, n_epochs - seq_len + 1, stride))
    if starts[-1] != n_epochs - seq_len:
        starts.append(n_epochs - seq_len)
    return np.asarray(starts, dtype=np.int64)


def combine(proba, starts, n_epochs):
    """Average the probabilities that overlapping sequences give each epoch.

    The combined probability of an epoch is the arithmetic mean of the
    probability vectors (softmax outputs) of every sequence that contains it;
    each row still sums to one.

    Parameters
    ----------
    proba : np.ndarray, shape (n_seq, seq_len, n_classes)
    starts : array-like of int, shape (n_seq,)
    n_epochs : int

    Returns
    -------
    proba : np.ndarray, shape (n_epochs, n_classes)
    counts : np.ndarray of int, shape (n_epochs,)
        How many sequences covered each epoch.
    """
    proba = np.asarray(proba, dtype=np.float64)
    n_seq, seq_len, n_classes = proba.shape
    total = np.zeros((n_epochs, n_classes))
    counts = np.zeros(n_epochs, dtype=np.int64)
    for start, p in zip(np.asarray(starts), proba):
        total[start : start + seq_len] += p
        counts[start : start + seq_len] += 1
    if (counts == 0).any():
        raise ValueError(
            f"{int((counts == 0).sum())} epochs are covered by no sequence."
        )
    return total / counts[:, None], counts
