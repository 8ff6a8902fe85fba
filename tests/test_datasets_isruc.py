"""ISRUC loader on small .rec/.edf files and label files written by the tests."""

import warnings

import numpy as np
import pytest
from braindecode.datasets import BaseConcatDataset
from sklearn.model_selection import GroupKFold

from braindecode_sleepkd.datasets import ISRUC, read_isruc_labels, soft_targets

SFREQ = 200.0
N_EPOCHS = 40


def _subject(
    root,
    s,
    write_edf,
    n_epochs=N_EPOCHS,
    n_labels=(N_EPOCHS, N_EPOCHS),
    ext="rec",
    session=None,
):
    base = root / str(s) if session is None else root / str(s) / str(session)
    base.mkdir(parents=True)
    n = int(n_epochs * 30 * SFREQ)
    t = np.arange(n) / SFREQ
    signals = {
        "F3-A2": 10 * np.sin(2 * np.pi * 3 * t),
        "C3-A2": 20 * np.sin(2 * np.pi * 3 * t),
        "C4-A1": 40 * np.sin(2 * np.pi * 3 * t),
        "O1-A2": 5 * np.sin(2 * np.pi * 3 * t),
    }
    write_edf(base / f"{s}.{ext}", signals, SFREQ)
    codes = np.array([0, 1, 2, 3, 5])
    for k, n_lab in zip((1, 2), n_labels):
        lab = codes[(np.arange(n_lab) + s + (k == 2) * (np.arange(n_lab) % 4 == 0)) % 5]
        (base / f"{s}_{k}.txt").write_text("\n".join(map(str, lab)) + "\n\n")
    return base


@pytest.fixture(scope="module")
def root(tmp_path_factory, write_edf):
    root = tmp_path_factory.mktemp("isruc3")
    _subject(root, 1, write_edf)
    _subject(root, 2, write_edf, n_labels=(N_EPOCHS + 3, N_EPOCHS + 3), ext="edf")
    _subject(root, 3, write_edf, n_labels=(N_EPOCHS - 2, N_EPOCHS))
    return root


def test_windows_description_and_groups(root):
    with pytest.warns(UserWarning, match="subject 2 session 1: 3 \\(length mismatch"):
        ds = ISRUC([1, 2, 3], root)
    assert isinstance(ds, BaseConcatDataset)
    desc = ds.description
    assert list(desc["subject"]) == [1, 2, 3]
    assert list(desc["n_dropped_mismatch"]) == [0, 3, 2]
    assert list(desc["n_windows"]) == [40, 40, 38]
    assert (desc["scorer"] == "1").all() and (desc["channel"] == "C4-A1").all()
    X, y, _ = ds[0]
    assert X.shape == (1, 6000) and X.dtype == np.float32
    assert 39 < np.abs(X).max() <= 40.1  # microvolts
    groups = np.concatenate([[d.description["subject"]] * len(d) for d in ds.datasets])
    folds = list(GroupKFold(3).split(np.zeros(len(groups)), groups=groups))
    assert all(len(set(groups[te])) == 1 for _, te in folds)


def test_label_map(root):
    labels = read_isruc_labels(root / "1" / "1_1.txt")
    assert set(labels) == {0, 1, 2, 3, 4}
    ds = ISRUC(1, root)
    np.testing.assert_array_equal(ds.datasets[0].y, labels)


def test_channel_choice_resample_and_last_epochs(root):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = ISRUC(1, root, channel="F3-M2", sfreq=100, drop_last_epochs=30)
    assert ds[0][0].shape == (1, 3000)
    assert 9 < np.abs(ds[0][0]).max() <= 10.1
    assert len(ds) == 10 and ds.description["n_dropped_last"][0] == 30


def test_both_scorers_soft_targets(root):
    ds = ISRUC([1], root, scorer="both")
    soft = soft_targets(ds)
    assert soft.shape == (40, 5)
    np.testing.assert_allclose(soft.sum(1), 1)
    n_dis = int(ds.description["n_disagree"][0])
    assert n_dis == 10 and (soft.max(1) == 0.5).sum() == n_dis
    with pytest.raises(ValueError, match="scorer='both'"):
        soft_targets(ISRUC([1], root))


def test_subgroup2_sessions(tmp_path, write_edf):
    for sess in (1, 2):
        _subject(tmp_path, 4, write_edf, n_epochs=3, n_labels=(3, 3), session=sess)
    ds = ISRUC(4, tmp_path, subgroup=2, scorer=2)
    assert list(ds.description["session"]) == [1, 2]
    assert list(ds.description["subject"]) == [4, 4]


def test_errors(root, tmp_path):
    with pytest.raises(ValueError, match=r"'Cz-A1' not in .*\['F3-A2', 'C3-A2'"):
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
    base = _subject(tmp_path, 5, write_edf, n_epochs=2, n_labels=(2, 2))
    rec = base / "5.rec"
    rec.write_bytes(rec.read_bytes()[:100])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        ISRUC(5, tmp_path)
