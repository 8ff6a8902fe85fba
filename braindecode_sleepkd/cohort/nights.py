"""A folder of nights: EDF files, their optional hypnograms, and what was skipped."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sleepkd_runtime.edf import read_edf_epochs

from ..constants import SLEEP_STAGES, UNLABELLED

#: Stage spellings accepted in hypnogram files -> label (W=0 .. REM=4).
STAGE_NAMES = {
    **{name: k for k, name in enumerate(SLEEP_STAGES)},
    **{str(k): k for k in range(5)},
    "WAKE": 0,
    "R": 4,
    "N4": 3,
}
#: Spellings of an unscored epoch.
UNSCORED_NAMES = {"?", "-1", "UNSCORED", "U", "ART", "MT", "MOVEMENT"}


class NightError(ValueError):
    """A night that cannot be used, with the reason (skipped or refused)."""


@dataclass
class Night:
    """One recording of a cohort.

    Parameters
    ----------
    path : Path
        The EDF file.
    hypnogram : Path | None
        Its scored hypnogram, when one was found.
    """

    path: Path
    hypnogram: Path | None = None

    @property
    def name(self):
        """The file name without its suffix."""
        return self.path.stem


@dataclass
class Skipped:
    """Nights left out of a cohort, each with its reason."""

    reasons: dict = field(default_factory=dict)

    def add(self, night, reason):
        """Record that ``night`` (a :class:`Night` or a name) was left out."""
        self.reasons[getattr(night, "name", str(night))] = str(reason)

    def __len__(self):
        return len(self.reasons)

    def summary(self):
        """One line: how many nights were skipped and why (the first few)."""
        if not self.reasons:
            return "no night skipped"
        shown = "; ".join(f"{k}: {v}" for k, v in list(self.reasons.items())[:3])
        more = f" (+{len(self) - 3} more)" if len(self) > 3 else ""
        return f"{len(self)} night(s) skipped: {shown}{more}"


def find_nights(folder, pattern="*.edf", hypnogram="{stem}.hypnogram.txt"):
    """The EDF nights of ``folder`` and the hypnograms that score some of them.

    Parameters
    ----------
    folder : str | Path
        Folder searched (not recursively) for ``pattern``.
    pattern : str
        Glob of the EDF files.
    hypnogram : str | None
        Name of a night's hypnogram in the same folder, ``{stem}`` standing for
        the EDF file's name without suffix; None: every night is unscored.

    Returns
    -------
    nights : list of Night
        Sorted by file name.

    Raises
    ------
    FileNotFoundError
        The folder does not exist or holds no file matching ``pattern``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"Nights folder not found: {folder}")
    paths = sorted(p for p in folder.glob(pattern) if p.is_file())
    if not paths:
        raise FileNotFoundError(
            f"No night matching {pattern!r} in {folder}; expected EDF recordings."
        )
    if hypnogram is not None and "{stem}" not in hypnogram:
        raise ValueError(
            f"hypnogram must name the file with {{stem}}, got {hypnogram!r} "
            "(e.g. '{stem}.hypnogram.txt')."
        )
    nights = []
    for path in paths:
        hyp = None
        if hypnogram is not None:
            candidate = folder / hypnogram.format(stem=path.stem)
            hyp = candidate if candidate.is_file() else None
        nights.append(Night(path, hyp))
    return nights


def read_hypnogram(fname):
    """Read a hypnogram file: one stage per 30-s epoch, from the first epoch.

    Two layouts are read: one stage per line (``W``, ``N1``, ``N2``, ``N3``,
    ``REM``/``R`` or 0-4; ``?`` or -1 for an unscored epoch), or a CSV with a
    ``stage`` column such as ``sleepkd stage`` writes.

    Returns
    -------
    labels : np.ndarray of int64
        Label per epoch, -1 where unscored.

    Raises
    ------
    NightError
        An unknown stage (the first few are named with their lines) or no stage.
    """
    fname = Path(fname)
    lines = fname.read_text(encoding="utf-8", errors="replace").splitlines()
    column, first = 0, 0
    if lines and "," in lines[0]:
        header = [c.strip().lower() for c in lines[0].split(",")]
        if "stage" not in header:
            raise NightError(f"{fname}: a CSV hypnogram needs a 'stage' column.")
        column, first = header.index("stage"), 1
    labels, bad = [], []
    for lineno, line in enumerate(lines[first:], start=first + 1):
        if not line.strip():
            continue
        text = line.split(",")[column].strip().upper()
        if text in UNSCORED_NAMES:
            labels.append(UNLABELLED)
        elif text in STAGE_NAMES:
            labels.append(STAGE_NAMES[text])
        else:
            bad.append(f"line {lineno}: {text!r}")
    if bad:
        raise NightError(
            f"{fname}: unknown stages ({'; '.join(bad[:5])}); expected W, N1, N2, "
            "N3, REM (or R, 0-4), and ? or -1 for unscored epochs."
        )
    if not labels:
        raise NightError(f"{fname}: no stage in the hypnogram.")
    return np.asarray(labels, dtype=np.int64)


def channel_rate(night, channel):
    """The sampling rate of ``channel`` in the night's EDF header, or None.

    Reads the header only; a night that cannot be read or lacks the channel
    gives None (:func:`read_night` then says why).
    """
    import edfio

    try:
        edf = edfio.read_edf(night.path, lazy_load_data=True)
    except Exception:  # noqa: BLE001 - any damage is reported by read_night
        return None
    rates = [s.sampling_frequency for s in edf.signals if s.label.strip() == channel]
    return float(rates[0]) if rates else None


