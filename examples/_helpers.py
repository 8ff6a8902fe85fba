"""What the gallery examples share: the sample, small fits, the comparisons.

The examples in ``examples/`` train shrunk models for a few epochs on the
embedded sample: :func:`sample_sequences` loads it as sequences,
:func:`sample_fit_params` holds the estimator settings in one place and
:func:`role_params` routes per-role sizes as ``<role>__<size>``. Those that
distil a pretrained scorer compare on a held-out excerpt:
:func:`student_stages` gives the student's stage per window and
:func:`compare_hypnograms` scores and stacks the hypnograms against the
expert's.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

#: Estimator settings of the gallery fits besides ``seq_len`` and ``max_epochs``:
#: small batches (the sample is a few hundred sequences), a learning rate that
#: moves in a few epochs, a fixed seed and no per-epoch printing.
SAMPLE_FIT = dict(batch_size=8, lr=3e-3, random_state=0, verbose=0)


def _whole(name, value):
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    return int(value)


def sample_fit_params(seq_len, max_epochs, **overrides):
    """Keyword arguments of ``SleepKDClassifier`` for a gallery fit on the sample.

    Parameters
    ----------
    seq_len : int
        Epochs per sequence.
    max_epochs : int
        Training epochs per stage.
    **overrides
        Settings to use instead of ``SAMPLE_FIT`` (e.g. ``lr=1e-3``) or to
        add (e.g. ``strategy="kd"``).

    Returns
    -------
    params : dict
        ``seq_len``, ``max_epochs``, then ``SAMPLE_FIT`` updated by
        ``overrides``.

    Raises
    ------
    ValueError
        If ``seq_len`` or ``max_epochs`` is not a whole number >= 1.
    """
    params = dict(
        seq_len=_whole("seq_len", seq_len), max_epochs=_whole("max_epochs", max_epochs)
    )
    params.update(SAMPLE_FIT)
    params.update(overrides)
    return params


def role_params(sizes):
    """Route per-role sizes to the estimator: ``{role: {k: v}}`` -> ``role__k=v``.

    Parameters
    ----------
    sizes : dict
        ``{role: {size name: value}}``, roles among ``"teacher"``,
        ``"assistant"`` and ``"student"``.

    Returns
    -------
    params : dict
        ``{"<role>__<size name>": value}``.

    Raises
    ------
    ValueError
        On a role that is not one of the three.
    """
    from braindecode_sleepkd.models import ROLES

    unknown = sorted(set(sizes) - set(ROLES))
    if unknown:
        raise ValueError(f"Unknown role(s) {unknown}; valid roles are {list(ROLES)}.")
    return {
        f"{role}__{name}": value
        for role, role_sizes in sizes.items()
        for name, value in role_sizes.items()
    }


#: The sample's excerpts the examples train and test on by default.
SAMPLE_SUBJECTS = (1, 3, 4, 6)


def sample_sequences(sfreq, seq_len, subject_ids=SAMPLE_SUBJECTS):
    """The sample's excerpts as sequences of ``seq_len`` 30-s windows.

    Parameters
    ----------
    sfreq : float
        Sampling rate the excerpts are resampled to.
    seq_len : int
        Windows per sequence (non-overlapping).
    subject_ids : sequence of int, default=SAMPLE_SUBJECTS
        Excerpts to load.

    Returns
    -------
    X, y, subjects : np.ndarray
        As :func:`~braindecode_sleepkd.datasets.make_sequences` returns them.
    """
    from braindecode_sleepkd.datasets import load_sample, make_sequences

    windows = load_sample(sfreq=sfreq, subject_ids=list(subject_ids))
    return make_sequences(windows, seq_len=seq_len)


def student_stages(clf, windows):
    """The fitted student's stage for each window of ``windows``.

    The estimator cuts the windows into its sequences (``seq_len``,
    ``seq_stride``); a window's probabilities are the mean over the sequences
    that hold it (:func:`~braindecode_sleepkd.evaluation.windows.window_proba`).

    Parameters
    ----------
    clf : SleepKDClassifier
        Fitted on windows.
    windows : braindecode.datasets.BaseConcatDataset
        30-s windows of one or more recordings.

    Returns
    -------
    np.ndarray of int, (n_windows,)
    """
    from braindecode_sleepkd.evaluation.windows import window_proba

    proba = clf.predict_proba(windows)
    return window_proba(proba, windows, clf.seq_len, clf.seq_stride).argmax(1)


def compare_hypnograms(expert, hypnograms, title=None):
    """Print each hypnogram's kappa against the expert's, then stack them all.

    Parameters
    ----------
    expert : array-like of int
        The expert's stages, one per 30-s epoch.
    hypnograms : dict
        ``{name: stages}`` of the other scorers (e.g. the teacher, the
        student), each with one stage per epoch of ``expert``.
    title : str | None
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
        :func:`~braindecode_sleepkd.staging.plot_hypnograms` of the expert
        then ``hypnograms``, time in minutes.
    """
    from braindecode_sleepkd.metrics import kappa
    from braindecode_sleepkd.staging import plot_hypnograms

    for name, stages in hypnograms.items():
        print(f"{name}: kappa {kappa(expert, stages):.2f} against the expert")
    return plot_hypnograms({"Expert": expert, **hypnograms}, unit="min", title=title)
