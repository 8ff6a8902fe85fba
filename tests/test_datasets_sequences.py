"""make_sequences / SequenceDataset on synthetic windows and the real sample."""

import mne
import numpy as np
import pytest

from braindecode_sleepkd.datasets import (
    make_sequences,
    sequence_starts,
)
from braindecode_sleepkd.datasets._windows import (
    annotate_epochs,
    make_windows,
    raw_dataset,
)
from braindecode_sleepkd.datasets.sequences import (
    RecordingSequenceSampler,
    SequenceDataset,
)


def _recording(n_epochs, subject, night, sfreq=10.0, labels=None, n_chans=2):
    n = int(n_epochs * 30 * sfreq)
    # the value of every sample encodes its recording and epoch
    data = np.repeat(np.arange(n_epochs, dtype=float), 30 * sfreq)[None]
    data = np.repeat(data + 1000 * subject + 100 * night, n_chans, axis=0)
    raw = mne.io.RawArray(data[:, :n], mne.create_info(n_chans, sfreq, "eeg"))
    if labels is None:
        labels = np.arange(n_epochs) % 5
    annotate_epochs(raw, labels)
    return raw_dataset(raw, dict(subject=subject, recording=night))


@pytest.fixture(scope="module")
def windows():
    return make_windows(
        [_recording(10, 1, 1), _recording(7, 1, 2), _recording(12, 2, 1)]
    )


def test_shapes_dtypes_groups(windows):
    X, y, groups = make_sequences(windows, 5)
    # 10 -> 2, 7 -> 1 + end cover, 12 -> 2 + end cover
    assert X.shape == (7, 5, 2, 300) and X.dtype == np.float32
    assert y.shape == (7, 5) and y.dtype == np.int64
    np.testing.assert_array_equal(groups, [1, 1, 1, 1, 2, 2, 2])


def test_sequences_are_consecutive_and_never_cross(windows):
    X, y, _ = make_sequences(windows, 3, stride=1)
    rec = X[:, :, 0, 0] // 100
    epoch = X[:, :, 0, 0] % 100
    assert (rec == rec[:, :1]).all()
    assert (np.diff(epoch, axis=1) == 1).all()
    np.testing.assert_array_equal(y, epoch.astype(int) % 5)
    assert len(X) == 8 + 5 + 10


def test_every_window_is_covered(windows):
    starts, _ = sequence_starts(windows, 4)
    covered = np.unique((starts[:, None] + np.arange(4)).ravel())
    np.testing.assert_array_equal(covered, np.arange(len(windows)))


def test_seq_len_one(windows):
    X, y, _ = make_sequences(windows, 1)
    assert X.shape == (29, 1, 2, 300)


def test_too_long_names_recording(windows):
    with pytest.raises(ValueError, match="subject=1, recording=2.*7 consecutive"):
        make_sequences(windows, 8)
    with pytest.warns(UserWarning, match="1 recordings or runs.*7 windows"):
        X, _, groups = make_sequences(windows, 8, on_short="skip")
    assert len(X) == 4 and set(groups) == {1, 2}


def test_gaps_split_sequences():
    labels = np.array([0, 1, 2, -1, 2, 2, 3, 3])
    w = make_windows([_recording(8, 3, 1, labels=labels)])
    X, _, _ = make_sequences(w, 2)
    epoch = X[:, :, 0, 0] % 100
    assert (np.diff(epoch, axis=1) == 1).all()
    np.testing.assert_array_equal(epoch[:, 0], [0, 1, 4, 6])


def test_different_rates_raise():
    w = make_windows([_recording(5, 1, 1)])
    w2 = make_windows([_recording(5, 2, 1, sfreq=20.0)])
    w.datasets.extend(w2.datasets)
    with pytest.raises(ValueError, match=r"different sampling rates \[10.0, 20.0\]"):
        make_sequences(w, 2)


def test_lazy_dataset_equals_arrays(windows):
    X, y, groups = make_sequences(windows, 4, stride=2)
    lazy = SequenceDataset(windows, 4, stride=2)
    assert len(lazy) == len(X)
    for i in (0, 3, len(X) - 1):
        Xi, yi = lazy[i]
        np.testing.assert_array_equal(Xi, X[i])
        np.testing.assert_array_equal(yi, y[i])
    np.testing.assert_array_equal(lazy.groups, groups)
    assert isinstance(lazy.sampler, RecordingSequenceSampler)
    first = next(iter(lazy.sampler))
    assert first == (0, 1, 2, 3)


@pytest.mark.needs_data("dreams-spindles")
def test_real_sample_sequences():
    from braindecode_sleepkd.datasets import load_sample

    w = load_sample(subject_ids=[1, 3])
    X, y, groups = make_sequences(w, 20)
    assert X.shape == (6, 20, 1, 3000)
    np.testing.assert_array_equal(groups, [1, 1, 1, 3, 3, 3])
    np.testing.assert_array_equal(y.ravel(), np.concatenate([d.y for d in w.datasets]))