def cohort_rate(nights, channel):
    """The most common rate of ``channel`` over the nights, and the others.

    Returns
    -------
    sfreq : float | None
        The cohort's rate (the lowest of the most common ones on a tie); None
        when no night's header could be read.
    others : dict
        Night name -> its rate, for the nights at another rate.
    """
    rates = {n.name: channel_rate(n, channel) for n in nights}
    known = [r for r in rates.values() if r is not None]
    if not known:
        return None, {}
    values, counts = np.unique(known, return_counts=True)
    sfreq = float(values[np.argmax(counts)])
    others = {k: r for k, r in rates.items() if r is not None and r != sfreq}
    return sfreq, others


def resample_epochs(X, rate, sfreq):
    """Epochs ``X`` sampled at ``rate`` resampled to ``sfreq`` with MNE.

    The night is resampled as one continuous signal per channel (no edge
    effects at epoch boundaries) and cut again into 30-s epochs.
    """
    from mne.filter import resample

    n_epochs, n_chans, _ = X.shape
    signal = X.transpose(1, 0, 2).reshape(n_chans, -1).astype(np.float64)
    out = resample(
        signal, up=float(sfreq), down=float(rate), npad="auto", verbose=False
    )
    n_times = int(round(30 * sfreq))
    out = out[:, : n_epochs * n_times].reshape(n_chans, n_epochs, n_times)
    return np.ascontiguousarray(out.transpose(1, 0, 2), dtype=np.float32)


def read_night(night, channel, sfreq=None, resample=False):
    """Epochs and labels of one night, or a :class:`NightError` saying why not.

    Parameters
    ----------
    night : Night
    channel : str
        The EEG channel, as labelled in the EDF file.
    sfreq : float | None
        The rate every night must have (None: any).
    resample : bool
        Resample a night at another rate to ``sfreq`` (MNE) instead of
        raising a :class:`NightError`.

    Returns
    -------
    X : np.ndarray of float32, shape (n_epochs, 1, n_times)
        Microvolts, read by the channel's physical dimension.
    y : np.ndarray of int64, shape (n_epochs,)
        Labels, -1 for an unscored night or epoch. A hypnogram one epoch
        longer than the signal is cut, one epoch shorter leaves the last epoch
        unscored (see :func:`check_hypnogram_length`); a larger difference is
        a :class:`NightError`.
    sfreq : float
    """
    try:
        X, _, rate = read_edf_epochs(night.path, [channel])
    except (ValueError, OSError) as err:
        raise NightError(str(err)) from err
    if sfreq is not None and not np.isclose(rate, sfreq):
        if not resample:
            raise NightError(
                f"{night.path.name} is sampled at {rate:g} Hz, the cohort at "
                f"{sfreq:g} Hz."
            )
        X, rate = resample_epochs(X, rate, sfreq), sfreq
    y = np.full(len(X), UNLABELLED, dtype=np.int64)
    if night.hypnogram is not None:
        labels = read_hypnogram(night.hypnogram)
        check_hypnogram_length(night, len(labels), len(X))
        labels = labels[: len(X)]
        y[: len(labels)] = labels
    return X, y, float(rate)


def check_hypnogram_length(night, n_labels, n_epochs):
    """A note on a hypnogram one epoch off the night, or a :class:`NightError`.

    A hypnogram may differ from the night's 30-s epochs by one epoch (a
    trailing partial epoch scored, or not); a larger difference means the
    hypnogram belongs to another recording, another epoch length or was cut,
    and the night is refused.

    Returns
    -------
    note : str | None
        What was done about a one-epoch difference, None when the lengths match.
    """
    diff = n_labels - n_epochs
    if abs(diff) > 1:
        raise NightError(
            f"hypnogram {night.hypnogram.name} has {n_labels} epochs, the night "
            f"{n_epochs} 30-s epochs ({diff:+d}); at most one epoch of difference "
            "is accepted"
        )
    counts = f"hypnogram has {n_labels} epochs, the night {n_epochs}"
    if diff == 1:
        return f"{counts}: last label unused"
    if diff == -1:
        return f"{counts}: last epoch unscored"
    return None


def write_night_edf(fname, X, sfreq, channel="EEG", y=None):
    """Write epochs in microvolts as an EDF night (and its hypnogram when given).

    Parameters
    ----------
    fname : str | Path
        The ``.edf`` file.
    X : array-like, shape (n_epochs, n_times) or (n_epochs, 1, n_times)
        Microvolts.
    sfreq : float
    channel : str
        Channel label.
    y : array-like of int | None
        Labels (-1 unscored), written as ``<stem>.hypnogram.txt`` beside it.

    Returns
    -------
    fname : Path
    """
    import edfio

    fname = Path(fname)
    fname.parent.mkdir(parents=True, exist_ok=True)
    signal = np.asarray(X, dtype=np.float64).reshape(-1)
    bound = float(np.ceil(np.abs(signal).max() + 1.0))
    edf = edfio.Edf(
        [
            edfio.EdfSignal(
                signal,
                sampling_frequency=float(sfreq),
                label=channel,
                physical_dimension="uV",
                physical_range=(-bound, bound),
            )
        ]
    )
    edf.write(fname)
    if y is not None:
        names = [SLEEP_STAGES[k] if k >= 0 else "?" for k in np.asarray(y)]
        hyp = fname.with_name(f"{fname.stem}.hypnogram.txt")
        hyp.write_text("\n".join(names) + "\n", encoding="utf-8")
    return fname
