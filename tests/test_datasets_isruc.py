"""ISRUC loader on small .rec/.edf and label files written in the real layouts.

Subgroups I and III: ``<n>/<n>.rec`` with ``<n>_1.txt``, ``<n>_2.txt``;
subgroup II: ``<n>/<session>/<session>.rec`` with ``<session>_1.txt``,
``<session>_2.txt`` (TorchEEG's reader, the ISRUC BIDS conversion). Channel
names are those of the ISRUC recordings (``F3-A2``, ``C4-A1``, ... and, for
subgroup I subject 40, unreferenced ``F3``, ``C4``, ``A1``, ``A2``, ...).

Every sample of a written channel encodes the channel, the recording and the
30-s epoch it belongs to, so each window is traced back to its epoch; labels
are recounted here from the raw label files with the ISRUC code table.
"""

import warnings

import numpy as np
import pytest
from braindecode.datasets import BaseConcatDataset
from sklearn.model_selection import GroupKFold

from braindecode_sleepkd.datasets import (
    ISRUC,
    read_isruc_labels,
    soft_targets,
    to_microvolts,
)

SFREQ = 50.0  # the real files are 200 Hz; 50 Hz keeps these small
N_EPOCHS = 40
# ISRUC code -> AASM label, written out here as the oracle (not imported)
ISRUC_STAGE = {"0": 0, "1": 1, "2": 2, "3": 3, "5": 4}  # W N1 N2 N3 REM
# channels of an ISRUC .rec file (EEG, EOG, EMG/ECG/leg, SpO2)
REFERENCED = ["LOC-A2", "ROC-A1", "F3-A2", "C3-A2", "O1-A2", "F4-A1", "C4-A1", "O2-A1"]
OTHER = ["X1", "X2", "X3", "X4", "X5", "X6", "DC3", "X7", "X8", "SaO2", "DC8"]
# subject 40 of subgroup I: electrodes recorded without their mastoid reference
UNREFERENCED = ["LOC", "ROC", "F3", "C3", "O1", "F4", "C4", "O2", "A1", "A2"]


def _code(ch_index, rec, epoch):
    """Value (uV) written for channel ``ch_index`` of recording ``rec``."""
    return 100.0 * ch_index + 1000.0 * (rec % 10) + epoch


def _write_recording(fname, write_edf, n_epochs, rec, channels):
    epoch = np.repeat(np.arange(n_epochs), int(30 * SFREQ)).astype(float)
    signals = {ch: _code(i, rec, epoch) for i, ch in enumerate(channels)}
    signals.update({ch: np.zeros_like(epoch) for ch in OTHER})
    write_edf(fname, signals, SFREQ, physical_range=(-10000.0, 10000.0))


def _label_files(base, stem, n_labels, shift):
    """Scorer files cycling through every ISRUC code; scorer 2 differs every 4th."""
    codes = np.array([0, 1, 2, 3, 5])
    for k, n_lab in zip((1, 2), n_labels):
        i = np.arange(n_lab)
        lab = codes[(i + shift + (k == 2) * (i % 4 == 0)) % 5]
        (base / f"{stem}_{k}.txt").write_text("\n".join(map(str, lab)) + "\n\n")


def _subject(root, s, write_edf, n_epochs=N_EPOCHS, n_labels=None, ext="rec"):
    """Subgroup I/III layout: ``<s>/<s>.rec``, ``<s>_1.txt``, ``<s>_2.txt``."""
    base = root / str(s)
    base.mkdir(parents=True)
    n_labels = (n_epochs, n_epochs) if n_labels is None else n_labels
    _write_recording(base / f"{s}.{ext}", write_edf, n_epochs, s, REFERENCED)
    _label_files(base, str(s), n_labels, s)
    return base


def _raw_labels(path):
    """Oracle: AASM labels recounted from a raw label file."""
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    return [ISRUC_STAGE[c] for c in lines if c]


def _raw_codes(path):
    return [c for c in (ln.strip() for ln in path.read_text().splitlines()) if c]


def _epochs(windows_ds, ch_index, rec):
    """Epoch index of each window, checked to come from one epoch of one channel."""
    out = []
    for i in range(len(windows_ds)):
        x = to_microvolts(windows_ds[i][0][0])  # windows hold volts
        assert np.ptp(x) < 0.5, f"window {i} mixes two epochs"
        epoch = float(x.mean()) - _code(ch_index, rec, 0)
        assert -0.5 < epoch < 99.5, f"window {i} is not channel {ch_index} of {rec}"
        out.append(int(round(epoch)))
    return np.asarray(out)


