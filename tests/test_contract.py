"""The preprocessing contract: recorded by fit, carried by ONNX, applied by staging."""

import subprocess
import sys
import warnings

import edfio
import mne
import numpy as np
import onnx
import pytest
from helpers import make_data, tiny_clf
from sklearn.pipeline import make_pipeline
from sleepkd_runtime.contract import (
    Contract,
    ContractError,
    detect_scaling,
    detect_unit,
    scale_epochs,
)
from sleepkd_runtime.edf import read_edf_epochs
from varied_nights import strip_contract

from braindecode_sleepkd.cli import main
from braindecode_sleepkd.datasets import make_sequences
from braindecode_sleepkd.datasets._windows import (
    annotate_epochs,
    make_windows,
    raw_dataset,
)
from braindecode_sleepkd.export import load_student, save_student, to_onnx
from braindecode_sleepkd.preprocessing import EpochScaler
from braindecode_sleepkd.staging import stage_night

SEQ_LEN, N_SEQ = 6, 24


def _clf(**kw):
    unpooled = dict(teacher__pool=None, student__pool=None, student__width=4)
    return tiny_clf(**unpooled, seq_len=SEQ_LEN, max_epochs=2, **kw)


@pytest.fixture(scope="module")
def data():
    X, y, _ = make_data(n_seq=N_SEQ, seq_len=SEQ_LEN)
    return 40 * X, y  # microvolts, as the loaders give


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return _clf().fit(X, y)


def _write_edf(path, X, label="C4-M1", unit="uV", factor=1.0):
    """The sequences X (n_seq, seq_len, 1, 300) as one 10-Hz night, in ``unit``."""
    signal = X.reshape(-1).astype(np.float64) * factor
    edfio.Edf(
        [
            edfio.EdfSignal(
                signal,
                sampling_frequency=10,
                label=label,
                physical_dimension=unit,
                physical_range=(
                    signal.min() - 1e-3 * abs(signal.min()),
                    signal.max() * 1.001,
                ),
            )
        ]
    ).write(path)
    return path


def test_fit_records_the_contract(fitted, data):
    c = fitted.contract_
    assert (c.sfreq, c.n_chans, c.n_times, c.seq_len) == (10.0, 1, 300, SEQ_LEN)
    assert (c.unit, c.scaling, c.channels) == ("uV", "none", None)
    assert c.classes == ("W", "N1", "N2", "N3", "REM")
    scaled = _clf().fit(EpochScaler().transform(data[0]), data[1])
    assert scaled.contract_.scaling == "robust"
    assert _clf().fit(data[0] * 1e-6, data[1]).contract_.unit == "V"


def test_contract_round_trips_and_checks_its_values():
    c = Contract(100, 1, 3000, 20, ["C4-M1"], unit="µV", scaling="robust")
    assert c.unit == "uV"
    assert Contract.from_metadata(c.to_metadata()) == c
    assert Contract.from_dict(c.to_dict()) == c
    assert Contract.from_metadata({}) is None
    with pytest.raises(ValueError, match="not one 30-s epoch"):
        Contract(100, 1, 2000)
    with pytest.raises(ValueError, match="scaling must be one of"):
        Contract(100, 1, 3000, scaling="minmax")
    with pytest.raises(ValueError, match="expected a voltage"):
        Contract(100, 1, 3000, unit="K")
    with pytest.raises(ValueError, match="2 channel names for n_chans=1"):
        Contract(100, 1, 3000, channels=["a", "b"])
    with pytest.raises(ValueError, match="format 2 is not supported"):
        Contract.from_dict({**c.to_dict(), "format": 2})


def test_contradicting_option_is_refused_naming_both_values():
    c = Contract(100, 1, 3000, channels=["C4-M1"], scaling="robust")
    with pytest.raises(ContractError, match=r"scaling='robust'.*scaling='none'"):
        c.reconcile(scaling="none")
    with pytest.raises(ContractError, match=r"channels=\('C4-M1',\).*\('Cz',\)"):
        c.reconcile(channels="Cz")
    with pytest.warns(UserWarning, match="Overriding the model's contract"):
        assert c.reconcile(scaling="none", override=True).scaling == "none"
    assert c.reconcile(scaling="robust", channels=["C4-M1"], sfreq=100.0) == c


