"""SleepEDF on real Sleep-EDF hypnograms paired with PSG files the tests write.

The written PSG signals encode where each sample comes from (the 30-s epoch
index, and for the Sleep-EDF-20 test the subject and night), so every window
is checked against the epoch the hypnogram gives it: order, wake cropping and
dropped epochs are checked window by window against labels recounted here from
the raw annotation files with MNE, not with the package's reader.
"""

import shutil
import warnings

import mne
import numpy as np
import pytest
from braindecode.datasets import BaseConcatDataset
from edfio import Edf, EdfAnnotation, EdfSignal

from braindecode_sleepkd.datasets import (
    SleepEDF,
    make_sequences,
    read_sleep_edf_hypnogram,
    to_microvolts,
)
from braindecode_sleepkd.datasets.paths import data_path
from braindecode_sleepkd.datasets.sleep_edf import sleep_edf_records

# where the package finds the data: $SLEEPKD_DATA, else ../shared/data
HYP_DIR = data_path(must_exist=False) / "sleep-edf-hypnograms"
SFREQ = 10.0  # low rate keeps the written PSG files small
PAIRS = {(0, 1): "SC4001EC", (0, 2): "SC4002EC"}
# the oracle's rule, written here (not imported): "Sleep stage <R&K stage>" ->
# AASM label, S3 and S4 -> N3; "Sleep stage ?" and "Movement time" unmapped
AASM_OF_RK = {"W": 0, "1": 1, "2": 2, "3": 3, "4": 3, "R": 4}


def _oracle_label(description):
    stage = description.removeprefix("Sleep stage ")
    return AASM_OF_RK.get(stage) if stage != description else None


# channels of a real Sleep Cassette PSG file (EEG at 100 Hz there, 10 Hz here)
OTHER_CHANNELS = ("EOG horizontal", "Resp oro-nasal", "EMG submental", "Temp rectal")

needs_hypnograms = pytest.mark.needs_data("sleep-edf-hypnograms")


def _oracle(hyp_file, n_psg_epochs, crop_wake_mins=30):
    """``[(epoch index, label)]`` recounted from the raw annotations."""
    per_epoch = {}
    for ann in mne.read_annotations(hyp_file):
        first = int(round(ann["onset"] / 30))
        for k in range(first, first + int(round(ann["duration"] / 30))):
            per_epoch[k] = ann["description"]
    sleep = [k for k, d in per_epoch.items() if d[-1] in "1234R"]
    lo, hi = min(sleep) - 2 * crop_wake_mins, max(sleep) + 2 * crop_wake_mins
    keep = range(max(lo, 0), min(hi + 1, n_psg_epochs))
    labels = [(k, _oracle_label(per_epoch[k])) for k in keep]
    return [(k, label) for k, label in labels if label is not None]


def _write_psg(fname, n_epochs, code, channels=("EEG Fpz-Cz", "EEG Pz-Oz")):
    """PSG whose EEG sample value is ``code + epoch index`` (uV), Pz-Oz negated."""
    epoch = np.repeat(np.arange(n_epochs), int(30 * SFREQ)).astype(float)
    signals = [
        EdfSignal(
            (code + epoch) * (1 if i == 0 else -1),
            sampling_frequency=SFREQ,
            label=ch,
            physical_dimension="uV",
            physical_range=(-3000.0, 3000.0),
        )
        for i, ch in enumerate(channels)
    ]
    signals += [
        EdfSignal(np.zeros(n_epochs * 30), sampling_frequency=1.0, label=ch)
        for ch in OTHER_CHANNELS
    ]
    Edf(signals).write(fname)
    return fname


def _psg(folder, hyp_name, **kwargs):
    """PSG file as long as the cropped sleep period of a real hypnogram."""
    annots = mne.read_annotations(HYP_DIR / f"{hyp_name}-Hypnogram.edf")
    sleep = [a for a in annots if a["description"][-1] in "1234R"]
    tmax = sleep[-1]["onset"] + sleep[-1]["duration"] + 30 * 60
    n_epochs = int(np.ceil(tmax / 30))
    fname = folder / f"{hyp_name[:7]}0-PSG.edf"
    _write_psg(fname, n_epochs, 0, **kwargs)
    shutil.copy(HYP_DIR / f"{hyp_name}-Hypnogram.edf", folder)
    return n_epochs