@pytest.fixture(scope="module")
def root(tmp_path_factory, write_edf):
    root = tmp_path_factory.mktemp("isruc3")
    _subject(root, 1, write_edf)
    _subject(root, 2, write_edf, n_labels=(N_EPOCHS + 3, N_EPOCHS + 3), ext="edf")
    _subject(root, 3, write_edf, n_labels=(N_EPOCHS - 2, N_EPOCHS))
    return root


C4 = REFERENCED.index("C4-A1")


def test_windows_traced_to_epochs_and_labels_recounted(root):
    with pytest.warns(UserWarning, match="subject 2 session 1: 3 \\(length mismatch"):
        ds = ISRUC([1, 2, 3], root)
    assert isinstance(ds, BaseConcatDataset)
    desc = ds.description
    assert list(desc["subject"]) == [1, 2, 3]
    assert list(desc["n_dropped_mismatch"]) == [0, 3, 2]
    assert list(desc["n_windows"]) == [40, 40, 38]
    assert (desc["scorer"] == "1").all() and (desc["channel"] == "C4-A1").all()
    assert (desc["derivation"] == "C4-A1").all()
    for d, s in zip(ds.datasets, (1, 2, 3)):
        expected = _raw_labels(root / str(s) / f"{s}_1.txt")
        n = len(d)
        np.testing.assert_array_equal(_epochs(d, C4, s), np.arange(n))
        np.testing.assert_array_equal(d.y, expected[:n])
    X, y, _ = ds[0]
    assert X.shape == (1, 1500) and X.dtype == np.float32
    groups = np.concatenate([[d.description["subject"]] * len(d) for d in ds.datasets])
    folds = list(GroupKFold(3).split(np.zeros(len(groups)), groups=groups))
    assert all(len(set(groups[te])) == 1 for _, te in folds)


@pytest.mark.parametrize("scorer", [1, 2])
def test_every_isruc_code_maps_to_its_stage(root, scorer):
    ds = ISRUC(1, root, scorer=scorer)
    codes = _raw_codes(root / "1" / f"1_{scorer}.txt")
    y = ds.datasets[0].y
    epochs = _epochs(ds.datasets[0], C4, 1)
    names = {0: "W", 1: "N1", 2: "N2", 3: "N3", 4: "REM"}
    for code, stage in [
        ("0", "W"),
        ("1", "N1"),
        ("2", "N2"),
        ("3", "N3"),
        ("5", "REM"),
    ]:
        at = [i for i, k in enumerate(epochs) if codes[k] == code]
        assert at, f"code {code} absent from the test file"
        assert {names[int(y[i])] for i in at} == {stage}, f"ISRUC code {code}"
    assert ds.description["scorer"][0] == str(scorer)


def test_read_isruc_labels_against_raw_file(root):
    labels = read_isruc_labels(root / "1" / "1_2.txt")
    np.testing.assert_array_equal(labels, _raw_labels(root / "1" / "1_2.txt"))


