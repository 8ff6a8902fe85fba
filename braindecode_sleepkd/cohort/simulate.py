"""A folder of simulated EDF nights, some scored (tests, examples, benchmarks)."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from pathlib import Path

import numpy as np

from .nights import write_night_edf


def _microvolts(raw):
    """The single channel of a simulated ``raw`` in microvolts."""
    x = raw.get_data()[0]
    return x * 1e6 if x.std() < 1e-2 else x  # volts (MNE's unit) or microvolts


def write_simulated_cohort(
    folder,
    n_nights,
    n_scored=0,
    *,
    max_epochs=None,
    sfreq=100.0,
    channel="EEG",
    seed=0,
):
    """Write ``n_nights`` simulated nights as EDF files, the first ``n_scored``
    with their hypnograms; return the true labels of every night.

    Parameters
    ----------
    folder : str | Path
        Created if needed; nights are ``night000.edf``, ``night001.edf``, ...
    n_nights : int
        Nights (1 to 40, see :func:`~braindecode_sleepkd.datasets.simulate_sleep_eeg`).
    n_scored : int
        Nights written with ``<stem>.hypnogram.txt``.
    max_epochs : int | None
        Keep the first epochs of each night.
    sfreq : float
    channel : str
    seed : int

    Returns
    -------
    truth : dict
        Night name -> true labels (np.ndarray of int64), scored or not.
    """
    from ..datasets import simulate_sleep_eeg

    if not 0 <= n_scored <= n_nights:
        raise ValueError(f"n_scored must be in 0..{n_nights}, got {n_scored}.")
    windows = simulate_sleep_eeg(
        n_recordings=n_nights,
        max_epochs_per_recording=max_epochs,
        sfreq=sfreq,
        seed=seed,
    )
    n_times = int(round(30 * sfreq))
    truth = {}
    for i, ds in enumerate(windows.datasets):
        x = _microvolts(ds.raw)
        n = len(x) // n_times
        y = np.asarray(ds.y, dtype=np.int64)[:n]
        path = Path(folder) / f"night{i:03d}.edf"
        X = x[: n * n_times].reshape(n, n_times)
        write_night_edf(path, X, sfreq, channel, y=y if i < n_scored else None)
        truth[path.stem] = y
    return truth
