"""Staging a whole night: coverage, combination, parity, statistics, CLI."""

import mne
import numpy as np
import pandas as pd
import pytest
import torch
from helpers import TinySleepNet, make_data, tiny_clf
from sleepkd_runtime.sliding import combine
from sleepkd_runtime.sliding import night_starts as sequence_starts

from braindecode_sleepkd.cli import main
from braindecode_sleepkd.staging import plot_hypnogram, sleep_statistics, stage_night

SFREQ, SEQ_LEN = 10.0, 6


def _raw(n_epochs, n_chans=1, sfreq=SFREQ, extra=0, seed=0):
    rng = np.random.default_rng(seed)
    n = int(n_epochs * 30 * sfreq) + extra
    names = ["C3", "C4", "EOG"][:n_chans]
    info = mne.create_info(names, sfreq, "eeg")
    return mne.io.RawArray(40e-6 * rng.standard_normal((n_chans, n)), info, verbose=0)


@pytest.fixture(scope="module")
def module():
    torch.manual_seed(0)
    return TinySleepNet(pool=None).eval()


@pytest.fixture(scope="module")
def fitted():
    X, y, _ = make_data(n_seq=16, seq_len=SEQ_LEN)
    clf = tiny_clf(
        teacher__pool=None, student__pool=None, student__width=4, seq_len=SEQ_LEN
    )
    return clf.fit(X, y)


