"""Cutting the channels of a recording into consecutive 30-s epochs."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np

from .constants import EPOCH_S


def epoch_samples(sfreq):
    """Samples in one 30-s epoch at ``sfreq``; raise if not a whole number."""
    n_times = EPOCH_S * sfreq
    if not np.isclose(n_times, round(n_times)):
        raise ValueError(f"30 s at {sfreq:g} Hz is not a whole number of samples.")
    return int(round(n_times))


def cut_epochs(signals, sfreq, name="The recording"):
    """Consecutive 30-s epochs of some channels; a trailing partial epoch dropped.

    Parameters
    ----------
    signals : sequence of 1-D array-like
        One signal per channel, in the model's order and in microvolts (a 2-D
        array ``(n_chans, n_samples)`` is one). The shortest sets the length.
    sfreq : float
        Their sampling rate, Hz.
    name : str
        What the recording is called in errors.

    Returns
    -------
    X : np.ndarray of float32, shape (n_epochs, n_chans, n_times)
    onsets : np.ndarray, shape (n_epochs,)
        Epoch onsets in seconds from the start of the recording.

    Raises
    ------
    ValueError
        30 s is not a whole number of samples, the recording is shorter than
        one epoch, or it holds NaN or infinite samples.
    """
    n_times = epoch_samples(sfreq)
    n_samples = min(len(s) for s in signals) if len(signals) else 0
    n_epochs = n_samples // n_times
    if n_epochs == 0:
        raise ValueError(
            f"{name} lasts {n_samples / sfreq:.1f} s, shorter than one 30-s epoch."
        )
    X = np.empty((n_epochs, len(signals), n_times), dtype=np.float32)
    for k, signal in enumerate(signals):
        X[:, k, :] = np.asarray(signal[: n_epochs * n_times]).reshape(-1, n_times)
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite samples.")
    return X, np.arange(n_epochs) * EPOCH_S
