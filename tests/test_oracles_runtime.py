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
from varied_nights import mean_over_sequences, strip_contract

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


def test_sequence_length_chosen_in_order_and_a_fixed_graph_enforced(models):
    from sleepkd_runtime.model import DEFAULT_SEQ_LEN
    from sleepkd_runtime.stage import sequence_length

    contract = OnnxStudent(models[1]).contract
    assert contract.seq_len == SEQ_LEN
    assert sequence_length(None, None, None) == DEFAULT_SEQ_LEN
    assert sequence_length(None, None, contract) == SEQ_LEN
    assert sequence_length(None, 8, contract) == 8
    assert sequence_length(4, None, contract) == 4
    assert sequence_length(8, 8, contract) == 8
    with pytest.raises(ValueError, match="fixed sequence length of 8 epochs; "):
        sequence_length(4, 8, None)


def test_stage_edf_options_reach_the_staging(models, night, tmp_path, write_edf):
    from sleepkd_runtime.contract import ContractError

    _, path, _ = models
    edf, epochs = night
    model = OnnxStudent(path)
    scaled = EpochScaler().transform(epochs[None])[0]
    with pytest.raises(ContractError, match="scaling='robust'.*scaling='none'"):
        stage_edf(path, edf, CH, scaling="none")
    with pytest.raises(ContractError, match="sfreq=10.0.*sfreq=20.0"):
        stage_edf(path, edf, CH, sfreq=20)
    with pytest.warns(UserWarning, match="scaling='none' instead of 'robust'"):
        raw = stage_edf(path, edf, CH, scaling="none", override=True, stride=SEQ_LEN)
    expected = mean_over_sequences(model.predict_proba, epochs, SEQ_LEN, SEQ_LEN)
    np.testing.assert_allclose(raw.proba, expected, atol=1e-5)
    hyp4 = stage_edf(path, edf, CH, seq_len=4, stride=3)
    expected = mean_over_sequences(model.predict_proba, scaled, 4, 3)
    np.testing.assert_allclose(hyp4.proba, expected, atol=1e-5)
    # a night shorter than one sequence: one shorter sequence, or refused
    short = write_edf(str(tmp_path / "short.edf"), {CH: epochs[:4].ravel()}, 10.0)
    hyp = stage_edf(path, short, CH)
    got = OnnxStudent(path).predict_proba(
        EpochScaler().transform(read_back(short)[None])
    )[0]
    np.testing.assert_allclose(hyp.proba, got, atol=1e-5)
    why = r"4 epochs, fewer than one sequence \(seq_len=6\), and short=\"raise\""
    with pytest.raises(ValueError, match=why):
        stage_edf(path, short, CH, short="raise")
    with pytest.raises(ValueError, match="short must be 'pad' or 'raise'"):
        stage_edf(path, short, CH, short="cut")
    with pytest.raises(ValueError, match=r"Channel\(s\) \['Fz'\] not in"):
        stage_edf(path, edf, "Fz")
    with pytest.raises(ValueError, match="channel must be a channel name"):
        stage_edf(path, edf, [CH, ""])
    with pytest.raises(ValueError, match=r"Which channel\(s\) to stage\?"):
        stage_edf(path, edf)  # fitted on arrays: the contract names no channel
    again = stage_edf(OnnxStudent(path, batch_size=5), edf, CH, seq_len=4, stride=3)
    np.testing.assert_allclose(again.proba, hyp4.proba, atol=1e-6)


def read_back(path):
    """The epochs of a one-channel 10-Hz EDF file, read with edfio."""
    data = edfio.read_edf(path).signals[0].data
    return data.reshape(-1, 1, 300).astype(np.float32)


def test_model_without_contract_staged_with_the_options_given(
    models, night, tmp_path, write_edf
):
    _, path, _ = models
    edf, epochs = night
    old = strip_contract(path, tmp_path / "old.onnx")
    with pytest.raises(ValueError, match="Which channel"):
        stage_edf(old, edf)
    fast = write_edf(
        str(tmp_path / "fast.edf"), {CH: np.repeat(epochs.ravel(), 2)}, 20.0
    )
    with pytest.raises(
        ValueError, match="expects 300 samples per epoch but the recording gives 600"
    ):
        stage_edf(old, fast, CH)
    with pytest.warns(UserWarning, match=r"ONNX file old.onnx carries no.*10 Hz"):
        hyp = stage_edf(old, edf, CH, seq_len=SEQ_LEN, stride=2, scaling="robust")
    scaled = EpochScaler().transform(epochs[None])[0]
    model = OnnxStudent(path)
    expected = mean_over_sequences(model.predict_proba, scaled, SEQ_LEN, 2)
    np.testing.assert_allclose(hyp.proba, expected, atol=1e-5)
    with pytest.warns(UserWarning, match="carries no"):
        plain = stage_edf(old, edf, CH, seq_len=SEQ_LEN, stride=2)
    expected = mean_over_sequences(model.predict_proba, epochs, SEQ_LEN, 2)
    np.testing.assert_allclose(plain.proba, expected, atol=1e-5)