def test_channel_choice_resample_and_last_epochs(root):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = ISRUC(1, root, channel="F3-M2", drop_last_epochs=30)
    assert len(ds) == 10 and ds.description["n_dropped_last"][0] == 30
    np.testing.assert_array_equal(
        _epochs(ds.datasets[0], REFERENCED.index("F3-A2"), 1), np.arange(10)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = ISRUC(1, root, channel="O1-A2", sfreq=25)
    assert ds[0][0].shape == (1, 750)
    # away from the edges of the resampling filter, epoch 5 is still epoch 5
    np.testing.assert_allclose(
        to_microvolts(ds[5][0][0, 100:-100]),
        _code(REFERENCED.index("O1-A2"), 1, 5),
        atol=0.5,
    )


def test_both_scorers_checked_against_both_files(root):
    ds = ISRUC([1], root, scorer="both")
    meta = ds.datasets[0].metadata
    for k in (1, 2):
        np.testing.assert_array_equal(
            meta[f"target_scorer{k}"], _raw_labels(root / "1" / f"1_{k}.txt")
        )
    np.testing.assert_array_equal(meta["target"], meta["target_scorer1"])
    soft = soft_targets(ds)
    assert soft.shape == (40, 5)
    eye = np.eye(5)
    expected = (
        0.5 * eye[_raw_labels(root / "1" / "1_1.txt")]
        + 0.5 * (eye[_raw_labels(root / "1" / "1_2.txt")])
    )
    np.testing.assert_allclose(soft, expected)
    assert ds.description["n_disagree"][0] == 10 == (soft.max(1) == 0.5).sum()
    with pytest.raises(ValueError, match="scorer='both'"):
        soft_targets(ISRUC([1], root))


def test_both_scorers_of_different_lengths_are_counted(root):
    # subject 3: 3_1.txt has 38 labels, 3_2.txt 40, the signal 40 epochs
    with pytest.warns(UserWarning) as record:
        ds = ISRUC(3, root, scorer="both")
    text = " | ".join(str(w.message) for w in record)
    assert "subject 3 session 1: the scorers' files differ in length" in text
    assert "3_1.txt 38, 3_2.txt 40 labels), 2 labels of the longer one" in text
    desc = ds.description.iloc[0]
    assert (desc["n_labels_scorer1"], desc["n_labels_scorer2"]) == (38, 40)
    assert desc["n_scorer_mismatch"] == 2 and desc["n_windows"] == 38
    meta = ds.datasets[0].metadata
    np.testing.assert_array_equal(
        meta["target_scorer2"], _raw_labels(root / "3" / "3_2.txt")[:38]
    )


def test_subgroup2_real_layout(tmp_path, write_edf):
    # <subject>/<session>/<session>.rec, <session>_1.txt, <session>_2.txt
    for sess in (1, 2):
        base = tmp_path / "8" / str(sess)
        base.mkdir(parents=True)
        _write_recording(
            base / f"{sess}.rec", write_edf, 6 + sess, 10 + sess, REFERENCED
        )
        _label_files(base, str(sess), (6 + sess, 6 + sess), sess)
    ds = ISRUC(8, tmp_path, subgroup=2, scorer=2)
    assert list(ds.description["session"]) == [1, 2]
    assert list(ds.description["subject"]) == [8, 8]
    for d, sess in zip(ds.datasets, (1, 2)):
        np.testing.assert_array_equal(_epochs(d, C4, 10 + sess), np.arange(6 + sess))
        expected = _raw_labels(tmp_path / "8" / str(sess) / f"{sess}_2.txt")
        np.testing.assert_array_equal(d.y, expected)
    with pytest.raises(FileNotFoundError, match=r"<session>/<session>\.rec"):
        ISRUC(9, tmp_path, subgroup=2)


def test_subject_40_unreferenced_channels_derived(tmp_path, write_edf):
    base = tmp_path / "40"
    base.mkdir()
    _write_recording(base / "40.rec", write_edf, 5, 40, UNREFERENCED)
    _label_files(base, "40", (5, 5), 0)
    with pytest.warns(UserWarning, match=r"C4-A1 derived .*subject 40 session 1"):
        ds = ISRUC(40, tmp_path, subgroup=1)
    assert ds.description["derivation"][0] == "C4 - A1"
    c4, a1 = UNREFERENCED.index("C4"), UNREFERENCED.index("A1")
    for k in range(5):  # C4 - A1 = 100 * (c4 - a1) on every sample
        np.testing.assert_allclose(to_microvolts(ds[k][0]), 100.0 * (c4 - a1), atol=0.5)
    np.testing.assert_array_equal(ds.datasets[0].y, _raw_labels(base / "40_1.txt"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f3 = ISRUC(40, tmp_path, channel="F3-M2")
    f3_a2 = UNREFERENCED.index("F3") - UNREFERENCED.index("A2")
    np.testing.assert_allclose(to_microvolts(f3[0][0]), 100.0 * f3_a2, atol=0.5)
    # a bare electrode would be the unreferenced signal: refused, saying how
    with pytest.raises(ValueError, match=r"'C4' is an unreferenced electrode.*C4-A1"):
        ISRUC(40, tmp_path, channel="C4")
    with pytest.raises(ValueError, match=r"Channel 'Cz-A1' not in"):
        ISRUC(40, tmp_path, channel="Cz-A1")


def test_errors(root, tmp_path):
    with pytest.raises(ValueError, match=r"'Cz-A1' not in .*\['LOC-A2', 'ROC-A1'"):
        ISRUC(1, root, channel="Cz-A1")
    with pytest.raises(FileNotFoundError, match=r"9\.rec.*9_1\.txt"):
        ISRUC(9, root)
    with pytest.raises(FileNotFoundError, match="ISRUC folder not found"):
        ISRUC(1, tmp_path / "nope")
    bad = tmp_path / "bad.txt"
    bad.write_text("0\n4\n2\nW\n")
    with pytest.raises(ValueError, match=r"line 2: '4'; line 4: 'W'"):
        read_isruc_labels(bad)


def test_corrupt_recording(tmp_path, write_edf):
    base = _subject(tmp_path, 5, write_edf, n_epochs=2)
    rec = base / "5.rec"
    rec.write_bytes(rec.read_bytes()[:100])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        ISRUC(5, tmp_path)