@pytest.mark.parametrize("n_epochs", [SEQ_LEN, SEQ_LEN + 1, 2 * SEQ_LEN + 1, 25])
@pytest.mark.parametrize("stride", [1, 2, SEQ_LEN // 2, SEQ_LEN - 1, SEQ_LEN])
def test_sequence_starts_cover_each_epoch(n_epochs, stride):
    starts = sequence_starts(n_epochs, SEQ_LEN, stride)
    covered = np.zeros(n_epochs, int)
    for s in starts:
        covered[s : s + SEQ_LEN] += 1
    assert covered.min() >= 1  # first and last epochs included
    assert starts[0] == 0 and starts[-1] == n_epochs - SEQ_LEN
    assert (np.diff(starts) > 0).all() and (np.diff(starts) <= stride).all()
    if stride == SEQ_LEN:  # no overlap except the last sequence
        assert covered.max() <= 2


def test_sequence_starts_bad():
    with pytest.raises(ValueError, match="fewer than one sequence"):
        sequence_starts(SEQ_LEN - 1, SEQ_LEN, 2)
    with pytest.raises(ValueError, match="stride must be between"):
        sequence_starts(20, SEQ_LEN, SEQ_LEN + 1)
    with pytest.raises(ValueError, match="stride must be between"):
        sequence_starts(20, SEQ_LEN, 0)


def test_combine_is_mean_of_probabilities():
    p = np.zeros((2, 3, 2))
    p[0] = [[1, 0], [1, 0], [0.2, 0.8]]
    p[1] = [[0.6, 0.4], [0, 1], [0, 1]]
    proba, counts = combine(p, [0, 2], 5)
    np.testing.assert_allclose(proba[2], [0.4, 0.6])
    np.testing.assert_allclose(proba[:2], p[0, :2])
    np.testing.assert_allclose(proba[3:], p[1, 1:])
    assert counts.tolist() == [1, 1, 2, 1, 1]


@pytest.mark.parametrize(
    "n_epochs", [SEQ_LEN - 1, SEQ_LEN, SEQ_LEN + 1, 2 * SEQ_LEN + 1, 3]
)
@pytest.mark.parametrize("stride", [None, 1, SEQ_LEN])
def test_stage_night_one_row_per_epoch(module, n_epochs, stride):
    # a partial epoch at the end is dropped
    raw = _raw(n_epochs, extra=123)
    hyp = stage_night(module, raw, "C3", seq_len=SEQ_LEN, stride=stride)
    assert len(hyp) == n_epochs
    np.testing.assert_allclose(hyp.onsets, np.arange(n_epochs) * 30.0)
    assert (hyp.n_covering >= 1).all()
    np.testing.assert_allclose(hyp.proba.sum(1), 1.0, atol=1e-6)
    table = hyp.to_dataframe()
    assert list(table.columns[:4]) == ["onset", "clock", "stage", "label"]
    assert len(table) == n_epochs
    assert (table["label"] == hyp.proba.argmax(1)).all()


def test_stride_seq_len_matches_plain_predictions(module):
    """With stride = seq_len each epoch is the model's own prediction."""
    raw = _raw(2 * SEQ_LEN)
    hyp = stage_night(
        module, raw, "C3", seq_len=SEQ_LEN, stride=SEQ_LEN, scaler="robust"
    )
    from braindecode_sleepkd.preprocessing import EpochScaler

    X = raw.get_data()[0] * 1e6
    X = X.reshape(2, SEQ_LEN, 1, 300).astype(np.float32)
    with torch.no_grad():
        ref = torch.softmax(module(torch.from_numpy(EpochScaler().transform(X))), -1)
    np.testing.assert_allclose(hyp.proba, ref.numpy().reshape(-1, 5), atol=1e-5)
    assert set(hyp.n_covering.tolist()) == {1}


def test_parity_estimator_module_onnx(fitted, tmp_path):
    pytest.importorskip("onnxruntime")
    from braindecode_sleepkd import export as ex

    raw = _raw(2 * SEQ_LEN + 3, seed=1)
    kw = dict(stride=2)
    h_est = stage_night(fitted, raw, "C3", **kw)
    h_mod = stage_night(fitted.module_, raw, "C3", seq_len=SEQ_LEN, **kw)
    path = ex.to_onnx(fitted, tmp_path / "student.onnx")
    h_onnx = stage_night(path, raw, "C3", seq_len=SEQ_LEN, **kw)
    fixed = ex.to_onnx(fitted, tmp_path / "fixed.onnx", seq_len=SEQ_LEN)
    h_fixed = stage_night(fixed, raw, "C3", **kw)
    for other in (h_mod, h_onnx, h_fixed):
        np.testing.assert_array_equal(other.stages, h_est.stages)
        np.testing.assert_allclose(other.proba, h_est.proba, atol=1e-4)
    with pytest.raises(ValueError, match="fixed sequence length"):
        stage_night(fixed, _raw(SEQ_LEN - 1), "C3")


def test_edf_input_matches_raw(module, write_edf, tmp_path):
    rng = np.random.default_rng(3)
    x = 40 * rng.standard_normal(int(9 * 30 * SFREQ))
    fname = write_edf(str(tmp_path / "night.edf"), {"C3": x, "EMG": x}, SFREQ)
    h_edf = stage_night(module, fname, "C3", seq_len=SEQ_LEN)
    info = mne.create_info(["C3"], SFREQ, "eeg")
    raw = mne.io.RawArray(x[None] * 1e-6, info, verbose=0)
    h_raw = stage_night(module, raw, "C3", seq_len=SEQ_LEN)
    np.testing.assert_array_equal(h_edf.stages, h_raw.stages)
    np.testing.assert_allclose(h_edf.proba, h_raw.proba, atol=1e-3)


def test_bad_inputs(module):
    raw = _raw(10, n_chans=2)
    with pytest.raises(ValueError, match="not in the recording"):
        stage_night(module, raw, "Fpz", seq_len=SEQ_LEN)
    with pytest.raises(ValueError, match="trained on 1 channel"):
        stage_night(module, raw, ["C3", "C4"], seq_len=SEQ_LEN)
    with pytest.raises(ValueError, match="trained at 10 Hz"):
        stage_night(module, _raw(10, sfreq=20.0), "C3", seq_len=SEQ_LEN)
    with pytest.raises(ValueError, match="fewer than one sequence"):
        stage_night(module, _raw(3), "C3", seq_len=SEQ_LEN, short="raise")
    with pytest.raises(ValueError, match="shorter than one 30-s epoch"):
        stage_night(module, _raw(0, extra=100), "C3", seq_len=SEQ_LEN)
    with pytest.raises(ValueError, match="stride must be between"):
        stage_night(module, raw, "C3", seq_len=SEQ_LEN, stride=SEQ_LEN + 1)
    with pytest.raises(TypeError, match="recording must be"):
        stage_night(module, np.zeros(3000), "C3")
    with pytest.raises(FileNotFoundError):
        stage_night(module, "/nonexistent/night.edf", "C3")


def test_resample_to_model_rate(module):
    hyp = stage_night(module, _raw(8, sfreq=20.0), "C3", seq_len=SEQ_LEN, resample=True)
    assert len(hyp) == 8


# W W N1 N2 N2 N3 W N2 REM REM W W : 12 epochs = 6 min in bed
HAND = [0, 0, 1, 2, 2, 3, 0, 2, 4, 4, 0, 0]


@pytest.mark.parametrize("backend", ["own", "auto"])
def test_sleep_statistics_hand_made(backend):
    stats = sleep_statistics(HAND, backend=backend)
    assert stats["TIB"] == pytest.approx(6.0)
    assert stats["SOL"] == pytest.approx(1.0)
    assert stats["SPT"] == pytest.approx(4.0)  # epochs 2..9
    assert stats["TST"] == pytest.approx(3.5)
    assert stats["WASO"] == pytest.approx(0.5)
    assert stats["SE"] == pytest.approx(100 * 3.5 / 6)
    assert stats["N1"] == pytest.approx(0.5)
    assert stats["N2"] == pytest.approx(1.5)
    assert stats["N3"] == pytest.approx(0.5)
    assert stats["REM"] == pytest.approx(1.0)
    assert stats["%N2"] == pytest.approx(100 * 1.5 / 3.5)


def test_sleep_statistics_yasa_agrees_with_own():
    pytest.importorskip("yasa")
    rng = np.random.default_rng(0)
    stages = rng.integers(0, 5, 200)
    stages[:10] = 0
    own = sleep_statistics(stages, backend="own")
    ya = sleep_statistics(stages, backend="yasa")
    for key in own:
        assert ya[key] == pytest.approx(own[key]), key


def test_sleep_statistics_bad():
    with pytest.raises(ValueError, match="empty"):
        sleep_statistics([])
    with pytest.raises(ValueError, match="0 \\(W\\)"):
        sleep_statistics([0, 7])
    assert np.isnan(sleep_statistics([0, 0, 0], backend="own")["SOL"])


def test_annotations_and_plot(module, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    hyp = stage_night(module, _raw(8), "C3", seq_len=SEQ_LEN)
    ann = hyp.to_annotations()
    assert len(ann) == 8 and set(ann.duration) == {30.0}
    assert ann.description[0].startswith("Sleep stage ")
    pytest.importorskip("edfio")
    back = mne.read_annotations(hyp.to_edf_annotations(tmp_path / "a.edf"))
    assert list(back.description) == list(ann.description)
    fig = plot_hypnogram(hyp, reference=hyp.stages)
    assert len(fig.axes) == 2


def test_cli_stage(fitted, write_edf, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    from braindecode_sleepkd import export as ex

    onnx_path = ex.to_onnx(fitted, tmp_path / "student.onnx")
    x = 40 * np.random.default_rng(5).standard_normal(int(15 * 30 * SFREQ))
    night = write_edf(str(tmp_path / "night.edf"), {"C3": x}, SFREQ)
    out = tmp_path / "out"
    argv = [
        "stage", night, "--model", str(onnx_path), "--channel", "C3",
        "--out", str(out),
    ]  # fmt: skip
    assert main(argv) == 0
    table = pd.read_csv(out / "night_hypnogram.csv")
    assert len(table) == 15
    expected = stage_night(fitted, night, "C3")
    np.testing.assert_array_equal(table["label"], expected.stages)
    assert (out / "night_hypnogram.png").is_file()
    assert (out / "night_statistics.csv").is_file()
    assert any(out.glob("night_stages.*"))
    assert "staged 15 epochs" in capsys.readouterr().out
    # clear one-line errors (--force: the outputs exist)
    bad = ["--channel", "Fpz", "--force"]
    assert main(argv[:4] + bad + argv[6:]) == 2
    err = capsys.readouterr().err
    assert "Fpz" in err and len(err.strip().splitlines()) == 1
    assert main(["stage", "missing.edf", *argv[2:]]) == 2
    assert "not found" in capsys.readouterr().err
