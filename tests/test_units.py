"""Units: MNE objects made by the package hold volts, models get microvolts.

Every loader's raw recording is exported to EDF with MNE (edfio) and read back:
the values agree within the EDF resolution and the unit is volts. The models'
input (``make_sequences``) is still microvolts, equal to the source files' and
the simulator's arrays; YASA gives the same probabilities as with the former
path (microvolts in the raw, ``unit="uV"``).
"""

import warnings

import mne
import numpy as np
import pytest
from mne.io.constants import FIFF

from braindecode_sleepkd.datasets import (
    DREAMS,
    ISRUC,
    SleepEDF,
    from_microvolts,
    load_sample,
    make_sequences,
    read_dreams_signal,
    simulate_sleep_eeg,
    to_microvolts,
)
from braindecode_sleepkd.datasets._windows import (
    annotate_epochs,
    make_windows,
    raw_dataset,
)
from braindecode_sleepkd.datasets.paths import data_path
from braindecode_sleepkd.datasets.sequences import SequenceDataset
from braindecode_sleepkd.datasets.units import (
    MODEL_UNIT,
    RAW_UNIT,
    UNITLESS,
    check_unit,
    recording_unit,
)
from braindecode_sleepkd.staging import read_epochs

DATA = data_path(must_exist=False)
DREAMS_DIR = DATA / "dreams-spindles"
HYP_DIR = DATA / "sleep-edf-hypnograms"
needs_dreams = pytest.mark.needs_data("dreams-spindles")
needs_hypnograms = pytest.mark.needs_data("sleep-edf-hypnograms")


