"""The runtime stages a model with per-epoch scaling in its contract as
``predict_proba`` does on the same prepared data, float and int8."""

import edfio
import numpy as np
import pytest
from helpers import make_data, tiny_clf
from sklearn.pipeline import make_pipeline
from sleepkd_runtime.cli import main
from sleepkd_runtime.model import OnnxStudent
from sleepkd_runtime.stage import stage_edf
from varied_nights import mean_over_sequences

from braindecode_sleepkd.export import quantize_onnx, to_onnx
from braindecode_sleepkd.preprocessing import EpochScaler

pytest.importorskip("onnxruntime")

SEQ_LEN, N_EPOCHS, CH = 6, 141, "C4-M1"  # 141 epochs: not a multiple of 6


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    X, y, _ = make_data(n_seq=24, seq_len=SEQ_LEN)
    clf = tiny_clf(
        teacher__pool=None,
        student__pool=None,
        student__width=4,
        seq_len=SEQ_LEN,
        max_epochs=2,
        strategy="dist",
    )
    pipe = make_pipeline(EpochScaler(), clf).fit(40 * X, y)
    folder = tmp_path_factory.mktemp("models")
    path = to_onnx(pipe, folder / "robust.onnx")
    int8 = quantize_onnx(path, folder / "robust.int8.onnx")["path"]
    return pipe, path, int8


@pytest.fixture(scope="module")
def night(tmp_path_factory, write_edf):
    """A 10-Hz night of 141 epochs in microvolts, and its epochs as read back."""
    X, _, _ = make_data(n_seq=24, seq_len=SEQ_LEN, seed=3)
    signal = 40 * X.reshape(-1)[: N_EPOCHS * 300]
    path = tmp_path_factory.mktemp("night") / "night.edf"
    write_edf(str(path), {CH: signal}, 10.0)
    data = edfio.read_edf(path).signals[0].data  # read without the runtime
    return path, data.reshape(N_EPOCHS, 1, 300).astype(np.float32)


@pytest.mark.parametrize("stride", [SEQ_LEN, None])
def test_float_onnx_stages_as_the_pipelines_predict_proba(models, night, stride):
    pipe, path, _ = models
    edf, epochs = night
    assert OnnxStudent(path).contract.scaling == "robust"
    hyp = stage_edf(path, edf, CH, stride=stride)
    expected = mean_over_sequences(
        pipe.predict_proba, epochs, SEQ_LEN, stride or SEQ_LEN // 2
    )
    np.testing.assert_allclose(hyp.proba, expected, atol=1e-4)
    np.testing.assert_array_equal(hyp.stages, expected.argmax(1))
    np.testing.assert_array_equal(hyp.onsets, 30.0 * np.arange(N_EPOCHS))


def test_sleepkd_stage_cli_writes_predict_proba(models, night, tmp_path):
    pipe, path, _ = models
    edf, epochs = night
    args = [str(edf), "--model", str(path), "--channel", CH, "--out", str(tmp_path)]
    assert main(args + ["--stride", str(SEQ_LEN)]) == 0
    table = np.genfromtxt(
        tmp_path / "night_hypnogram.csv", delimiter=",", names=True, dtype=None
    )
    expected = mean_over_sequences(pipe.predict_proba, epochs, SEQ_LEN, SEQ_LEN)
    got = np.stack([table[f"p_{s}"] for s in ("W", "N1", "N2", "N3", "REM")], 1)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    np.testing.assert_array_equal(table["label"], expected.argmax(1))


def test_int8_onnx_stages_as_its_own_predict_proba_on_scaled_epochs(models, night):
    _, _, int8 = models
    edf, epochs = night
    model = OnnxStudent(int8)
    assert model.contract.scaling == "robust"
    hyp = stage_edf(int8, edf, CH, stride=SEQ_LEN)
    prepared = EpochScaler().transform(epochs[None])[0]
    expected = mean_over_sequences(model.predict_proba, prepared, SEQ_LEN, SEQ_LEN)
    np.testing.assert_allclose(hyp.proba, expected, atol=1e-5)
    np.testing.assert_array_equal(hyp.stages, expected.argmax(1))
