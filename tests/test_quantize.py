"""int8 export: smaller, same contract, nearly the same stages."""

import json
import pickle

import numpy as np
import onnx
import pytest
from helpers import make_data, tiny_clf
from sleepkd_runtime.contract import Contract
from sleepkd_runtime.model import OnnxStudent

from braindecode_sleepkd.cli import main
from braindecode_sleepkd.export import quantize_onnx, to_onnx

SEQ_LEN = 6


@pytest.fixture(scope="module")
def fitted():
    X, y, _ = make_data(n_seq=24, seq_len=SEQ_LEN)
    clf = tiny_clf(
        teacher__pool=None,
        student__pool=None,
        student__width=16,
        student__units=32,
        seq_len=SEQ_LEN,
        max_epochs=3,
    )
    return clf.fit(40 * X, y), 40 * X


@pytest.mark.parametrize("static", [False, True])
def test_int8_is_smaller_keeps_the_contract_and_the_stages(fitted, tmp_path, static):
    clf, X = fitted
    path = to_onnx(clf, tmp_path / "s.onnx")
    info = quantize_onnx(path, tmp_path / "s.int8.onnx", X if static else None)
    assert info["mode"] == ("static" if static else "dynamic")
    assert "LSTM" in info["quantized_ops"]
    assert info["float_ops"] == ([] if static else ["Conv"])
    assert info["int8_bytes"] < info["float_bytes"]
    props = {p.key: p.value for p in onnx.load(str(info["path"])).metadata_props}
    assert Contract.from_metadata(props) == clf.contract_
    assert json.loads(props["sleepkd.quantization"])["mode"] == info["mode"]
    student = OnnxStudent(info["path"])
    assert student.contract == clf.contract_
    agree = (student.predict_proba(X).argmax(-1) == clf.predict(X)).mean()
    assert agree >= 0.9


def test_bad_calibration_is_refused_before_quantising(fitted, tmp_path):
    clf, X = fitted
    path = to_onnx(clf, tmp_path / "s.onnx")
    with pytest.raises(ValueError, match=r"takes \[None, None, 1, 300\]"):
        quantize_onnx(path, tmp_path / "q.onnx", X[:, :, :, :200])
    with pytest.raises(ValueError, match="must be sequences"):
        quantize_onnx(path, tmp_path / "q.onnx", X[0])
    assert not (tmp_path / "q.onnx").exists()


def test_cli_exports_int8_with_calibration(fitted, tmp_path, capsys):
    clf, X = fitted
    ckpt = tmp_path / "clf.pkl"
    ckpt.write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "cal.npy", X[:8])
    out = tmp_path / "student.onnx"
    args = ["export", "--checkpoint", str(ckpt), "--out", str(out)]
    cal = ["--quantize", "int8", "--calibration", str(tmp_path / "cal.npy")]
    assert main(args + cal) == 0
    printed = capsys.readouterr().out
    assert "int8, static" in printed and "left in float: none" in printed
    assert OnnxStudent(tmp_path / "student.int8.onnx").contract == clf.contract_
    assert main(args + ["--calibration", str(tmp_path / "cal.npy")]) == 2
    assert "--calibration needs --quantize int8" in capsys.readouterr().err