def test_one_epoch_sequences_and_integer_coverage_counts():
    from sleepkd_runtime.sliding import combine, night_starts

    np.testing.assert_array_equal(night_starts(5, 1, 1), [0, 1, 2, 3, 4])
    proba = np.random.default_rng(0).dirichlet(np.ones(5), (3, 4)).astype(np.float32)
    mean, counts = combine(proba, [0, 2, 3], 7)
    np.testing.assert_array_equal(counts, [1, 1, 2, 3, 2, 2, 1])
    assert counts.dtype.kind == "i" and mean.dtype == np.float64
    np.testing.assert_allclose(mean[3], proba[:, [3, 1, 0]].diagonal().mean(1))


def test_finish_contract_assumes_one_for_a_bare_model_and_checks_the_rate(models):
    from sleepkd_runtime.contract import ContractError
    from sleepkd_runtime.stage import finish_contract

    X = np.zeros((3, 1, 300), dtype=np.float32)
    with pytest.warns(UserWarning, match=r"^The model carries no.*'none', 10 Hz"):
        assumed = finish_contract(None, X, 10.0)
    assert (assumed.sfreq, assumed.n_times, assumed.scaling) == (10.0, 300, "none")
    with pytest.warns(UserWarning, match="The model carries no"):
        assert finish_contract(None, X, 10.0, scaling="robust").scaling == "robust"
    contract = OnnxStudent(models[1]).contract
    assert finish_contract(contract, X, 10.0) is contract
    with pytest.raises((ContractError, ValueError), match="sampled at 20 Hz.*10 Hz"):
        finish_contract(contract, X, 20.0)


def test_stage_epochs_defaults_pad_a_short_night_and_a_fixed_graph_refuses():
    from sleepkd_runtime.stage import stage_epochs

    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 1, 5)).astype(np.float32)
    seen = []

    def predict_proba(seqs):
        seen.append(seqs.shape)
        return np.full(seqs.shape[:2] + (5,), 0.2)

    hyp = stage_epochs(predict_proba, X, 30.0 * np.arange(4), 6)
    assert seen == [(1, 4, 1, 5)] and len(hyp) == 4
    why = r"4 epochs, fewer than one sequence \(seq_len=6\), and the model has a fixed"
    with pytest.raises(ValueError, match=why):
        stage_epochs(predict_proba, X, 30.0 * np.arange(4), 6, fixed=True)
    seen.clear()
    stage_epochs(predict_proba, X, 30.0 * np.arange(4), 2)  # default stride 1
    assert seen == [(3, 2, 1, 5)]
    with pytest.raises(ValueError, match="stride must be between 1 and seq_len=4"):
        stage_epochs(predict_proba, X, 30.0 * np.arange(4), 4, stride=5)


def test_a_night_of_more_sequences_than_one_chunk_is_staged_epoch_by_epoch():
    from sleepkd_runtime.stage import stage_epochs

    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 1, 5)).astype(np.float32)

    def predict_proba(seqs):  # each epoch's own numbers, through a softmax
        z = seqs[:, :, 0, :5].astype(np.float64)
        e = np.exp(z - z.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    hyp = stage_epochs(predict_proba, X, 30.0 * np.arange(300), 2, stride=1)
    expected = mean_over_sequences(predict_proba, X, 2, 1)  # 299 sequences
    np.testing.assert_allclose(hyp.proba, expected, atol=1e-12)


def test_staging_contract_reconciles_options_with_the_contract(models):
    from dataclasses import replace

    from sleepkd_runtime.contract import ContractError
    from sleepkd_runtime.stage import staging_contract

    named = replace(OnnxStudent(models[1]).contract, channels=(CH,))
    assert staging_contract(named) == (named, [CH])
    assert staging_contract(named, channels=CH)[1] == [CH]
    with pytest.raises(ContractError, match=r"channels=\('C4-M1',\).*\('Fz',\)"):
        staging_contract(named, channels="Fz")
    with pytest.raises(ContractError, match="scaling='robust'"):
        staging_contract(named, scaling="none")
    with pytest.raises(ValueError, match="scaling must be one of"):
        staging_contract(named, scaling="minmax")
    with pytest.warns(UserWarning, match="channels=\\('Fz',\\) instead"):
        contract, channels = staging_contract(named, channels="Fz", override=True)
    assert channels == ["Fz"] and contract.channels == ("Fz",)
