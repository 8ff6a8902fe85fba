"""DREAMS loader and load_sample on the real excerpts in ../shared/data.

Labels are recounted here from the raw ``Hypnogram_excerptN.txt`` files with
the R&K -> AASM table of the DREAMS readme, and windows are compared sample by
sample with ``excerptN.txt`` read by numpy, so order and cropping are checked
window by window. EDF mode is also tested on small files written in the real
layout (excerpts on ``C3-A1`` and on ``CZ-A1``).
"""

import logging
import shutil
import warnings
from collections import Counter

import numpy as np
import pytest
from braindecode.datasets import BaseConcatDataset

from braindecode_sleepkd.datasets import (
    DREAMS,
    SLEEP_STAGES,
    data_path,
    load_sample,
    paths,
    read_dreams_hypnogram,
    stage_counts,
    to_microvolts,
)
from braindecode_sleepkd.datasets.dreams import infer_sfreq, rk_codes_to_epochs

# where the package finds the data: $SLEEPKD_DATA, else ../shared/data
DREAMS_DIR = data_path(must_exist=False) / "dreams-spindles"
needs_dreams = pytest.mark.needs_data("dreams-spindles")
# R&K code -> AASM label, from the DREAMS readme (written out: the oracle)
RK = {"5": 0, "4": 4, "3": 1, "2": 2, "1": 3, "0": 3}  # S3 and S4 -> N3

# pinned on the 6 DREAMS Spindles excerpts, majority of six 5-s codes
EXPECTED_COUNTS = {"W": 48, "N1": 40, "N2": 221, "N3": 46, "REM": 5}
EXPECTED_NATIVE = {1: 100.0, 3: 50.0, 4: 200.0, 6: 200.0, 7: 200.0, 8: 200.0}
EXPECTED_MIXED = {1: 17, 3: 27, 4: 14, 6: 26, 7: 19, 8: 7}


@pytest.fixture(scope="module")
def sample():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_sample()
    return ds, caught


def _labels(ds):
    return np.concatenate([d.y for d in ds.datasets])


@needs_dreams
def test_sample_class_counts_pinned(sample):
    ds, _ = sample
    assert isinstance(ds, BaseConcatDataset)
    assert len(ds) == 360
    assert stage_counts(_labels(ds)) == EXPECTED_COUNTS
    assert SLEEP_STAGES == ("W", "N1", "N2", "N3", "REM")


@needs_dreams
def test_sample_description(sample):
    ds, _ = sample
    desc = ds.description
    assert list(desc["subject"]) == [1, 3, 4, 6, 7, 8]
    assert list(desc["recording"]) == [f"excerpt{i}" for i in (1, 3, 4, 6, 7, 8)]
    assert dict(zip(desc["subject"], desc["sfreq_native"])) == EXPECTED_NATIVE
    assert dict(zip(desc["subject"], desc["n_mixed"])) == EXPECTED_MIXED
    assert (desc["n_ambiguous"] == 0).all() and (desc["n_dropped"] == 0).all()
    assert (desc["n_windows"] == 60).all()
    assert list(desc["channel"]) == ["C3-A1", "C3-A1"] + ["CZ-A1"] * 4


@needs_dreams
def test_sample_windows_shape_rate_units(sample):
    ds, _ = sample
    X, y, inds = ds[0]
    assert X.shape == (1, 3000) and X.dtype == np.float32
    assert {d.raw.info["sfreq"] for d in ds.datasets} == {100.0}
    # volts, as MNE expects: EEG amplitudes of tens of uV are about 1e-5 V
    assert (ds.description["unit"] == "V").all()
    assert 1e-6 < np.abs(X).max() < 1e-3
    assert 1 < np.abs(to_microvolts(X)).max() < 1000


