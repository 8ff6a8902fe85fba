"""YASA's pretrained LightGBM sleep stager as an external SleepKD teacher.

YASA (Vallat & Walker, eLife 2021; BSD-3, ``pip install yasa``) ships
pretrained LightGBM classifiers inside its package. :class:`YASATeacher` runs
``yasa.SleepStaging`` once per recording on the continuous signal behind a
braindecode windows dataset, maps YASA's 30-s epochs onto the windows by their
start sample and returns probabilities in the class order W, N1, N2, N3, REM,
aligned with the sequences that
:func:`~braindecode_sleepkd.datasets.make_sequences` cuts from the same
windows. ``SleepKDClassifier(YASATeacher(), assistant, student).fit(windows)``
then distils YASA without a neural teacher.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import hashlib
import json
from pathlib import Path

import numpy as np
from sleepkd_runtime.constants import EPOCH_S
from sleepkd_runtime.contract import UNITS as VOLTS

from ..datasets import sequence_starts
from ..datasets.sequences import _recording_name, _window_starts
from ..datasets.units import declared_unit
from .base import ExternalTeacher

#: YASA's stage names (classifier columns ``N1 N2 N3 R W``, or the names of a
#: ``yasa.Hypnogram``: ``WAKE N1 N2 N3 REM``) -> our labels W=0 .. REM=4.
YASA_STAGE_TO_LABEL = {"W": 0, "WAKE": 0, "N1": 1, "N2": 2, "N3": 3, "R": 4, "REM": 4}
#: YASA asserts ``sfreq > 80``; its features use frequencies up to 30 Hz.
YASA_MIN_SFREQ = 80.0
#: ``unit`` values: factor to volts (YASA's unit), or ``"auto"``.
UNITS = dict(VOLTS)
UNIT_OPTIONS = (*UNITS, "auto")
INSTALL_HINT = "pip install braindecode-sleepkd[yasa]"


def _import_yasa():
    try:
        import yasa
    except ImportError as exc:
        raise ImportError(
            "YASATeacher needs the optional dependency 'yasa' (YASA's pretrained "
            f"sleep-staging classifiers); install it with `{INSTALL_HINT}` "
            "(or `pip install yasa`)."
        ) from exc
    return yasa


def yasa_proba_to_labels(proba, classes=None):
    """Reorder YASA probabilities to the class order W, N1, N2, N3, REM.

    YASA's classifiers have alphabetical classes (``N1 N2 N3 R W``); a
    ``yasa.Hypnogram`` names them ``WAKE N1 N2 N3 REM``. Columns are matched
    by name, never by position.

    Parameters
    ----------
    proba : pandas.DataFrame | array-like, shape (n_epochs, 5)
        Probabilities per epoch, with stage names as columns (DataFrame), or
        an array whose column names are given in ``classes``.
    classes : sequence of str | None
        Stage name of each column of an array ``proba``.

    Returns
    -------
    proba : np.ndarray of float64, shape (n_epochs, 5)
        Columns W, N1, N2, N3, REM; each row sums to 1.

    Raises
    ------
    ValueError
        Unknown, duplicated or missing stage names, or rows that are not
        probabilities.
    """
    if classes is None:
        if not hasattr(proba, "columns"):
            raise ValueError(
                "Pass classes= (the stage name of each column) with an array; "
                "YASA's classifier order is alphabetical: N1, N2, N3, R, W."
            )
        classes = list(proba.columns)
    values = np.asarray(proba, dtype=np.float64)
    names = [str(c).upper() for c in classes]
    if values.ndim != 2 or values.shape[1] != len(names):
        raise ValueError(
            f"proba has shape {values.shape} for {len(names)} class names {names}."
        )
    unknown = [n for n in names if n not in YASA_STAGE_TO_LABEL]
    labels = [YASA_STAGE_TO_LABEL.get(n) for n in names]
    if unknown or sorted(labels) != list(range(5)):
        raise ValueError(
            f"Cannot map YASA's classes {list(classes)} to W, N1, N2, N3, REM: "
            f"expected each of W/WAKE, N1, N2, N3, R/REM once"
            + (f" (unknown: {unknown})." if unknown else ".")
        )
    out = np.empty_like(values)
    out[:, labels] = values
    if not np.isfinite(out).all() or (out < 0).any():
        raise ValueError("YASA returned probabilities that are not finite and >= 0.")
    sums = out.sum(axis=1, keepdims=True)
    if not np.allclose(sums, 1.0, atol=1e-3):
        raise ValueError("YASA returned probabilities that do not sum to 1.")
    return out / sums


def map_windows_to_epochs(starts, stops, epoch_samples, n_epochs, offset=0, name=""):
    """Index of the scorer's 30-s epoch behind each window.

    The scorer cuts the signal into consecutive epochs of ``epoch_samples``
    from sample ``offset``; window ``i`` (samples ``starts[i]`` to
    ``stops[i]``) must be exactly one of those epochs.

    Parameters
    ----------
    starts, stops : array-like of int
        First and one-past-last sample of each window in the recording.
    epoch_samples : int
        Samples per 30-s epoch.
    n_epochs : int
        Epochs the scorer returned.
    offset : int
        Sample where the scorer's first epoch starts.
    name : str
        Recording, for error messages.

    Returns
    -------
    index : np.ndarray of int64
        Epoch of each window.

    Raises
    ------
    ValueError
        A window that is not 30 s long, is off the 30-s grid, or lies
        outside the scored epochs (the first few are named).
    """
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    where = f" in {name}" if name else ""
    bad_len = np.flatnonzero(stops - starts != epoch_samples)
    if bad_len.size:
        raise ValueError(
            f"Windows{where} must be 30-s epochs ({epoch_samples} samples) to take "
            f"YASA's per-epoch probabilities; windows {bad_len[:5].tolist()} have "
            f"{(stops - starts)[bad_len[:5]].tolist()} samples."
        )
    index, rest = np.divmod(starts - offset, epoch_samples)
    off_grid = np.flatnonzero(rest != 0)
    if off_grid.size:
        raise ValueError(
            f"Windows{where} are not on one 30-s grid: YASA scores consecutive "
            f"30-s epochs from sample {offset}, but windows "
            f"{off_grid[:5].tolist()} start at samples "
            f"{starts[off_grid[:5]].tolist()} (not {offset} + k * "
            f"{epoch_samples}). Cut the windows on one grid (stride = 30 s)."
        )
    outside = np.flatnonzero((index < 0) | (index >= n_epochs))
    if outside.size:
        raise ValueError(
            f"Windows{where} {outside[:5].tolist()} lie outside the {n_epochs} "
            "epochs YASA scored (signal shorter than the windows?)."
        )
    return index.astype(np.int64)


def _recording_raw(ds, name):
    raw = getattr(ds, "raw", None)
    if raw is None:
        raise TypeError(
            f"{name}: YASATeacher needs the continuous recording behind the windows "
            "(a braindecode EEGWindowsDataset with .raw, as made by "
            "create_windows_from_events / load_sample); got "
            f"{type(ds).__name__} without one."
        )
    return raw


class YASATeacher(ExternalTeacher):
    """YASA's pretrained sleep stager as the teacher of ``SleepKDClassifier``.

    For every recording of a braindecode windows dataset, YASA's
    ``SleepStaging`` is run once on the continuous signal behind the windows
    (``ds.raw``, at the rate the windows were loaded at; YASA resamples to
    100 Hz itself, so loading at 100 Hz, e.g. ``load_sample(sfreq=100)``,
    loses nothing). Its 30-s epochs start at the first sample of the raw, or
    at the first window's phase of the 30-s grid when the windows are offset
    (the raw is then cropped to start there); each window is matched to the
    epoch with the same start sample, and a window off that grid raises. As
    YASA's features include rolling averages over minutes and the time of
    night, epochs left out of the windows (e.g. ambiguous ones) are still
    scored as context.

    Probabilities are cached per recording (keyed by a hash of the signal and
    the settings), in memory and in ``cache_dir`` when given, so refitting on
    other subsets of the recordings (cross-validation) reuses them.

    Parameters
    ----------
    eeg_name : str | None
        EEG channel to score (a central derivation such as C3-A1 or C4-M1
        suits YASA best); None takes the first channel.
    eog_name, emg_name : str | None
        Optional EOG / EMG channels (YASA picks the matching classifier).
    metadata : dict | None
        ``{"age": ..., "male": ...}`` for YASA's demographic classifiers.
    path_to_model : str
        YASA's classifier, ``"auto"`` for the one that ships with it.
    unit : {"auto", "uV", "V"}
        Unit of the signal scored; YASA takes volts. ``"auto"`` (default):
        for windows, the recording's unit
        (:func:`~braindecode_sleepkd.datasets.units.recording_unit`: its
        ``description["unit"]``, ``"V"`` for this package's loaders, which
        hold volts as MNE expects; else read from the amplitude); for a bare
        array given to :meth:`score_array`, read from its amplitude (a median
        standard deviation per 30-s epoch above 1e-3 is microvolts, e.g. the
        cohort code's arrays). ``"uV"`` or ``"V"`` force the unit.
    min_duration : float
        Shortest recording (seconds, from the first scored epoch) that is
        scored; YASA itself recommends at least 5 minutes.
    cache_dir : str | Path | None
        Folder for ``.npy`` caches of the probabilities (created).
    verbose : bool | str
        YASA / MNE logging level while scoring.

    Attributes
    ----------
    cache_ : dict
        Probabilities ``(n_epochs, 5)`` per cache key.
    scored_ : dict
        Per recording name: ``n_epochs``, ``offset`` (samples), ``sfreq``,
        ``cached``.

    Notes
    -----
    Recordings YASA cannot score are refused with the recording named:
    sampling rate at or below 80 Hz (``description["sfreq_native"]`` is
    checked too, since upsampling does not restore the missing band; DREAMS
    excerpt3 is 50 Hz), or shorter than ``min_duration``. Leave them out of
    the windows given to ``fit``.

    References
    ----------
    Vallat R., Walker M. P. An open-source, high-performance tool for
    automated sleep staging. eLife 10:e70092, 2021.

    Examples
    --------
    >>> from braindecode_sleepkd.datasets import load_sample
    >>> from braindecode_sleepkd.estimator import SleepKDClassifier
    >>> windows = load_sample(sfreq=100, subject_ids=[1, 4])  # doctest: +SKIP
    >>> clf = SleepKDClassifier(YASATeacher(), "deepsleepnet", "deepsleepnet",
    ...                         seq_len=10)  # doctest: +SKIP
    >>> clf.fit(windows)  # doctest: +SKIP
    """

    def __init__(
        self,
        eeg_name=None,
        *,
        eog_name=None,
        emg_name=None,
        metadata=None,
        path_to_model="auto",
        unit="auto",
        min_duration=300.0,
        cache_dir=None,
        verbose=False,
    ):
        self.eeg_name = eeg_name
        self.eog_name = eog_name
        self.emg_name = emg_name
        self.metadata = metadata
        self.path_to_model = path_to_model
        self.unit = unit
        self.min_duration = min_duration
        self.cache_dir = cache_dir
        self.verbose = verbose
        self.cache_ = {}
        self.scored_ = {}

    # ------------------------------------------------------------- scoring
    def _run_yasa(self, raw, eeg_name, eog_name, emg_name):
        """Run YASA on ``raw`` (volts); DataFrame of probabilities per epoch."""
        yasa = _import_yasa()
        import mne

        with mne.utils.use_log_level(self.verbose):
            sls = yasa.SleepStaging(
                raw,
                eeg_name=eeg_name,
                eog_name=eog_name,
                emg_name=emg_name,
                metadata=self.metadata,
            )
            hyp = sls.predict(self.path_to_model)
        proba = getattr(hyp, "proba", None)
        if proba is None:  # YASA < 0.7: predict() returns an array
            proba = sls.predict_proba()
        return proba

    def _check_recording(self, ds, raw, name, offset):
        sfreq = float(raw.info["sfreq"])
        desc = getattr(ds, "description", None)
        native = None
        if desc is not None and "sfreq_native" in desc.index:
            native = float(desc["sfreq_native"])
        for rate, what in ((native, "was recorded"), (sfreq, "is loaded")):
            if rate is not None and rate <= YASA_MIN_SFREQ:
                fix = (
                    "upsampling does not restore the missing frequencies; leave "
                    "this recording out of the windows given to the teacher"
                    if what == "was recorded"
                    else "load the windows at 100 Hz or more, e.g. "
                    "load_sample(sfreq=100)"
                )
                raise ValueError(
                    f"YASA cannot score {name}: it {what} at {rate:g} Hz, and YASA "
                    f"needs more than {YASA_MIN_SFREQ:g} Hz (its features reach "
                    f"30 Hz); {fix}."
                )
        epoch_samples = EPOCH_S * sfreq
        if not np.isclose(epoch_samples, round(epoch_samples)):
            raise ValueError(
                f"{name}: 30 s at {sfreq:g} Hz is not a whole number of samples."
            )
        duration = (raw.n_times - offset) / sfreq
        if duration < max(float(self.min_duration), EPOCH_S):
            raise ValueError(
                f"YASA cannot score {name}: {duration:.0f} s of signal from the "
                f"first window, shorter than min_duration={self.min_duration:g} s "
                "(YASA needs at least 5 minutes for reliable stages)."
            )
        return sfreq, int(round(epoch_samples))

    def _channels(self, raw, name):
        eeg = self.eeg_name if self.eeg_name is not None else raw.ch_names[0]
        for ch in (eeg, self.eog_name, self.emg_name):
            if ch is not None and ch not in raw.ch_names:
                raise ValueError(
                    f"Channel {ch!r} is not in {name}; available: {raw.ch_names}."
                )
        return eeg, self.eog_name, self.emg_name

    def _check_unit(self):
        if self.unit not in UNIT_OPTIONS:
            raise ValueError(
                f"unit must be one of {list(UNIT_OPTIONS)}, got {self.unit!r}."
            )

    def _resolve_unit(self, data, sfreq, unit=None):
        """``"uV"`` or ``"V"``: ``unit``, else ``self.unit``, ``"auto"`` read from
        the amplitude of the first channel's 30-s epochs."""
        from sleepkd_runtime.contract import detect_unit

        self._check_unit()
        unit = self.unit if unit is None else unit
        if unit != "auto":
            if unit not in UNITS:
                raise ValueError(
                    f"YASA scores a voltage; the signal's unit is {unit!r}, not "
                    f"one of {sorted(UNITS)} (a signal already standardised, e.g. "
                    "by gssc_preprocess, cannot be scored by YASA)."
                )
            return unit
        n = int(round(EPOCH_S * float(sfreq)))
        first = np.asarray(data, dtype=np.float64)[0]
        epochs = (
            first[: len(first) // n * n].reshape(-1, n)
            if len(first) >= n
            else first[None]
        )
        return detect_unit(epochs)

    def _key(self, data, sfreq, channels, unit):
        h = hashlib.sha1(np.ascontiguousarray(data, dtype=np.float64).tobytes())
        settings = dict(
            sfreq=sfreq,
            channels=channels,
            metadata=self.metadata,
            model=str(self.path_to_model),
            unit=unit,
        )
        h.update(json.dumps(settings, sort_keys=True, default=str).encode())
        return h.hexdigest()[:20]

    def score_array(self, data, sfreq, channels, unit=None):
        """YASA's probabilities for the consecutive 30-s epochs of a signal.

        Parameters
        ----------
        data : np.ndarray, shape (n_channels, n_samples)
            The signal in ``unit``, one row per named channel of ``channels``.
        sfreq : float
        channels : tuple of (str, str | None, str | None)
            EEG, EOG and EMG channel names (None where absent).
        unit : {"auto", "uV", "V"} | None
            Unit of ``data``; default the teacher's ``unit`` (``"auto"``: read
            from the amplitude, so the microvolts of the cohort code and
            volts both work).

        Returns
        -------
        proba : np.ndarray of float64, shape (n_epochs, 5)
            Columns W, N1, N2, N3, REM.
        """
        import mne

        picks = [ch for ch in channels if ch is not None]
        if len(picks) != len(set(picks)):
            raise ValueError(f"Channels {picks} must be different.")
        types = [t for ch, t in zip(channels, ("eeg", "eog", "emg")) if ch]
        info = mne.create_info(picks, float(sfreq), ch_types=types)
        unit = self._resolve_unit(data, sfreq, unit)
        scaled = mne.io.RawArray(data * UNITS[unit], info, verbose=False)
        return yasa_proba_to_labels(self._run_yasa(scaled, *channels))

    def score_recording(self, ds):
        """YASA's probabilities for every window of one recording.

        Parameters
        ----------
        ds : braindecode.datasets.EEGWindowsDataset
            Windows of one recording, with the continuous ``raw`` behind them.

        Returns
        -------
        proba : np.ndarray of float32, shape (n_windows, 5)
            Columns W, N1, N2, N3, REM.
        """
        self._check_unit()
        desc = getattr(ds, "description", None)
        name = _recording_name(desc) if desc is not None else "recording"
        raw = _recording_raw(ds, name)
        starts, stops = _window_starts(ds)
        sfreq = float(raw.info["sfreq"])
        epoch_samples = int(round(EPOCH_S * sfreq))
        offset = int(starts.min() % epoch_samples) if len(starts) else 0
        sfreq, epoch_samples = self._check_recording(ds, raw, name, offset)
        channels = self._channels(raw, name)
        picks = [ch for ch in channels if ch is not None]
        data = raw.get_data(picks=picks)[:, offset:]
        unit = self.unit
        if unit == "auto":
            declared = declared_unit(ds)
            unit = declared if declared is not None else "auto"
        unit = self._resolve_unit(data, sfreq, unit)
        key = self._key(data, sfreq, channels, unit)
        cached = key in self.cache_
        proba = self.cache_.get(key)
        path = None
        if self.cache_dir is not None:
            path = Path(self.cache_dir) / f"yasa_{key}.npy"
            if proba is None and path.is_file():
                proba, cached = np.load(path), True
        if proba is None:
            proba = self.score_array(data, sfreq, channels, unit=unit)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, proba)
        self.cache_[key] = proba
        index = map_windows_to_epochs(
            starts, stops, epoch_samples, len(proba), offset=offset, name=name
        )
        self.scored_[name] = dict(
            n_epochs=len(proba), offset=offset, sfreq=sfreq, cached=cached
        )
        return np.asarray(proba, dtype=np.float32)[index]

    def predict_proba_windows(self, windows):
        """YASA's probabilities for every window, recordings concatenated.

        Parameters
        ----------
        windows : braindecode.datasets.BaseConcatDataset
            Windows, one dataset per recording (e.g. from ``load_sample``).

        Returns
        -------
        proba : np.ndarray of float32, shape (n_windows, 5)
            In the order of ``windows``; columns W, N1, N2, N3, REM.
        """
        if not hasattr(windows, "datasets"):
            raise TypeError(
                "YASATeacher scores braindecode windows datasets (with the raw "
                f"recordings behind them), got {type(windows).__name__}. For "
                "arrays, score the windows first and pass teacher_proba= to fit."
            )
        return np.concatenate([self.score_recording(ds) for ds in windows.datasets])

    def predict(self, windows):
        """YASA's stage (0..4 = W, N1, N2, N3, REM) for every window."""
        return self.predict_proba_windows(windows).argmax(axis=1)

    def predict_proba(self, X, seq_len, seq_stride=None):
        """Probabilities ``(n_seq, seq_len, 5)`` for the sequences of ``X``.

        The sequences are those of ``make_sequences(X, seq_len, seq_stride)``
        (same :func:`~braindecode_sleepkd.datasets.sequence_starts`), so the
        result lines up with the labels ``SleepKDClassifier`` takes from ``X``.

        Parameters
        ----------
        X : braindecode.datasets.BaseConcatDataset
            Windows, one dataset per recording.
        seq_len : int
            Epochs per sequence.
        seq_stride : int | None
            Epochs between sequence starts (default ``seq_len``).

        Returns
        -------
        proba : np.ndarray of float32, shape (n_seq, seq_len, 5)
        """
        per_window = self.predict_proba_windows(X)
        starts, _ = sequence_starts(X, seq_len, seq_stride)
        return per_window[starts[:, None] + np.arange(int(seq_len))]