def _epoch_of(windows_ds):
    """Epoch code of every window (each window must hold one constant value)."""
    out = []
    for i in range(len(windows_ds)):
        x = to_microvolts(windows_ds[i][0][0])  # windows hold volts
        assert np.ptp(x) < 0.5, f"window {i} mixes two epochs"
        out.append(int(round(float(x.mean()))))
    return np.asarray(out)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sleep-edf")
    lengths = {name: _psg(folder, name) for name in PAIRS.values()}
    return folder, lengths


@pytest.fixture(scope="module")
def loaded(folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = SleepEDF(subject_ids=0, recording_ids=[1, 2], path=folder[0])
    return ds, caught


@needs_hypnograms
def test_windows_match_hypnogram_epoch_by_epoch(loaded, folder):
    ds, _ = loaded
    assert isinstance(ds, BaseConcatDataset) and len(ds.datasets) == 2
    for d, name in zip(ds.datasets, PAIRS.values()):
        expected = _oracle(HYP_DIR / f"{name}-Hypnogram.edf", folder[1][name])
        np.testing.assert_array_equal(_epoch_of(d), [k for k, _ in expected])
        np.testing.assert_array_equal(d.y, [lab for _, lab in expected])
    # the package's own hypnogram reader agrees with the oracle's counts
    labels, _ = read_sleep_edf_hypnogram(HYP_DIR / "SC4001EC-Hypnogram.edf")
    np.testing.assert_array_equal(
        np.bincount(ds.datasets[0].y, minlength=5),
        np.bincount(labels[labels >= 0], minlength=5),
    )
    assert np.bincount(ds.datasets[0].y).tolist() == [188, 58, 250, 220, 125]
    assert list(ds.description["n_windows"]) == [841, 1127]


@needs_hypnograms
def test_movement_counted_and_warned(loaded):
    ds, caught = loaded
    desc = ds.description
    assert list(desc["n_movement"]) == [0, 1]
    assert list(desc["n_dropped"]) == [0, 1]
    assert any("1 movement" in str(w.message) for w in caught)


@needs_hypnograms
def test_description_channel_and_units(loaded):
    ds, _ = loaded
    desc = ds.description
    assert list(desc["subject"]) == [0, 0] and list(desc["night"]) == [1, 2]
    assert (desc["channel"] == "Fpz-Cz").all()
    X, y, _ = ds[0]
    assert X.shape == (1, 300) and X.dtype == np.float32
    # volts in the raw objects and windows (MNE's unit), as braindecode gives
    assert (desc["unit"] == "V").all()
    epochs = np.stack([to_microvolts(ds.datasets[0][i][0]) for i in range(6)])
    # microvolts written, within the EDF resolution (6000 uV / 65536)
    np.testing.assert_allclose(
        epochs[:, 0].mean(-1), _epoch_of(ds.datasets[0])[:6], atol=0.1
    )


@needs_hypnograms
def test_scale_to_uv_is_deprecated_and_gives_the_same_model_input(loaded, folder):
    ds, _ = loaded
    with pytest.warns(FutureWarning, match="scale_to_uv.*deprecated"):
        old = SleepEDF(
            subject_ids=0, recording_ids=[1], path=folder[0], scale_to_uv=True
        )
    assert list(old.description["unit"]) == ["uV"]
    assert np.abs(old[0][0]).max() > 1e3 * np.abs(ds[0][0]).max()
    one = BaseConcatDataset(ds.datasets[:1])
    X_old, y_old, _ = make_sequences(old, 10)
    X_new, y_new, _ = make_sequences(one, 10)
    np.testing.assert_array_equal(X_new, X_old)
    np.testing.assert_array_equal(y_new, y_old)


@needs_hypnograms
def test_pz_oz_and_resampling(folder):
    ds = SleepEDF(0, [1], path=folder[0], channel="Pz-Oz", sfreq=5.0)
    assert ds[0][0].shape == (1, 150) and len(ds) == 841
    # Pz-Oz was written negated: the right channel is read, in microvolts
    first = _oracle(HYP_DIR / "SC4001EC-Hypnogram.edf", folder[1]["SC4001EC"])[0][0]
    np.testing.assert_allclose(to_microvolts(ds[0][0][0, 10:-10]), -first, atol=0.2)


@needs_hypnograms
def test_missing_channel_lists_available(folder):
    with pytest.raises(ValueError, match=r"'C3' not in .*\['Fpz-Cz', 'Pz-Oz'\]"):
        SleepEDF(0, [1], path=folder[0], channel="C3")


@needs_hypnograms
def test_truncated_psg_raises(folder, tmp_path):
    for f in folder[0].glob("SC4001*"):
        shutil.copy(f, tmp_path)
    psg = tmp_path / "SC4001E0-PSG.edf"
    psg.write_bytes(psg.read_bytes()[:200])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        SleepEDF(0, [1], path=tmp_path)


@needs_hypnograms
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


def test_missing_files_fail_fast(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"SC4011E0-PSG\.edf.*physionet"):
        SleepEDF(1, [1], path=tmp_path)


def test_not_in_corpus():
    with pytest.raises(ValueError, match=r"\(13, 2\).*no requested night exists"):
        SleepEDF(13, [2], path=".")
    with pytest.raises(ValueError, match=r"\(13, 2\)"):
        SleepEDF([12, 13], [2], path=".", on_missing="raise")
    with pytest.raises(ValueError, match="on_missing must be one of"):
        SleepEDF(0, [1], path=".", on_missing="skip")


# ------------------------------------------------ Sleep-EDF-20 by default
# A short night in the real file layout: W W S1 S2 S3 S4 R S2 W, then unscored.
SHORT_NIGHT = ["W", "W", "1", "2", "3", "4", "R", "2", "W", "?"]


def _sleep_edf_20_folder(folder):
    """The 39 PSG + hypnogram files of Sleep-EDF-20, named as in MNE's table."""
    table = sleep_edf_records()
    table = table[table["subject"] < 20]
    for row in table.itertuples():
        code = 100 * row.subject + 20 * row.night  # decodes back to (s, n, k)
        _write_psg(folder / row.psg, len(SHORT_NIGHT), code)
        annots = [
            EdfAnnotation(30 * k, 30, f"Sleep stage {stage}")
            for k, stage in enumerate(SHORT_NIGHT)
        ]
        Edf([], annotations=annots).write(folder / row.hypnogram)
    return table


def test_default_call_loads_sleep_edf_20_and_skips_13_2(tmp_path):
    table = _sleep_edf_20_folder(tmp_path)
    assert len(table) == 39
    with pytest.warns(UserWarning, match=r"1 requested \(subject, night\) pairs .*"):
        ds = SleepEDF(path=tmp_path)
    desc = ds.description
    pairs = list(zip(desc["subject"], desc["night"]))
    assert len(pairs) == 39 and (13, 2) not in pairs and (13, 1) in pairs
    assert pairs == [(s, n) for s in range(20) for n in (1, 2) if (s, n) != (13, 2)]
    stage = {"W": 0, "1": 1, "2": 2, "3": 3, "4": 3, "R": 4}
    labels = [stage[s] for s in SHORT_NIGHT if s in stage]
    for d, (s, n) in zip(ds.datasets, pairs):
        codes = _epoch_of(d)
        np.testing.assert_array_equal(codes, 100 * s + 20 * n + np.arange(9))
        np.testing.assert_array_equal(d.y, labels)
    assert (desc["n_unknown"] == 1).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(UserWarning, match=r"skipped: \[\(13, 2\)\]"):
            SleepEDF(path=tmp_path)
    quiet = SleepEDF([13, 14], 2, path=tmp_path, on_missing="ignore")
    assert list(quiet.description["subject"]) == [14]