def test_prepare_converts_units_and_scales():
    rng = np.random.default_rng(0)
    X = (30 * rng.standard_normal((4, 1, 3000))).astype(np.float32)
    c = Contract(100, 1, 3000)
    np.testing.assert_allclose(c.prepare(X * 1e-6, unit="V"), X, rtol=1e-5, atol=1e-4)
    robust = Contract(100, 1, 3000, scaling="robust").prepare(X)
    assert detect_scaling(robust) == "robust"
    np.testing.assert_allclose(scale_epochs(robust, "robust"), robust, atol=1e-5)
    assert detect_scaling(scale_epochs(X, "standard")) == "standard"
    assert detect_scaling(X) == "none" and detect_unit(X) == "uV"
    assert detect_unit(X * 1e-6) == "V"
    with pytest.raises(ContractError, match="1 channel"):
        c.prepare(X[:, :, :2000])


def test_onnx_carries_the_contract_and_the_cli_stages_as_predict(
    fitted, data, tmp_path, capsys
):
    """A README-style student (microvolts, no scaling), exported and staged by the
    CLI with default options, gives predict's stages on the same epochs."""
    X, _ = data
    path = to_onnx(fitted, tmp_path / "student.onnx")
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert Contract.from_metadata(props) == fitted.contract_
    night = _write_edf(tmp_path / "night.edf", X)
    args = ["stage", str(night), "--model", str(path), "--channel", "C4-M1"]
    args += ["--out", str(tmp_path / "out"), "--stride", str(SEQ_LEN), "--no-plot"]
    args += ["--force"]  # reruns below replace the outputs
    assert main(args) == 0
    table = np.genfromtxt(
        tmp_path / "out" / "night_hypnogram.csv", delimiter=",", names=True, dtype=None
    )
    expected = fitted.predict(X).reshape(-1)
    np.testing.assert_array_equal(table["label"], expected)
    # the old default (robust scaling) would have disagreed with predict here
    assert main(args + ["--scaler", "robust"]) == 2
    assert "scaling='none'" in capsys.readouterr().err
    assert main(args + ["--scaler", "robust", "--override"]) == 0


def test_volts_and_microvolts_edf_read_alike(data, tmp_path):
    X, _ = data
    uv = read_edf_epochs(_write_edf(tmp_path / "uv.edf", X), ["C4-M1"])[0]
    v = read_edf_epochs(
        _write_edf(tmp_path / "v.edf", X, unit="V", factor=1e-6), ["C4-M1"]
    )[0]
    step = 2 * np.ptp(X) / 65535  # EDF stores 16-bit integers
    np.testing.assert_allclose(v, uv, atol=step)
    np.testing.assert_allclose(uv.reshape(X.shape), X, atol=step)


def test_pipeline_scaler_is_in_the_contract_and_applied_in_staging(data, tmp_path):
    X, y = data
    pipe = make_pipeline(EpochScaler(), _clf()).fit(X, y)
    path = to_onnx(pipe, tmp_path / "robust.onnx")
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert Contract.from_metadata(props).scaling == "robust"
    night = _write_edf(tmp_path / "night.edf", X)
    hyp = stage_night(path, night, "C4-M1", stride=SEQ_LEN)
    np.testing.assert_array_equal(hyp.stages, pipe.predict(X).reshape(-1))
    with pytest.raises(ContractError, match="scaling='robust'"):
        stage_night(path, night, "C4-M1", scaler=None)


def test_model_without_contract_stages_with_a_warning(fitted, data, tmp_path):
    X, _ = data
    path = to_onnx(fitted, tmp_path / "student.onnx")
    old = strip_contract(path, tmp_path / "old.onnx")
    night = _write_edf(tmp_path / "night.edf", X)
    with pytest.warns(
        UserWarning, match="carries no preprocessing contract.*microvolts"
    ):
        hyp = stage_night(old, night, "C4-M1", seq_len=SEQ_LEN, stride=SEQ_LEN)
    np.testing.assert_array_equal(hyp.stages, fitted.predict(X).reshape(-1))


def test_checkpoint_carries_the_contract(fitted, tmp_path):
    module = load_student(save_student(fitted, tmp_path / "student.pt"))
    assert module.contract_ == fitted.contract_


