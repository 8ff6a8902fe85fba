"""simulate_sleep_eeg: seeded, shaped like Sleep-EDF-20, learnable but not trivial."""

import warnings

import numpy as np
import pytest
from braindecode.datasets import BaseConcatDataset

from braindecode_sleepkd.datasets import make_sequences, simulate_sleep_eeg
from braindecode_sleepkd.datasets.hypnograms import read_sleep_edf_hypnogram
from braindecode_sleepkd.datasets.paths import data_path

# where the package finds the data: $SLEEPKD_DATA, else ../shared/data
HYP_DIR = data_path(must_exist=False) / "sleep-edf-hypnograms"
pytestmark = pytest.mark.needs_data("sleep-edf-hypnograms")


@pytest.fixture(scope="module")
def small():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate_sleep_eeg(
            n_recordings=8, max_epochs_per_recording=400, seed=3, return_arrays=True
        )


def test_same_seed_same_arrays(small):
    X, y, g = small
    X2, y2, g2 = simulate_sleep_eeg(
        n_recordings=8, max_epochs_per_recording=400, seed=3, return_arrays=True
    )
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _, _ = simulate_sleep_eeg(
        n_recordings=8, max_epochs_per_recording=400, seed=4, return_arrays=True
    )
    assert not np.allclose(X, X3)


def test_shapes_and_units(small):
    X, y, g = small
    assert X.shape == (3200, 1, 3000) and X.dtype == np.float32
    assert y.dtype == np.int64 and set(np.unique(y)) <= set(range(5))
    np.testing.assert_array_equal(np.unique(g), [0, 1, 2, 3])
    assert 5 < X.std() < 100  # microvolts


def test_labels_follow_real_hypnogram(small):
    _, y, _ = small
    labels, _ = read_sleep_edf_hypnogram(HYP_DIR / "SC4001EC-Hypnogram.edf")
    np.testing.assert_array_equal(y[:400], labels[labels >= 0][:400])


def test_learnable_but_not_trivial(small):
    from scipy.signal import welch
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, g = small
    f, P = welch(X[:, 0], fs=100, nperseg=400)
    bands = [(0.5, 2), (2, 4), (4, 8), (8, 12), (12, 15), (15, 30), (30, 45)]
    feats = np.log(np.stack([P[:, (f >= a) & (f < b)].mean(1) for a, b in bands], 1))
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    acc = cross_val_score(clf, feats, y, groups=g, cv=GroupKFold(4)).mean()
    assert 0.6 < acc < 0.92


def test_windows_dataset_description():
    with pytest.warns(UserWarning, match="movement/unknown epochs"):
        ds = simulate_sleep_eeg(
            n_recordings=22, max_epochs_per_recording=70, sfreq=50, seed=0
        )
    assert isinstance(ds, BaseConcatDataset) and len(ds.datasets) == 22
    desc = ds.description
    assert desc["simulated"].all() and (desc["dataset"] == "simulated").all()
    assert list(desc["subject"][:4]) == [0, 0, 1, 1]
    assert list(desc["night"][:4]) == [1, 2, 1, 2]
    assert desc["hypnogram"][20] == desc["hypnogram"][0] == "SC4001EC-Hypnogram.edf"
    # movement epochs of the real hypnograms: counted, per recording
    assert desc["n_dropped"][:20].sum() == 32
    X, y, _ = ds[0]
    assert X.shape == (1, 1500) and X.dtype == np.float32
    Xs, ys, groups = make_sequences(ds, 10)
    assert Xs.shape == (154, 10, 1, 1500) and len(groups) == 154


def test_crop_inside_the_wake_before_sleep_refused():
    # 30 min of wake (60 epochs) precede sleep onset in every cropped night
    with pytest.raises(ValueError) as info:
        simulate_sleep_eeg(n_recordings=2, max_epochs_per_recording=60, sfreq=10)
    msg = str(info.value)
    assert "max_epochs_per_recording=60 keeps only wake in 2 of 2 recordings" in msg
    assert "Use max_epochs_per_recording >= 61" in msg
    with pytest.raises(ValueError, match="whole number >= 1"):
        simulate_sleep_eeg(n_recordings=1, max_epochs_per_recording=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, y, g = simulate_sleep_eeg(
            n_recordings=2, max_epochs_per_recording=61, sfreq=10, return_arrays=True
        )
    # the minimum it names is enough: every night reaches sleep
    assert all((y[g == s] > 0).any() for s in np.unique(g))
    _, y, _ = simulate_sleep_eeg(
        n_recordings=1,
        max_epochs_per_recording=5,
        crop_wake_mins=0,
        sfreq=10,
        return_arrays=True,
    )
    assert len(y) == 5 and (y > 0).any()  # no wake crop: sleep from the start


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_recordings must be a whole number >= 1"):
        simulate_sleep_eeg(n_recordings=0)
    with pytest.raises(ValueError, match="got 2.5"):
        simulate_sleep_eeg(n_recordings=2.5)
    with pytest.raises(ValueError, match="whole number"):
        simulate_sleep_eeg(n_recordings=1, sfreq=100.01)


def test_any_number_of_nights_lazily():
    from braindecode_sleepkd.datasets import iter_simulated_nights

    kw = dict(max_epochs_per_recording=80, sfreq=50, seed=1)
    nights = iter_simulated_nights(45, **kw)
    assert not isinstance(nights, (list, tuple))  # a generator: one night at a time
    nights = list(nights)
    assert len(nights) == 45
    descs = [d for _, _, d in nights]
    # past the 40 jittered reuses of the 20 hypnograms: new subjects, new signals
    assert [d["subject"] for d in descs[40:44]] == [20, 20, 21, 21]
    assert descs[40]["hypnogram"] == descs[0]["hypnogram"]
    assert not np.allclose(nights[40][0], nights[20][0])
    assert nights[44][0].shape == (80, 1500) and nights[44][0].dtype == np.float32
    # the same nights as simulate_sleep_eeg with the same arguments
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, y, groups = simulate_sleep_eeg(45, return_arrays=True, **kw)
    np.testing.assert_array_equal(X[:, 0], np.concatenate([x for x, _, _ in nights]))
    np.testing.assert_array_equal(y, np.concatenate([lab for _, lab, _ in nights]))
