"""A folder of simulated EDF nights, some scored (tests, examples, benchmarks)."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from pathlib import Path

from .nights import write_night_edf


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

    Nights are simulated and written one at a time
    (:func:`~braindecode_sleepkd.datasets.iter_simulated_nights`), so any
    number of them can be written in constant memory.

    Parameters
    ----------
    folder : str | Path
        Created if needed; nights are ``night000.edf``, ``night001.edf``, ...
    n_nights : int
        Nights, >= 1.
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
    from ..datasets import iter_simulated_nights

    if not 0 <= n_scored <= n_nights:
        raise ValueError(f"n_scored must be in 0..{n_nights}, got {n_scored}.")
    nights = iter_simulated_nights(
        n_nights, max_epochs_per_recording=max_epochs, sfreq=sfreq, seed=seed
    )
    truth = {}
    for i, (X, y, _) in enumerate(nights):
        path = Path(folder) / f"night{i:03d}.edf"
        write_night_edf(path, X, sfreq, channel, y=y if i < n_scored else None)
        truth[path.stem] = y
    return truth