def _windows(ch_name, data):
    X, y = data
    raw = mne.io.RawArray(
        X.reshape(1, -1) * 1e-6, mne.create_info([ch_name], 10.0, "eeg"), verbose=0
    )
    annotate_epochs(raw, y.reshape(-1))
    return make_windows([raw_dataset(raw, {"subject": 0})])


def test_windows_give_channel_names_and_predict_checks_them(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = _windows("C4-M1", data)
        clf = _clf().fit(windows)
        assert clf.contract_.channels == ("C4-M1",)
        # windows (volts in MNE) reach the model as microvolts: the contract says so
        assert clf.contract_.unit == "uV"
        Xw, _, _ = make_sequences(windows, clf.seq_len, clf.seq_stride)
        np.testing.assert_allclose(Xw.reshape(-1)[:300], data[0].reshape(-1)[:300])
        # a model fitted on arrays in volts gets windows in volts
        in_volts = _clf().fit(data[0] * 1e-6, data[1])
        assert in_volts.contract_.unit == "V"
        np.testing.assert_allclose(
            in_volts.predict_proba(windows),
            in_volts.predict_proba(Xw * 1e-6),
            atol=1e-6,
        )
    with pytest.warns(UserWarning, match=r"\['C4-M1'\].*\['Fpz-Cz'\]"):
        clf.predict(_windows("Fpz-Cz", data))


def test_runtime_stages_without_torch(fitted, data, tmp_path):
    X, _ = data
    path = to_onnx(fitted, tmp_path / "student.onnx")
    night = _write_edf(tmp_path / "night.edf", X)
    code = (
        "import sys\n"
        "from sleepkd_runtime.cli import main\n"
        f"rc = main([{str(night)!r}, '--model', {str(path)!r}, '--channel', 'C4-M1',"
        f" '--out', {str(tmp_path / 'rt')!r}, '--stride', '{SEQ_LEN}'])\n"
        "heavy = [m for m in ('torch', 'braindecode', 'mne', 'pandas')"
        " if m in sys.modules]\n"
        "assert rc == 0 and not heavy, (rc, heavy)\n"
        "from braindecode_sleepkd.cli import main as full\n"
        f"rc = full(['stage', {str(night)!r}, '--model', {str(path)!r}, '--channel',"
        f" 'C4-M1', '--out', {str(tmp_path / 'full')!r}, '--no-plot'])\n"
        "assert rc == 0 and 'torch' not in sys.modules, rc\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    table = np.genfromtxt(
        tmp_path / "rt" / "night_hypnogram.csv", delimiter=",", names=True, dtype=None
    )
    np.testing.assert_array_equal(table["label"], fitted.predict(X).reshape(-1))


def test_predict_proba_scales_a_chunk_at_a_time_with_the_same_numbers(
    data, monkeypatch
):
    from braindecode_sleepkd import contract as contract_module
    from braindecode_sleepkd import predicting as estimator

    X, y = data
    clf = _clf().fit(EpochScaler().transform(X), y)  # contract: robust scaling
    whole = clf.predict_proba(X)
    sizes = []
    scale = contract_module.scale_epochs

    def spy(part, method):
        sizes.append(len(part))
        return scale(part, method)

    monkeypatch.setattr(contract_module, "scale_epochs", spy)
    monkeypatch.setattr(estimator, "PREDICT_CHUNK", 5)
    chunked = clf.predict_proba(X)
    assert sizes == [5, 5, 5, 5, 4]  # 24 sequences: never all of X at once
    np.testing.assert_allclose(chunked, whole, atol=1e-6)
    assert chunked.shape == (N_SEQ, SEQ_LEN, 5)


def test_a_channel_mismatch_warns_once_however_many_chunks(data, monkeypatch):
    from braindecode_sleepkd import predicting as estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = _clf().fit(_windows("C4-M1", data))
        other = _windows("Fpz-Cz", data)
    monkeypatch.setattr(estimator, "PREDICT_CHUNK", 5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.predict_proba(other)
    channel = [w for w in caught if "derivations" in str(w.message)]
    assert len(channel) == 1
    assert channel[0].filename == __file__  # points at the caller's line
