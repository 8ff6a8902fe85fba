"""Sleep-like single-channel EEG driven by real hypnograms (for benchmarks)."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import warnings
from pathlib import Path

import mne
import numpy as np

from ._windows import EPOCH_S, annotate_epochs, make_windows, raw_dataset
from .hypnograms import read_sleep_edf_hypnogram
from .paths import data_path
from .sequences import _count
from .units import RAW_UNIT, from_microvolts

# Stage prototypes (W, N1, N2, N3, REM). Amplitudes: standard deviation in uV
# of each component over a 30-s epoch; event rates: events per epoch.
_BG_AMP = np.array([9.0, 10.0, 12.0, 14.0, 9.0])  # 1/f background
_BG_EXP = np.array([1.2, 1.5, 1.9, 2.4, 1.4])  # 1/f exponent (steeper in NREM)
# bands: delta 1 Hz, theta 6 Hz, alpha 10 Hz, beta 20 Hz (centre, bandwidth)
_BANDS = np.array([[1.0, 0.7], [6.0, 1.2], [10.0, 1.0], [20.0, 4.0]])
_BAND_AMP = np.array(
    [  # delta, theta, alpha, beta
        [5.0, 3.0, 11.0, 4.0],  # W: alpha, eyes closed
        [8.0, 7.0, 3.5, 2.5],  # N1: alpha drops out, theta
        [14.0, 5.0, 1.5, 1.5],  # N2
        [38.0, 4.0, 1.0, 1.0],  # N3: slow waves
        [6.0, 7.0, 2.5, 3.0],  # REM: theta ("sawtooth"), low amplitude
    ]
)
_SPINDLE_RATE = np.array([0.0, 0.2, 2.5, 0.8, 0.0])
_KCOMPLEX_RATE = np.array([0.0, 0.1, 0.7, 0.3, 0.0])
_EYE_RATE = np.array([0.8, 0.3, 0.0, 0.0, 0.9])  # blinks in W, REMs in REM
# How strongly an epoch's signal resembles another stage (scorers disagree
# most on N1), and which stages it is confused with (rows sum to 1).
_MIX_STRENGTH = np.array([0.25, 0.35, 0.25, 0.25, 0.3])
_CONFUSION = np.array(
    [
        [0.0, 0.8, 0.1, 0.0, 0.1],
        [0.4, 0.0, 0.3, 0.0, 0.3],
        [0.05, 0.35, 0.0, 0.5, 0.1],
        [0.0, 0.0, 1.0, 0.0, 0.0],
        [0.3, 0.6, 0.1, 0.0, 0.0],
    ]
)


def _subject_params(rng):
    """Per-subject variation of amplitude and rhythm frequencies."""
    return dict(
        gain=float(np.exp(rng.normal(0.0, 0.25))),
        alpha_f=float(rng.normal(10.0, 0.8)),
        theta_f=float(rng.normal(6.0, 0.6)),
        spindle_f=float(rng.normal(13.0, 0.7)),
        exp_shift=float(rng.normal(0.0, 0.15)),
    )


def _mix_weights(labels, rng):
    """Per-epoch convex weights over the 5 stage prototypes."""
    n = len(labels)
    onehot = np.eye(5)[labels]
    # draw the confused stage per epoch (vectorised inverse-CDF sampling)
    cdf = np.cumsum(_CONFUSION, axis=1)[labels]
    other = (rng.random(n)[:, None] > cdf).sum(axis=1).clip(0, 4)
    strength = rng.beta(2.0, 2.0, n) * 2 * _MIX_STRENGTH[labels]
    # transitions: epochs next to another stage resemble it more
    prev = np.r_[labels[:1], labels[:-1]]
    nxt = np.r_[labels[1:], labels[-1:]]
    neigh = np.where(prev != labels, prev, nxt)
    near = (neigh != labels) & (rng.random(n) < 0.5)
    other = np.where(near, neigh, other)
    strength = np.minimum(strength, 0.65)
    w = onehot * (1 - strength[:, None])
    w[np.arange(n), other] += strength
    return w


def _events(n, n_times, sfreq, rates, rng, max_events, make):
    """Sum of up to ``max_events`` transient events per epoch (vectorised)."""
    counts = np.minimum(rng.poisson(rates), max_events)
    t = np.arange(n_times) / sfreq
    centers = rng.uniform(1.0, n_times / sfreq - 1.0, (n, max_events))
    present = np.arange(max_events)[None, :] < counts[:, None]
    out = np.zeros((n, n_times), dtype=np.float32)
    for k in range(max_events):
        rows = np.flatnonzero(present[:, k])
        if len(rows):
            dt = t[None, :] - centers[rows, k : k + 1]
            out[rows] += make(dt, len(rows), rng).astype(np.float32)
    return out


def _simulate_recording(labels, sfreq, subject, rng):
    n, n_times = len(labels), int(round(EPOCH_S * sfreq))
    w = _mix_weights(labels, rng)
    freqs = np.fft.rfftfreq(n_times, 1 / sfreq)
    f = np.maximum(freqs, 1.0 / EPOCH_S)
    jitter = np.exp(rng.normal(0.0, 0.3, (n, 5)))  # epoch-to-epoch variability
    # 1/f background
    exps = w @ _BG_EXP + subject["exp_shift"]
    shape = np.exp(-0.5 * exps[:, None] * np.log(f)[None, :])
    shape[:, 0] = 0.0
    amp = (w @ _BG_AMP) * jitter[:, 0]
    spec = shape * (amp * n_times / np.sqrt(2 * (shape**2).sum(1)))[:, None]
    # rhythms, with subject-specific centre frequencies
    centres = _BANDS[:, 0].copy()
    centres[1], centres[2] = subject["theta_f"], subject["alpha_f"]
    band_amp = (w @ _BAND_AMP) * jitter[:, 1:]
    for b in range(4):
        g = np.exp(-0.5 * ((freqs - centres[b]) / _BANDS[b, 1]) ** 2)
        spec += np.outer(band_amp[:, b], g * n_times / np.sqrt(2 * (g**2).sum()))
    phases = rng.standard_normal((n, len(freqs))) + 1j * rng.standard_normal(
        (n, len(freqs))
    )
    x = np.fft.irfft(spec * phases / np.sqrt(2), n=n_times, axis=1).astype(np.float32)

    sf = subject["spindle_f"]

    def spindle(dt, m, rng):
        dur = rng.uniform(0.5, 1.5, (m, 1))
        fr = sf + rng.normal(0, 0.4, (m, 1))
        a = rng.uniform(15, 35, (m, 1))
        return a * np.exp(-0.5 * (dt / (dur / 4)) ** 2) * np.sin(2 * np.pi * fr * dt)

    def kcomplex(dt, m, rng):
        a = rng.uniform(60, 120, (m, 1))
        return -a * np.exp(-0.5 * (dt / 0.15) ** 2) + 0.6 * a * np.exp(
            -0.5 * ((dt - 0.45) / 0.25) ** 2
        )

    def eye(dt, m, rng):
        a = rng.uniform(30, 90, (m, 1)) * rng.choice([-1, 1], (m, 1))
        return a * np.exp(-0.5 * (dt / rng.uniform(0.1, 0.3, (m, 1))) ** 2)

    x += _events(n, n_times, sfreq, w @ _SPINDLE_RATE, rng, 5, spindle)
    x += _events(n, n_times, sfreq, w @ _KCOMPLEX_RATE, rng, 3, kcomplex)
    x += _events(n, n_times, sfreq, w @ _EYE_RATE, rng, 3, eye)
    x *= np.float32(subject["gain"])
    return x


def _perturb_bouts(labels, rng, spread=0.3):
    """Same stage order, bout lengths jittered by up to +-``spread``."""
    change = np.flatnonzero(np.diff(labels)) + 1
    starts = np.r_[0, change]
    lengths = np.diff(np.r_[starts, len(labels)])
    new = np.maximum(
        1, np.round(lengths * rng.uniform(1 - spread, 1 + spread, len(lengths)))
    )
    return np.repeat(labels[starts], new.astype(int))


def _check_not_only_wake(plans, max_epochs, crop_wake_mins):
    """Refuse a crop that keeps nothing but the wake before sleep onset."""
    first_sleep = [int(np.argmax(labels > 0)) for _, labels, _, _ in plans]
    only_wake = [
        fname.name for (fname, *_), k in zip(plans, first_sleep) if k >= max_epochs
    ]
    if only_wake:
        need = max(first_sleep) + 1
        raise ValueError(
            f"max_epochs_per_recording={max_epochs} keeps only wake in "
            f"{len(only_wake)} of {len(plans)} recordings ({', '.join(only_wake[:3])}"
            f"{', ...' if len(only_wake) > 3 else ''}): each night starts with "
            f"{crop_wake_mins:g} min of wake ({2 * crop_wake_mins:g} epochs) before "
            f"sleep onset. Use max_epochs_per_recording >= {need} (the minimum for "
            "these recordings), or a smaller crop_wake_mins."
        )


def _plans(n_recordings, max_epochs, seed, hypnogram_dir, crop_wake_mins):
    """Per recording: hypnogram file, labels, generator and dropped count."""
    folder = data_path("sleep-edf-hypnograms", hypnogram_dir)
    files = sorted(Path(folder).glob("SC4*-Hypnogram.edf"))
    if not files:
        raise FileNotFoundError(f"No SC4*-Hypnogram.edf files in {folder}")
    n_recordings = _count(n_recordings, "n_recordings")
    root = np.random.SeedSequence(seed)
    n_subjects = (n_recordings + 1) // 2
    subj_rngs = [np.random.default_rng(s) for s in root.spawn(n_subjects + 1)]
    rec_seeds = subj_rngs.pop().integers(0, 2**63, n_recordings)
    subjects = [_subject_params(r) for r in subj_rngs]
    label_cache, plans = {}, []
    for i in range(n_recordings):
        fname = files[i % len(files)]
        if fname not in label_cache:
            label_cache[fname] = read_sleep_edf_hypnogram(fname, crop_wake_mins)
        labels, _ = label_cache[fname]
        rng = np.random.default_rng(rec_seeds[i])
        n_drop = int((labels < 0).sum())
        labels = labels[labels >= 0]
        if i >= len(files):  # hypnograms reused: bouts jittered
            labels = _perturb_bouts(labels, rng)
        plans.append((fname, labels, rng, n_drop))
    if max_epochs is not None:
        _check_not_only_wake(plans, max_epochs, crop_wake_mins)
    return plans, subjects


def iter_simulated_nights(
    n_recordings=39,
    max_epochs_per_recording=None,
    sfreq=100.0,
    seed=0,
    hypnogram_dir=None,
    crop_wake_mins=30.0,
):
    """Simulate nights one at a time, lazily (any number of nights).

    The same nights as :func:`simulate_sleep_eeg` with the same arguments,
    generated only when asked for, so a cohort of hundreds of nights never
    sits in memory at once.

    Parameters
    ----------
    n_recordings : int
        Number of recordings (nights) to simulate, >= 1.
    max_epochs_per_recording : int | None
        Keep only the first epochs of each night (small test versions). It
        must reach past the wake kept before sleep onset (``crop_wake_mins``,
        60 epochs by default): a crop that leaves a night with only wake
        raises and says the minimum.
    sfreq : float
        Sampling rate in Hz (30 s * sfreq must be whole).
    seed : int
        Seed; the same seed gives identical arrays.
    hypnogram_dir : str | Path | None
        Folder of the ``SC4*-Hypnogram.edf`` files; default
        ``data_path("sleep-edf-hypnograms")``.
    crop_wake_mins : float
        Wake kept before and after the sleep period, in minutes.

    Yields
    ------
    x : np.ndarray of float32, shape (n_epochs, 30 * sfreq)
        The night's epochs in microvolts (arrays, the models' input unit;
        the windows of :func:`simulate_sleep_eeg` hold volts).
    labels : np.ndarray of int64, shape (n_epochs,)
        Its true stages (0-4: W, N1, N2, N3, REM).
    description : dict
        ``subject``, ``night``, ``recording``, ``hypnogram``, ``n_dropped``,
        ``simulated`` (True), ``dataset`` (``"simulated"``).
    """
    n_times = int(round(EPOCH_S * sfreq))
    if not np.isclose(n_times, EPOCH_S * sfreq):
        raise ValueError(f"30 s at {sfreq} Hz is not a whole number of samples")
    if max_epochs_per_recording is not None:
        max_epochs_per_recording = _count(
            max_epochs_per_recording, "max_epochs_per_recording (or None)"
        )
    plans, subjects = _plans(
        n_recordings, max_epochs_per_recording, seed, hypnogram_dir, crop_wake_mins
    )
    width = max(2, len(str(len(plans) - 1)))
    for i, (fname, labels, rng, n_drop) in enumerate(plans):
        if max_epochs_per_recording is not None:
            labels = labels[:max_epochs_per_recording]
        x = _simulate_recording(labels, sfreq, subjects[i // 2], rng)
        desc = dict(
            subject=i // 2,
            night=i % 2 + 1,
            recording=f"sim{i:0{width}d}-{fname.name[:7]}",
            hypnogram=fname.name,
            n_dropped=n_drop,
            simulated=True,
            dataset="simulated",
        )
        yield x, labels.astype(np.int64), desc


def simulate_sleep_eeg(
    n_recordings=39, max_epochs_per_recording=None, *, return_arrays=False, **options
):
    """Simulate single-channel sleep EEG that follows real hypnograms.

    Each recording follows the stage sequence of one of the 20 real
    Sleep-EDF Sleep Cassette hypnograms (subjects 0-9, nights 1-2; R&K
    mapped to AASM, wake cropped to ``crop_wake_mins``; movement / unknown
    epochs dropped and counted). The default 39 recordings match the
    Sleep-EDF-20 scale (20 subjects, 39 nights, about 41 000 epochs):
    recordings from the 21st on reuse the hypnograms with every bout length
    jittered by up to 30%, two nights per new simulated subject, so any
    number of nights can be made (:func:`iter_simulated_nights` makes them
    one at a time).

    Every 30-s epoch is Gaussian noise with a stage-dependent spectrum plus
    transient events:

    - 1/f background whose exponent steepens from W to N3;
    - alpha (W), theta (N1, REM), delta / slow waves (N3), some beta (W, REM);
    - spindles (11-15 Hz bursts, N2 and some N3), K-complexes (N2), eye
      blinks (W) and rapid eye movements (REM) as slow deflections;
    - per-subject gain and alpha, theta and spindle frequencies;
    - per-epoch amplitude jitter, and a partial resemblance to another
      stage (strongest for N1, which mixes with W, REM and N2; also at
      stage transitions), so the task is learnable but not trivial: a
      logistic regression on log band powers reaches about 70-85%.

    Parameters
    ----------
    n_recordings, max_epochs_per_recording : int, int | None
        Nights, and the epochs kept of each (see :func:`iter_simulated_nights`).
    return_arrays : bool
        Return ``(X, y, groups)`` arrays instead of a windows dataset.
    **options
        ``sfreq`` (100 Hz), ``seed`` (0), ``hypnogram_dir``, ``crop_wake_mins``
        (30): see :func:`iter_simulated_nights`.

    Returns
    -------
    windows : braindecode.datasets.BaseConcatDataset
        One windows dataset per recording; description: ``subject``,
        ``night``, ``recording``, ``hypnogram``, ``n_dropped``,
        ``simulated`` (True), ``dataset`` (``"simulated"``), ``unit``
        (``"V"``). The MNE raw objects and the windows hold volts, as MNE
        expects; :func:`~braindecode_sleepkd.datasets.make_sequences` gives
        the models microvolts (see :mod:`braindecode_sleepkd.datasets.units`).
    X, y, groups : np.ndarray
        If ``return_arrays``: X float32 ``(n_epochs, 1, 30 * sfreq)`` in
        microvolts (the models' input unit, as :func:`iter_simulated_nights`
        yields), y int64 ``(n_epochs,)``, groups (subject) ``(n_epochs,)``.
    """
    nights = iter_simulated_nights(n_recordings, max_epochs_per_recording, **options)
    records, dropped = [], 0
    for x, labels, desc in nights:
        info = mne.create_info(["EEG"], x.shape[1] / EPOCH_S, ch_types="eeg")
        dropped += desc["n_dropped"]
        if not return_arrays:  # keep only the MNE copy (float64) in memory
            # the simulated microvolts -> MNE's volts (see .units)
            raw = mne.io.RawArray(
                from_microvolts(x.reshape(1, -1)), info, verbose="error"
            )
            x = None
            annotate_epochs(raw, labels)
            x = raw_dataset(raw, {**desc, "unit": RAW_UNIT})
        records.append((x, labels, desc))
    if dropped:
        warnings.warn(
            f"simulate_sleep_eeg: {dropped} movement/unknown epochs of the "
            "hypnograms were left out (column n_dropped)",
            stacklevel=2,
        )
    if return_arrays:
        X = np.concatenate([r[0] for r in records])[:, None, :]
        y = np.concatenate([r[1] for r in records]).astype(np.int64)
        groups = np.concatenate([np.full(len(r[1]), r[2]["subject"]) for r in records])
        return X, y, groups
    return make_windows([r[0] for r in records])
