"""SleepEDF on real Sleep-EDF hypnograms paired with PSG files the tests write."""

import shutil
import warnings

import mne
import numpy as np
import pytest
from braindecode.datasets import BaseConcatDataset

from braindecode_sleepkd.datasets import SleepEDF, read_sleep_edf_hypnogram
from braindecode_sleepkd.datasets.hypnograms import sleep_period
from braindecode_sleepkd.datasets.paths import DEFAULT_DATA_DIR

HYP_DIR = DEFAULT_DATA_DIR.resolve() / "sleep-edf-hypnograms"
pytestmark = pytest.mark.skipif(
    not HYP_DIR.is_dir(), reason=f"real Sleep-EDF hypnograms absent: {HYP_DIR}"
)
SFREQ = 10.0  # low rate keeps the written PSG files small
PAIRS = {(0, 1): "SC4001EC", (0, 2): "SC4002EC"}


def _psg(folder, hyp_name, write_edf, channels=("EEG Fpz-Cz", "EEG Pz-Oz")):
    """PSG file as long as the cropped sleep period of a real hypnogram."""
    annots = mne.read_annotations(HYP_DIR / f"{hyp_name}-Hypnogram.edf")
    _, tmax = sleep_period(annots, 30)
    n = int(np.ceil(tmax)) * int(SFREQ)
    t = np.arange(n) / SFREQ
    signals = {
        ch: 50 * np.sin(2 * np.pi * (1 + i) * t) for i, ch in enumerate(channels)
    }
    signals["EOG horizontal"] = np.zeros(n)
    fname = folder / f"{hyp_name[:7]}0-PSG.edf"
    write_edf(fname, signals, SFREQ)
    shutil.copy(HYP_DIR / f"{hyp_name}-Hypnogram.edf", folder)
    return fname


@pytest.fixture(scope="module")
def folder(tmp_path_factory, write_edf):
    folder = tmp_path_factory.mktemp("sleep-edf")
    for name in PAIRS.values():
        _psg(folder, name, write_edf)
    return folder


@pytest.fixture(scope="module")
def loaded(folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = SleepEDF(subject_ids=0, recording_ids=[1, 2], path=folder)
    return ds, caught


def test_windows_match_hypnogram_counts(loaded):
    ds, _ = loaded
    assert isinstance(ds, BaseConcatDataset) and len(ds.datasets) == 2
    for d, name in zip(ds.datasets, PAIRS.values()):
        labels, _ = read_sleep_edf_hypnogram(HYP_DIR / f"{name}-Hypnogram.edf")
        expected = np.bincount(labels[labels >= 0], minlength=5)
        np.testing.assert_array_equal(np.bincount(d.y, minlength=5), expected)
    assert np.bincount(ds.datasets[0].y).tolist() == [188, 58, 250, 220, 125]
    assert list(ds.description["n_windows"]) == [841, 1127]


def test_movement_counted_and_warned(loaded):
    ds, caught = loaded
    desc = ds.description
    assert list(desc["n_movement"]) == [0, 1]
    assert list(desc["n_dropped"]) == [0, 1]
    assert any("1 movement" in str(w.message) for w in caught)


def test_description_channel_and_units(loaded):
    ds, _ = loaded
    desc = ds.description
    assert list(desc["subject"]) == [0, 0] and list(desc["night"]) == [1, 2]
    assert (desc["channel"] == "Fpz-Cz").all()
    X, y, _ = ds[0]
    assert X.shape == (1, 300) and X.dtype == np.float32
    assert 45 < np.abs(X).max() <= 50.1  # written as a 50 uV sine (1 Hz at 10 Hz)


def test_pz_oz_and_resampling(folder):
    ds = SleepEDF(0, [1], path=folder, channel="Pz-Oz", sfreq=5.0)
    assert ds[0][0].shape == (1, 150) and len(ds) == 841


def test_missing_channel_lists_available(folder):
    with pytest.raises(ValueError, match=r"'C3' not in .*\['Fpz-Cz', 'Pz-Oz'\]"):
        SleepEDF(0, [1], path=folder, channel="C3")


def test_missing_files_fail_fast(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"SC4011E0-PSG\.edf.*physionet"):
        SleepEDF(1, [1], path=tmp_path)


def test_not_in_corpus():
    with pytest.raises(ValueError, match=r"\(13, 2\)"):
        SleepEDF(13, [2], path=".")


def test_truncated_psg_raises(folder, tmp_path):
    for f in folder.glob("SC4001*"):
        shutil.copy(f, tmp_path)
    psg = tmp_path / "SC4001E0-PSG.edf"
    psg.write_bytes(psg.read_bytes()[:200])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        SleepEDF(0, [1], path=tmp_path)


def test_hypnogram_reader_crop_and_mapping():
    labels, rep = read_sleep_edf_hypnogram(HYP_DIR / "SC4092EC-Hypnogram.edf")
    assert len(labels) == 1116 and rep["n_movement"] == 12
    full, _ = read_sleep_edf_hypnogram(
        HYP_DIR / "SC4092EC-Hypnogram.edf", crop_wake_mins=None
    )
    assert len(full) > len(labels)
    # 30 min of wake kept around sleep (a movement epoch right after it)
    assert (labels[:60] == 0).all() and (labels[-59:] == 0).all()
    assert labels[-60] == -1