def _quiet(make, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make(*args, **kwargs)


def _check_round_trip(raw, tmp_path, name):
    """Export ``raw`` to EDF with MNE, read it back: same volts, EDF resolution."""
    raw = raw.copy().load_data()
    fname = tmp_path / f"{name}.edf"
    mne.export.export_raw(fname, raw, fmt="edf", overwrite=True, verbose="error")
    back = mne.io.read_raw_edf(fname, preload=True, verbose="error")
    assert back.ch_names == raw.ch_names
    assert all(ch["unit"] == FIFF.FIFF_UNIT_V for ch in back.info["chs"])
    assert {check_unit(u) for u in back._orig_units.values()} == {"uV"}
    data, read = raw.get_data(), back.get_data()[:, : raw.n_times]
    # EEG of tens of microvolts, in volts
    assert 1e-7 < np.median(np.abs(data)) < 1e-3
    # 16-bit samples over the channel's range (exported in uV, 8-character header)
    step = (data.max() - data.min()) / (2**16 - 1)
    np.testing.assert_allclose(read, data, rtol=0, atol=2 * step + 1e-12)
    return back


# ----------------------------------------------------------------- helpers
def test_conversions_and_unit_names():
    x = np.array([12.5, -3.25], dtype=np.float32)
    v = from_microvolts(x)
    np.testing.assert_allclose(v, [12.5e-6, -3.25e-6])
    assert to_microvolts(v).dtype == np.float64
    np.testing.assert_array_equal(to_microvolts(v).astype(np.float32), x)
    np.testing.assert_array_equal(to_microvolts(x, "uV"), x)
    np.testing.assert_allclose(to_microvolts([2.0], "mV"), [2000.0])
    np.testing.assert_array_equal(to_microvolts(x, UNITLESS), x)
    # "auto": the amplitude says volts or microvolts
    rng = np.random.default_rng(0)
    epochs = 20 * rng.standard_normal((4, 1, 300))
    np.testing.assert_allclose(to_microvolts(epochs * 1e-6, "auto"), epochs)
    np.testing.assert_array_equal(to_microvolts(epochs, "auto"), epochs)
    assert check_unit("µV") == "uV" and check_unit("Unitless") == UNITLESS
    with pytest.raises(ValueError, match="Unknown unit 'K'"):
        check_unit("K")
    with pytest.raises(ValueError, match="auto"):
        to_microvolts(x, "kelvin")
    assert (RAW_UNIT, MODEL_UNIT) == ("V", "uV")


def _windows(data, unit=None, sfreq=10.0):
    raw = mne.io.RawArray(data, mne.create_info(1, sfreq, "eeg"), verbose="error")
    annotate_epochs(raw, np.arange(data.shape[1] // int(30 * sfreq)) % 5)
    desc = dict(subject=0, recording=1)
    if unit is not None:
        desc["unit"] = unit
    return make_windows([raw_dataset(raw, desc)])


def test_recording_unit_declared_or_read_from_the_amplitude():
    uv = 20 * np.random.default_rng(1).standard_normal((1, 3000))
    volts = _windows(uv * 1e-6)
    assert recording_unit(volts.datasets[0]) == "V"  # undeclared: amplitude
    assert recording_unit(_windows(uv).datasets[0]) == "uV"
    assert recording_unit(_windows(uv * 1e-6, unit="V").datasets[0]) == "V"
    # every reading gives the models the same microvolts
    X_v, _, _ = make_sequences(volts, 2)
    X_uv, _, _ = make_sequences(_windows(uv), 2)
    X_decl, _, _ = make_sequences(_windows(uv * 1e-6, unit="V"), 2)
    np.testing.assert_allclose(X_v, X_uv, rtol=1e-6)
    np.testing.assert_array_equal(X_v, X_decl)
    # a unitless (standardised) signal is passed on unchanged
    X_z, _, _ = make_sequences(_windows(uv / 20, unit=UNITLESS), 2)
    np.testing.assert_array_equal(X_z, (uv / 20).astype(np.float32).reshape(X_z.shape))
    with pytest.raises(ValueError, match="Unknown unit"):
        make_sequences(_windows(uv, unit="furlongs"), 2)


# -------------------------------------------------------- loaders: export
@needs_dreams
def test_dreams_sample_exports_to_edf(tmp_path):
    windows = _quiet(load_sample, subject_ids=[1, 4])
    assert list(windows.description["unit"]) == ["V", "V"]
    for ds in windows.datasets:
        back = _check_round_trip(ds.raw, tmp_path, ds.description["recording"])
        assert len(back.annotations) == len(ds.raw.annotations)


@needs_dreams
def test_dreams_text_and_edf_excerpts_export_to_edf(tmp_path):
    txt = _quiet(DREAMS, DREAMS_DIR, subject_ids=3, sfreq=None)
    edf = _quiet(DREAMS, DREAMS_DIR, subject_ids=3, sfreq=None, format="edf")
    for name, windows in (("txt", txt), ("edf", edf)):
        _check_round_trip(windows.datasets[0].raw, tmp_path, name)


@needs_hypnograms
def test_simulated_windows_export_to_edf(tmp_path):
    windows = _quiet(simulate_sleep_eeg, 2, 80, seed=3)
    assert (windows.description["unit"] == "V").all()
    for i, ds in enumerate(windows.datasets):
        _check_round_trip(ds.raw, tmp_path, f"sim{i}")


@pytest.fixture(scope="module")
def isruc_root(tmp_path_factory):
    """A one-subject ISRUC subgroup III folder: ``1/1.rec`` (uV) and labels."""
    from conftest import _write_edf

    root = tmp_path_factory.mktemp("isruc")
    base = root / "1"
    base.mkdir()
    sfreq, n_epochs = 50.0, 12
    t = np.arange(int(n_epochs * 30 * sfreq)) / sfreq
    rng = np.random.default_rng(0)
    signals = {
        "C4-A1": 40 * np.sin(2 * np.pi * 1.5 * t) + 5 * rng.standard_normal(t.size),
        "F3-A2": 30 * np.sin(2 * np.pi * 10 * t),
        "LOC-A2": np.zeros_like(t),
    }
    _write_edf(base / "1.rec", signals, sfreq)
    for k in (1, 2):
        (base / f"1_{k}.txt").write_text("\n".join(["0", "1", "2", "3", "5", "2"] * 2))
    return root, signals


def test_isruc_exports_to_edf_and_reads_microvolts(isruc_root, tmp_path):
    root, signals = isruc_root
    windows = ISRUC(1, root, channel="C4-A1")
    assert list(windows.description["unit"]) == ["V"]
    raw = windows.datasets[0].raw
    np.testing.assert_allclose(
        to_microvolts(raw.get_data()[0]), signals["C4-A1"][: raw.n_times], atol=0.02
    )
    _check_round_trip(raw, tmp_path, "isruc")
    X, _, _ = make_sequences(windows, 1)
    np.testing.assert_allclose(X.reshape(-1), signals["C4-A1"][: X.size], atol=0.02)


@needs_hypnograms
def test_sleep_edf_exports_to_edf(tmp_path):
    import shutil

    from conftest import _write_edf

    folder = tmp_path / "sleep-edf"
    folder.mkdir()
    hyp = HYP_DIR / "SC4001EC-Hypnogram.edf"
    annots = mne.read_annotations(hyp)
    n = int(np.ceil((annots.onset[-1] + annots.duration[-1]) * 10.0))
    t = np.arange(n) / 10.0
    rng = np.random.default_rng(0)
    eeg = 30 * np.sin(2 * np.pi * 2 * t) + 5 * rng.standard_normal(n)
    signals = {"EEG Fpz-Cz": eeg, "EEG Pz-Oz": -eeg}
    _write_edf(folder / "SC4001E0-PSG.edf", signals, 10.0)
    shutil.copy(hyp, folder)
    windows = _quiet(SleepEDF, 0, [1], path=folder)
    assert list(windows.description["unit"]) == ["V"]
    raw = windows.datasets[0].raw
    _check_round_trip(raw, tmp_path, "sleep-edf")
    # what the models get: the written microvolts (EDF resolution 1000/65535 uV)
    X, _, _ = make_sequences(windows, 1)
    start = int(windows.datasets[0].metadata["i_start_in_trial"].iloc[0])
    first_sample = raw.first_samp + start
    np.testing.assert_allclose(
        X[0, 0, 0], eeg[first_sample : first_sample + 300], atol=0.02
    )


# ------------------------------------------------------ models' input: uV
@needs_dreams
def test_model_input_is_the_text_files_microvolts():
    windows = _quiet(DREAMS, DREAMS_DIR, subject_ids=1, sfreq=None)
    _, x = read_dreams_signal(DREAMS_DIR / "excerpt1.txt")
    X, _, _ = make_sequences(windows, 1)
    # microvolts -> volts in the raw -> microvolts again: exactly the file's
    np.testing.assert_array_equal(X.reshape(-1), x[: X.size].astype(np.float32))
    lazy = SequenceDataset(windows, 1)
    np.testing.assert_array_equal(lazy[7][0], X[7])


@needs_dreams
def test_sample_model_input_statistic_unchanged():
    # the standard deviation the sample's sequences had when the raw objects
    # held microvolts (computed with braindecode-sleepkd 0.2)
    windows = _quiet(load_sample)
    X, _, _ = make_sequences(windows, 10, on_short="skip")
    assert X.shape == (36, 10, 1, 3000)
    assert float(X.std()) == pytest.approx(22.265966415405273, rel=1e-6)
    lazy = SequenceDataset(windows, 10, on_short="skip")
    np.testing.assert_array_equal(lazy[5][0], X[5])


@needs_hypnograms
def test_simulated_windows_give_the_simulated_arrays():
    windows = _quiet(simulate_sleep_eeg, 2, 80, seed=1)
    X_arr, _, _ = _quiet(simulate_sleep_eeg, 2, 80, seed=1, return_arrays=True)
    X, _, _ = make_sequences(windows, 1)
    np.testing.assert_array_equal(X[:, 0], X_arr)  # microvolts, bit for bit
    assert 5 < X.std() < 100
    raw = windows.datasets[0].raw
    assert 5e-6 < raw.get_data().std() < 1e-4  # the raw: volts


@needs_hypnograms
def test_staging_reads_raw_and_windows_in_microvolts():
    windows = _quiet(simulate_sleep_eeg, 1, 80, seed=2)
    X, _, _ = make_sequences(windows, 1)
    from_windows, _, _ = read_epochs(windows, "EEG")
    from_raw, _, _ = read_epochs(windows.datasets[0].raw, "EEG")
    np.testing.assert_array_equal(from_windows, X[:, 0])
    np.testing.assert_array_equal(from_raw[: len(X)], X[:, 0])


# ------------------------------------------------------------------ YASA
@needs_dreams
def test_yasa_auto_gives_the_former_probabilities():
    pytest.importorskip("yasa")
    from braindecode_sleepkd.teachers.yasa import YASATeacher

    windows = _quiet(load_sample, subject_ids=[1])
    ds = windows.datasets[0]
    auto = YASATeacher().predict_proba_windows(windows)
    assert YASATeacher().unit == "auto"
    # the former path: microvolts in the raw, unit="uV"
    raw_uv = ds.raw.copy()
    raw_uv.apply_function(to_microvolts, channel_wise=False)
    old_ds = raw_dataset(raw_uv, dict(ds.description.drop("unit")))
    old_windows = make_windows([old_ds])
    old = YASATeacher(unit="uV").predict_proba_windows(old_windows)
    np.testing.assert_allclose(auto, old, rtol=0, atol=1e-6)
    # undeclared microvolts in a raw are read as such by "auto" too
    np.testing.assert_allclose(
        YASATeacher().predict_proba_windows(old_windows), old, atol=1e-6
    )
    # bare arrays (the cohort code's microvolts) and volts
    teacher = YASATeacher()
    data_uv = to_microvolts(ds.raw.get_data())
    channels = (ds.raw.ch_names[0], None, None)
    p_uv = teacher.score_array(data_uv, 100.0, channels)
    p_v = teacher.score_array(ds.raw.get_data(), 100.0, channels)
    p_old = YASATeacher(unit="uV").score_array(data_uv, 100.0, channels)
    np.testing.assert_allclose(p_uv, p_old, atol=1e-6)
    np.testing.assert_allclose(p_v, p_old, atol=1e-6)
    np.testing.assert_allclose(auto, p_old.astype(np.float32), atol=1e-6)


def test_yasa_refuses_unitless_and_unknown_units():
    from braindecode_sleepkd.teachers.yasa import YASATeacher

    z = np.random.default_rng(0).standard_normal((1, 3000 * 4))
    windows = _windows(z, unit=UNITLESS, sfreq=100.0)
    with pytest.raises(ValueError, match="standardised.*cannot be scored"):
        YASATeacher(min_duration=60).score_recording(windows.datasets[0])
    with pytest.raises(ValueError, match="unit must be one of"):
        YASATeacher(unit="furlong").score_recording(windows.datasets[0])