@needs_dreams
def test_excerpt6_extra_samples_reported_not_warned(sample, caplog):
    ds, caught = sample
    desc = ds.description.set_index("subject")
    assert desc.loc[6, "n_trimmed_samples"] == 140
    assert (desc.drop(index=6)["n_trimmed_samples"] == 0).all()
    # nothing dropped: no warning at all ("0 epochs dropped" is not news)
    assert not [w for w in caught if issubclass(w.category, UserWarning)]
    with caplog.at_level(logging.INFO, logger="braindecode_sleepkd"):
        DREAMS(DREAMS_DIR, subject_ids=6)
    assert "excerpt6: 140 samples after the last scored epoch unused" in caplog.text


def _raw_epoch_labels(hyp_file):
    """Oracle: majority of six 5-s codes (>= 4 agree), from the raw text file."""
    codes = hyp_file.read_text().split()[1:]
    out = []
    for k in range(len(codes) // 6):
        votes = Counter(RK[c] for c in codes[6 * k : 6 * k + 6] if c in RK)
        stage, n = votes.most_common(1)[0] if votes else (-1, 0)
        out.append(stage if n >= 4 else -1)
    return out


@needs_dreams
@pytest.mark.parametrize("excerpt", [1, 3, 4, 6, 7, 8])
def test_windows_and_labels_against_raw_files(excerpt):
    ds = DREAMS(DREAMS_DIR, subject_ids=excerpt, sfreq=None)
    expected = _raw_epoch_labels(DREAMS_DIR / f"Hypnogram_excerpt{excerpt}.txt")
    assert -1 not in expected  # all 360 real epochs have a clear majority
    np.testing.assert_array_equal(ds.datasets[0].y, expected)
    x = np.loadtxt(DREAMS_DIR / f"excerpt{excerpt}.txt", skiprows=1)
    n = int(ds.datasets[0].raw.info["sfreq"] * 30)
    for k in range(len(ds)):  # window k is samples [k n, (k + 1) n) of the file
        np.testing.assert_allclose(
            to_microvolts(ds[k][0][0]), x[k * n : (k + 1) * n], rtol=1e-6
        )


@needs_dreams
def test_signal_matches_text_file_at_native_rate():
    ds = DREAMS(DREAMS_DIR, subject_ids=[1], sfreq=None)
    x = np.loadtxt(DREAMS_DIR / "excerpt1.txt", skiprows=1, max_rows=3000)
    np.testing.assert_allclose(to_microvolts(ds[0][0][0]), x, rtol=1e-6)


@needs_dreams
def test_native_rates_differ_raises():
    with pytest.raises(ValueError, match="different sampling rates.*excerpt3: 50 Hz"):
        DREAMS(DREAMS_DIR, subject_ids=[1, 3], sfreq=None)


@needs_dreams
def test_edf_variant_equals_text():
    edf = DREAMS(DREAMS_DIR, subject_ids=3, sfreq=None, format="edf")
    txt = DREAMS(DREAMS_DIR, subject_ids=3, sfreq=None)
    assert edf.description["sfreq_native"][0] == 50.0
    np.testing.assert_allclose(
        to_microvolts(edf[5][0]), to_microvolts(txt[5][0]), atol=1e-3
    )
    np.testing.assert_array_equal(_labels(edf), _labels(txt))


@needs_dreams
def test_edf_missing_channel_lists_available():
    with pytest.raises(ValueError, match=r"Channel 'Pz' not in .*available:.*O1-A1"):
        DREAMS(DREAMS_DIR, subject_ids=3, format="edf", channel="Pz")


@needs_dreams
def test_text_missing_channel_lists_available():
    with pytest.raises(ValueError, match=r"available: \['C3-A1'\]"):
        DREAMS(DREAMS_DIR, subject_ids=1, channel="Fpz-Cz")


@needs_dreams
def test_strict_agreement_reports_ambiguous_epochs():
    with pytest.warns(UserWarning, match="excerpt8: 7 epochs dropped"):
        ds = DREAMS(DREAMS_DIR, subject_ids=8, min_agreement=6)
    desc = ds.description.iloc[0]
    assert desc["n_ambiguous"] == 7 == desc["n_dropped"]
    assert len(desc["ambiguous_epochs"]) == 7
    assert len(ds) == 53
    kept = DREAMS(DREAMS_DIR, subject_ids=8, min_agreement=6, ambiguous="majority")
    assert len(kept) == 60 and kept.description["n_ambiguous"][0] == 7
    with pytest.raises(ValueError, match="7 ambiguous 30-s epochs"):
        DREAMS(DREAMS_DIR, subject_ids=8, min_agreement=6, ambiguous="raise")


def test_rk_codes_to_epochs_rules():
    codes = [5] * 6 + [3, 3, 3, 2, 2, 2] + [1, 0, 1, 0, 2, 2] + [-1] * 6 + [4, 4]
    labels, rep = rk_codes_to_epochs(codes)
    # tie S1/S2 is ambiguous; S3+S4 -> N3 (4 votes); all movement: no vote
    np.testing.assert_array_equal(labels, [0, -1, 3, -1])
    assert rep["ambiguous_epochs"] == (1, 3) and rep["n_trailing_codes"] == 2
    labels, _ = rk_codes_to_epochs(codes, ambiguous="majority")
    np.testing.assert_array_equal(labels, [0, 1, 3, -1])


def test_unknown_hypnogram_values_listed_with_lines(tmp_path):
    f = tmp_path / "Hypnogram_excerpt9.txt"
    f.write_text("[Hypnogram]\n5\n7\n5\nx\n")
    with pytest.raises(ValueError, match=r"line 3: '7'; line 5: 'x'"):
        read_dreams_hypnogram(f)


def test_inconsistent_lengths_raise():
    assert infer_sfreq(360140, 360) == 200.0
    with pytest.raises(ValueError, match="cannot infer a sampling rate"):
        infer_sfreq(1000, 360)


@needs_dreams
def test_missing_files_named(tmp_path):
    shutil.copy(DREAMS_DIR / "Hypnogram_excerpt1.txt", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"excerpt1\.txt"):
        DREAMS(tmp_path, subject_ids=1)
    with pytest.raises(FileNotFoundError, match="No DREAMS excerpts"):
        DREAMS(tmp_path / "..", subject_ids=None)


@needs_dreams
def test_text_file_cut_to_half_is_refused(tmp_path):
    # half of excerpt1's samples would read as a valid 50 Hz excerpt
    lines = (DREAMS_DIR / "excerpt1.txt").read_text().splitlines()
    assert len(lines) == 180001
    (tmp_path / "excerpt1.txt").write_text("\n".join(lines[:90001]) + "\n")
    shutil.copy(DREAMS_DIR / "Hypnogram_excerpt1.txt", tmp_path)
    with pytest.raises(ValueError) as info:
        DREAMS(tmp_path, subject_ids=1)
    msg = str(info.value)
    assert "90000 samples for 360 hypnogram codes (1800 s) imply 50 Hz" in msg
    assert "documented at 100 Hz (180000 samples expected)" in msg
    assert "truncated" in msg
    ds = DREAMS(tmp_path, subject_ids=1, native_sfreq=None)  # explicit opt-out
    assert ds.description["sfreq_native"][0] == 50.0


@needs_dreams
def test_truncated_signal_file_raises(tmp_path):
    lines = (DREAMS_DIR / "excerpt1.txt").read_text().splitlines()[:70001]
    (tmp_path / "excerpt1.txt").write_text("\n".join(lines) + "\n")
    shutil.copy(DREAMS_DIR / "Hypnogram_excerpt1.txt", tmp_path)
    with pytest.raises(ValueError, match="do not match"):
        DREAMS(tmp_path, subject_ids=1)


@needs_dreams
def test_data_path_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("SLEEPKD_DATA", raising=False)
    # the default folder, pointed at wherever this run's data are
    monkeypatch.setattr(paths, "DEFAULT_DATA_DIR", DREAMS_DIR.parent)
    assert data_path("dreams-spindles") == DREAMS_DIR
    assert data_path("dreams-spindles", path=DREAMS_DIR) == DREAMS_DIR
    monkeypatch.setenv("SLEEPKD_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="SLEEPKD_DATA"):
        data_path("dreams-spindles")


def test_load_sample_not_found_says_where(tmp_path):
    with pytest.raises(FileNotFoundError, match="dreams-spindles.*SLEEPKD_DATA"):
        load_sample(path=tmp_path)


@needs_dreams
def test_load_sample_from_env(monkeypatch):
    monkeypatch.setenv("SLEEPKD_DATA", str(DREAMS_DIR.parent))
    ds = load_sample(subject_ids=[1], sfreq=50)
    assert len(ds) == 60 and ds[0][0].shape == (1, 1500)


@pytest.mark.parametrize("sfreq", [0, -5, float("nan"), "fast", 33.33])
def test_bad_sfreq_refused_before_reading(sfreq, tmp_path):
    with pytest.raises(ValueError, match="sfreq"):
        DREAMS(tmp_path / "nowhere", sfreq=sfreq)


# ------------------------------------------------ EDF excerpts, real layout
# excerpt3.edf's channels; the CZ-A1 excerpts carry CZ-A1 in place of C3-A1
EDF_CHANNELS = ["O1-A1", "EMG1", "C3-A1", "FP1-A1", "EOG2-A1", "EOG1-A1"]


def _edf_excerpt(folder, write_edf, excerpt, central, sfreq, codes):
    """excerpt<N>.edf (central channel = epoch index) + Hypnogram_excerpt<N>.txt."""
    n_epochs = len(codes) // 6
    epoch = np.repeat(np.arange(n_epochs), int(30 * sfreq)).astype(float)
    signals = {
        (central if ch == "C3-A1" else ch): (epoch if ch == "C3-A1" else -1 - epoch)
        for ch in EDF_CHANNELS
    }
    write_edf(folder / f"excerpt{excerpt}.edf", signals, sfreq)
    text = "[Hypnogram]\n" + "\n".join(map(str, codes)) + "\n"
    (folder / f"Hypnogram_excerpt{excerpt}.txt").write_text(text)


def test_edf_excerpts_on_either_central_channel(tmp_path, write_edf):
    codes = [5] * 6 + [3] * 6 + [2] * 6 + [1, 0, 1, 0, 1, 0] + [4] * 6
    _edf_excerpt(tmp_path, write_edf, 3, "C3-A1", 50.0, codes)
    _edf_excerpt(tmp_path, write_edf, 4, "CZ-A1", 200.0, codes)
    ds = DREAMS(tmp_path, format="edf", sfreq=50.0)  # one call, both excerpts
    assert list(ds.description["subject"]) == [3, 4]
    assert list(ds.description["channel"]) == ["C3-A1", "CZ-A1"]
    for d in ds.datasets:
        np.testing.assert_array_equal(d.y, [0, 1, 2, 3, 4])  # W N1 N2 N3 REM
        for k in range(len(d)):  # the central channel, epoch k (away from edges)
            np.testing.assert_allclose(to_microvolts(d[k][0][0, 50:-50]), k, atol=0.05)
    with pytest.raises(ValueError, match=r"Channel 'C3-A1' not in .*excerpt4"):
        DREAMS(tmp_path, subject_ids=4, format="edf", channel="C3-A1")
    # an excerpt without a documented channel: the first central channel found
    _edf_excerpt(tmp_path, write_edf, 11, "CZ-A1", 100.0, codes)
    ds = DREAMS(tmp_path, subject_ids=11, format="edf", native_sfreq=None)
    assert ds.description["channel"][0] == "CZ-A1"
